import type { IncomingMessage } from 'node:http';
import { badRequest, StatusError } from '../../src/errors.ts';

/**
 * Reads a request body into memory, refusing one larger than `maxBytes` with a 413 Status.
 *
 * Only requests the policy sends to review are read this way: their fingerprint covers the body
 * (an approver approves exactly the bytes they were shown), and the body must be hashed before
 * anything is forwarded. Every other request streams through untouched. A declared
 * `Content-Length` over the cap is refused before a byte is read; a chunked body is counted as
 * it arrives and the read stops at the cap, so no client can make the gateway buffer more.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
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
      reject(tooLarge(maxBytes));
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

function tooLarge(maxBytes: number): StatusError {
  return new StatusError(
    413,
    'RequestEntityTooLarge',
    `the request body is larger than ${maxBytes} bytes, the most this gateway holds for a request ` +
      'that needs approval. Send a smaller object (split the change), or ask the platform team to ' +
      'raise approvals.maxBodyBytes.',
  );
}
