import { z } from 'zod';

/**
 * The `slack:` section of `hoop.yaml`: how the approval bot reaches Slack, where cards go, and
 * which Slack users are which approvers. Beside, not inside, schema.ts so the section's defaults
 * and their reasons live in one place (as approvals.ts does for `approvals:`).
 *
 * ```yaml
 * slack:
 *   mode: http                          # or socket (Socket Mode: no public endpoint needed)
 *   botToken: ${SLACK_BOT_TOKEN}        # xoxb-…
 *   signingSecret: ${SLACK_SIGNING_SECRET}   # http mode
 *   appToken: ${SLACK_APP_TOKEN}        # socket mode, xapp-…
 *   listen: { host: 0.0.0.0, port: 3000 }    # http mode
 *   path: /slack/events                 # http mode: Slack's request URL path
 *   channel: C0123ABCDEF                # default channel for cards
 *   clusterChannels: { prod: C0456DEFGHI }   # per cluster; a rule's notify.slack.channel wins
 *   sessionsChannel: '#kube-sessions'   # optional: summaries of recorded sessions without a review
 *   approvers:
 *     users: { U0123ABCD: alice@example.com }   # Slack user id → approver id
 *     byEmail: true                     # else: users.info e-mail is the approver id
 *     groups: { alice@example.com: [sre] }      # approver id → approver groups
 *   viewers: { users: [U0456EFGH], groups: [sre] }  # /hoop pending|sessions|show (default: approvers)
 *   windowMinutes: 15                   # the "Approve for N min" button (capped by the rule)
 *   postIntervalMs: 1000                # at most one post per channel per interval
 * ```
 *
 * Secrets come from the environment through `${NAME}` expansion; they are kept in memory only
 * and never logged.
 */

const channel = z.string().regex(/^(#[a-z0-9._-]{1,80}|[CGD][A-Z0-9]{6,20})$/, 'a channel id (C…) or #name');

export const slackSchema = z
  .strictObject({
    mode: z.enum(['http', 'socket']).default('http'),
    botToken: z.string().startsWith('xoxb-', 'a bot token (xoxb-…)'),
    signingSecret: z.string().min(8).optional(),
    appToken: z.string().startsWith('xapp-', 'an app-level token (xapp-…)').optional(),
    listen: z
      .strictObject({
        host: z.string().default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(3000),
      })
      .default({ host: '0.0.0.0', port: 3000 }),
    path: z.string().startsWith('/').default('/slack/events'),
    channel: channel.optional(),
    clusterChannels: z.record(z.string(), channel).default({}),
    /**
     * Where the summary of every recorded session that had no review is posted (sessions with a
     * review get theirs threaded under their cards instead). Unset: such sessions post nothing.
     */
    sessionsChannel: channel.optional(),
    approvers: z
      .strictObject({
        users: z
          .record(z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id (U…)'), z.string().min(1))
          .default({}),
        byEmail: z.boolean().default(false),
        groups: z.record(z.string(), z.array(z.string().min(1))).default({}),
      })
      .default({ users: {}, byEmail: false, groups: {} }),
    /**
     * Who may use `/hoop pending|sessions|show`: Slack user ids or approver ids, and approver
     * groups. Unset: the configured approvers (`approvers.users` and the ids in `approvers.groups`).
     * Guests and other organisations' users are refused either way.
     */
    viewers: z
      .strictObject({
        users: z.array(z.string().min(1)).default([]),
        groups: z.array(z.string().min(1)).default([]),
      })
      .optional(),
    windowMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    postIntervalMs: z.number().int().min(100).max(60_000).default(1000),
    /** Slack's Web API base URL; tests point it at a stand-in. */
    apiUrl: z.url().default('https://slack.com/api/'),
  })
  .refine((s) => s.mode !== 'http' || s.signingSecret !== undefined, {
    message: 'http mode needs signingSecret (Basic Information → Signing Secret)',
    path: ['signingSecret'],
  })
  .refine((s) => s.mode !== 'socket' || s.appToken !== undefined, {
    message: 'socket mode needs appToken (an app-level token with connections:write)',
    path: ['appToken'],
  });

export type SlackSection = z.infer<typeof slackSchema>;

/** The bot's Slack settings, defaults applied; holds secrets, so never log it whole. */
export interface SlackSettings {
  mode: 'http' | 'socket';
  botToken: string;
  signingSecret: string | undefined;
  appToken: string | undefined;
  listen: { host: string; port: number };
  path: string;
  defaultChannel: string | undefined;
  clusterChannels: Record<string, string>;
  /** Channel for no-review session summaries; `undefined`: they are not posted. */
  sessionsChannel: string | undefined;
  approvers: { users: Record<string, string>; byEmail: boolean; groups: Record<string, string[]> };
  /** Who may read with `/hoop pending|sessions|show`; `undefined`: the configured approvers. */
  viewers: { users: string[]; groups: string[] } | undefined;
  windowSeconds: number;
  postIntervalMs: number;
  apiUrl: string;
}

/** The settings for a parsed section; `undefined` when Slack is not configured. */
export function resolveSlack(section: SlackSection | undefined): SlackSettings | undefined {
  if (!section) return undefined;
  return {
    mode: section.mode,
    botToken: section.botToken,
    signingSecret: section.signingSecret,
    appToken: section.appToken,
    listen: section.listen,
    path: section.path,
    defaultChannel: section.channel,
    clusterChannels: section.clusterChannels,
    sessionsChannel: section.sessionsChannel,
    approvers: section.approvers,
    viewers: section.viewers,
    windowSeconds: section.windowMinutes * 60,
    postIntervalMs: section.postIntervalMs,
    apiUrl: section.apiUrl.endsWith('/') ? section.apiUrl : `${section.apiUrl}/`,
  };
}
