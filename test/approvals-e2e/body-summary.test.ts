import { describe, expect, it } from 'vitest';
import { summarizeBody } from '../../gateway/approvals/body-summary.ts';
import { fingerprint } from '../../src/approvals/fingerprint.ts';
import { formatSeconds } from '../../src/approvals/messages.ts';
import { parseReviewRule } from '../../src/approvals/review-rule.ts';
import { loadPolicy } from '../../src/policy/load.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';

/**
 * Unit tests for the pieces of the review stage that need no server: what a review record says
 * about a body (never a secret value), the durations messages print, and the policy's
 * `autoApprove` setting.
 */
const info = (resource: string, name = 'x'): RequestInfo => ({
  isResourceRequest: true,
  path: `/api/v1/namespaces/scratch/${resource}/${name}`,
  verb: 'create',
  apiPrefix: 'api',
  apiGroup: resource === 'deployments' ? 'apps' : '',
  apiVersion: 'v1',
  namespace: 'scratch',
  resource,
  subresource: '',
  name,
  parts: [resource, name],
});

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('summarizeBody', () => {
  it('says "(no body)" for an empty body', () => {
    expect(summarizeBody(undefined, undefined, info('pods'))).toBe('(no body)');
    expect(summarizeBody(Buffer.alloc(0), 'application/json', info('pods'))).toBe('(no body)');
  });

  it('never shows a Secret: JSON, protobuf or a Secret sent to another resource path', () => {
    const secret = json({
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 's' },
      data: { pw: 'aHVudGVyMg==' },
    });
    for (const [body, type, resource] of [
      [secret, 'application/json', 'secrets'],
      [
        Buffer.from('k8s\0\n\x0c\n\x02v1\x12\x06Secret hunter2'),
        'application/vnd.kubernetes.protobuf',
        'secrets',
      ],
      [secret, 'application/json', 'configmaps'],
    ] as const) {
      const summary = summarizeBody(body, type, info(resource));
      expect(summary).not.toContain('aHVudGVyMg');
      expect(summary).not.toContain('hunter2');
      expect(summary).toMatch(
        new RegExp(`^${type.replace(/[.+]/g, '\\$&')}, ${body.length} bytes, sha256 [0-9a-f]{64} \\(`),
      );
    }
  });

  it('describes protobuf and other non-JSON bodies by size and digest only', () => {
    expect(
      summarizeBody(Buffer.from('k8s\0abc'), 'application/vnd.kubernetes.protobuf', info('pods')),
    ).toMatch(/^application\/vnd\.kubernetes\.protobuf, 7 bytes, sha256 [0-9a-f]{64} \(content not shown\)$/);
    expect(summarizeBody(Buffer.from('a: b'), 'application/apply-patch+yaml', info('pods'))).toContain(
      '(content not shown)',
    );
  });

  it('masks literal env values, ConfigMap values and JSON Patch values, keeping the shape', () => {
    const deployment = json({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        template: { spec: { containers: [{ name: 'a', env: [{ name: 'MODE', value: 'blue-sky' }] }] } },
      },
    });
    const summary = summarizeBody(deployment, 'application/json', info('deployments', 'web'));
    expect(summary).toContain('"replicas":3');
    expect(summary).not.toContain('blue-sky');
    expect(summary).toContain('1 values masked');
    const configMap = json({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { url: 'postgres://u:p@db' },
    });
    expect(summarizeBody(configMap, 'application/json', info('configmaps', 'c'))).not.toContain(
      'postgres://',
    );
    const patch = json([
      { op: 'replace', path: '/spec/replicas', value: 2 },
      { op: 'add', path: '/data/token', value: 'tok-123456' },
    ]);
    const patched = summarizeBody(patch, 'application/json-patch+json', info('configmaps', 'c'));
    expect(patched).toContain('"path":"/data/token"');
    expect(patched).toContain('"value":2');
    expect(patched).not.toContain('tok-123456');
  });

  it('uses the same digest as the fingerprint, so a changed body is a different request', () => {
    const a = json({ propagationPolicy: 'Background' });
    const b = json({ propagationPolicy: 'Foreground' });
    const fp = (body: Buffer) =>
      fingerprint({
        identity: { issuer: 'i', subject: 's' },
        cluster: 'c',
        method: 'DELETE',
        path: '/p',
        query: '',
        body,
      });
    expect(fp(a)).not.toBe(fp(b));
    expect(summarizeBody(a, 'application/json', info('pods'))).not.toBe(
      summarizeBody(b, 'application/json', info('pods')),
    );
  });
});

describe('formatSeconds', () => {
  it('prints durations the way policies write them', () => {
    expect([0, 2, 90, 900, 3600, 5430].map(formatSeconds)).toEqual([
      '0s',
      '2s',
      '1m30s',
      '15m',
      '1h',
      '1h30m30s',
    ]);
  });
});

describe('policy autoApprove', () => {
  const policy = (review: unknown) =>
    loadPolicy({ rules: [{ name: 'r', action: 'review', match: { verbs: ['delete'] }, review }] });

  it('compiles into the review settings, and the approvals rule ignores it', () => {
    const spec = policy({ autoApprove: { groups: ['ci-trusted'] } }).rules[0]!.review!;
    expect(spec.autoApprove).toEqual({ groups: ['ci-trusted'] });
    expect(parseReviewRule(spec)).not.toHaveProperty('autoApprove');
  });

  it('refuses an empty or misspelt autoApprove', () => {
    expect(() => policy({ autoApprove: { groups: [] } })).toThrow('rules[0].review.autoApprove.groups');
    expect(() => policy({ autoApprove: { group: ['x'] } })).toThrow(/rules\[0\]\.review\.autoApprove\.group/);
  });
});
