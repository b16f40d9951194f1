/**
 * `connections.http2: false`: the operator's way back to HTTP/1.1 only (a Node HTTP/2 problem, a
 * load balancer in front that mishandles h2). ALPN then always picks HTTP/1.1: kubectl, which
 * offers both, works and arrives as HTTP/1.1; a client that offers only h2 is refused in the TLS
 * handshake rather than served. The default (HTTP/2 offered) is covered by http2-clients.test.ts.
 */
import { once } from 'node:events';
import { connect as http2Connect } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectionsSchema } from '../../src/config/connections.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { kubectlHttpVersions } from './helpers.ts';
import { E2E_POLICY } from './policy.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ policy: E2E_POLICY, config: { connections: { http2: false } } });
});
afterAll(async () => {
  await stack?.close();
});

/** The protocol ALPN settles on when a client offers `protocols`. */
async function negotiated(protocols: string[]): Promise<string | false | null> {
  const url = new URL(stack.gateway.url);
  const socket = tlsConnect({
    host: url.hostname,
    port: Number(url.port),
    ca: stack.gateway.caPem,
    ALPNProtocols: protocols,
  });
  try {
    await once(socket, 'secureConnect');
    return socket.alpnProtocol;
  } finally {
    socket.destroy();
  }
}

it('kubectl works and every request arrives as HTTP/1.1', async () => {
  expect(await kubectlHttpVersions(stack)).toEqual(new Set(['1.1']));
});

it('ALPN picks HTTP/1.1 for a client offering both, and none is forced on a client offering none', async () => {
  expect(await negotiated(['h2', 'http/1.1'])).toBe('http/1.1');
  expect(await negotiated([])).toBe(false);
});

it('a client that speaks only HTTP/2 is refused in the handshake', async () => {
  const session = http2Connect(stack.gateway.url, { ca: stack.gateway.caPem });
  // `once` rejects with the session's error.
  const outcome = await once(session, 'connect').then(
    () => 'connected over HTTP/2',
    (error: Error) => error.message,
  );
  session.destroy();
  expect(outcome).toMatch(/no.application.protocol/i);
});

it('the setting takes only true or false', () => {
  expect(connectionsSchema.parse({}).http2).toBe(true);
  const refused = connectionsSchema.safeParse({ http2: 'off' });
  expect(refused.success).toBe(false);
  expect(refused.error?.issues[0]?.path).toEqual(['http2']);
});
