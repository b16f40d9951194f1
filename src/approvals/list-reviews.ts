import type { RedisConnection } from '../queues/connections.ts';
import type { ApprovalKeys } from './keys.ts';
import type { Review, ReviewState } from './review.types.ts';
import { decodeReview } from './review-codec.ts';

/**
 * Listing for `/hoop pending` and `/hoop sessions`-style commands. Pending reviews come from the
 * pending zset in deadline order; any other listing walks the all-reviews zset newest first and
 * filters by state, reading at most `MAX_SCANNED` ids so a chat command stays cheap.
 *
 * Records expire (retention); ids whose record is gone are dropped from both zsets as they are
 * met, so the indexes never grow without bound.
 */
export interface ListOptions {
  state?: ReviewState;
  /** Default 20, at most 200. */
  limit?: number;
}

const MAX_LIMIT = 200;
const MAX_SCANNED = 2000;

export async function listReviews(
  redis: RedisConnection,
  keys: ApprovalKeys,
  options: ListOptions,
): Promise<Review[]> {
  const limit = Math.max(1, Math.min(options.limit ?? 20, MAX_LIMIT));
  if (options.state === 'pending') {
    const ids = await redis.zrange(keys.pending, 0, String(limit - 1));
    return (await load(redis, keys, ids)).filter((review) => review.state === 'pending');
  }
  const found: Review[] = [];
  const page = Math.max(limit * 2, 50);
  for (let offset = 0; offset < MAX_SCANNED && found.length < limit; offset += page) {
    const ids = await redis.zrevrange(keys.reviews, offset, offset + page - 1);
    for (const review of await load(redis, keys, ids)) {
      if (options.state === undefined || review.state === options.state) found.push(review);
      if (found.length === limit) break;
    }
    if (ids.length < page) break;
  }
  return found;
}

async function load(redis: RedisConnection, keys: ApprovalKeys, ids: string[]): Promise<Review[]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(keys.review(id));
  const replies = (await pipeline.exec()) ?? [];
  const reviews: Review[] = [];
  const gone: string[] = [];
  replies.forEach(([error, fields], index) => {
    if (error) throw error;
    const review = decodeReview(fields as Record<string, string>);
    if (review) reviews.push(review);
    else gone.push(ids[index]!);
  });
  if (gone.length > 0)
    await redis
      .multi()
      .zrem(keys.reviews, ...gone)
      .zrem(keys.pending, ...gone)
      .exec();
  return reviews;
}
