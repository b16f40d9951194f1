import { z } from 'zod';

/**
 * The approvals engine's view of a policy `review` rule: who may approve, how many must, how long
 * the request may wait, and what an approval grants.
 *
 * The policy module owns the YAML shape; the gateway maps a matched policy rule onto this type
 * (parse it with {@link parseReviewRule} to get the defaults), so the approvals engine never
 * depends on the policy engine and vice versa.
 */

/** What an approval grants. */
export type GrantRule =
  /** One matching request (same fingerprint) may proceed, exactly once. */
  | { kind: 'once' }
  /**
   * The approver may choose a window of up to `maxSeconds`; during it every request of the same
   * identity that this rule sends to review on the same cluster proceeds. Choosing no window
   * still grants `once`.
   */
  | { kind: 'window'; maxSeconds: number };

export interface ReviewRule {
  /** The policy rule's name; shown to approvers and part of a window grant's scope. */
  name: string;
  /** Why the rule asks for review, shown to approvers and to the agent. */
  message: string;
  /**
   * Who may approve: a user id (compared case-insensitively, as chat ids and e-mail addresses
   * are) or membership of a group (compared exactly). Empty lists mean nobody can approve.
   */
  approvers: { users: string[]; groups: string[] };
  /** Distinct approvals needed before the request proceeds. Default 1. */
  minApprovals: number;
  /** How long a review stays pending before it expires. Default 900 (15 minutes). */
  timeoutSeconds: number;
  /** Whether the requester (or its owner) may approve its own request. Default false. */
  allowSelfApproval: boolean;
  /** Default `{ kind: 'once' }`. */
  grant: GrantRule;
  /**
   * Where chat cards for this rule go, overriding the cluster's and the default channel
   * (bot/workers/notify.ts). Absent: the bot decides.
   */
  notify?: { slack?: { channel: string }; teams?: { channel: string } };
}

const grantRuleSchema = z.union([
  z.object({ kind: z.literal('once') }),
  z.object({ kind: z.literal('window'), maxSeconds: z.number().int().positive() }),
]);

/**
 * Validates a rule and fills in the defaults (minApprovals 1, 15 minutes, no self-approval,
 * grant once). Exported for the code that maps a policy rule onto a {@link ReviewRule}.
 */
export const reviewRuleSchema = z.object({
  name: z.string().min(1),
  message: z.string().default(''),
  approvers: z
    .object({
      users: z.array(z.string().min(1)).default([]),
      groups: z.array(z.string().min(1)).default([]),
    })
    .default({ users: [], groups: [] }),
  minApprovals: z.number().int().min(1).default(1),
  timeoutSeconds: z.number().int().positive().default(900),
  allowSelfApproval: z.boolean().default(false),
  grant: grantRuleSchema.default({ kind: 'once' }),
  notify: z
    .object({
      slack: z.object({ channel: z.string().min(1) }).optional(),
      teams: z.object({ channel: z.string().min(1) }).optional(),
    })
    .optional(),
});

/** The input accepted by {@link parseReviewRule}: every field but `name` may be left out. */
export type ReviewRuleInput = z.input<typeof reviewRuleSchema>;

/** Parses and defaults a rule; throws a `ZodError` naming the bad field. */
export function parseReviewRule(input: ReviewRuleInput): ReviewRule {
  return reviewRuleSchema.parse(input);
}

/** The largest window an approver may choose under `rule`, or 0 when it grants `once` only. */
export function maxWindowSeconds(rule: ReviewRule): number {
  return rule.grant.kind === 'window' ? rule.grant.maxSeconds : 0;
}
