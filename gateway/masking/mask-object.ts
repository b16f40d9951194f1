/**
 * Masks one parsed Kubernetes response document in place, whatever its shape: a single object,
 * a list (`SecretList`, `List`, `PartialObjectMetadataList`), a `meta.k8s.io/v1` Table, a
 * `PartialObjectMetadata`, or a watch event. Status objects are never touched.
 *
 * `kindHint` is the kind the request was for (from its resource): typed lists leave `kind` out of
 * their items, Table rows may leave it out of their objects, and `PartialObjectMetadata` says
 * only that it is metadata — the hint says what the object really is.
 */

import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
  MASK_MARKER,
  type MaskTally,
  objectAt,
  stringAt,
} from '../../src/masking/mask-core.ts';
import type { MaskingRules } from '../../src/masking/policy.ts';
import { configMapRulesFor, maskConfigMap, maskSecret } from './data-maps.ts';
import { maskLastApplied } from './last-applied.ts';
import { hasPodSpec, maskPodEnv } from './pod-env.ts';

/** Lists whose items carry their own kind, so the item kind is the hint, not the list's name. */
const GENERIC_LISTS = new Set(['List', 'PartialObjectMetadataList']);

/** Cell text shorter than this is not compared with masked values (counts, ages, "Opaque"). */
const MIN_CELL_MATCH = 4;

/** Masks `doc` in place; the tally counts what was replaced. */
export function maskDocument(doc: JsonValue, kindHint: string, rules: MaskingRules, tally: MaskTally): void {
  if (!isJsonObject(doc)) return;
  const kind = stringAt(doc, 'kind') ?? kindHint;
  if (kind === 'Status') return;
  if (kind === 'Table') {
    const rows = doc['rows'];
    if (Array.isArray(rows)) for (const row of rows) maskTableRow(row, kindHint, rules, tally);
    return;
  }
  if (kind.endsWith('List') && Array.isArray(doc['items'])) {
    const itemHint = listItemKind(kind, kindHint);
    for (const item of doc['items']) maskDocument(item, itemHint, rules, tally);
    return;
  }
  maskObject(doc, kind === 'PartialObjectMetadata' ? kindHint : kind, rules, tally);
}

/** The kind of the items of a list of kind `listKind`: `SecretList` holds Secrets. */
export function listItemKind(listKind: string, kindHint: string): string {
  return GENERIC_LISTS.has(listKind) || !listKind.endsWith('List') ? kindHint : listKind.slice(0, -4);
}

/** A watch event `{type, object}`: the object is masked like any document. */
export function maskWatchEvent(
  event: JsonValue,
  kindHint: string,
  rules: MaskingRules,
  tally: MaskTally,
): void {
  if (isJsonObject(event)) maskDocument(event['object'] ?? null, kindHint, rules, tally);
}

/**
 * One Table row. Its `object` (with `includeObject=Object` a full object, by default a
 * `PartialObjectMetadata`) is masked like any document. The cells are what the server's printer
 * shows (pkg/printers/internalversion/printers.go): for Secrets name, type, data count and age;
 * for ConfigMaps name, data count, age; for pods and workloads status, images, selectors — never a
 * value. As a second line of defence, a string cell that contains a value masked in the row's
 * object is masked too (it can only be checked when the row carries the full object).
 */
export function maskTableRow(row: JsonValue, kindHint: string, rules: MaskingRules, tally: MaskTally): void {
  if (!isJsonObject(row)) return;
  const seen: string[] = [];
  tally.watching(
    (plain, asWritten) => {
      if (plain.length >= MIN_CELL_MATCH) seen.push(plain);
      if (asWritten.length >= MIN_CELL_MATCH) seen.push(asWritten);
    },
    () => maskDocument(row['object'] ?? null, kindHint, rules, tally),
  );
  const cells = row['cells'];
  if (seen.length === 0 || !Array.isArray(cells)) return;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (typeof cell === 'string' && seen.some((value) => cell.includes(value))) {
      cells[i] = MASK_MARKER;
      tally.dropped();
    }
  }
}

/** Whether the rules mask anything in an object of `kind` (and so its last-applied annotation). */
function rulesApply(object: JsonObject, kind: string, rules: MaskingRules): boolean {
  if (kind === 'Secret') return rules.secrets;
  if (kind === 'ConfigMap') {
    const metadata = objectAt(object, 'metadata');
    const namespace = stringAt(metadata, 'namespace') ?? '';
    return configMapRulesFor(rules, namespace, stringAt(metadata, 'name') ?? '').length > 0;
  }
  return hasPodSpec(kind) && rules.env.mode !== 'never';
}

/** One object of a known kind (`PartialObjectMetadata` passes the kind it describes). */
function maskObject(object: JsonObject, kind: string, rules: MaskingRules, tally: MaskTally): void {
  if (!rulesApply(object, kind, rules)) return;
  if (kind === 'Secret') maskSecret(object, tally);
  else if (kind === 'ConfigMap') maskConfigMap(object, rules, tally);
  else maskPodEnv(object, kind, rules, tally);
  maskLastApplied(object, tally, (manifest) => maskDocument(manifest, kind, rules, tally));
}
