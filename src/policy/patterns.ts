import type { CompiledRule } from './policy.types.ts';

/**
 * The policy's pattern lists (globs) compiled into matchers, once, when the policy loads, so that
 * evaluating a request is a handful of `RegExp.test` calls and nothing else.
 *
 * Syntax: `*` matches any run of characters (including none), `?` exactly one character, and
 * every other character matches itself: there are no character classes, braces or escapes, so a
 * pattern can never mean more than it shows. Patterns are anchored at both ends.
 *
 * `segment` mode is for values that are `/`-separated paths of names (`resources` entries such as
 * `pods/exec`): there `*` and `?` never match `/`, so `pods*` cannot reach the subresource
 * `pods/exec`.
 */

const REGEXP_SYNTAX = /[\\^$.|+()[\]{}/]/g;

/** The RegExp source for one glob (unanchored). */
export function globSource(pattern: string, segment = false): string {
  let out = '';
  for (const c of pattern) {
    if (c === '*') out += segment ? '[^/]*' : '[^]*';
    else if (c === '?') out += segment ? '[^/]' : '[^]';
    else out += c.replace(REGEXP_SYNTAX, '\\$&');
  }
  return out;
}

/**
 * One anchored RegExp that matches a value when any of `patterns` matches it. `u` makes `?` one
 * code point rather than one UTF-16 unit.
 */
export function compileGlobs(patterns: readonly string[], segment = false): RegExp {
  const alternatives = patterns.map((p) => globSource(p, segment));
  return new RegExp(`^(?:${alternatives.join('|')})$`, 'u');
}

const RESOURCE_PART = /^[^/\s]+$/;

/**
 * `resources` entries. `*` alone matches every resource and subresource (RBAC's `ResourceAll`);
 * `null` means "any". Otherwise an entry is `resource` (no subresource) or `resource/subresource`,
 * each part a glob that never crosses `/`: `pods` does not match `pods/exec`, `pods/*` matches
 * every pod subresource (but not `pods`), and `*\/scale` every `scale` subresource, as RBAC's
 * `*\/subresource` does. The RegExp is tested against `resource` or `resource/subresource`.
 * Returns the index of the first malformed entry instead when there is one.
 */
export function compileResources(resources: readonly string[]): RegExp | null | { invalid: number } {
  if (resources.includes('*')) return null;
  const invalid = resources.findIndex((entry) => {
    const parts = entry.split('/');
    return parts.length > 2 || !parts.every((p) => RESOURCE_PART.test(p));
  });
  return invalid === -1 ? compileGlobs(resources, true) : { invalid };
}

/**
 * `namespaces` entries: the globs match a request's (non-empty) namespace; a `""` entry marks the
 * rule as matching requests without one (cluster-scoped objects, lists across all namespaces).
 */
export function compileNamespaces(namespaces: readonly string[]): NonNullable<CompiledRule['namespaces']> {
  const named = namespaces.filter((n) => n !== '');
  return { pattern: named.length > 0 ? compileGlobs(named) : null, empty: named.length < namespaces.length };
}
