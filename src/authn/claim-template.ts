import { claimAt, claimText } from './claim-path.ts';

/**
 * Templates that build an identity value from a token's claims, e.g. `gh:{{repository}}:{{ref}}`
 * or `sa:{{kubernetes.io.namespace}}:{{kubernetes.io.serviceaccount.name}}`.
 *
 * `{{ path }}` is replaced with the claim at that dotted path (claim-path.ts), written as text;
 * everything else is literal, and a template without `{{…}}` is a fixed name (a group `ci` every
 * token of the issuer gets). There is no other syntax (no filters, no defaults, no escapes), so a
 * template never means more than it shows. A claim that is missing, empty, a list or an object
 * makes the whole rendering fail with the path named: the caller decides what that means (a
 * missing username is a 401, a missing group drops that group).
 */

export interface ClaimTemplate {
  /** The template as written, for messages. */
  source: string;
  /** Literal text and claim paths, alternating from a literal (possibly empty). */
  parts: readonly string[];
  /** The claim paths the template reads, in order. */
  claims: readonly string[];
}

const PATH = /^[^\s{}]+$/;

/** Compiles a template, or returns why it is malformed (for a config error). */
export function compileClaimTemplate(source: string): ClaimTemplate | { problem: string } {
  const parts: string[] = [];
  const claims: string[] = [];
  let rest = source;
  for (;;) {
    const open = rest.indexOf('{{');
    const close = rest.indexOf('}}');
    if (open === -1) {
      if (close !== -1) return { problem: 'has "}}" without a "{{" before it' };
      parts.push(rest);
      break;
    }
    if (close !== -1 && close < open) return { problem: 'has "}}" without a "{{" before it' };
    const end = rest.indexOf('}}', open + 2);
    if (end === -1) return { problem: 'has "{{" without a closing "}}"' };
    const path = rest.slice(open + 2, end).trim();
    if (!PATH.test(path)) {
      return { problem: `has ${JSON.stringify(rest.slice(open, end + 2))}, which names no claim` };
    }
    parts.push(rest.slice(0, open), path);
    claims.push(path);
    rest = rest.slice(end + 2);
  }
  if (source.trim() === '') return { problem: 'is empty' };
  return { source, parts, claims };
}

/** The rendered value, or the first claim path that has no usable value. */
export function renderClaimTemplate(
  template: ClaimTemplate,
  claims: Readonly<Record<string, unknown>>,
): { value: string } | { missing: string } {
  let value = '';
  for (let i = 0; i < template.parts.length; i++) {
    const part = template.parts[i]!;
    if (i % 2 === 0) {
      value += part;
      continue;
    }
    const text = claimText(claimAt(claims, part));
    if (text === undefined) return { missing: part };
    value += text;
  }
  return { value };
}
