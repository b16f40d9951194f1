import { z } from 'zod';

/**
 * The policy document's shape (zod 4). This file checks structure only: types, required fields,
 * unknown keys (every object is strict, so a typo such as `verb:` is an error rather than a
 * silently ignored matcher). Meaning (known verbs, resource syntax, unique names, combinations)
 * is checked in compile-rule.ts, where the error can say what the value should have been.
 */

const patternList = (what: string) =>
  z
    .array(z.string({ error: `must be a string (${what})` }), { error: `must be a list of ${what}` })
    .min(1, `list at least one ${what.replace(/s$/, '')}, or leave the field out to match any`);

const duration = z
  .string({ error: 'must be a duration such as 90s, 15m or 1h' })
  .regex(/^[1-9]\d*(s|m|h)$/, 'must be a duration such as 90s, 15m or 1h');

export const matchSchema = z.strictObject(
  {
    subjects: patternList('subject globs').optional(),
    groups: patternList('group globs').optional(),
    clusters: patternList('cluster globs').optional(),
    verbs: patternList('verbs').optional(),
    apiGroups: patternList('API group globs').optional(),
    resources: patternList('resources').optional(),
    namespaces: patternList('namespace globs').optional(),
    names: patternList('name globs').optional(),
    nonResourceURLs: patternList('URL path globs').optional(),
    /** Token claims (dotted paths) to globs: every listed claim must match; a list means any of. */
    claims: z
      .record(
        z.string(),
        z.union([z.string(), patternList('claim value globs')], {
          error: 'must be a glob or a list of globs (e.g. refs/heads/main or [prod, staging])',
        }),
        { error: 'must be a mapping of claim names to globs, e.g. { repository: org/app }' },
      )
      .optional(),
  },
  { error: 'must be a mapping of matchers (subjects, groups, clusters, verbs, resources, …)' },
);

export const reviewSchema = z.strictObject(
  {
    approvers: z
      .strictObject(
        {
          users: z.array(z.string().min(1), { error: 'must be a list of user ids' }).optional(),
          groups: z.array(z.string().min(1), { error: 'must be a list of group names' }).optional(),
        },
        { error: 'must be a mapping with users: and groups:' },
      )
      .optional(),
    minApprovals: z.int({ error: 'must be a whole number' }).min(1, 'must be at least 1').optional(),
    timeout: duration.optional(),
    allowSelfApproval: z.boolean({ error: 'must be true or false' }).optional(),
    grant: z
      .union([z.literal('once'), z.strictObject({ window: duration })], {
        error:
          'must be "once" or a mapping { window: <duration> } (the longest window an approver may grant)',
      })
      .optional(),
    autoApprove: z
      .strictObject(
        {
          groups: z
            .array(z.string().min(1), { error: 'must be a list of group names' })
            .min(1, 'list at least one group, or leave groups out')
            .optional(),
          /** Plural resource → the most objects of it the call may delete (impact preview). */
          deleteAtMost: z
            .record(
              z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be a plural resource name such as pods'),
              z.int({ error: 'must be a whole number' }).min(0, 'must be 0 or more'),
              { error: 'must be a mapping of plural resource to a count, such as { pods: 0 }' },
            )
            .refine((map) => Object.keys(map).length > 0, 'list at least one resource, such as { pods: 0 }')
            .optional(),
        },
        {
          error:
            'must be a mapping with groups: (callers in them pass without a person) and/or deleteAtMost: (deletes this small pass without a person)',
        },
      )
      .refine((auto) => auto.groups !== undefined || auto.deleteAtMost !== undefined, {
        message: 'set groups:, deleteAtMost:, or both, or leave autoApprove out',
      })
      .optional(),
    escalate: z
      .strictObject(
        {
          whenAffectedMoreThan: z.int({ error: 'must be a whole number' }).min(0, 'must be 0 or more'),
          required: z.int({ error: 'must be a whole number' }).min(2, 'must be at least 2'),
        },
        { error: 'must be a mapping with whenAffectedMoreThan: and required:' },
      )
      .optional(),
    notify: z
      .strictObject(
        {
          slack: z
            .strictObject(
              {
                channel: z
                  .string({ error: 'must be a Slack channel id or #name' })
                  .min(1, 'must not be empty'),
              },
              { error: 'must be a mapping with channel:' },
            )
            .optional(),
          teams: z
            .strictObject(
              {
                channel: z
                  .string({ error: 'must be a Teams channel conversation id (19:…@thread.tacv2)' })
                  .min(1, 'must not be empty'),
              },
              { error: 'must be a mapping with channel:' },
            )
            .optional(),
        },
        { error: 'must be a mapping with slack: { channel: … } and/or teams: { channel: … }' },
      )
      .optional(),
  },
  { error: 'must be a mapping of review settings' },
);

export const ruleSchema = z.strictObject(
  {
    name: z
      .string({
        error: (iss) =>
          iss.input === undefined ? 'is required: a unique name for the rule' : 'must be a string',
      })
      .min(1, 'must not be empty'),
    action: z.enum(['allow', 'deny', 'review'], {
      error: (iss) =>
        iss.input === undefined ? 'is required: allow, deny or review' : 'must be allow, deny or review',
    }),
    message: z.string({ error: 'must be a string' }).optional(),
    match: matchSchema.optional(),
    review: reviewSchema.optional(),
    /** Let exec/attach over SPDY (kubectl < 1.30) through unrecorded when this rule allows them. */
    allowUnrecordedStreams: z.boolean({ error: 'must be true or false' }).optional(),
  },
  { error: 'must be a mapping with name:, action: and match:' },
);

export const policySchema = z.strictObject(
  {
    default: z
      .enum(['allow', 'deny'], {
        error:
          'must be allow or deny (for review by default, add a last rule with action: review and no match)',
      })
      .default('deny'),
    builtinDiscovery: z.boolean({ error: 'must be true or false' }).default(true),
    rules: z.array(ruleSchema, { error: 'must be a list of rules' }).default([]),
    /** Let every allowed exec/attach over SPDY (kubectl < 1.30) through unrecorded. */
    allowUnrecordedStreams: z.boolean({ error: 'must be true or false' }).default(false),
  },
  { error: 'the policy must be a mapping with default:, builtinDiscovery: and rules:' },
);

export type PolicyDocument = z.infer<typeof policySchema>;
export type RuleDocument = z.infer<typeof ruleSchema>;
export type MatchDocument = z.infer<typeof matchSchema>;

/** The fields each object accepts, for "unknown field" messages (keyed by path with [] for indices). */
export const KNOWN_FIELDS: Record<string, readonly string[]> = {
  '': Object.keys(policySchema.shape),
  'rules[]': Object.keys(ruleSchema.shape),
  'rules[].match': Object.keys(matchSchema.shape),
  'rules[].review': Object.keys(reviewSchema.shape),
  'rules[].review.approvers': ['users', 'groups'],
  'rules[].review.grant': ['window'],
  'rules[].review.autoApprove': ['groups', 'deleteAtMost'],
  'rules[].review.escalate': ['whenAffectedMoreThan', 'required'],
  'rules[].review.notify': ['slack', 'teams'],
  'rules[].review.notify.slack': ['channel'],
  'rules[].review.notify.teams': ['channel'],
};
