import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { StatusError } from '../../src/errors.ts';
import type { RedisConnection } from '../../src/queues/connections.ts';
import { throughOutage } from '../../src/redis/outage-wait.ts';

/**
 * The recording store (Redis, or the archive directory) cannot be written. It is a `StatusError`,
 * so when `recording.required` is on the gateway's one error handler answers `503` with this
 * message and nothing reaches the cluster unrecorded; `cause` keeps the driver's error for the log.
 *
 * Deliberately without `Retry-After`: client-go retries a 5xx that carries one, silently, up to
 * ten times, so kubectl would sit for about a minute and then print a generic error while every
 * other request the same agent makes hits the same wall. Without it kubectl fails at once and
 * prints the message, which says what is wrong and who can fix it. The message names the config
 * fields, never the Redis address: it goes to the API caller, not only to the operator.
 */
export class RecordingUnavailableError extends StatusError {
  constructor(detail: string, options: { cause?: unknown } = {}) {
    super(
      503,
      'ServiceUnavailable',
      `recording unavailable: ${detail}. This gateway is configured to record every request before ` +
        'it reaches the cluster (recording.required) and cannot record right now, so the request was ' +
        'not sent. Retrying later may work; if this persists, the gateway operator should check that ' +
        'the Redis in recording.redisUrl is running and reachable from the gateway (and the recording ' +
        'directory writable), or set recording.required: false to let requests pass unrecorded.',
      { cause: options.cause },
    );
    this.name = 'RecordingUnavailableError';
  }
}

/**
 * The refusal as the client should get it. Resource requests get the 503 Status, which kubectl
 * prints as `Error from server (ServiceUnavailable): recording unavailable: …`. Non-resource
 * requests are discovery (`/api`, `/apis`, `/version` …), the first thing kubectl asks for, and
 * client-go reads those as raw bytes: from a 503 it prints only "the server is currently unable
 * to handle the request", whatever the body says. From a 500 with a `text/plain` body it prints
 * the text, so discovery gets that, and the agent learns why at its first command.
 */
export function recordingRefusalFor(error: RecordingUnavailableError, resourceRequest: boolean): StatusError {
  if (resourceRequest) return error;
  return new StatusError(500, 'ServiceUnavailable', error.message, { cause: error, plainText: true });
}

/**
 * Runs `call` once `redis` is ready (waiting at most `readyTimeoutMs` for a connection in
 * progress); any failure becomes a {@link RecordingUnavailableError}. On a connection with an
 * outage wait (Sentinel, Cluster: src/redis/outage-wait.ts) the call is first retried through a
 * failover, so a request is held a few seconds instead of refused.
 */
export async function withRecordingRedis<T>(
  redis: RedisConnection,
  readyTimeoutMs: number,
  call: () => Promise<T>,
): Promise<T> {
  const attempt = async (): Promise<T> => {
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
  };
  return throughOutage(redis, attempt, (error) => error instanceof RecordingUnavailableError);
}
