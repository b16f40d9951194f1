/**
 * The fields of an object that hold values, as JSON-pointer patterns — what a JSON patch must not
 * read (json-patch-reads.ts) and must not write the mask marker into (marker-write-back.ts). The
 * same fields the response masker rewrites: Secret `data` and `stringData`; the ConfigMap keys
 * the caller's masking rules name; literal env values in a pod spec (every entry: a JSON patch
 * addresses env entries by index, so the gateway cannot know their names); and, for all of these
 * kinds, the last-applied annotation, which holds the whole manifest again.
 *
 * A pointer "touches" a field when one is a prefix of the other: reading `/data` reads every key,
 * reading `/data/password` reads one, and reading `""` (the whole object) or `/metadata` (the
 * annotation inside) reads them all.
 */
import type { MaskingRules } from '../../src/masking/policy.ts';
import { configMapRulesFor } from './data-maps.ts';
import { LAST_APPLIED_ANNOTATION } from './last-applied.ts';
import { ENV_CONTAINER_LISTS, podSpecPath } from './pod-env.ts';

/** One step of a pattern: a literal member name, or a test of the token (a key, any index). */
export type Step = string | ((token: string) => boolean);
/** Any member or index. */
export const ANY = (_token: string): boolean => true;
export type FieldPattern = readonly Step[];

const LAST_APPLIED: FieldPattern = ['metadata', 'annotations', LAST_APPLIED_ANNOTATION];

/**
 * The value-holding fields of an object of `kind` (`namespace`/`name` pick the ConfigMap rules;
 * empty matches every rule). Secrets are always covered, whatever the caller's rules: a value
 * moved into an ordinary field would be shown to everyone who reads that field.
 */
export function valueFieldPatterns(
  kind: string,
  rules: MaskingRules,
  namespace: string,
  name: string,
): FieldPattern[] {
  if (kind === 'Secret') return [['data'], ['stringData'], LAST_APPLIED];
  if (kind === 'ConfigMap') {
    const matchers = configMapRulesFor(rules, namespace, name);
    if (matchers.length === 0) return [];
    const covered = (key: string) => matchers.some((m) => m.keys.test(key));
    return [['data', covered], ['binaryData', covered], LAST_APPLIED];
  }
  const spec = podSpecPath(kind);
  if (spec === undefined || rules.env.mode === 'never') return [];
  const env = ENV_CONTAINER_LISTS.map((list): FieldPattern => [...spec, list, ANY, 'env', ANY, 'value']);
  return [...env, LAST_APPLIED];
}

/**
 * A JSON pointer's reference tokens as kube-apiserver's JSON patch library reads them
 * (evanphx/json-patch v4): split on `/`, the first piece dropped whatever it is (so `x/data/a`
 * is `/data/a`), `~1` → `/` and `~0` → `~`. A pointer without `/` is the whole document.
 */
export function pointerTokens(pointer: string): string[] {
  const parts = pointer.split('/');
  return parts.slice(1).map((part) => part.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~')));
}

function stepMatches(step: Step, token: string): boolean {
  if (typeof step === 'function') return step(token);
  return step === token;
}

/** Whether the pointer `tokens` is within, or contains, one of `patterns`. */
export function touchesValueField(tokens: readonly string[], patterns: readonly FieldPattern[]): boolean {
  return patterns.some((pattern) => {
    const n = Math.min(tokens.length, pattern.length);
    for (let i = 0; i < n; i++) if (!stepMatches(pattern[i]!, tokens[i]!)) return false;
    return true;
  });
}
