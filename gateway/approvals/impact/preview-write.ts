import type { CreatedObject, ImpactPreview } from '../../../src/approvals/impact.types.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../../src/masking/mask-core.ts';
import type { MaskingRules } from '../../../src/masking/policy.ts';
import type { RequestInfo } from '../../../src/request/request-info.types.ts';
import { kindOf } from '../../../src/request/resource-kinds.ts';
import { diffObjects } from './object-diff.ts';
import { maskedCopy } from './preview-masking.ts';
import { answerProblem, type UpstreamCaller } from './upstream-call.ts';

/**
 * What a write would do, asked of the cluster itself: exactly the held request (same method,
 * path, query, body and content type) with `dryRun=All` added, so admission, defaulting,
 * strategic merge and server-side apply all run as they would, and nothing is stored.
 * - update, patch, apply, scale: the live object (GET of the same path) against the dry-run
 *   result, as field changes (object-diff.ts); an apply that would create is a create;
 * - create: the dry-run result, summarised (kind, name, a few key fields).
 * Both sides are masked before anything is kept (preview-masking.ts). A refused dry-run is a
 * finding, not an error: the preview says the cluster would refuse it, and why (the reason only:
 * a validation message may quote the request's values).
 */

export interface WriteRequest {
  method: string;
  path: string;
  query: string;
  body: Buffer | undefined;
  contentType: string | undefined;
}

const MAX_IMAGES = 10;

export async function previewWrite(
  call: UpstreamCaller,
  info: RequestInfo,
  request: WriteRequest,
  rules: MaskingRules,
): Promise<Omit<ImpactPreview, 'tookMs'>> {
  const kindHint = info.subresource ? '' : (kindOf(info.apiGroup, info.resource) ?? '');
  const live =
    info.verb === 'create' ? undefined : await call({ method: 'GET', path: request.path, query: '' });
  if (live && live.status !== 200 && live.status !== 404) {
    const problem = `could not read the live object as the agent: ${answerProblem(live, { withMessage: true })}`;
    return { kind: 'change', complete: false, problems: [problem] };
  }
  const creates = live === undefined || live.status === 404;
  const query = request.query ? `${request.query}&dryRun=All` : 'dryRun=All';
  const dry = await call({
    method: request.method,
    path: request.path,
    query,
    ...(request.body ? { body: request.body } : {}),
    ...(request.contentType ? { contentType: request.contentType } : {}),
  });
  const kind = creates ? 'create' : 'change';
  if (dry.status < 200 || dry.status > 299 || !isJsonObject(dry.json)) {
    const problem = `the dry-run was refused: ${answerProblem(dry, { withMessage: false })}`;
    return { kind, complete: false, problems: [problem] };
  }
  if (creates) {
    return {
      kind,
      complete: true,
      problems: [],
      create: summariseCreated(maskedCopy(dry.json, kindHint, rules)),
    };
  }
  const liveObject = live?.json as JsonValue;
  const changes = diffObjects({
    live: liveObject,
    next: dry.json,
    liveMasked: maskedCopy(liveObject, kindHint, rules),
    nextMasked: maskedCopy(dry.json, kindHint, rules),
  });
  return { kind, complete: true, problems: [], changes, changeCount: changes.length };
}

/** Kind, name and the fields a risk decision turns on; values come from the masked object. */
function summariseCreated(object: JsonValue): CreatedObject {
  const doc = isJsonObject(object) ? object : {};
  const meta = isJsonObject(doc['metadata']) ? doc['metadata'] : {};
  const spec = isJsonObject(doc['spec']) ? doc['spec'] : {};
  const fields: Record<string, string> = {};
  if (typeof spec['replicas'] === 'number') fields['replicas'] = String(spec['replicas']);
  const podSpec = podSpecOf(doc);
  if (podSpec) {
    const images = containers(podSpec).map((c) => String(c['image'] ?? '?'));
    if (images.length > 0) fields['images'] = images.slice(0, MAX_IMAGES).join(', ');
    if (typeof podSpec['serviceAccountName'] === 'string')
      fields['serviceAccount'] = podSpec['serviceAccountName'];
  }
  if (typeof doc['type'] === 'string') fields['type'] = doc['type'];
  if (typeof spec['type'] === 'string') fields['type'] = spec['type'];
  for (const field of ['data', 'stringData']) {
    const map = doc[field];
    if (isJsonObject(map)) fields[`${field} keys`] = Object.keys(map).sort().slice(0, 20).join(', ');
  }
  const created: CreatedObject = {
    kind: typeof doc['kind'] === 'string' ? doc['kind'] : '?',
    name: String(meta['name'] ?? meta['generateName'] ?? '?'),
    fields,
  };
  if (typeof meta['namespace'] === 'string') created.namespace = meta['namespace'];
  return created;
}

/** The pod spec of a Pod, a workload's template, or a CronJob's job template. */
export function podSpecOf(doc: JsonObject): JsonObject | undefined {
  if (doc['kind'] === 'Pod') return isJsonObject(doc['spec']) ? doc['spec'] : undefined;
  let spec: JsonValue | undefined = doc['spec'];
  if (doc['kind'] === 'CronJob' && isJsonObject(spec))
    spec = isJsonObject(spec['jobTemplate']) ? spec['jobTemplate']['spec'] : undefined;
  const template = isJsonObject(spec) ? spec['template'] : undefined;
  return isJsonObject(template) && isJsonObject(template['spec']) ? template['spec'] : undefined;
}

/** Init and regular containers of a pod spec. */
export function containers(podSpec: JsonObject): JsonObject[] {
  const all: JsonValue[] = [];
  for (const field of ['initContainers', 'containers']) {
    const list = podSpec[field];
    if (Array.isArray(list)) all.push(...list);
  }
  return all.filter(isJsonObject);
}
