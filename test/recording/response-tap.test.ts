/**
 * The response tap records what the client received exactly once, whichever protocol carried
 * it. HTTP/2's response object ends a body through its own `write`, which the tap also wraps:
 * a body given to `end` must not be counted twice.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, request } from 'node:http';
import { connect, createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type ResponseTap, tapResponse } from '../../gateway/recording/response-tap.ts';
import type { AgentResponse } from '../../gateway/request-context.ts';

const BODY = '{"kind":"Status","code":403}';

/** Answers one request with `respond`, taps it, and returns what the tap captured. */
async function tapped(
  protocol: 'http/1.1' | 'h2',
  respond: (res: AgentResponse) => void,
): Promise<{ received: string; size: number; header: string | undefined }> {
  let tap: ResponseTap | undefined;
  const handler = (_req: unknown, res: AgentResponse) => {
    tap = tapResponse(res, 1 << 16);
    respond(res);
  };
  const server =
    protocol === 'h2'
      ? // @types/node leaves out Http2ServerResponse#flushHeaders, which Node has.
        createHttp2Server((req, res) => handler(req, res as unknown as AgentResponse))
      : createHttpServer((req, res) => handler(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let received = '';
  if (protocol === 'h2') {
    const session = connect(`http://127.0.0.1:${port}`);
    const stream = session.request({ ':path': '/' });
    stream.setEncoding('utf8');
    for await (const chunk of stream) received += chunk;
    session.close();
  } else {
    const res = await new Promise<import('node:http').IncomingMessage>((resolve) =>
      request(`http://127.0.0.1:${port}/`, resolve).end(),
    );
    res.setEncoding('utf8');
    for await (const chunk of res) received += chunk;
  }
  server.close();
  const captured = tap!.capture.finish();
  return { received, size: captured.size, header: tap!.header('content-type') };
}

describe.each(['http/1.1', 'h2'] as const)('tapResponse over %s', (protocol) => {
  it('captures a body passed to end() once', async () => {
    const result = await tapped(protocol, (res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(BODY);
    });
    expect(result.received).toBe(BODY);
    expect(result.size).toBe(Buffer.byteLength(BODY));
    expect(result.header).toBe('application/json');
  });

  it('captures write() chunks and a last chunk in end() once each', async () => {
    const result = await tapped(protocol, (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
      res.end('1}');
    });
    expect(result.received).toBe('{"a":1}');
    expect(result.size).toBe(7);
  });
});
