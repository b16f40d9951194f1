import { once } from 'node:events';
import { IncomingMessage, ServerResponse } from 'node:http';
import { connect, createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type BodyLimit, hasBody, readBody, readBodyOnce } from '../../gateway/request-body.ts';
import type { RequestContext } from '../../gateway/request-context.ts';
import { StatusError } from '../../src/errors.ts';

/**
 * The bounded body reader the review stage and the recording gate share: the bytes as sent, a 413
 * (with the stage's own words) over the limit whether declared or counted, and one read per
 * request, the second stage getting the bytes the first one left in `ctx.body`.
 */

const LIMIT: BodyLimit = { maxBytes: 8, tooLarge: 'more than this test allows.' };

function request(headers: Record<string, string>, chunks: string[]): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  for (const chunk of chunks) req.push(Buffer.from(chunk));
  req.push(null);
  return req;
}

function context(req: IncomingMessage): RequestContext {
  return { req, res: new ServerResponse(req), startedAt: process.hrtime.bigint(), id: 'test-request-id' };
}

describe('readBody', () => {
  it('returns the body as sent, chunks joined', async () => {
    const body = await readBody(request({ 'transfer-encoding': 'chunked' }, ['abc', 'def']), LIMIT);
    expect(body.toString()).toBe('abcdef');
  });

  it('refuses a declared Content-Length over the limit with a 413 in the caller’s words', async () => {
    const refused = readBody(request({ 'content-length': '9' }, ['123456789']), LIMIT);
    await expect(refused).rejects.toBeInstanceOf(StatusError);
    await expect(refused).rejects.toMatchObject({
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: 'the request body is larger than 8 bytes, more than this test allows.',
    });
  });

  it('stops counting a chunked body at the limit', async () => {
    const refused = readBody(request({ 'transfer-encoding': 'chunked' }, ['12345', '6789']), LIMIT);
    await expect(refused).rejects.toMatchObject({ code: 413 });
  });
});

describe('readBodyOnce', () => {
  it('reads the request once and hands a later stage the same bytes', async () => {
    const ctx = context(request({ 'content-length': '5' }, ['hello']));
    const first = await readBodyOnce(ctx, LIMIT);
    expect(ctx.body).toBe(first);
    // The request is consumed: a second read of it would hang; the second stage must not try.
    const second = await readBodyOnce(ctx, { maxBytes: 1, tooLarge: 'unused.' });
    expect(second).toBe(first);
    expect(second.toString()).toBe('hello');
  });
});

describe('hasBody', () => {
  it('is true for a positive Content-Length or a chunked body only', () => {
    expect(hasBody(request({ 'content-length': '3' }, []))).toBe(true);
    expect(hasBody(request({ 'content-length': '0' }, []))).toBe(false);
    expect(hasBody(request({ 'transfer-encoding': 'chunked' }, []))).toBe(true);
    expect(hasBody(request({}, []))).toBe(false);
  });

  it('over HTTP/2 (no chunked encoding): true for a stream its headers did not end, Content-Length or not', async () => {
    const seen: Record<string, boolean> = {};
    const server = createHttp2Server((req, res) => {
      seen[req.url] = hasBody(req);
      req.resume();
      req.once('end', () => res.end());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const send = async (path: string, headers: Record<string, string>, body?: string) => {
      const stream = session.request({ ':path': path, ...headers }, { endStream: body === undefined });
      if (body !== undefined) stream.end(body);
      stream.resume();
      await once(stream, 'close');
    };
    await send('/get', { ':method': 'GET' });
    await send('/post-unsized', { ':method': 'POST' }, '{"kind":"Secret"}');
    await send('/post-sized', { ':method': 'POST', 'content-length': '2' }, '{}');
    await send('/post-empty', { ':method': 'POST', 'content-length': '0' }, '');
    session.close();
    server.close();
    expect(seen).toEqual({ '/get': false, '/post-unsized': true, '/post-sized': true, '/post-empty': false });
  });
});
