import { badRequest, StatusError } from '../src/errors.ts';
import { type AgentRequest, isHttp2, type RequestContext } from './request-context.ts';

/**
 * Reading a request body into memory, bounded, for the stages that must see it before anything
 * goes upstream: review (the fingerprint covers the body: an approver approves exactly the bytes
 * they were shown) and the recording gate (the request event, body included, is written first, so
 * nothing reaches the cluster unrecorded). Every other request streams through untouched.
 *
 * The bytes are left in `ctx.body`, which forward sends instead of piping the consumed request,
 * and a request is read at most once: a later stage gets the bytes an earlier one read (a request
 * can only be consumed once, and both stages must see the same bytes forward sends).
 *
 * A declared `Content-Length` over the limit is refused before a byte is read; a chunked body is
 * counted as it arrives and the read stops at the limit, so no client can make the gateway buffer
 * more. Either way the answer is a 413 whose message says which limit it was and what to do.
 */

/** The limit a stage reads a body under, and what its 413 says about it. */
export interface BodyLimit {
  maxBytes: number;
  /**
   * The rest of the 413 message after "the request body is larger than N bytes, ": why this is
   * the limit and what the caller can do about it.
   */
  tooLarge: string;
}

/**
 * The most the gateway reads of a request body it must inspect or record: kube-apiserver refuses
 * bodies over 3 MiB (`--max-request-bytes`), so a larger one is answered 413 before a byte goes
 * upstream.
 */
export const KUBE_REQUEST_BODY_LIMIT: BodyLimit = {
  maxBytes: 3 * 1024 * 1024,
  tooLarge:
    'more than kube-apiserver accepts in one request. Send a smaller object (split the change into several).',
};

/** The request's body: `ctx.body` when a stage already read it, else read now and left there. */
export async function readBodyOnce(ctx: RequestContext, limit: BodyLimit): Promise<Buffer> {
  if (ctx.body === undefined) ctx.body = await readBody(ctx.req, limit);
  return ctx.body;
}

/** True when the request declares a body (Content-Length > 0, or chunked). */
export function hasBody(req: AgentRequest): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  // HTTP/2 has no chunked encoding: a body of unknown length is a stream its headers did not end.
  if (isHttp2(req)) return !req.stream.endAfterHeaders;
  return req.headers['transfer-encoding'] !== undefined;
}

/** Reads `req` to its end, refusing (413) a body over `limit.maxBytes`; 400 if the read fails. */
export function readBody(req: AgentRequest, limit: BodyLimit): Promise<Buffer> {
  const { maxBytes } = limit;
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(limit));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      chunks.length = 0;
      // Drain (and drop) the rest without keeping it, so the 413 can still be written.
      req.resume();
      reject(tooLarge(limit));
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(badRequest(`the request body could not be read (${error.message})`));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

function tooLarge(limit: BodyLimit): StatusError {
  return new StatusError(
    413,
    'RequestEntityTooLarge',
    `the request body is larger than ${limit.maxBytes} bytes, ${limit.tooLarge}`,
  );
}
