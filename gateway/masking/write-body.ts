/**
 * A write's body, read as far as the gateway needs to inspect it (pipeline/inspect-write.ts): a
 * JSON patch as its list of operations; create, update, merge and strategic-merge patches and
 * server-side apply as one object (JSON, or YAML for `application/yaml` and
 * `application/apply-patch+yaml`); anything else — protobuf (kubectl ≥ 1.32 creates that way),
 * CBOR, unknown types — as opaque bytes, which can only be searched, never decoded by guess.
 * Media types are compared without parameters and case-insensitively, as kube-apiserver does.
 */
import { parse as parseYaml } from 'yaml';
import { isJsonObject, type JsonObject, type JsonValue } from '../../src/masking/mask-core.ts';

export type WriteBody =
  | { readonly format: 'json-patch'; readonly ops: JsonValue[] }
  | { readonly format: 'object'; readonly doc: JsonObject }
  | { readonly format: 'opaque' }
  | { readonly format: 'unreadable'; readonly what: string };

const JSON_PATCH = 'application/json-patch+json';
const JSON_TYPES = new Set([
  'application/json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
]);
const YAML_TYPES = new Set(['application/yaml', 'application/apply-patch+yaml']);

/** The media type of a Content-Type header, lowercased, without parameters. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function readWriteBody(body: Buffer, contentType: string | undefined): WriteBody {
  const type = mediaTypeOf(contentType);
  if (type === JSON_PATCH) {
    const ops = parse(body, false);
    return Array.isArray(ops)
      ? { format: 'json-patch', ops }
      : { format: 'unreadable', what: 'a JSON patch (a JSON array)' };
  }
  const yaml = YAML_TYPES.has(type);
  if (!yaml && !JSON_TYPES.has(type)) return { format: 'opaque' };
  const doc = parse(body, yaml);
  return isJsonObject(doc)
    ? { format: 'object', doc }
    : { format: 'unreadable', what: `a ${yaml ? 'YAML' : 'JSON'} object` };
}

function parse(body: Buffer, yaml: boolean): JsonValue | undefined {
  try {
    const text = body.toString('utf8');
    return (yaml ? parseYaml(text, { maxAliasCount: 100 }) : JSON.parse(text)) as JsonValue;
  } catch {
    return undefined;
  }
}
