/**
 * Identity values on their way into `Impersonate-*` headers. The gateway puts the token's subject
 * and groups into `Impersonate-User` / `Impersonate-Group`; HTTP parsers (Go's included) trim
 * leading and trailing whitespace from header values, so `" system:masters"` passes a
 * `startsWith('system:')` filter and arrives at kube-apiserver as `system:masters`, and a value
 * with CR/LF would be a second header line. Each hostile token below must be refused with a 401
 * Status naming the claim, and nothing may reach the cluster; the legitimate token (internal
 * spaces, non-ASCII letters) still goes through, with its values byte for byte.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CaptureUpstream,
  startCaptureUpstream,
  upstreamKubeconfig,
  upstreamTls,
} from '../e2e/fake-upstreams.ts';
import { expectStatus, gatewayRequest, sandboxRequestsDuring } from '../e2e/helpers.ts';
import { E2E_POLICY } from '../e2e/policy.ts';
import { AUDIENCE, type Stack, startStack } from '../support/stack.ts';

const PODS = '/clusters/sandbox/api/v1/namespaces/payments/pods';

let stack: Stack;
let capture: CaptureUpstream;
let captureDir: string;

beforeAll(async () => {
  const material = await upstreamTls();
  capture = await startCaptureUpstream(material);
  captureDir = await mkdtemp(join(tmpdir(), 'sec-identity-'));
  const kubeconfig = await upstreamKubeconfig(captureDir, 'capture', capture.port, material.caPem);
  stack = await startStack({
    policy: E2E_POLICY,
    extraClusters: [{ name: 'capture', kubeconfig: { path: kubeconfig } }],
    // Recording on: session keys fold in the subject, so a hostile one must never get that far.
    config: { recording: {} },
  });
});
afterAll(async () => {
  await stack?.close();
  await capture?.close();
  if (captureDir) await rm(captureDir, { recursive: true, force: true });
});

function claims(extra: JWTPayload): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: stack.issuer.issuer,
    aud: AUDIENCE,
    sub: 'agent-1',
    groups: ['ai-agents'],
    iat: now,
    exp: now + 300,
    ...extra,
  };
}

/** [what, claims, the claim the 401 must name] */
const hostile: Array<[string, JWTPayload, string]> = [
  ['a group with a leading space', { groups: ['ai-agents', ' system:masters'] }, 'groups'],
  ['a group with a leading tab', { groups: ['ai-agents', '\tsystem:masters'] }, 'groups'],
  ['a group with a trailing space', { groups: ['ai-agents', 'system:masters '] }, 'groups'],
  [
    'a group smuggling a header line (CR/LF)',
    { groups: ['ai-agents', 'a\r\nImpersonate-Group: system:masters'] },
    'groups',
  ],
  ['a group with a bare LF', { groups: ['ai-agents', 'a\nb'] }, 'groups'],
  ['a group with a NUL', { groups: ['ai-agents', 'a\u0000b'] }, 'groups'],
  ['a group with DEL', { groups: ['ai-agents', 'a\u007fb'] }, 'groups'],
  ['a group with a C1 control (NEL)', { groups: ['ai-agents', '\u0085system:masters'] }, 'groups'],
  ['an empty group', { groups: ['ai-agents', ''] }, 'groups'],
  ['a whitespace-only group', { groups: ['ai-agents', ' '] }, 'groups'],
  ['a subject with a leading space', { sub: ' agent-1' }, 'sub'],
  ['a subject with a leading tab', { sub: '\tagent-1' }, 'sub'],
  ['a subject smuggling a header line', { sub: 'agent-1\r\nImpersonate-Group: system:masters' }, 'sub'],
  ['a subject with a NUL', { sub: 'agent\u00001' }, 'sub'],
  ['an empty subject', { sub: '' }, 'sub'],
];

describe('identity values that would reach an Impersonate-* header', () => {
  it.each(hostile)('%s → 401 naming the claim; nothing reaches the cluster', async (_what, extra, claim) => {
    const token = await stack.issuer.signToken(claims(extra));
    const before = capture.heads.length;
    const { result, requests } = await sandboxRequestsDuring(stack, () =>
      Promise.all([
        gatewayRequest(stack, { path: PODS, token }),
        gatewayRequest(stack, { path: '/clusters/capture/api/v1/namespaces/scratch/configmaps', token }),
      ]),
    );
    for (const response of result) {
      const status = expectStatus(response, 401, 'Unauthorized');
      expect(status.message).toContain(`"${claim}"`);
      expect(status.message).not.toMatch(/[\r\n\t\u0000]/);
    }
    expect(requests).toEqual([]);
    expect(capture.heads.slice(before)).toEqual([]);
  });

  it('no refused request made the gateway fail (no 500 in its log)', () => {
    const statuses = stack.logLines
      .map((line) => JSON.parse(line) as { msg?: string; status?: number })
      .filter((l) => l.msg === 'request')
      .map((l) => l.status);
    expect(statuses.length).toBeGreaterThan(hostile.length);
    expect(statuses.filter((s) => s === 500)).toEqual([]);
  });

  it('control: internal spaces and non-ASCII letters go through byte for byte', async () => {
    const token = await stack.issuer.signToken(
      claims({ sub: 'agent 1 é', groups: ['ai-agents', 'équipe plateforme', '組織'] }),
    );
    const { result, requests } = await sandboxRequestsDuring(stack, () =>
      gatewayRequest(stack, { path: PODS, token }),
    );
    expect(result.status, result.body).toBe(200);
    expect(requests).toHaveLength(1);

    const before = capture.heads.length;
    await gatewayRequest(stack, { path: '/clusters/capture/api/v1/namespaces/scratch/configmaps', token });
    const [head] = capture.heads.slice(before);
    // The capture upstream keeps the head as latin1 text; read the bytes as UTF-8, as Go does.
    const text = Buffer.from(head ?? '', 'latin1').toString('utf8');
    expect(text).toMatch(/\r\nimpersonate-user: hoop:agent 1 é(\r\n|$)/i);
    expect(text).toMatch(/\r\nimpersonate-group: équipe plateforme(\r\n|$)/i);
    expect(text).toMatch(/\r\nimpersonate-group: 組織(\r\n|$)/i);
  });

  it('control: a system: group in the token is still dropped, never forwarded', async () => {
    const token = await stack.issuer.signToken(claims({ groups: ['ai-agents', 'system:masters'] }));
    const before = capture.heads.length;
    await gatewayRequest(stack, { path: '/clusters/capture/api/v1/namespaces/scratch/configmaps', token });
    const [head] = capture.heads.slice(before);
    expect(head).toMatch(/\r\nimpersonate-group: ai-agents(\r\n|$)/i);
    expect(head).not.toMatch(/system:/i);
  });
});
