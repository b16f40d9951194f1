import { z } from 'zod';

/**
 * The `teams:` section of `hoop.yaml`: how the approval bot reaches Microsoft Teams (the Bot
 * Framework connector), where cards go, and which Teams users are which approvers. Beside
 * slack.ts, with the same shape where the platforms agree, so a deployment can run either or both.
 *
 * ```yaml
 * teams:
 *   appId: 00000000-0000-0000-0000-000000000000   # the Entra app (client) id = the bot id
 *   appPassword: ${TEAMS_APP_PASSWORD}   # a client secret; or managedIdentity (federated credential)
 *   managedIdentity: system              # or a user-assigned identity's client id
 *   tenantId: 11111111-1111-1111-1111-111111111111   # single-tenant bot: the tenant it lives in
 *   listen: { host: 0.0.0.0, port: 3978 }
 *   path: /api/messages                  # the bot's messaging endpoint path
 *   serviceUrl: https://smba.trafficmanager.net/emea/   # the connector for proactive posts
 *   channel: '19:abc…@thread.tacv2'      # default channel (its conversation id) for cards
 *   clusterChannels: { prod: '19:def…@thread.tacv2' }   # a rule's notify.teams.channel wins
 *   sessionsChannel: '19:ghi…@thread.tacv2'   # optional: no-review session summaries
 *   approvers:
 *     users: { 6f1c…-aad-object-id: alice@example.com }   # Entra object id → approver id
 *     byUpn: true                        # else: the member's UPN (from the connector) is the id
 *     groups: { alice@example.com: [sre] }                # approver id → approver groups
 *   windowMinutes: 15
 *   postIntervalMs: 1000
 * ```
 *
 * `serviceUrl` may be left out: the bot then uses the one Teams sent when the app was installed
 * in the channel's team (captured from the install event). `openIdMetadataUrl` and `tokenIssuer`
 * are Bot Framework's public values by default; tests (and sovereign clouds) set their own.
 */

/** A Teams channel's conversation id, `19:…@thread.tacv2` (or `.skype` for older teams). */
const channel = z
  .string()
  .regex(/^19:[A-Za-z0-9_.@:;=-]{1,300}$/, 'a Teams channel conversation id (19:…@thread.tacv2)');

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const teamsSchema = z
  .strictObject({
    appId: z.string().regex(GUID, 'the Entra application (client) id, a GUID'),
    appPassword: z.string().min(8).optional(),
    managedIdentity: z.string().min(1).optional(),
    tenantId: z.string().min(1).optional(),
    listen: z
      .strictObject({
        host: z.string().default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(3978),
      })
      .default({ host: '0.0.0.0', port: 3978 }),
    path: z.string().startsWith('/').default('/api/messages'),
    serviceUrl: z.url().optional(),
    channel: channel.optional(),
    clusterChannels: z.record(z.string(), channel).default({}),
    sessionsChannel: channel.optional(),
    approvers: z
      .strictObject({
        users: z.record(z.string().regex(GUID, 'an Entra object id (a GUID)'), z.string().min(1)).default({}),
        byUpn: z.boolean().default(false),
        groups: z.record(z.string(), z.array(z.string().min(1))).default({}),
      })
      .default({ users: {}, byUpn: false, groups: {} }),
    windowMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    postIntervalMs: z.number().int().min(100).max(60_000).default(1000),
    /** Where Bot Framework publishes its signing keys' metadata; the JWKS is beside it (`…/keys`). */
    openIdMetadataUrl: z.url().default('https://login.botframework.com/v1/.well-known/openidconfiguration'),
    /** The `iss` of Bot Framework's tokens. */
    tokenIssuer: z.string().min(1).default('https://api.botframework.com'),
  })
  .refine((t) => t.appPassword !== undefined || t.managedIdentity !== undefined, {
    message: 'teams needs appPassword (a client secret) or managedIdentity (a federated credential)',
    path: ['appPassword'],
  });

export type TeamsSection = z.infer<typeof teamsSchema>;

/** The bot's Teams settings, defaults applied; holds a secret, so never log it whole. */
export interface TeamsSettings {
  appId: string;
  appPassword: string | undefined;
  managedIdentity: string | undefined;
  tenantId: string | undefined;
  listen: { host: string; port: number };
  path: string;
  serviceUrl: string | undefined;
  defaultChannel: string | undefined;
  clusterChannels: Record<string, string>;
  sessionsChannel: string | undefined;
  approvers: { users: Record<string, string>; byUpn: boolean; groups: Record<string, string[]> };
  windowSeconds: number;
  postIntervalMs: number;
  openIdMetadataUrl: string;
  tokenIssuer: string;
}

/** The settings for a parsed section; `undefined` when Teams is not configured. */
export function resolveTeams(section: TeamsSection | undefined): TeamsSettings | undefined {
  if (!section) return undefined;
  return {
    appId: section.appId,
    appPassword: section.appPassword,
    managedIdentity: section.managedIdentity,
    tenantId: section.tenantId,
    listen: section.listen,
    path: section.path,
    serviceUrl: section.serviceUrl,
    defaultChannel: section.channel,
    clusterChannels: section.clusterChannels,
    sessionsChannel: section.sessionsChannel,
    approvers: section.approvers,
    windowSeconds: section.windowMinutes * 60,
    postIntervalMs: section.postIntervalMs,
    openIdMetadataUrl: section.openIdMetadataUrl,
    tokenIssuer: section.tokenIssuer,
  };
}
