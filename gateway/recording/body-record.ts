import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import {
  isJsonObject,
  type JsonValue,
  MASK_MARKER,
  type MaskedValueSink,
  MaskTally,
} from '../../src/masking/mask-core.ts';
import type { MaskingRules } from '../../src/masking/policy.ts';
import { DETECTOR_NAMES } from '../../src/masking/text-detectors.ts';
import type { BodyRecord } from '../../src/recording/event.types.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';
import { kindOf } from '../../src/request/resource-kinds.ts';
import { documentShapeProblem, watchEventProblem } from '../masking/document-shape.ts';
import { LineMasker } from '../masking/line-masker.ts';
import { maskDocument, maskWatchEvent } from '../masking/mask-object.ts';
import { scrubStatus } from '../masking/status-scrub.ts';
import type { CapturedBody } from './body-capture.ts';

/**
 * Turns a captured body into what the recording stores — masked, or reduced to size and digest:
 *
 * - protobuf (`application/vnd.kubernetes.protobuf`): size and SHA-256 only. kubectl ≥ 1.32
 *   sends Secrets this way with the values as plain bytes inside; such a body is never decoded;
 * - JSON and YAML (apply patches): parsed and masked with the masking module's pure functions
 *   under the caller's rules, with Secret masking forced on (a Secret is never stored raw, even
 *   for a break-glass caller who was shown it); a watch is masked event by event; a JSON patch
 *   (a list of operations) on a kind that holds values has every operation's `value` masked;
 *   a response must also have the shape masking vouches for (masking/document-shape.ts: a
 *   declared kind the request can return; watch events `{type, object}`), exactly as on the
 *   response path — the recorder is never weaker than what the agent was shown;
 * - a body about a kind that holds values that cannot be parsed, or has another shape, is
 *   withheld: the record says `omitted: 'unmaskable'` and its text is {@link BODY_WITHHELD};
 * - text (pod logs, plain errors): every line through the text detectors and known values;
 * - over the cap: the head, line-masked, unless the body is about a kind that holds values
 *   (a JSON head cannot be masked reliably), which keeps size and digest only;
 * - anything else: size and digest.
 *
 * Size and digest are always of the bytes as they travelled (compressed, if they were).
 */

/** The text a record holds in place of a body about values that the gateway could not mask. */
export const BODY_WITHHELD = 'body withheld: unmaskable';

export interface BodyContext {
  /**
   * The kind the request is about (`Secret`, `Pod`…), when it is one that can hold values
   * (masking's `sensitiveKindOf`, gateway/masking/value-kinds.ts).
   */
  sensitiveKind: string | undefined;
  /** The request is about Secrets (resource `secrets`). */
  secret: boolean;
  /** The response is a watch stream: one JSON event per line. */
  watch: boolean;
  /** The body is a response (its shape is checked as the response masker checks it). */
  response: boolean;
  /** The caller's masking rules (Secret masking is forced on regardless). */
  rules: MaskingRules;
  /** Receives the plain values masked (for masking them later in exec output); never stored. */
  onMaskedValue?: MaskedValueSink;
  /** Values already known to be secret in this session (matched in text). */
  literals?: Iterable<string>;
  /** Values the request wrote into value fields: a Status quoting one is withheld (status-scrub.ts). */
  requestValues?: readonly string[];
}

const gunzipAsync = promisify(gunzip);
const PROTOBUF = /^application\/vnd\.kubernetes\.protobuf/i;
const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;
const YAML_TYPE = /^application\/([\w.-]+\+)?yaml$/i;
const TEXT_TYPE = /^text\//i;

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** How a captured body travelled, and the recording's cap on it. */
export interface BodyMeta {
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  cap: number;
}

