import { StatusError } from '../../src/errors.ts';
import { MASK_MARKER } from '../../src/masking/mask-core.ts';
import { type CompiledMaskingPolicy, maskingRulesFor } from '../../src/masking/policy.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';
import { valueReadOf } from '../masking/json-patch-reads.ts';
import { valueFieldPatterns } from '../masking/value-fields.ts';
import { sensitiveKindOf } from '../masking/value-kinds.ts';
import { readWriteBody } from '../masking/write-body.ts';
import {
  objectWriteValues,
  opaqueHasMarker,
  patchWriteValues,
  type WriteValues,
} from '../masking/write-values.ts';
import { hasBody, KUBE_REQUEST_BODY_LIMIT, readBodyOnce } from '../request-body.ts';
import { callerFrom, infoFrom, type Stage } from '../request-context.ts';

/**
 * Inspects writes to objects that hold values (Secrets, ConfigMaps, pods and pod templates) before
 * anything goes upstream, and refuses two kinds:
 *
 * - JSON patches that read a value field with `copy`, `move` or `test` (403): the value would
 *   come back in the object or in an error message, or `test` would confirm a guess;
 * - bodies that write the mask marker into a value field (422): a masked read written back
 *   (`kubectl get -o yaml | kubectl replace -f -`) would replace the real value with the marker.
 *   Protobuf and other binary bodies are searched for the marker (and its base64) as bytes; they
 *   store strings raw, so a write-back cannot hide, and a hit anywhere is refused (the marker is
 *   never a real value).
 *
 * A JSON or YAML body that does not parse is a 400: the gateway does not pass what it cannot
 * check. The values the write carries are left in `ctx.writeValues`, so a Status answering it
 * that quotes one can be withheld (masking/status-scrub.ts).
 */

const WRITE_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch']);

export function inspectWrite(masking: CompiledMaskingPolicy): Stage {
  return (next) => async (ctx) => {
    const info = infoFrom(ctx);
    const kind = sensitiveKindOf(info);
    if (kind === undefined || ctx.upgrade || !WRITE_VERBS.has(info.verb) || !hasBody(ctx.req))
      return next(ctx);
    const body = await readBodyOnce(ctx, KUBE_REQUEST_BODY_LIMIT);
    const read = readWriteBody(body, ctx.req.headers['content-type']);
    let found: WriteValues | undefined;
    if (read.format === 'unreadable') {
      ctx.refusal = 'unreadable write';
      throw new StatusError(
        400,
        'BadRequest',
        `hoop-gateway cannot read this ${kind} write: its body is not ${read.what}. The gateway ` +
          'checks writes of objects that hold secret values before they reach the cluster, so it ' +
          'does not forward what it cannot read. Send a well-formed body.',
      );
    }
    if (read.format === 'json-patch') {
      const rules = maskingRulesFor(masking, callerFrom(ctx));
      const reading = valueReadOf(read.ops, valueFieldPatterns(kind, rules, info.namespace, info.name));
      if (reading) {
        ctx.refusal = 'json patch reads a value';
        throw valueReadRefusal(info, reading);
      }
      found = patchWriteValues(read.ops, kind);
    } else if (read.format === 'object') {
      found = objectWriteValues(read.doc, kind);
    }
    if (found ? found.marker : opaqueHasMarker(body)) {
      ctx.refusal = 'mask marker written back';
      throw markerRefusal(kind);
    }
    if (found && found.values.length > 0) ctx.writeValues = found.values;
    await next(ctx);
  };
}

function valueReadRefusal(info: RequestInfo, reading: { index: number; op: string; pointer: string }) {
  return new StatusError(
    403,
    'Forbidden',
    `hoop-gateway refused this JSON patch on ${info.resource} ${JSON.stringify(info.name)}: operation ` +
      `${reading.index} ("${reading.op}" of ${JSON.stringify(reading.pointer)}) reads a field that holds ` +
      `secret values, which the gateway masks. A "copy" or "move" would reveal the value in the ` +
      `object or an error message, and a "test" would confirm guesses. To change a value, write it ` +
      `with "replace" or "add" and the new value; to drop one, use "remove". This is the gateway, ` +
      'not the cluster: the same patch will be refused again.',
    { details: { name: info.name, kind: info.resource } },
  );
}

function markerRefusal(kind: string) {
  return new StatusError(
    422,
    'Invalid',
    `hoop-gateway refused this ${kind} write: a secret-carrying field holds ${JSON.stringify(MASK_MARKER)} ` +
      '(or its base64), the placeholder for a value masked by hoop-gateway when it was read. Writing ' +
      'it would replace the real value with the placeholder. Write the real value, or leave the ' +
      'field out of the body (a patch that does not mention a key keeps it as it is).',
  );
}
