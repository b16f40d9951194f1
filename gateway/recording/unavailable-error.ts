import type { Redis } from 'ioredis';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { StatusError } from '../../src/errors.ts';

/**
 * The recording store (Redis, or the archive directory) cannot be written. It is a `StatusError`,
 * so when `recording.required` is on the gateway's one error handler answers `503` with this
 * message and nothing reaches the cluster unrecorded; `cause` keeps the driver's error for the log.
 */
export class RecordingUnavailableError extends StatusError {
  constructor(detail: string, options: { cause?: unknown } = {}) {
    super(
      503,
      'ServiceUnavailable',
      `recording unavailable: ${detail}. This gateway records every request before it reaches the ` +
        'cluster and cannot do so right now, so the request was not sent; retry in a little while. ' +
        'If this persists, the platform team should check the gateway’s Redis and recording directory.',
      { cause: options.cause, headers: { 'Retry-After': '5' } },
    );
    this.name = 'RecordingUnavailableError';
  }
}

/**
 * Runs `call` once `redis` is ready (waiting at most `readyTimeoutMs` for a connection in
 * progress); any failure becomes a {@link RecordingUnavailableError}.
 */
export async function withRecordingRedis<T>(
  redis: Redis,
  readyTimeoutMs: number,
  call: () => Promise<T>,
): Promise<T> {
  try {
    await whenReady(redis, readyTimeoutMs);
  } catch (error) {
    throw new RecordingUnavailableError(`Redis is not reachable (${redis.status})`, { cause: error });
  }
  try {
    return await call();
  } catch (error) {
    if (error instanceof RecordingUnavailableError) throw error;
    throw new RecordingUnavailableError('a Redis command failed', { cause: error });
  }
}