/** The stored record for a captured body; undefined when there was no body. */
export async function recordBody(
  captured: CapturedBody,
  meta: BodyMeta,
  context: BodyContext,
): Promise<BodyRecord | undefined> {
  if (captured.size === 0) return undefined;
  const type = mediaType(meta.contentType);
  const record: BodyRecord = { size: captured.size, sha256: captured.sha256 };
  if (type) record.contentType = type;
  const encoding = meta.contentEncoding?.toLowerCase();
  if (encoding && encoding !== 'identity') record.contentEncoding = encoding;
  if (PROTOBUF.test(type)) return { ...record, omitted: 'protobuf' };

  let bytes = captured.bytes;
  let complete = captured.complete;
  if (record.contentEncoding) {
    if (record.contentEncoding !== 'gzip' || !complete) return { ...record, omitted: 'compressed' };
    try {
      // Bounded, so a small compressed body cannot expand into gigabytes (a zip bomb).
      bytes = await gunzipAsync(captured.bytes, { maxOutputLength: meta.cap * 64 });
    } catch {
      return { ...record, omitted: 'undecodable' };
    }
  }
  const structured = JSON_TYPE.test(type) || YAML_TYPE.test(type);
  if (!structured && !TEXT_TYPE.test(type)) return { ...record, omitted: 'binary' };
  if (bytes.length > meta.cap) {
    bytes = bytes.subarray(0, meta.cap);
    complete = false;
  }
  if (!complete) {
    if (holdsValues(context)) return { ...record, omitted: 'over-cap' };
    return { ...record, text: maskText(bytes.toString('utf8'), context).text, truncated: true };
  }
  if (!structured) {
    const masked = maskText(bytes.toString('utf8'), context);
    return { ...record, text: masked.text, ...(masked.count > 0 ? { masked: masked.count } : {}) };
  }
  const tally = new MaskTally(context.onMaskedValue);
  const json = maskStructured(bytes.toString('utf8'), YAML_TYPE.test(type), context, tally);
  if (json === undefined) {
    if (holdsValues(context)) return { ...record, omitted: 'unmaskable', text: BODY_WITHHELD };
    return { ...record, omitted: 'not-json' };
  }
  return { ...record, json, ...(tally.count > 0 ? { masked: tally.count } : {}) };
}

/** Parses and masks a JSON/YAML body; undefined when it cannot be stored safely. */
function maskStructured(
  text: string,
  yaml: boolean,
  context: BodyContext,
  tally: MaskTally,
): JsonValue | undefined {
  const rules: MaskingRules = { ...context.rules, secrets: true };
  const hint = context.sensitiveKind ?? (context.secret ? 'Secret' : '');
  const checkShape = context.response && hint !== '';
  if (context.watch && !yaml) {
    const events: JsonValue[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const event = parse(line, false);
      if (event === undefined) return undefined;
      if (checkShape && watchEventProblem(event, hint) !== undefined) return undefined;
      maskWatchEvent(event, hint, rules, tally);
      events.push(event);
    }
    return events;
  }
  const doc = parse(text, yaml);
  if (doc === undefined) return undefined;
  if (checkShape && documentShapeProblem(doc, hint) !== undefined) return undefined;
  if (Array.isArray(doc)) {
    // A JSON patch: keep the operations and paths, mask the values when the kind holds values.
    if (holdsValues(context)) return maskPatchValues(doc, tally);
    return doc;
  }
  if (!isJsonObject(doc)) return context.secret ? undefined : doc;
  maskDocument(doc, hint, rules, tally);
  if (doc['kind'] === 'Status' && scrubStatus(doc, context.requestValues ?? [])) tally.dropped();
  return doc;
}

/** The body is about a kind whose objects hold values (a Secret, a pod template…). */
function holdsValues(context: BodyContext): boolean {
  return context.secret || context.sensitiveKind !== undefined;
}

function parse(text: string, yaml: boolean): JsonValue | undefined {
  try {
    return (yaml ? parseYaml(text, { maxAliasCount: 100 }) : JSON.parse(text)) as JsonValue;
  } catch {
    return undefined;
  }
}

function maskPatchValues(ops: JsonValue[], tally: MaskTally): JsonValue[] {
  return ops.map((op) => {
    if (!isJsonObject(op) || op['value'] === undefined) return op;
    tally.dropped();
    return { ...op, value: MASK_MARKER };
  });
}

const ALL_DETECTORS = new Set(DETECTOR_NAMES);

/** Masks text line by line with every detector and the session's known values. */
export function maskText(
  text: string,
  context: Pick<BodyContext, 'literals'>,
): { text: string; count: number } {
  const masker = new LineMasker({ detectors: ALL_DETECTORS, literals: context.literals ?? [] });
  const masked = text
    .split('\n')
    .map((line) => masker.maskLine(line))
    .join('\n');
  return { text: masked, count: masker.count };
}

/** True when the request is about Secrets (any subresource): its bodies are never stored raw. */
export function isSecretRequest(info: RequestInfo | undefined): boolean {
  return info?.isResourceRequest === true && kindOf(info.apiGroup, info.resource) === 'Secret';
}
