import { describe, expect, it } from 'vitest';
import { identityWarnings } from '../../src/policy/identity-warnings.ts';
import { loadPolicy } from '../../src/policy/load.ts';

/** `policy check` on a gateway config: rules matching groups or claims no issuer can produce. */

const github = {
  issuer: 'https://token.actions.githubusercontent.com',
  audience: 'gw',
  username: 'gh:{{repository}}',
  groups: ['gh:{{repository_owner}}', 'deployers'],
  contextClaims: ['repository', 'ref'],
};

const policy = loadPolicy(`
rules:
  - name: by-group
    action: allow
    match: { groups: [ci, deployers, "gh:acme", "team-*"] }
  - name: by-claims
    action: allow
    match: { claims: { repository: acme/app, environment: prod } }
`);

describe('identityWarnings', () => {
  it('flags groups and claims no issuer produces', () => {
    const warnings = identityWarnings(policy, [github]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^rules\[0\]\.match\.groups\[0\]: no configured issuer gives callers the group "ci"/,
    );
    expect(warnings[1]).toMatch(
      /^rules\[1\]\.match\.claims\.environment: no configured issuer lists "environment"/,
    );
  });

  it('trusts an issuer that reads a groups claim, and says nothing without issuers', () => {
    const people = { issuer: 'https://login.example.com', audience: 'gw' };
    expect(identityWarnings(policy, [github, people]).filter((w) => w.includes('groups'))).toEqual([]);
    expect(identityWarnings(policy, [])).toEqual([]);
  });
});
