import { randomBytes } from 'node:crypto';
import { type RunningBot, startBot } from '../../bot/main.ts';
import type { Review } from '../../src/approvals/review.types.ts';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import type { OpenReviewInput } from '../../src/approvals/review-store.types.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { resolveSlack, slackSchema } from '../../src/config/slack.ts';
import { resolveTeams, type TeamsSettings, teamsSchema } from '../../src/config/teams.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { ReviewProducers } from '../../src/queues/review-producers.ts';
import { fp, freshPrefix, openInput } from '../approvals/helpers.ts';
import { testSigner } from '../support/decision-keys.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';
import {
  CONNECTOR_TOKEN,
  type ConnectorStandIn,
  startConnectorStandIn,
} from '../support/teams-connector-stand-in.ts';
import { startTeamsSigner, type TeamsSigner } from '../support/teams-signer.ts';
import { SIGNING_SECRET, CHANNEL as SLACK_CHANNEL } from './harness.ts';

/**
 * One Teams bot under test: the real receiver on a loopback port with the SDK's Bot Framework
 * token check pointed at a local signer, the real notify worker and card sync on a fresh Redis
 * prefix, and the connector stand-in as every conversation's `serviceUrl`. Optionally Slack too,
 * with its stand-in, to test both platforms on one review.
 *
 * Teams users (Entra object ids): BOB (approver `bob`), ALICE (`alice`, the requester's owner),
 * CAROL (approver by UPN `carol@example.com`, group sre), MALLORY (not mapped).
 */
export const APP_ID = '0b0b0b0b-1111-2222-3333-444444444444';
export const TEAMS_CHANNEL = '19:approvals0123@thread.tacv2';
export const USERS = {
  bob: '00000000-0000-0000-0000-0000000000b0',
  alice: '00000000-0000-0000-0000-0000000000a1',
  carol: '00000000-0000-0000-0000-0000000000c0',
  mallory: '00000000-0000-0000-0000-0000000000e0',
} as const;

export interface TeamsHarness {
  connector: ConnectorStandIn;
  signer: TeamsSigner;
  slack: SlackStandIn | undefined;
  bot: RunningBot;
  settings: TeamsSettings;
  store: ReviewStore;
  redis: RedisConnection;
  /** `http://127.0.0.1:<port>/api/messages`. */
  endpoint: string;
  open(overrides?: Partial<OpenReviewInput>): Promise<Review>;
  /** POSTs an activity as Bot Framework does: signed, unless `auth` says otherwise. */
  post(
    activity: Record<string, unknown>,
    auth?: 'signed' | 'none' | 'forged' | 'other-bot',
  ): Promise<Response>;
  close(): Promise<void>;
}

