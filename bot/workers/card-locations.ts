import type { ReviewState } from '../../src/approvals/review.types.ts';
import type { RedisConnection } from '../../src/queues/connections.ts';
import type { MessageRef } from './chat-poster.ts';

/**
 * Where each review's card was posted, and what it last showed, kept in Redis beside (not
 * inside) the review record, so the approvals engine knows nothing of chat.
 *
 * | key                                   | type | holds                                        |
 * | ------------------------------------- | ---- | -------------------------------------------- |
 * | `<p>:card:<platform>:<reviewId>`      | hash | channel, ts, [serviceUrl], state, version (record updatedAt) |
 * | `<p>:open-cards:<platform>`           | zset | review ids whose card shows "pending", by deadline |
 *
 * `state` and `version` are what the card shows; the worker compares them with the record to
 * skip an update that would change nothing. The open-cards set is what the card sync sweeps to
 * catch a state change whose pub/sub event was lost. Entries live as long as review records.
 */
export interface CardLocation extends MessageRef {
  state: ReviewState;
  version: number;
}

const TTL_SECONDS = 8 * 86_400;

export class CardLocations {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(redis: RedisConnection, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async get(platform: string, reviewId: string): Promise<CardLocation | undefined> {
    const fields = await this.#redis.hgetall(this.#card(platform, reviewId));
    if (!fields['channel'] || !fields['ts']) return undefined;
    return {
      channel: fields['channel'],
      ts: fields['ts'],
      ...(fields['serviceUrl'] ? { serviceUrl: fields['serviceUrl'] } : {}),
      state: (fields['state'] ?? 'pending') as ReviewState,
      version: Number(fields['version'] ?? 0),
    };
  }

  /** Records what the card at `location` now shows (after a post or an update). */
  async save(platform: string, reviewId: string, location: CardLocation, deadline: number): Promise<void> {
    const key = this.#card(platform, reviewId);
    const open = this.#open(platform);
    const multi = this.#redis
      .multi()
      .hset(key, {
        channel: location.channel,
        ts: location.ts,
        ...(location.serviceUrl ? { serviceUrl: location.serviceUrl } : {}),
        state: location.state,
        version: String(location.version),
      })
      .expire(key, TTL_SECONDS);
    if (location.state === 'pending') multi.zadd(open, deadline, reviewId);
    else multi.zrem(open, reviewId);
    await multi.exec();
  }

  /** Review ids whose card still shows pending, soonest deadline first. */
  openCards(platform: string, limit = 500): Promise<string[]> {
    return this.#redis.zrange(this.#open(platform), 0, String(limit - 1));
  }

  async forget(platform: string, reviewId: string): Promise<void> {
    await this.#redis.zrem(this.#open(platform), reviewId);
  }

  #card(platform: string, reviewId: string): string {
    return `${this.#prefix}:card:${platform}:${reviewId}`;
  }

  #open(platform: string): string {
    return `${this.#prefix}:open-cards:${platform}`;
  }
}
