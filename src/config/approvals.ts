import { resolve } from 'node:path';
import { z } from 'zod';
import type { SignerRole } from '../approvals/signing/decision-keys.ts';
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
 *   approveHint: or click Approve in #platform-approvals   # appended to "how to approve"
 *   signing:                            # Ed25519 keys decisions are signed with (docs/approvals.md)
 *     privateKey: /var/run/secrets/hoop/gateway.key   # this gateway's key: PEM file or PEM text;
 *                                       # default: generated once under <dataDir>/keys (one replica only)
 *     botPrivateKey: ${HOOP_BOT_SIGNING_KEY}          # the Slack bot's key (serve --role bot|all)
 *     consolePrivateKey: ${HOOP_CONSOLE_SIGNING_KEY}  # the web console's key (serve --role console|all)
 *     trustedKeys:                      # public keys whose decisions the gateway accepts
 *       - { publicKey: keys/bot.pub, role: bot }
 *       - { publicKey: keys/break-glass.pub, role: break-glass }
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
  approveHint: z.string().min(1).optional(),
  signing: z
    .strictObject({
      privateKey: z.string().min(1).optional(),
      botPrivateKey: z.string().min(1).optional(),
      consolePrivateKey: z.string().min(1).optional(),
      trustedKeys: z
        .array(
          z.strictObject({
            publicKey: z.string().min(1),
            role: z.enum(['gateway', 'bot', 'break-glass', 'console']),
          }),
        )
        .default([]),
    })
    .default({ trustedKeys: [] }),
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

/**
 * Where the decision keys come from: each a PEM text or an absolute path to a PEM file (paths in
 * the file are resolved against its directory). Loaded by approvals/signing/load-signing.ts.
 */
export interface SigningSettings {
  /** The gateway's private key (approvals API, `autoApprove`); undefined: generated under dataDir. */
  privateKey: string | undefined;
  /** The chat bot's private key; the bot refuses to start without one. */
  botPrivateKey: string | undefined;
  /**
   * The web console's private key; `serve --role console` refuses to start without one, and
   * `--role all` generates one under dataDir when it is absent (one process only).
   */
  consolePrivateKey: string | undefined;
  trustedKeys: Array<{ publicKey: string; role: SignerRole }>;
}

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
  approveHint: string | undefined;
  signing: SigningSettings;
  /** The impact preview: whether it is computed, and within how many milliseconds. */
  preview: { enabled: boolean; budgetMs: number };
}

/** The settings for a parsed section (or its absence), `env` supplying the Redis URL default. */
export function resolveApprovals(
  section: ApprovalsSection | undefined,
  policy: CompiledPolicy,
  env: NodeJS.ProcessEnv,
  configDir = '.',
): ApprovalsSettings {
  const raw = section ?? approvalsSchema.parse({});
  const source = (value: string): string =>
    value.trimStart().startsWith('-----BEGIN') ? value : resolve(configDir, value);
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
    approveHint: raw.approveHint,
    signing: {
      privateKey: raw.signing.privateKey === undefined ? undefined : source(raw.signing.privateKey),
      botPrivateKey: raw.signing.botPrivateKey === undefined ? undefined : source(raw.signing.botPrivateKey),
      consolePrivateKey:
        raw.signing.consolePrivateKey === undefined ? undefined : source(raw.signing.consolePrivateKey),
      trustedKeys: raw.signing.trustedKeys.map((key) => ({
        publicKey: source(key.publicKey),
        role: key.role,
      })),
    },
    preview: { enabled: raw.preview.enabled, budgetMs: durationMs(raw.preview.budget) },
  };
}
