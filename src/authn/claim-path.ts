/**
 * Reading one claim out of a token's claims by a dotted path, as issuer templates, `contextClaims`
 * and the policy's `match.claims` name them.
 *
 * Claim names may themselves contain dots: a Kubernetes service-account token carries
 * `"kubernetes.io": { "namespace": …, "serviceaccount": { "name": … } }`, which the path
 * `kubernetes.io.serviceaccount.name` reaches. At each level the longest key that is a prefix of
 * the rest of the path (ending at a dot or at the end) is taken, so a literal key always wins over
 * a nested reading of the same text, and a path with no dots is just the claim's name.
 */

/** What a claim path may look like: names without spaces or braces, joined by dots. */
export const CLAIM_PATH = /^[^\s{}.]+(\.[^\s{}.]+)*$/;

/** The value at `path`, or undefined when the claims do not have it. */
export function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  let current: unknown = claims;
  let rest = path;
  while (rest !== '') {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    const object = current as Record<string, unknown>;
    if (Object.hasOwn(object, rest)) return object[rest];
    let taken: string | undefined;
    for (let at = rest.lastIndexOf('.'); at > 0; at = rest.lastIndexOf('.', at - 1)) {
      const key = rest.slice(0, at);
      if (Object.hasOwn(object, key)) {
        taken = key;
        break;
      }
    }
    if (taken === undefined) return undefined;
    current = object[taken];
    rest = rest.slice(taken.length + 1);
  }
  return current;
}

/**
 * A claim value as text: strings as they are (empty counts as missing), numbers and booleans
 * written out (GitHub's `run_id` is a string, GitLab's `pipeline_id` a string, other issuers use
 * numbers). Objects, lists and null have no single text and count as missing.
 */
export function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}
