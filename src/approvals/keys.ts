import { randomInt } from 'node:crypto';
import { withHashTag } from '../redis/hash-tag.ts';

/**
 * The Redis key layout of the approvals engine, in one place. Every key starts with the store's
 * prefix, so tests (and several deployments sharing one Redis) never collide.
 *
 * | key                           | type   | holds                                                  |
 * | ----------------------------- | ------ | ------------------------------------------------------ |
 * | `<p>:review:<id>`             | hash   | one review record (see review-codec.ts for the fields) |
 * | `<p>:fp:<fingerprint>`        | string | the open review id for a fingerprint (TTL)             |
 * | `<p>:window:<scope>`          | string | the review id whose window grant covers a scope (TTL)  |
 * | `<p>:pending`                 | zset   | pending review ids scored by deadline                  |
 * | `<p>:reviews`                 | zset   | every review id scored by creation time (for listing)  |
 * | `<p>:review-events`           | pubsub | `{id, state, fingerprint}` on every state change       |
 * | `<p>:history:<id>`            | list   | audit events of a review besides its decisions (JSON)  |
 *
 * Redis Cluster: with `hashTag` the prefix is wrapped in a hash tag (`{hoop:approvals}:review:…`),
 * so every key of one store lands in one slot and each script and MULTI stays on one node. One
 * slot per store, not one per review, on purpose: finding or creating the review of a
 * fingerprint and claiming a `once` grant must be atomic with the fingerprint index, the window
 * key and the pending index, which are shared between reviews; reviews are a few per minute, so
 * the slot is never hot. A prefix that already holds a tag (`{hoop}:approvals`) is kept as it is.
 * Without `hashTag` (one Redis, Sentinel) the names are the same as they always were.
 *
 * Every script receives all its keys in `KEYS`: the review a fingerprint points at is read first
 * and checked again inside the script (compare-and-set), so nothing is derived in Lua.
 */
export interface ApprovalKeys {
  readonly prefix: string;
  review(id: string): string;
  fingerprint(fp: string): string;
  window(scope: string): string;
  history(id: string): string;
  readonly pending: string;
  readonly reviews: string;
  readonly events: string;
}

/**
 * Builds the key names for `prefix` (no trailing colon), e.g. `hoop:approvals`; `hashTag` for a
 * Redis Cluster. The events channel is not a key (PUBLISH reaches every node) and keeps its name.
 */
export function approvalKeys(prefix: string, options: { hashTag?: boolean } = {}): ApprovalKeys {
  const base = options.hashTag ? withHashTag(prefix) : prefix;
  return {
    prefix,
    review: (id) => `${base}:review:${id}`,
    fingerprint: (fp) => `${base}:fp:${fp}`,
    window: (scope) => `${base}:window:${scope}`,
    history: (id) => `${base}:history:${id}`,
    pending: `${base}:pending`,
    reviews: `${base}:reviews`,
    events: `${prefix}:review-events`,
  };
}

/**
 * Review ids: `r-` plus six characters a person can read off a chat card and type into
 * `/hoop show` without confusing 0/o, 1/l/i. 31^6 ≈ 887 million ids; the create script refuses an
 * id already in use and the store draws again, so a collision costs one round trip, never a
 * merged review.
 */

/** Digits and lower-case letters without 0, 1, i, l, o. */
export const REVIEW_ID_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';

const ID_PATTERN = new RegExp(`^r-[${REVIEW_ID_ALPHABET}]{6}$`);

/** A fresh random id (crypto-random, uniform over the alphabet). */
export function newReviewId(): string {
  let id = 'r-';
  for (let i = 0; i < 6; i++) id += REVIEW_ID_ALPHABET[randomInt(REVIEW_ID_ALPHABET.length)];
  return id;
}

/**
 * Whether `text` is shaped like a review id. Commands check this before touching Redis, so an
 * arbitrary string typed into chat never becomes part of a key.
 */
export function isReviewId(text: string): boolean {
  return ID_PATTERN.test(text);
}
