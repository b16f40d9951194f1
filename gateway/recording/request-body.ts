import type { IncomingMessage } from 'node:http';
import { badRequest, StatusError } from '../../src/errors.ts';

/**
 * Reads the request body the recorder must store before the request goes upstream (the request
 * event is written first, so nothing reaches the cluster unrecorded). The bytes are left in
 * `ctx.body`, which forward sends instead of piping the consumed request — the same seam the
 * review stage uses.
 *
 * Bounded: kube-apiserver refuses bodies over 3 MiB (`--max-request-bytes`), so a larger body is
 * answered 413 here before a byte goes upstream; a declared Content-Length over the limit is
 * refused before reading. Only methods that carry a body (and say so) are read.
 */

export const MAX_RECORDED_BODY_BYTES = 3 * 1024 * 1024;

/** True when the request declares a body (Content-Length > 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

export function readRequestBody(req: IncomingMessage, maxBytes = MAX_RECORDED_BODY_BYTES): Promise<Buffer> {
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
      req.resume(); // drop the rest, so the 413 can still be written
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
    `the request body is larger than ${maxBytes} bytes, more than kube-apiserver accepts in one ` +
      'request. Send a smaller object (split the change into several).',
  );
}
