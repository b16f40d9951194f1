/**
 * What a masked response may look like, decided before anything is masked: masking rewrites the
 * fields of the kinds it knows, so a document of a shape it does not expect — a watch event
 * answering a list, an object without a `kind`, a list of some other kind — would pass through
 * with every value in it. Each top-level document (and each watch event's object) must declare a
 * kind the request can return: the request's own kind, its list, or one of the generic wrappers
 * (`List`, `Table`, `PartialObjectMetadata[List]`, `Status`). Anything else is unmaskable, and
 * the response masker and the recorder both withhold it (fail closed).
 *
 * kube-apiserver always writes `kind` on top-level JSON documents and on watch event objects;
 * only the items of typed lists leave it out, and those are masked as the list's item kind.
 */
import { isJsonObject, type JsonValue, stringAt } from '../../src/masking/mask-core.ts';

const WRAPPERS: ReadonlySet<string> = new Set([
  'List',
  'Table',
  'PartialObjectMetadata',
  'PartialObjectMetadataList',
  'Status',
]);

/** Whether a document of `kind` can answer a request about objects of `kindHint`. */
export function isExpectedKind(kind: string, kindHint: string): boolean {
  return kind === kindHint || kind === `${kindHint}List` || WRAPPERS.has(kind);
}

/**
 * Why `doc` is not a document the masker can vouch for as an answer about `kindHint`, or
 * undefined when it is. The reason names shapes only, never content.
 */
export function documentShapeProblem(doc: JsonValue, kindHint: string): string | undefined {
  if (!isJsonObject(doc)) return 'not a JSON object';
  const kind = stringAt(doc, 'kind');
  if (kind === undefined) return 'a document without a kind';
  if (!isExpectedKind(kind, kindHint)) return `a document of an unexpected kind for a ${kindHint} request`;
  return undefined;
}

/** Like {@link documentShapeProblem}, for one event of a watch stream (`{type, object}`). */
export function watchEventProblem(event: JsonValue, kindHint: string): string | undefined {
  if (!isJsonObject(event) || typeof event['type'] !== 'string' || !Object.hasOwn(event, 'object'))
    return 'a watch event without a type and an object';
  return documentShapeProblem(event['object'] ?? null, kindHint);
}
