/**
 * Glob patterns as the masking policy writes them (`*PASSWORD*`, `payments-*`, `db-?`), compiled
 * once into a matcher so choosing what to mask at request time is a few comparisons.
 *
 * Syntax: `*` matches any run of characters (also empty), `?` exactly one; every other character
 * is literal. There are no character classes or braces: the policy names Kubernetes names and
 * keys, and a smaller language is one fewer place for a mistake to widen what a rule matches.
 *
 * Matching uses the iterative wildcard algorithm (backtrack only to the last `*`), not a RegExp:
 * the strings matched (env names, ConfigMap keys) come from objects anyone with write access to
 * the cluster can create, and `.*A.*B.*C.*` in a backtracking regex engine is polynomial with a
 * degree per star on a long enough name. This is O(pattern × value) at worst.
 */

/** A compiled list of globs. `source` keeps the patterns for error messages and explanations. */
export interface GlobMatcher {
  readonly source: readonly string[];
  test(value: string): boolean;
}

const NEVER: GlobMatcher = { source: [], test: () => false };
const ALWAYS: GlobMatcher = { source: ['*'], test: () => true };

/** Whether `value` matches `pattern` (`*` any run, `?` one character). */
export function globMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    const c = pattern[p];
    if (c === '*') {
      star = p;
      p += 1;
      resume = v;
    } else if (c !== undefined && (c === '?' || c === value[v])) {
      p += 1;
      v += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      v = resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}

/**
 * Compiles `globs` into one matcher. An empty list matches nothing; a list containing `*` matches
 * everything. `caseInsensitive` is for names people spell in either case (env names, ConfigMap
 * keys): there, masking too much is the safe mistake.
 */
export function compileGlobs(
  globs: readonly string[],
  options: { caseInsensitive?: boolean } = {},
): GlobMatcher {
  if (globs.length === 0) return NEVER;
  if (globs.includes('*')) return ALWAYS;
  const fold = options.caseInsensitive ? (s: string) => s.toLowerCase() : (s: string) => s;
  const patterns = globs.map(fold);
  return { source: [...globs], test: (value) => patterns.some((pattern) => globMatch(pattern, fold(value))) };
}
