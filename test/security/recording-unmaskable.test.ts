/**
 * Issue 10, class 4: the recording must never hold what masking did not approve. A stand-in
 * upstream answers Secret lists with bodies the gateway did not expect — a watch stream where a
 * list was asked for, a single watch event, a list with a trailing garbage byte — and the agent's
 * response and the session recording (read back from Redis) must hold no raw value; where the
 * recorder cannot read a body about Secrets it stores the `body withheld: unmaskable` marker.
 * And the gateway and the cluster must agree on what a request is: a boolean query parameter
 * spelled outside Go's `strconv.ParseBool` set is refused with a 400 instead of guessed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { StatusError } from '../../src/errors.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { classifyRequest } from '../../src/request/request-info.ts';
import { listen, upstreamKubeconfig, upstreamTls } from '../e2e/fake-upstreams.ts';
import { expectStatus, gatewayRequest, sandboxRequestsDuring } from '../e2e/helpers.ts';
import { freshPrefix } from '../recording/support.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { AGENTS, type Stack, startStack } from '../support/stack.ts';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const secret = (name: string, value: string) => ({
  kind: 'Secret',
  apiVersion: 'v1',
  metadata: { name, namespace: 'ns' },
  type: 'Opaque',
  data: { password: b64(value) },
});
const event = (value: string) => JSON.stringify({ type: 'ADDED', object: secret(`s-${value}`, value) });
const list = (value: string) =>
  JSON.stringify({ kind: 'SecretList', apiVersion: 'v1', metadata: {}, items: [secret('s', value)] });

/** What the stand-in answers for the Secrets of each namespace: every value is unique. */
const BODIES: Record<string, { body: string; values: string[] }> = {
  'watch-stream': {
    body: `${event('ws-raw-value-one')}\n${event('ws-raw-value-two')}\n`,
    values: ['ws-raw-value-one', 'ws-raw-value-two'],
  },
  'one-event': { body: `${event('oe-raw-value-single')}\n`, values: ['oe-raw-value-single'] },
  garbage: { body: `${list('gb-raw-value-list')}x`, values: ['gb-raw-value-list'] },
  fine: { body: list('ok-raw-value-list'), values: ['ok-raw-value-list'] },
};
const ALL_VALUES = Object.values(BODIES).flatMap((b) => b.values.flatMap((v) => [v, b64(v)]));

let stack: Stack;
let standin: Server;
let dir: string;
let redis: RedisConnection;
const prefix = freshPrefix('unmaskable');

beforeAll(async () => {
  const tls = await upstreamTls();
  standin = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const ns = /^\/api\/v1\/namespaces\/([^/]+)\/secrets/.exec(req.url ?? '')?.[1] ?? '';
    const answer = BODIES[ns];
    if (!answer) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","code":404}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer.body);
  });
  const port = await listen(standin);
  dir = await mkdtemp(join(tmpdir(), 'unmaskable-'));
  const kubeconfig = await upstreamKubeconfig(dir, 'standin', port, tls.caPem);
  stack = await startStack({
    policy: {
      default: 'deny',
      rules: [
        { name: 'read', action: 'allow', match: { groups: ['ai-agents', 'ci'], verbs: ['get', 'list'] } },
      ],
    },
    extraClusters: [{ name: 'standin', kubeconfig: { path: kubeconfig } }],
    config: {
      recording: { redisUrl: REDIS_URL, keyPrefix: prefix, idleGap: '1s' },
      // "ci" sees Secret values (break-glass): its responses are not masked, only its recording.
      masking: { rules: [{ groups: ['ci'], secrets: false }] },
    },
  });
  redis = createRequestConnection({ url: REDIS_URL, commandTimeoutMs: 5000 });
  await whenReady(redis, 5000);
});
afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => standin?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
  if (redis) {
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
  }
});

interface RecordedEvent {
  type: string;
  rid: string;
  ts?: number;
  path?: string;
  status?: number;
  body?: { json?: unknown; text?: string; omitted?: string };
}

