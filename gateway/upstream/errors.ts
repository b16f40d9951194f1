import { StatusError } from '../../src/errors.ts';

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** Timeouts of the connection itself (undici's pool connects within the cluster's upstreamTimeout too). */
const TIMED_OUT = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/** Thrown when upstream sends no response headers in time. */
export class UpstreamTimeoutError extends Error {
  override name = 'UpstreamTimeoutError';
}

/**
 * Maps a network failure talking to a cluster onto the Status a client expects: 503 when the
 * cluster cannot be reached, 504 when it does not answer in time, 502 for everything else (TLS
 * failures, resets, malformed responses). The message says which cluster and what to do.
 */
export function upstreamFailure(error: unknown, cluster: string): StatusError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (error instanceof UpstreamTimeoutError || TIMED_OUT.has(code)) {
    return new StatusError(
      504,
      'Timeout',
      `cluster "${cluster}" did not answer in time; the request may or may not have taken effect — check before retrying a change`,
      { cause: error },
    );
  }
  if (UNREACHABLE.has(code)) {
    return new StatusError(
      503,
      'ServiceUnavailable',
      `cluster "${cluster}" is unreachable from the gateway (${code}); retry later or ask the platform team`,
      // No Retry-After: client-go would retry every request ten times, and kubectl would hang for
      // minutes in front of a cluster that is down instead of saying so.
      { cause: error },
    );
  }
  return new StatusError(
    502,
    'InternalError',
    `the gateway could not get a valid answer from cluster "${cluster}" (${code || 'connection failed'})`,
    { cause: error },
  );
}
