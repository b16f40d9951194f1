import { z } from 'zod';
import type { CompiledPolicy } from '../policy/policy.types.ts';
import { redisUrlFromEnv } from '../queues/connections.ts';
import { keyPrefixField, redisUrlField } from './redis-fields.ts';

/**
 * The `approvals:` section of `hoop.yaml`: where the approvals engine keeps its state (Redis) and
 * how the gateway holds a request that the policy sends to review. Kept beside, not inside,
 * schema.ts so the section's defaults and their reasons live in one place.
 *
 * ```yaml
 * approvals:
 *   redisUrl: redis://redis:6379        # default: $REDIS_URL, else redis://127.0.0.1:6379
 *   keyPrefix: hoop                     # reviews under hoop:approvals:*, queues under hoop:<queue>:*
 *   holdSeconds: 20                     # hold a request this long before answering 429
 *   retryAfterSeconds: 5                # the 429's Retry-After
 *   ownerClaim: actor                   # token claim naming who answers for the agent
 *   terminalApprover: { id: alice, groups: [platform] }   # `hoop-gateway reviews` acts as this
 *   approveHint: or click Approve in #platform-approvals   # appended to "how to approve"
 *   preview: { enabled: true, budget: 2s }   # impact preview per new review, within this time
 * ```
 *
 * Approvals are on when the section is present or when the policy has a `review` rule (a policy
 * that asks for reviews must not silently get none); a gateway with neither never touches Redis.
 */

/** kube-apiserver refuses request bodies over 3 MiB; a held body never needs to be larger. */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

export const approvalsSchema = z.strictObject({
  redisUrl: redisUrlField.optional(),
  keyPrefix: keyPrefixField.default('hoop'),
  holdSeconds: z.number().int().min(1).max(55).default(20),
  retryAfterSeconds: z.number().int().min(1).max(60).default(5),
  ownerClaim: z.string().min(1).optional(),
  claimAllowlist: z.array(z.string().min(1)).optional(),
  maxBodyBytes: z.number().int().min(1024).default(DEFAULT_MAX_BODY_BYTES),
  terminalApprover: z
    .strictObject({
      id: z.string().min(1),
      groups: z.array(z.string().min(1)).default([]),
    })
    .optional(),
  approveHint: z.string().min(1).optional(),
  /**
   * The impact preview computed when a review is created (gateway/approvals/impact/). `budget`
   * bounds how long the held call waits for it: `500ms`, `2s` (at most 10s); past it the preview
   * says it was not computed and the review proceeds without it.
   */
  preview: z
    .strictObject({
      enabled: z.boolean().default(true),
      budget: z
        .string()
        .regex(/^[1-9]\d*(ms|s)$/, 'must be a duration such as 500ms or 2s')
        .refine((value) => durationMs(value) <= 10_000, 'must be at most 10s')
        .default('2s'),
    })
    .prefault({}),
});

/** `500ms`, `2s` in milliseconds (already validated). */
function durationMs(value: string): number {
  return value.endsWith('ms') ? Number(value.slice(0, -2)) : Number(value.slice(0, -1)) * 1000;
}

export type ApprovalsSection = z.infer<typeof approvalsSchema>;

/** The approvals settings with every default applied. */
export interface ApprovalsSettings {
  /** False when neither the section nor a review rule exists: nothing connects to Redis. */
  enabled: boolean;
  redisUrl: string;
  /** Review records, indexes and events live under `<keyPrefix>:approvals`. */
  storePrefix: string;
  /** BullMQ's prefix for the notify and expire queues (the bot must use the same). */
  queuePrefix: string;
  holdSeconds: number;
  retryAfterSeconds: number;
  ownerClaim: string | undefined;
  claimAllowlist: string[] | undefined;
  maxBodyBytes: number;
  /** Who `hoop-gateway reviews approve|reject` acts as without `--as`. */
  terminalApprover: { id: string; groups: string[] } | undefined;
  approveHint: string | undefined;
  /** The impact preview: whether it is computed, and within how many milliseconds. */
  preview: { enabled: boolean; budgetMs: number };
}

/** The settings for a parsed section (or its absence), `env` supplying the Redis URL default. */
export function resolveApprovals(
  section: ApprovalsSection | undefined,
  policy: CompiledPolicy,
  env: NodeJS.ProcessEnv,
): ApprovalsSettings {
  const raw = section ?? approvalsSchema.parse({});
  return {
    enabled: section !== undefined || policy.rules.some((rule) => rule.action === 'review'),
    redisUrl: raw.redisUrl ?? redisUrlFromEnv(env),
    storePrefix: `${raw.keyPrefix}:approvals`,
    queuePrefix: raw.keyPrefix,
    holdSeconds: raw.holdSeconds,
    retryAfterSeconds: raw.retryAfterSeconds,
    ownerClaim: raw.ownerClaim,
    claimAllowlist: raw.claimAllowlist,
    maxBodyBytes: raw.maxBodyBytes,
    terminalApprover: raw.terminalApprover,
    approveHint: raw.approveHint,
    preview: { enabled: raw.preview.enabled, budgetMs: durationMs(raw.preview.budget) },
  };
}
