/**
 * Credentials a caller sends where the gateway does not take them: a token in the query string
 * (`?access_token=…`, RFC 6750 §2.3), and the headers a cluster's front-proxy (requestheader)
 * authenticator, or a proxy in front of it, trusts for identity (`X-Remote-User`,
 * `X-Remote-Group`, `X-Remote-Extra-*`, `X-Forwarded-*`…). The gateway's own upstream credential
 * may be exactly the client certificate such an authenticator trusts, so a caller-sent
 * `X-Remote-User: admin` would be believed. None of these may reach the cluster, and the query
 * token may appear in no log line, no recording and no Redis key or value. Ordinary headers and
 * query parameters still go through unchanged.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { OutgoingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import {
  type CaptureUpstream,
  startCaptureUpstream,
  upstreamKubeconfig,
  upstreamTls,
} from '../e2e/fake-upstreams.ts';
import { expectStatus, gatewayRequest, sandboxRequestsDuring, sleep } from '../e2e/helpers.ts';
import { E2E_POLICY } from '../e2e/policy.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { type Stack, startStack } from '../support/stack.ts';

const CAPTURE = '/clusters/capture/api/v1/namespaces/scratch/configmaps';
const PODS = '/clusters/sandbox/api/v1/namespaces/payments/pods';

let stack: Stack;
let capture: CaptureUpstream;
let captureDir: string;
let redis: RedisConnection;
let token: string;
const recordingPrefix = `hoop-test-sec-${randomBytes(4).toString('hex')}`;
/** A credential that does not look like a JWT, so no JWT-shaped redaction can hide a leak. */
const opaque = `opaque-query-credential-${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  const material = await upstreamTls();
  capture = await startCaptureUpstream(material);
  captureDir = await mkdtemp(join(tmpdir(), 'sec-credentials-'));
  const kubeconfig = await upstreamKubeconfig(captureDir, 'capture', capture.port, material.caPem);
  stack = await startStack({
    policy: E2E_POLICY,
    extraClusters: [{ name: 'capture', kubeconfig: { path: kubeconfig } }],
    config: { recording: { redisUrl: REDIS_URL, keyPrefix: recordingPrefix } },
  });
  redis = createRequestConnection({ url: REDIS_URL });
  await whenReady(redis, 5000);
  token = await stack.issuer.issueToken('agent-1');
});
afterAll(async () => {
  await stack?.close();
  await capture?.close();
  if (captureDir) await rm(captureDir, { recursive: true, force: true });
  if (redis) {
    await deleteKeys(redis, `${recordingPrefix}:*`);
    redis.disconnect();
  }
});

/** The head the capture upstream received for one request. */
async function headFor(path: string, headers: OutgoingHttpHeaders = {}): Promise<string> {
  const before = capture.heads.length;
  const response = await gatewayRequest(stack, { path, token, headers });
  expect(response.status, response.body).toBe(400); // the capture upstream's own answer, relayed
  const [head] = capture.heads.slice(before);
  if (head === undefined) throw new Error('nothing reached the capture upstream');
  return head;
}

/** Every key name and value under `pattern`, as one text, to grep for a leaked secret. */
async function redisText(pattern: string): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      parts.push(key);
      const type = await redis.type(key);
      if (type === 'string') parts.push((await redis.get(key)) ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

describe('a credential in the query string', () => {
  const queries: Array<[string, (secret: string) => string]> = [
    ['access_token alone', (s) => `access_token=${s}`],
    ['access_token among other parameters', (s) => `limit=5&access_token=${s}&labelSelector=app%3Dx`],
    ['access_token percent-encoded in its name', (s) => `access%5Ftoken=${s}&limit=5`],
    ['ACCESS_TOKEN in upper case', (s) => `ACCESS_TOKEN=${s}&limit=5`],
    ['access_token repeated', (s) => `access_token=${s}&limit=5&access_token=${s}`],
  ];

  it.each(queries)('%s: never forwarded, the other parameters are', async (_what, query) => {
    for (const secret of [token, opaque]) {
      const head = await headFor(`${CAPTURE}?${query(secret)}`);
      expect(head).not.toContain(secret);
      expect(head.toLowerCase()).not.toContain('access');
      const [requestLine] = head.split('\r\n');
      const sent = new URL(`https://x${requestLine?.split(' ')[1]}`).searchParams;
      if (query(secret).includes('limit=5')) expect(sent.get('limit')).toBe('5');
      if (query(secret).includes('labelSelector')) expect(sent.get('labelSelector')).toBe('app=x');
    }
  });

  it('control: the sandbox serves the request, and records the query without the token', async () => {
    const { result, requests } = await sandboxRequestsDuring(stack, () =>
      gatewayRequest(stack, { path: `${PODS}?access_token=${opaque}&limit=1`, token }),
    );
    expect(result.status, result.body).toBe(200);
    expect(requests.map((r) => r.query)).toEqual(['limit=1']);
  });

  it('a query token is not a way in: without Authorization it is a 401, and not echoed', async () => {
    const { result, requests } = await sandboxRequestsDuring(stack, () =>
      gatewayRequest(stack, { path: `${PODS}?access_token=${token}` }),
    );
    const status = expectStatus(result, 401, 'Unauthorized');
    expect(status.message).toMatch(/query/);
    expect(status.message).toMatch(/Authorization/);
    expect(result.body).not.toContain(token);
    expect(requests).toEqual([]);
  });

  it.each([
    ['an invalid escape', (secret: string) => `access_token=${secret}&x=%zz`],
    ['a ";" after it', (secret: string) => `access_token=${secret};x=1`],
    ['a ";" before it', (secret: string) => `x=1;access_token=${secret}`],
  ])('a query refused for %s: the 400 Status does not carry the token', async (_what, query) => {
    const result = await gatewayRequest(stack, { path: `${PODS}?${query(opaque)}`, token });
    expect(result.body).not.toContain(opaque);
    if (result.status !== 200) expectStatus(result, 400);
  });

  it('no log line, recording or Redis key holds a query token this file sent', async () => {
    await sleep(100); // the last request's log line is written when its connection closes
    expect(stack.logLines.length).toBeGreaterThan(5);
    const log = stack.logLines.join('\n');
    const recorded = await redisText(`${recordingPrefix}:*`);
    // Recordings exist (events are JSON inside the stream entries), so the check means something,
    // and the recorded query kept the other parameters.
    expect(recorded).toContain('\\"type\\":\\"request\\"');
    expect(recorded).toContain('\\"query\\":\\"limit=5&labelSelector=app%3Dx\\"');
    for (const secret of [opaque, ...token.split('.').filter((p) => p.length > 16)]) {
      expect(log).not.toContain(secret);
      expect(recorded).not.toContain(secret);
    }
    expect(recorded).not.toMatch(/access_token|access%5Ftoken/i);
  });
});

