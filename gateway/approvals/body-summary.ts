import { bodySha256 } from '../../src/approvals/fingerprint.ts';
import { isJsonObject, type JsonValue, MASK_MARKER, MaskTally } from '../../src/masking/mask-core.ts';
import { compileMaskingPolicy, type MaskingRules } from '../../src/masking/policy.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';
import { valueKindOfPlural } from '../../src/request/resource-kinds.ts';
import { maskDocument } from '../masking/mask-object.ts';

/**
 * The body summary a review record carries: enough for an approver to see what the request would
 * write, never a secret value. Review records sit in Redis, readable by every replica and the bot,
 * and are shown in chat, so:
 *
 * - a request about Secrets, a protobuf body, or any body that is not JSON is described by its
 *   content type, size and SHA-256 only (kubectl sends Secrets as protobuf, with the values as
 *   plain bytes inside: such a body is never decoded, let alone stored);
 * - a JSON body is masked with the strictest rules (Secret data, every literal env value in pod
 *   templates, every ConfigMap value, the last-applied annotation) and cut to {@link MAX_SHOWN};
 *   a JSON Patch keeps its operations and paths but only numeric and boolean values;
 * - no body: `(no body)`.
 * The digest is the same one the fingerprint uses, so an approver can match summary and request.
 */

const MAX_SHOWN = 2000;

/** Masks everything masking knows how to mask, whoever the caller is. */
const STRICT: MaskingRules = compileMaskingPolicy({
  default: { secrets: true, env: { mode: 'always' }, configMaps: [{ keys: ['*'] }] },
}).defaultRules;

export function summarizeBody(
  body: Buffer | undefined,
  contentType: string | undefined,
  info: RequestInfo,
): string {
  if (!body || body.length === 0) return '(no body)';
  const type = (contentType ?? 'unknown content type').split(';')[0]!.trim();
  const digest = `${type}, ${body.length} bytes, sha256 ${bodySha256(body)}`;
  if (info.resource === 'secrets') return `${digest} (a Secret: content not shown)`;
  if (!/^application\/(.+\+)?json$/i.test(type)) return `${digest} (content not shown)`;
  let doc: JsonValue;
  try {
    doc = JSON.parse(body.toString('utf8')) as JsonValue;
  } catch {
    return `${digest} (not valid JSON: content not shown)`;
  }
  if (isJsonObject(doc) && typeof doc['kind'] === 'string' && doc['kind'] === 'Secret') {
    return `${digest} (a Secret: content not shown)`;
  }
  const tally = new MaskTally();
  if (Array.isArray(doc)) doc = doc.map((op) => maskPatchOperation(op, tally));
  // By plural alone, whatever the group: a summary masks a look-alike CRD too rather than too little.
  else maskDocument(doc, valueKindOfPlural(info.resource) ?? '', STRICT, tally);
  const text = JSON.stringify(doc);
  const shown = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}… (cut)` : text;
  const masked = tally.count > 0 ? `, ${tally.count} values masked` : '';
  return `${digest}${masked}: ${shown}`;
}

/** A JSON Patch operation keeps its op and paths; only numbers and booleans keep their value. */
function maskPatchOperation(op: JsonValue, tally: MaskTally): JsonValue {
  if (!isJsonObject(op)) return op;
  const value = op['value'];
  if (value === undefined || typeof value === 'number' || typeof value === 'boolean' || value === null)
    return op;
  tally.dropped();
  return { ...op, value: MASK_MARKER };
}
