import { duplicateConnection, type RedisConnection } from '../queues/connections.ts';
import type { ReviewEvent, ReviewState } from './review.types.ts';
import { withRedis } from './unavailable-error.ts';

/**
 * Review state changes as they happen. The Lua scripts PUBLISH `{id, state, fingerprint}` on the
 * events channel in the same atomic step as the change; this class listens on one dedicated
 * subscriber connection per store (a subscribed connection can run no other commands) and fans
 * messages out to in-process listeners, so a thousand held requests cost one connection.
 *
 * Pub/sub is at-most-once: a message sent while the subscriber is reconnecting is lost. That is
 * why waiting (wait-for-decision.ts) also polls the record; events only make it fast.
 */
export type ReviewEventListener = (event: ReviewEvent) => void;

const STATES: ReadonlySet<string> = new Set(['pending', 'approved', 'rejected', 'expired', 'cancelled']);

export class ReviewEvents {
  readonly channel: string;
  readonly #connection: RedisConnection;
  readonly #readyTimeoutMs: number;
  readonly #listeners = new Set<ReviewEventListener>();
  #subscriber: RedisConnection | undefined;
  #starting: Promise<void> | undefined;

  /** `connection` is duplicated (same URL and options) for the subscriber; it is not used itself. */
  constructor(connection: RedisConnection, channel: string, readyTimeoutMs: number) {
    this.#connection = connection;
    this.channel = channel;
    this.#readyTimeoutMs = readyTimeoutMs;
  }

  /**
   * Adds a listener and makes sure the subscriber is subscribed before resolving, so an event
   * published after this resolves is delivered (barring a reconnect). Resolves to a function that
   * removes the listener. Rejects with `ApprovalsUnavailableError` when Redis is down; the
   * listener is then not added.
   */
  async subscribe(listener: ReviewEventListener): Promise<() => void> {
    await this.start();
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Subscribes the dedicated connection once; a failed attempt is retried by the next call. */
  start(): Promise<void> {
    this.#starting ??= this.#start().catch((error: unknown) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    if (!this.#subscriber) {
      const subscriber = duplicateConnection(this.#connection, 'hoop-review-events');
      subscriber.on('error', () => undefined);
      subscriber.on('message', (channel: string, message: string) => {
        if (channel === this.channel) this.#dispatch(message);
      });
      this.#subscriber = subscriber;
    }
    const subscriber = this.#subscriber;
    await withRedis(subscriber, this.#readyTimeoutMs, () => subscriber.subscribe(this.channel));
  }

  #dispatch(message: string): void {
    const event = parseEvent(message);
    if (!event) return;
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // One listener's bug must not starve the others of events.
      }
    }
  }

  /** Closes the subscriber connection; listeners stay registered but hear nothing more. */
  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#starting = undefined;
    if (subscriber) subscriber.disconnect();
  }
}

/** Parses a published message; anything not shaped like a {@link ReviewEvent} is ignored. */
export function parseEvent(message: string): ReviewEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, state, fingerprint } = value as Record<string, unknown>;
  if (typeof id !== 'string' || typeof fingerprint !== 'string' || typeof state !== 'string')
    return undefined;
  if (!STATES.has(state)) return undefined;
  return { id, state: state as ReviewState, fingerprint };
}