/** Every event recorded under this file's prefix, parsed. */
async function recordedEvents(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*:events`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      for (const [, fields] of await redis.xrange(key, '-', '+')) {
        for (const field of fields) {
          if (!field.startsWith('{')) continue;
          events.push(JSON.parse(field) as RecordedEvent);
        }
      }
    }
  } while (cursor !== '0');
  return events;
}

/** The recorded response to the request on `path` (waits until it is written). */
async function recordedResponse(path: string): Promise<RecordedEvent> {
  let found: RecordedEvent | undefined;
  for (let i = 0; i < 100 && !found; i++) {
    const events = await recordedEvents();
    // The latest request on that path (several tests list the same namespace).
    const request = events
      .filter((e) => e.type === 'request' && e.path === path)
      .sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0))
      .at(-1);
    found = request && events.find((e) => e.type === 'response' && e.rid === request.rid);
    if (!found) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!found) throw new Error(`no response event for ${path}: ${JSON.stringify(await recordedEvents())}`);
  return found;
}

/** Lists the Secrets of `ns` on the stand-in as `clientId`; returns what the client got. */
async function listSecrets(clientId: string, ns: string) {
  const token = await stack.issuer.issueToken(clientId);
  const path = `/api/v1/namespaces/${ns}/secrets`;
  const response = await gatewayRequest(stack, { path: `/clusters/standin${path}`, token }).catch(
    (error: unknown) => ({ status: 0, headers: {}, body: String(error) }),
  );
  return { response, recorded: await recordedResponse(path) };
}

const expectNoRawValue = (text: string) => {
  for (const value of ALL_VALUES) expect(text).not.toContain(value);
};

describe('unexpected response shapes, masked caller', () => {
  it.each(['watch-stream', 'one-event', 'garbage'])(
    'a Secret list answered as %s reaches neither the agent nor the recording raw',
    async (ns) => {
      const { response, recorded } = await listSecrets(AGENTS.agent.clientId, ns);
      expectNoRawValue(response.body);
      expectNoRawValue(JSON.stringify(recorded));
    },
  );
});

describe('unexpected response shapes, caller who may see Secret values', () => {
  it.each(['watch-stream', 'one-event', 'garbage'])(
    'a Secret list answered as %s is withheld from the recording',
    async (ns) => {
      const { recorded } = await listSecrets(AGENTS.ci.clientId, ns);
      expectNoRawValue(JSON.stringify(recorded));
      expect(recorded.body?.text).toBe('body withheld: unmaskable');
      expect(recorded.body?.omitted).toBe('unmaskable');
    },
  );
});

describe('the legitimate list', () => {
  it.each([AGENTS.agent.clientId, AGENTS.ci.clientId])('is recorded masked for %s', async (clientId) => {
    const { response, recorded } = await listSecrets(clientId, 'fine');
    expect(response.status).toBe(200);
    expectNoRawValue(JSON.stringify(recorded));
    expect(JSON.stringify(recorded.body?.json)).toContain(b64('**hoop-masked**'));
  });
});

describe('boolean query parameters are read as kube-apiserver reads them, or refused', () => {
  const PODS = '/api/v1/namespaces/default/pods';
  it.each([
    ['watch=yes'],
    ['watch=TRUE1'],
    ['watch=tRuE'],
    ['watch='],
    ['watch'],
    ['watch=fal%C5%BFe'],
    ['watch=1&watch=maybe'],
    ['watch=0&allowWatchBookmarks=yes'],
    ['watch=true&sendInitialEvents=on'],
  ])('?%s is a 400', (query) => {
    let thrown: unknown;
    try {
      classifyRequest('GET', PODS, query);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StatusError);
    expect((thrown as StatusError).code).toBe(400);
    expect((thrown as StatusError).message).toContain('strconv.ParseBool');
  });

  it.each([
    ['watch=1', 'watch'],
    ['watch=true', 'watch'],
    ['watch=T', 'watch'],
    ['watch=t', 'watch'],
    ['watch=TRUE', 'watch'],
    ['watch=True', 'watch'],
    ['watch=0', 'list'],
    ['watch=f', 'list'],
    ['watch=F', 'list'],
    ['watch=FALSE', 'list'],
    ['watch=False', 'list'],
    ['watch=false', 'list'],
    ['', 'list'],
    ['watch=1&allowWatchBookmarks=true', 'watch'],
  ])('?%s is %s', (query, verb) => {
    expect(classifyRequest('GET', PODS, query).verb).toBe(verb);
  });

  it('the gateway answers ?watch=yes with a 400 Status and forwards nothing', async () => {
    const token = await stack.issuer.issueToken(AGENTS.agent.clientId);
    const { result, requests } = await sandboxRequestsDuring(stack, () =>
      gatewayRequest(stack, { path: `/clusters/sandbox${PODS}?watch=yes`, token }),
    );
    expect(requests).toEqual([]);
    expect(expectStatus(result, 400, 'BadRequest').message).toContain('watch');
  });

  it('?watch=0 still lists through the gateway', async () => {
    const token = await stack.issuer.issueToken(AGENTS.agent.clientId);
    const result = await gatewayRequest(stack, { path: `/clusters/sandbox${PODS}?watch=0`, token });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ kind: 'PodList' });
  });
});
