import { type KubeStatus, kubeStatus, StatusError } from '../../src/errors.ts';
import type { AgentResponse } from '../request-context.ts';

/**
 * Writes a Kubernetes Status as the response. The one place errors become responses: a StatusError
 * keeps its code and message; anything else is an internal error whose details stay in the log.
 * With `plainText` (StatusError.plainText) the body is the message alone, as `text/plain`.
 */
export function writeStatus(
  res: AgentResponse,
  status: KubeStatus,
  headers: Record<string, string> = {},
  plainText = false,
): void {
  if (res.headersSent) {
    // Too late for a status line: cut the stream so the client sees a failure, not a short success.
    res.destroy();
    return;
  }
  const body = plainText ? `${status.message}\n` : JSON.stringify(status);
  res.writeHead(status.code, {
    ...headers,
    'content-type': plainText ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache, private',
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

export function statusFromError(error: unknown): {
  status: KubeStatus;
  headers: Record<string, string>;
  plainText?: boolean;
} {
  if (error instanceof StatusError) {
    return { status: error.toStatus(), headers: error.headers, plainText: error.plainText };
  }
  return {
    status: kubeStatus(
      500,
      'InternalError',
      'the gateway failed to handle this request; see the gateway log',
    ),
    headers: {},
  };
}
