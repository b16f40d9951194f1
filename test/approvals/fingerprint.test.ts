import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  type FingerprintInput,
  fingerprint,
  windowScope,
} from '../../src/approvals/fingerprint.ts';

const base: FingerprintInput = {
  identity: { issuer: 'https://issuer.test', subject: 'agent-1' },
  cluster: 'prod',
  method: 'PATCH',
  path: '/apis/apps/v1/namespaces/prod/deployments/web',
  query: 'fieldManager=kubectl&dryRun=All',
  body: '{"spec":{"replicas":3}}',
};

describe('fingerprint', () => {
  it('is a stable SHA-256 hex digest', () => {
    expect(fingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint(base)).toBe(fingerprint({ ...base }));
  });

  it('changes when the body changes', () => {
    expect(fingerprint({ ...base, body: '{"spec":{"replicas":4}}' })).not.toBe(fingerprint(base));
  });

  it('accepts a precomputed body hash equal to hashing the body', async () => {
    const { bodySha256 } = await import('../../src/approvals/fingerprint.ts');
    const { body, ...rest } = base;
    expect(fingerprint({ ...rest, bodySha256: bodySha256(body) })).toBe(fingerprint(base));
  });

  it('ignores the timeout parameter and query order', () => {
    const a = fingerprint({ ...base, query: '?dryRun=All&timeout=32s&fieldManager=kubectl' });
    expect(a).toBe(fingerprint(base));
    expect(fingerprint({ ...base, query: 'timeout=5s&fieldManager=kubectl&dryRun=All&timeout=1m' })).toBe(
      fingerprint(base),
    );
  });

  it('changes with identity, cluster, method, path and any other query parameter', () => {
    const original = fingerprint(base);
    const variants: FingerprintInput[] = [
      { ...base, identity: { ...base.identity, subject: 'agent-2' } },
      { ...base, identity: { ...base.identity, issuer: 'https://other.test' } },
      { ...base, cluster: 'staging' },
      { ...base, method: 'PUT' },
      { ...base, path: '/apis/apps/v1/namespaces/prod/deployments/api' },
      { ...base, query: 'fieldManager=kubectl' },
    ];
    for (const variant of variants) expect(fingerprint(variant)).not.toBe(original);
  });

  it('does not let values shift between fields (no separator ambiguity)', () => {
    const a = fingerprint({ ...base, identity: { issuer: 'a', subject: 'b|c' } });
    const b = fingerprint({ ...base, identity: { issuer: 'a|b', subject: 'c' } });
    expect(a).not.toBe(b);
  });

  it('property: any permutation of parameters, with or without timeout, is the same fingerprint', () => {
    const param = fc.tuple(
      fc.string({ minLength: 1, maxLength: 8 }).filter((name) => name !== 'timeout'),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(param, { maxLength: 8 }), fc.nat(), fc.boolean(), (params, seed, withTimeout) => {
        const shuffled = [...params].sort(
          (x, y) => ((x[0].length * 31 + seed) % 7) - ((y[0].length * 31 + seed) % 7),
        );
        if (withTimeout) shuffled.push(['timeout', '30s']);
        const q1 = new URLSearchParams(params).toString();
        const q2 = new URLSearchParams(shuffled).toString();
        expect(canonicalQuery(q2)).toBe(canonicalQuery(q1));
        expect(fingerprint({ ...base, query: q2 })).toBe(fingerprint({ ...base, query: q1 }));
      }),
    );
  });
});

describe('windowScope', () => {
  it('depends on identity, cluster and rule only', () => {
    const scope = windowScope(base.identity, 'prod', 'prod-deletes');
    expect(windowScope({ ...base.identity }, 'prod', 'prod-deletes')).toBe(scope);
    expect(windowScope(base.identity, 'prod', 'other-rule')).not.toBe(scope);
    expect(windowScope(base.identity, 'staging', 'prod-deletes')).not.toBe(scope);
  });
});
