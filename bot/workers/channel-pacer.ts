import type { RedisConnection } from '../../src/queues/connections.ts';

/**
 * At most one post per channel per interval, across every bot replica: Slack allows about one
 * `chat.postMessage` per second per channel and answers bursts with 429.
 *
 * Why not BullMQ's limiter: it limits a whole queue, and per-group limits are a BullMQ Pro
 * feature; one queue per channel would need a worker per channel. Instead the notify worker asks
 * this pacer before each post. The pacer keeps, per channel, the time the next post may go out
 * (a Redis key, set by one Lua script on Redis' own clock, so replicas with skewed clocks agree);
 * a job that must wait is moved back to BullMQ's delayed set for exactly that long, which costs
 * no worker slot and no attempt.
 *
 * A 429 pushes the channel's next slot out to its `Retry-After` ({@link ChannelPacer.holdOff}),
 * so the other jobs for that channel wait too instead of each hitting the limit once.
 */

// KEYS[1] the channel's next-slot key. ARGV[1] interval ms.
// Result: 0 when the caller may post now (the slot is taken), else the ms to wait.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
if now >= nextAt then
  redis.call('SET', KEYS[1], string.format('%.0f', now + interval), 'PX', interval * 2 + 60000)
  return 0
end
return nextAt - now
`;

// KEYS[1] the channel's next-slot key. ARGV[1] hold-off ms. Moves the next slot to now + hold-off
// unless it is already later. Result: the new next slot (epoch ms, Redis clock).
const HOLD_OFF = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > nextAt then
  redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', tonumber(ARGV[1]) + 60000)
  return until_
end
return nextAt
`;

export interface ChannelPacerOptions {
  redis: RedisConnection;
  /** Key prefix, no trailing colon (e.g. `hoop:bot`). */
  prefix: string;
  /** Minimum gap between two posts to one channel. Default 1000 ms. */
  intervalMs?: number;
  /**
   * Minimum gap between two message updates in one workspace. Default 1200 ms: Slack's
   * `chat.update` is Tier 3, about 50 a minute per workspace, whatever the channel.
   */
  updateIntervalMs?: number;
}

export class ChannelPacer {
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly intervalMs: number;
  readonly updateIntervalMs: number;

  constructor(options: ChannelPacerOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.intervalMs = options.intervalMs ?? 1000;
    this.updateIntervalMs = options.updateIntervalMs ?? 1200;
  }

  /**
   * Takes the workspace's next update slot (message updates are limited per workspace, not per
   * channel): 0, or how many ms to wait before asking again.
   */
  async takeUpdate(platform: string, workspace: string): Promise<number> {
    return Number(
      await this.#redis.eval(TAKE, 1, this.updateKey(platform, workspace), this.updateIntervalMs),
    );
  }

  /** The Redis key of a workspace's update slot, e.g. `hoop:bot:pace:slack:workspace:T0123:update`. */
  updateKey(platform: string, workspace: string): string {
    return `${this.#prefix}:pace:${platform}:workspace:${workspace}:update`;
  }

  /** Takes the channel's next slot if it is due: 0, or how many ms to wait before asking again. */
  async take(platform: string, channel: string): Promise<number> {
    return Number(await this.#redis.eval(TAKE, 1, this.#key(platform, channel), this.intervalMs));
  }

  /** After a 429: nobody posts to the channel for `ms`. */
  async holdOff(platform: string, channel: string, ms: number): Promise<void> {
    await this.#redis.eval(HOLD_OFF, 1, this.#key(platform, channel), Math.max(0, Math.ceil(ms)));
  }

  #key(platform: string, channel: string): string {
    return `${this.#prefix}:pace:${platform}:${channel}`;
  }
}
