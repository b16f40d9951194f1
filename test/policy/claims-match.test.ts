import { describe, expect, it } from 'vitest';
import type { Caller } from '../../src/authn/caller.ts';
import { evaluate } from '../../src/policy/evaluate.ts';
import { loadPolicy } from '../../src/policy/load.ts';
import { classifyRequest } from '../../src/request/request-info.ts';

/** `match.claims`: rules that pick CI pipelines by the claims of their tokens. */

const policy = loadPolicy(`
default: deny
rules:
  - name: main-deploys
    action: allow
    match:
      claims: { repository: acme/app, ref: refs/heads/main }
      verbs: [get, patch]
      resources: [deployments]
  - name: prod-needs-approval
    action: review
    match:
      claims: { environment: [prod, "prod-*"] }
      verbs: [patch]
  - name: sa-namespace
    action: allow
    match:
      claims: { kubernetes.io.namespace: agents }
      verbs: [get]
  - name: numeric
    action: allow
    match:
      claims: { run_attempt: "1", amr: [mfa] }
      verbs: [list]
`);

function job(claims: Record<string, unknown>): Caller {
  return { issuer: 'https://issuer', subject: 'ci', groups: [], claims };
}

const patch = classifyRequest('PATCH', '/apis/apps/v1/namespaces/web/deployments/app', '');
const get = classifyRequest('GET', '/apis/apps/v1/namespaces/web/deployments/app', '');
const list = classifyRequest('GET', '/api/v1/namespaces/web/pods', '');
const decide = (caller: Caller, info = patch) => evaluate(policy, { caller, cluster: 'c', info });
const main = { repository: 'acme/app', ref: 'refs/heads/main' };

describe('match.claims', () => {
  it('allows the pipeline whose claims all match and denies another', () => {
    expect(decide(job(main)).action).toBe('allow');
    expect(decide(job({ ...main, ref: 'refs/heads/feature' })).action).toBe('deny');
    expect(decide(job({ repository: 'acme/other', ref: 'refs/heads/main' })).action).toBe('deny');
    expect(decide(job({ ref: 'refs/heads/main' })).action).toBe('deny');
  });

  it('reads a list as any of, with globs', () => {
    expect(decide(job({ ...main, environment: 'prod' })).action).toBe('review');
    expect(decide(job({ ...main, environment: 'prod-eu' })).action).toBe('review');
    expect(decide(job({ ...main, environment: 'staging' })).action).toBe('allow');
  });

  it('reaches nested claims by dotted path and matches numbers and list claims as text', () => {
    const sa = job({ 'kubernetes.io': { namespace: 'agents' } });
    expect(decide(sa, get).rule).toBe('sa-namespace');
    expect(decide(job({ run_attempt: 1, amr: ['pwd', 'mfa'] }), list).rule).toBe('numeric');
    expect(decide(job({ run_attempt: 2, amr: ['mfa'] }), list).action).toBe('deny');
  });

  it('refuses a malformed claims matcher, naming the field', () => {
    expect(() => loadPolicy('rules: [{ name: r, action: allow, match: { claims: {} } }]')).toThrow(
      /match\.claims.*at least one claim/,
    );
    expect(() => loadPolicy('rules: [{ name: r, action: allow, match: { claims: { "a b": x } } }]')).toThrow(
      /not a claim name/,
    );
    expect(() => loadPolicy('rules: [{ name: r, action: allow, match: { claims: { a: 1 } } }]')).toThrow(
      /glob or a list of globs/,
    );
  });
});
