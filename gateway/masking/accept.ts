/**
 * The Accept header the gateway sends upstream for a response it must mask: the client's own
 * preferences, with every media type the gateway cannot read rewritten to its JSON form.
 *
 * client-go since 1.32 asks for protobuf (`application/vnd.kubernetes.protobuf`, for watches
 * `…;stream=watch`), and 1.33 may ask for CBOR; kubectl get asks for
 * `application/json;as=Table;v=v1;g=meta.k8s.io,…`. A client decodes by the response's
 * Content-Type, so answering JSON to a client that also accepts protobuf is always understood.
 * Rewriting (rather than dropping) keeps the `as=Table`/`as=PartialObjectMetadata` parameters, so
 * a client that asked for a protobuf Table gets a JSON Table, not a different shape. `stream`
 * parameters are removed with the protobuf type they framed; `*\/*` and `application/*` become
 * JSON too, so the server's choice is never left open.
 */
import type { MaskPlan } from './plan.ts';

const JSON_TYPE = 'application/json';

function isJson(type: string): boolean {
  return type === JSON_TYPE || (type.startsWith('application/') && type.endsWith('+json'));
}

/** One media range rewritten to JSON: same parameters, minus framing ones. */
function toJson(range: string): string {
  const [type = '', ...params] = range.split(';').map((p) => p.trim());
  if (isJson(type.toLowerCase())) return range.trim();
  const kept = params.filter((p) => p !== '' && !p.toLowerCase().startsWith('stream='));
  return [JSON_TYPE, ...kept].join(';');
}

/**
 * The Accept header to send upstream under `plan`. Text plans (logs) keep the client's header
 * (logs are text/plain whatever is asked); a missing header becomes `*\/*` there and
 * `application/json` for object plans.
 */
export function upstreamAcceptFor(plan: MaskPlan, accept: string | undefined): string {
  if (plan.mode === 'text') return accept ?? '*/*';
  const ranges: string[] = [];
  for (const range of (accept ?? '').split(',')) {
    if (range.trim() === '') continue;
    const json = toJson(range);
    if (!ranges.includes(json)) ranges.push(json);
  }
  return ranges.length > 0 ? ranges.join(',') : JSON_TYPE;
}
