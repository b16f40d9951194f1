/**
 * The two kinds whose data maps hold values.
 *
 * Secrets: every value of `data` becomes the base64 of the marker (so `base64 -d` still works and
 * prints the marker), every value of `stringData` the marker itself. Keys stay: which keys a
 * Secret holds is not secret, and agents need them to reference the Secret correctly.
 * `stringData` is write-only in the API and never comes back from a read, but a create or update
 * response may echo it; masking costs nothing when it is absent.
 *
 * ConfigMaps: meant for non-secret configuration, but teams put passwords in them anyway; the
 * policy lists which (namespace, name, key) globs to treat as secret. `data` values become the
 * marker, `binaryData` values its base64 (still decodable).
 */
import {
  isJsonObject,
  type JsonObject,
  MASK_MARKER,
  MASKED_BASE64,
  type MaskTally,
  objectAt,
  stringAt,
} from '../../src/masking/mask-core.ts';
import type { ConfigMapMatcher, MaskingRules } from '../../src/masking/policy.ts';

/** Masks the values of one Secret in place. */
export function maskSecret(secret: JsonObject, tally: MaskTally): void {
  const data = secret['data'];
  if (isJsonObject(data)) {
    for (const key of Object.keys(data)) {
      tally.replaced(data[key] ?? null, 'base64');
      data[key] = MASKED_BASE64;
    }
  }
  const stringData = secret['stringData'];
  if (isJsonObject(stringData)) {
    for (const key of Object.keys(stringData)) {
      tally.replaced(stringData[key] ?? null, 'text');
      stringData[key] = MASK_MARKER;
    }
  }
}

/**
 * The rules that apply to the ConfigMap `namespace`/`name`; empty when none does. An empty
 * `namespace` or `name` (not known, e.g. a cluster-wide list) matches every rule, so planning
 * errs on the side of masking.
 */
export function configMapRulesFor(
  rules: MaskingRules,
  namespace: string,
  name: string,
): readonly ConfigMapMatcher[] {
  if (rules.configMaps.length === 0) return rules.configMaps;
  return rules.configMaps.filter(
    (rule) => (namespace === '' || rule.namespace.test(namespace)) && (name === '' || rule.name.test(name)),
  );
}

function maskValues(
  values: JsonObject | undefined,
  matchers: readonly ConfigMapMatcher[],
  replacement: string,
  encoding: 'base64' | 'text',
  tally: MaskTally,
): void {
  if (values === undefined) return;
  for (const key of Object.keys(values)) {
    if (!matchers.some((m) => m.keys.test(key))) continue;
    tally.replaced(values[key] ?? null, encoding);
    values[key] = replacement;
  }
}

/** Masks the named values of one ConfigMap in place. Returns whether any rule applied to it. */
export function maskConfigMap(configMap: JsonObject, rules: MaskingRules, tally: MaskTally): boolean {
  const metadata = objectAt(configMap, 'metadata');
  const namespace = stringAt(metadata, 'namespace') ?? '';
  const name = stringAt(metadata, 'name') ?? '';
  const matchers = configMapRulesFor(rules, namespace, name);
  if (matchers.length === 0) return false;
  const data = configMap['data'];
  const binaryData = configMap['binaryData'];
  maskValues(isJsonObject(data) ? data : undefined, matchers, MASK_MARKER, 'text', tally);
  maskValues(isJsonObject(binaryData) ? binaryData : undefined, matchers, MASKED_BASE64, 'base64', tally);
  return true;
}
