import { withRedis } from '../../src/approvals/unavailable-error.ts';
import type { RedisConnection } from '../../src/queues/connections.ts';

/**
 * Conversation references captured when the app is installed: Teams tells the bot, in the
 * install event (`conversationUpdate`), which connector (`serviceUrl`) serves the team. A
 * proactive post needs that URL; configuring `teams.serviceUrl` is the alternative. Kept in Redis
 * so every bot replica can post to a team whichever replica saw the install.
 *
 * | key                                   | type   | holds                              |
 * | ------------------------------------- | ------ | ---------------------------------- |
 * | `<p>:teams:ref:<conversationId>`      | string | the connector's service URL        |
 *
 * Both the team's id (its General channel) and the channel the event came from are recorded.
 *
 * The connection is the bot's request connection (no offline queue), so every call first waits
 * up to {@link READY_MS} for it to be ready: an install that arrived while the bot was still
 * connecting, just after it started, failed with a 500 instead of being remembered.
 */
const TTL_SECONDS = 400 * 86_400;
const READY_MS = 2000;

export class TeamsReferences {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(redis: RedisConnection, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async remember(conversationIds: string[], serviceUrl: string): Promise<void> {
    await withRedis(this.#redis, READY_MS, () => {
      const multi = this.#redis.multi();
      for (const id of new Set(conversationIds)) multi.set(this.#key(id), serviceUrl, 'EX', TTL_SECONDS);
      return multi.exec();
    });
  }

  async serviceUrlOf(conversationId: string): Promise<string | undefined> {
    return (
      (await withRedis(this.#redis, READY_MS, () => this.#redis.get(this.#key(conversationId)))) ?? undefined
    );
  }

  #key(conversationId: string): string {
    return `${this.#prefix}:teams:ref:${conversationId}`;
  }
}
