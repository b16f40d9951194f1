import { z } from 'zod';

/**
 * The Redis fields every config section that keeps state in Redis shares (`approvals:`,
 * `recording:`), checked the same way wherever they appear. Each section decides whether the
 * field is optional or has a default, and what it falls back to.
 */

/** `redisUrl`: where the section's state lives. TLS (`rediss://`) or not, nothing else. */
export const redisUrlField = z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL');

/**
 * `keyPrefix`: the first part of every key (and BullMQ queue prefix) the section writes, so several
 * gateways or environments can share one Redis. Colon-separated words of a safe alphabet, `{}`
 * included for a hash tag (which keeps every key in one Redis Cluster slot, as the scripts need).
 */
export const keyPrefixField = z
  .string()
  .regex(/^[A-Za-z0-9_{}.-]+(:[A-Za-z0-9_{}.-]+)*$/, 'letters, digits, "_-.{}" and ":" separators');
