/**
 * The cap on Node's free list of HTTP/1.1 parsers (gateway/ops/http-parser-pool.ts): without it a
 * burst of connections leaves up to 1,000 parsers (~10 KB of native memory each) kept for good;
 * with it at most the cap. And the gateway applies it when it starts.
 */
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { capHttpParserPool, HTTP_PARSER_POOL, httpParserPool } from '../../gateway/ops/http-parser-pool.ts';
import { E2E_POLICY } from '../e2e/policy.ts';
import { type Stack, startStack } from '../support/stack.ts';

/** Node's own cap, restored after the file. */
const NODE_DEFAULT = 1000;
afterAll(() => {
  capHttpParserPool(NODE_DEFAULT);
});

/** `count` connections at once, one request each, all closed again; resolves once the server saw every close. */
async function burst(server: Server, count: number): Promise<void> {
  const { port } = server.address() as AddressInfo;
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve, reject) => {
          const req = request({ port, host: '127.0.0.1', agent: false }, (res) => {
            res.resume();
            res.once('end', resolve);
          });
          req.once('error', reject);
          req.end();
        }),
    ),
  );
  for (;;) {
    const open = await new Promise<number>((resolve, reject) =>
      server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
    );
    if (open === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setImmediate(resolve));
}

describe("Node's free list of HTTP parsers", () => {
  it('keeps every parser of a burst without the cap, and at most the cap with it', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      expect(capHttpParserPool(NODE_DEFAULT)).toBe(true);
      await burst(server, 40);
      // Server and client parsers both return to the list: at least one per connection.
      expect(httpParserPool()!.kept).toBeGreaterThanOrEqual(40);

      expect(capHttpParserPool(8)).toBe(true);
      expect(httpParserPool()).toEqual({ kept: 8, max: 8 });
      await burst(server, 40);
      expect(httpParserPool()!.kept).toBeLessThanOrEqual(8);
    } finally {
      server.close();
    }
  });
});

describe('the gateway', () => {
  let stack: Stack | undefined;
  afterAll(async () => {
    await stack?.close();
  });

  it('caps the list when it starts', async () => {
    capHttpParserPool(NODE_DEFAULT);
    stack = await startStack({ policy: E2E_POLICY });
    expect(httpParserPool()?.max).toBe(HTTP_PARSER_POOL);
  });
});