export async function startTeamsHarness(
  options: { withSlack?: boolean; postIntervalMs?: number; configuredServiceUrl?: boolean } = {},
): Promise<TeamsHarness> {
  const connector = await startConnectorStandIn();
  connector.members.set(USERS.carol, { userPrincipalName: 'carol@example.com', name: 'Carol' });
  const signer = await startTeamsSigner();
  const slack = options.withSlack ? await startSlackStandIn() : undefined;
  const base = freshPrefix('teams');
  const approvals = { redisUrl: REDIS_URL, storePrefix: `${base}:approvals`, queuePrefix: base };
  const settings = teamsSettings(connector, signer, {
    postIntervalMs: options.postIntervalMs ?? 100,
    ...(options.configuredServiceUrl === false ? { serviceUrl: undefined } : {}),
  });
  const bot = await startBot({
    teams: settings,
    signer: testSigner('bot'),
    ...(slack
      ? {
          slack: resolveSlack(
            slackSchema.parse({
              botToken: 'xoxb-test-token',
              signingSecret: SIGNING_SECRET,
              listen: { host: '127.0.0.1', port: 0 },
              channel: SLACK_CHANNEL,
              apiUrl: slack.apiUrl,
              approvers: { users: { U0BOB: 'bob' } },
              postIntervalMs: 100,
            }),
          ),
        }
      : {}),
    teamsAuth: { token: async () => CONNECTOR_TOKEN },
    approvals,
    sweepMs: 60_000,
    notify: { backoffMs: 200 },
  });
  const redis = createRequestConnection({ url: REDIS_URL });
  const store = new ReviewStore({ connection: redis, prefix: approvals.storePrefix });
  const producers = new ReviewProducers({ connection: redis, prefix: base, notify: { backoffMs: 200 } });
  const endpoint = `http://127.0.0.1:${bot.teamsPort}/api/messages`;
  return {
    connector,
    signer,
    slack,
    bot,
    settings,
    store,
    redis,
    endpoint,
    async open(input = {}) {
      const { review } = await store.findOrCreate(
        openInput({ fingerprint: fp(randomBytes(6).toString('hex')), ...input }),
      );
      await producers.ensureQueued(review);
      return review;
    },
    async post(activity, auth = 'signed') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (auth !== 'none') {
        const token = await signer.sign({
          appId: auth === 'other-bot' ? '99999999-9999-9999-9999-999999999999' : APP_ID,
          serviceUrl: connector.serviceUrl,
          forged: auth === 'forged',
        });
        headers['authorization'] = `Bearer ${token}`;
      }
      return fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(activity) });
    },
    async close() {
      await bot.close();
      await producers.close();
      await store.close();
      await connector.close();
      await signer.close();
      await slack?.close();
      await whenReady(redis, 5000);
      await deleteKeys(redis, `${base}:*`);
      redis.disconnect();
    },
  };
}

/** The `teams:` settings for a bot talking to these stand-ins. */
export function teamsSettings(
  connector: ConnectorStandIn,
  signer: TeamsSigner,
  overrides: Record<string, unknown> = {},
): TeamsSettings {
  return resolveTeams(teamsSection(connector, signer, overrides))!;
}

/** The same, as the YAML section a config file would hold. */
export function teamsSection(
  connector: ConnectorStandIn,
  signer: TeamsSigner,
  overrides: Record<string, unknown> = {},
) {
  return teamsSchema.parse({
    appId: APP_ID,
    appPassword: 'not-used-by-the-stand-in',
    listen: { host: '127.0.0.1', port: 0 },
    serviceUrl: connector.serviceUrl,
    channel: TEAMS_CHANNEL,
    openIdMetadataUrl: signer.openIdMetadataUrl,
    tokenIssuer: signer.issuer,
    approvers: {
      users: { [USERS.bob]: 'bob', [USERS.alice]: 'alice' },
      byUpn: true,
      groups: { 'carol@example.com': ['sre'] },
    },
    ...overrides,
  });
}

/** An `adaptiveCard/action` invoke, as Teams sends it when `user` clicks a card button. */
export function invokeActivity(
  serviceUrl: string,
  user: string,
  verb: string,
  data: Record<string, unknown>,
): Record<string, unknown> {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: `f:${randomBytes(4).toString('hex')}`,
    channelId: 'msteams',
    serviceUrl,
    from: { id: `29:${user}`, aadObjectId: user, name: user },
    recipient: { id: `28:${APP_ID}`, name: 'hoop' },
    conversation: { id: `${TEAMS_CHANNEL};messageid=1`, conversationType: 'channel' },
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
}

/** A message to the bot (`hoop …`), in the channel with an @mention unless `personal`. */
export function messageActivity(
  serviceUrl: string,
  user: string,
  text: string,
  personal = false,
): Record<string, unknown> {
  return {
    type: 'message',
    id: `${Date.now()}${randomBytes(2).toString('hex')}`,
    channelId: 'msteams',
    serviceUrl,
    from: { id: `29:${user}`, aadObjectId: user, name: user },
    recipient: { id: `28:${APP_ID}`, name: 'hoop' },
    conversation: personal
      ? { id: `a:personal-${user}`, conversationType: 'personal' }
      : { id: TEAMS_CHANNEL, conversationType: 'channel' },
    text: personal ? text : `<at>hoop</at> ${text}`,
  };
}
