/**
 * Request targets that do not parse as a URL path (`//`, `//:99999/…`). The approvals API's router
 * sees every request first and parsed its target with `new URL`, which throws on these: the throw
 * left the request listener before any stage that turns errors into a Status, and ended the
 * gateway process. One unauthenticated `GET //` took the gateway down.
 *
 * Runs `hoop-gateway serve` as operators do (a child process), sends such targets over HTTP/1.1
 * and HTTP/2, with and without a token, and checks that each gets a Status and that the same
 * process then serves an ordinary request.
 */
import { once } from 'node:events';
import { connect as connectHttp2 } from 'node:http2';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createGatewayServer } from '../../gateway/server.ts';
import { compileMaskingPolicy } from '../../src/masking/policy.ts';
import { createCertificateAuthority, issueServingCertificate } from '../../src/tls/certificate-issuer.ts';
import { memoryLogger } from '../support/memory-logger.ts';
import { type ServeStack, startServeStack } from '../support/serve-stack.ts';

const TARGETS = ['//', '//:99999/hoop/v1/login', '//[::1/hoop/', '//hoop:x/clusters/sandbox/api'];

let stack: ServeStack;
let gatewayUrl: URL;
let token: string;

beforeAll(async () => {
  stack = await startServeStack({
    files: {
      'policy.yaml': stringify({
        default: 'deny',
        rules: [{ name: 'agents', action: 'allow', match: { groups: ['ai-agents'] } }],
      }),
    },
    config: { policyFile: 'policy.yaml' },
  });
  gatewayUrl = new URL(stack.url);
  token = stack.token;
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

/** Sends one raw HTTP/1.1 request line with `target` and returns the status line and body. */
async function rawHttp1(target: string, bearer?: string): Promise<{ statusLine: string; body: string }> {
  const socket = tls.connect({
    host: gatewayUrl.hostname,
    port: Number(gatewayUrl.port),
    rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1'],
  });
  await once(socket, 'secureConnect');
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const auth = bearer ? `Authorization: Bearer ${bearer}\r\n` : '';
  // Not `end()`: a client that half-closes is gone to Node's HTTP server, which then drops the request.
  socket.write(`GET ${target} HTTP/1.1\r\nHost: gateway\r\n${auth}Connection: close\r\n\r\n`);
  await once(socket, 'close');
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return { statusLine: head.split('\r\n')[0] ?? '', body };
}

/** The same over HTTP/2, with `target` as the `:path`. */
async function http2Get(target: string, bearer: string): Promise<{ status: number; body: string }> {
  const session = connectHttp2(gatewayUrl.origin, { rejectUnauthorized: false });
  try {
    const stream = session.request({ ':path': target, authorization: `Bearer ${bearer}` });
    const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
    let body = '';
    stream.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    await once(stream, 'end');
    return { status: Number(headers[':status']), body };
  } finally {
    session.close();
  }
}

function expectAlive(): void {
  expect(stack.gateway.child.exitCode, stack.gateway.output().slice(-2000)).toBeNull();
  expect(stack.gateway.child.signalCode).toBeNull();
}

describe('request targets that are not URL paths', () => {
  it('without a token: 401 Status over HTTP/1.1, and the process lives on', async () => {
    for (const target of TARGETS) {
      const { statusLine, body } = await rawHttp1(target);
      expect(statusLine, target).toBe('HTTP/1.1 401 Unauthorized');
      expect(JSON.parse(body)).toMatchObject({ kind: 'Status', code: 401 });
      expectAlive();
    }
  });

  it('with a token: 404 Status naming the served clusters, over HTTP/1.1 and HTTP/2', async () => {
    for (const target of TARGETS) {
      const http1 = await rawHttp1(target, token);
      expect(http1.statusLine, target).toBe('HTTP/1.1 404 Not Found');
      expect(JSON.parse(http1.body)).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
      expect(JSON.parse(http1.body).message).toContain('/clusters/<name>/');
      const http2 = await http2Get(target, token);
      expect(http2.status, target).toBe(404);
      expect(JSON.parse(http2.body)).toMatchObject({ kind: 'Status', code: 404 });
      expectAlive();
    }
  });

  it('the same process still serves agents and the approvals API', async () => {
    const list = await http2Get('/clusters/sandbox/api/v1/namespaces/default/configmaps', token);
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body).kind).toBe('ConfigMapList');
    // Under /hoop/ the API answers (no people issuer configured here: a Status saying so).
    const api = await rawHttp1('/hoop/v1/login');
    expect(api.statusLine).toMatch(/^HTTP\/1\.1 (404|503)/);
    expect(JSON.parse(api.body)).toMatchObject({ kind: 'Status' });
    expectAlive();
    expect(stack.gateway.output()).not.toContain(token);
  });
});

describe('a throw in the request listener', () => {
  it('answers that request with a 500 Status, logs it without the query, and serves the next', async () => {
    const log = memoryLogger();
    const { logger } = log;
    const ca = await createCertificateAuthority('listener test CA');
    const serving = await issueServingCertificate(ca, ['127.0.0.1']);
    const { server } = createGatewayServer(
      {
        clusters: new Map(),
        authenticator: { authenticate: () => Promise.reject(new Error('no tokens here')) },
        policy: { evaluate: () => ({ action: 'deny', rule: 'none', message: 'no' }) },
        identity: { userPrefix: '', groupPrefix: '', extraGroups: [] },
        masking: compileMaskingPolicy(undefined),
        logger,
      },
      serving,
      {
        // Stands for any bug before the pipeline: the router throws for one path.
        api: (req) => {
          if (req.url?.startsWith('/boom')) throw new TypeError('a bug in routing');
          return false;
        },
      },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      const session = connectHttp2(`https://127.0.0.1:${port}`, { ca: ca.certPem });
      const ask = async (path: string) => {
        const stream = session.request({ ':path': path });
        const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
        let body = '';
        stream.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        await once(stream, 'end');
        return { status: Number(headers[':status']), body: JSON.parse(body) as Record<string, unknown> };
      };
      const failed = await ask('/boom?access_token=query-credential-value');
      expect(failed.status).toBe(500);
      expect(failed.body).toMatchObject({ kind: 'Status', code: 500, reason: 'InternalError' });
      const next = await ask('/clusters/none/api');
      expect(next.status).toBe(401);
      session.close();
      expect(log.lines).toContainEqual(
        expect.objectContaining({ msg: 'request handler failed', path: '/boom', err: 'a bug in routing' }),
      );
      expect(log.text()).not.toContain('query-credential-value');
    } finally {
      server.close();
    }
  });
});