describe('identity headers an upstream may trust', () => {
  const trusted: Array<[string, OutgoingHttpHeaders]> = [
    ['X-Remote-User', { 'X-Remote-User': 'system:admin' }],
    ['X-Remote-Group', { 'X-Remote-Group': 'system:masters' }],
    ['X-Remote-Extra-Scopes', { 'X-Remote-Extra-Scopes': 'cluster-admin' }],
    ['X-Remote-Uid', { 'X-Remote-Uid': '0' }],
    ['x-remote-user (lower case)', { 'x-remote-user': 'system:admin' }],
    ['X-Forwarded-User', { 'X-Forwarded-User': 'admin' }],
    ['X-Forwarded-Groups', { 'X-Forwarded-Groups': 'system:masters' }],
    ['X-Forwarded-Email', { 'X-Forwarded-Email': 'admin@example.com' }],
    ['X-Forwarded-Preferred-Username', { 'X-Forwarded-Preferred-Username': 'admin' }],
    ['X-Forwarded-For (audit source IP)', { 'X-Forwarded-For': '10.0.0.1' }],
    ['X-Forwarded-Client-Cert', { 'X-Forwarded-Client-Cert': 'By=spiffe://cluster/admin' }],
    ['X-Real-Ip', { 'X-Real-Ip': '10.0.0.1' }],
    ['Forwarded', { Forwarded: 'for=10.0.0.1;by=admin' }],
    ['X-Auth-Request-User', { 'X-Auth-Request-User': 'admin' }],
    ['X-Auth-Request-Groups', { 'X-Auth-Request-Groups': 'system:masters' }],
    ['Remote-User', { 'Remote-User': 'admin' }],
    ['X-Client-Cert', { 'X-Client-Cert': 'MIIB...' }],
    ['Ssl-Client-Cert', { 'Ssl-Client-Cert': 'MIIB...' }],
  ];

  it.each(trusted)('a caller-sent %s never reaches the cluster', async (_what, headers) => {
    const head = await headFor(CAPTURE, headers);
    const [name] = Object.keys(headers);
    expect(head.toLowerCase()).not.toContain(`\r\n${name?.toLowerCase()}:`);
    expect(head).toMatch(/\r\nimpersonate-user: hoop:agent-1(\r\n|$)/i);
  });

  it('nor when named in Connection, or repeated', async () => {
    const head = await headFor(CAPTURE, {
      Connection: 'keep-alive',
      'X-Remote-User': ['system:admin', 'admin'],
      'X-Remote-Group': ['system:masters', 'x'],
    });
    expect(head.toLowerCase()).not.toMatch(/\r\nx-remote-/);
  });

  it('control: ordinary headers go through unchanged', async () => {
    const head = await headFor(CAPTURE, {
      Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      'User-Agent': 'kubectl/v1.33.0',
      'Kubectl-Command': 'kubectl get',
      'X-Request-Id': 'abc-123',
    });
    expect(head).toMatch(/\r\naccept: application\/json;as=Table;v=v1;g=meta\.k8s\.io(\r\n|$)/i);
    expect(head).toMatch(/\r\nuser-agent: kubectl\/v1\.33\.0(\r\n|$)/i);
    expect(head).toMatch(/\r\nkubectl-command: kubectl get(\r\n|$)/i);
    expect(head).toMatch(/\r\nx-request-id: abc-123(\r\n|$)/i);
  });
});
