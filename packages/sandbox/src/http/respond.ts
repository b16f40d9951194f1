/**
 * Writing responses the way kube-apiserver does: JSON bodies with `Content-Type: application/json`,
 * every failure as a `Status` object whose HTTP code equals its `code`, and bodies over 128 KiB
 * gzipped when the client accepts it (the APIResponseCompression behaviour, on by default; Go's
 * HTTP client, so kubectl, always asks for gzip, which a proxy in front must cope with).
 */
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { type KubeStatus, kubeStatus, StatusError } from '../../../../src/errors.ts';

/** kube-apiserver's compression threshold (128 KiB). */
const GZIP_THRESHOLD = 128 * 1024;

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.writableEnded) return;
  let payload: Buffer = Buffer.from(JSON.stringify(body));
  const encoding: Record<string, string> = {};
  const accepts = String(res.req?.headers['accept-encoding'] ?? '');
  if (payload.length > GZIP_THRESHOLD && /\bgzip\b/.test(accepts)) {
    payload = gzipSync(payload);
    encoding['Content-Encoding'] = 'gzip';
  }
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': payload.length,
    ...encoding,
    ...headers,
  });
  res.end(payload);
}

/** The Status an arbitrary thrown value becomes: its own for StatusError, else InternalError 500. */
export function statusOf(error: unknown): { status: KubeStatus; headers: Record<string, string> } {
  if (error instanceof StatusError) return { status: error.toStatus(), headers: error.headers };
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: kubeStatus(
      500,
      'InternalError',
      `an error on the server ("${message}") has prevented the request from succeeding`,
    ),
    headers: {},
  };
}

export function sendError(res: ServerResponse, error: unknown): void {
  const { status, headers } = statusOf(error);
  sendJson(res, status.code, status, headers);
}

/** A `Status` with `status: Success`, as delete answers for most resources. */
export function successStatus(details: {
  name: string;
  group: string;
  kind: string;
  uid?: string;
}): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
