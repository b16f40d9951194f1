import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type Receiver, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { SlackSettings } from '../../src/config/slack.ts';
import type { RedisConnection } from '../../src/queues/connections.ts';
import type { ProfileLookup } from '../dispatch/approver-directory.ts';
import type { DispatchDeps } from '../dispatch/deps.ts';
import { registerCommand } from './slack-command.ts';
import { registerInteractions } from './slack-interactions.ts';
import { slackLogger } from './slack-logger.ts';
import { guardSlackRequests } from './slack-request-guard.ts';

/**
 * The bolt App with the receiver the configuration asks for:
 *
 * - **HTTP** (`HTTPReceiver`): Slack POSTs interactions and commands to `settings.path`; bolt
 *   verifies the `v0=` HMAC signature and refuses a timestamp older than 5 minutes with 401
 *   before any handler runs, and sends the ack as the HTTP response. In front of it,
 *   slack-request-guard.ts refuses timestamps more than 5 minutes ahead and replayed signatures. `GET /healthz` answers 200.
 * - **Socket Mode** (`SocketModeReceiver`): the bot opens a WebSocket to Slack with the app-level
 *   token (`apps.connections.open`); no public endpoint, no signing secret.
 *
 * Authorization is our own function rather than bolt's token option: bolt would call `auth.test`
 * once at construction and cache a failure for ever, so a bot started during a Slack outage could
 * never answer a click. Here `auth.test` is retried in the background until it succeeds; until
 * then events are handled with the token alone.
 */
export interface SlackAppHandle {
  app: App;
  client: webApi.WebClient;
  /** Starts listening (HTTP) or connecting (socket); resolves to the HTTP port, if any. */
  start(): Promise<{ port?: number }>;
  stop(): Promise<void>;
}

export function createSlackApp(
  settings: SlackSettings,
  deps: DispatchDeps,
  logger?: Logger,
  replay?: { redis: RedisConnection; prefix: string },
): SlackAppHandle {
  const sdkLogger = slackLogger(logger);
  const clientOptions = { slackApiUrl: settings.apiUrl, retryConfig: { retries: 2 }, timeout: 10_000 };
  let receiver: Receiver;
  if (settings.mode === 'socket') {
    receiver = new SocketModeReceiver({
      appToken: settings.appToken ?? '',
      logger: sdkLogger,
      installerOptions: { clientOptions: { slackApiUrl: settings.apiUrl } },
    });
  } else {
    receiver = new HTTPReceiver({
      signingSecret: settings.signingSecret ?? '',
      endpoints: [settings.path],
      logger: sdkLogger,
      customRoutes: [
        {
          path: '/healthz',
          method: ['GET'],
          handler: (_req, res) => {
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.end('ok');
          },
        },
      ],
    });
    if (replay) {
      guardSlackRequests(receiver as HTTPReceiver, {
        signingSecret: settings.signingSecret ?? '',
        path: settings.path,
        ...replay,
        logger,
      });
    }
  }
  const client = new webApi.WebClient(settings.botToken, { ...clientOptions, logger: sdkLogger });
  let identity: { botId?: string; botUserId?: string } = {};
  const app = new App({
    receiver,
    logger: sdkLogger,
    clientOptions,
    authorize: async () => ({ botToken: settings.botToken, ...identity }),
  });
  app.error(async (error) => {
    logger?.error({ err: error.message, code: error.code }, 'slack handler failed');
  });
  registerInteractions(app, deps, logger);
  registerCommand(app, deps, logger);

  let retry: NodeJS.Timeout | undefined;
  const whoAmI = async (): Promise<void> => {
    try {
      const result = await client.auth.test();
      identity = {
        ...(typeof result.bot_id === 'string' ? { botId: result.bot_id } : {}),
        ...(typeof result.user_id === 'string' ? { botUserId: result.user_id } : {}),
      };
      logger?.info({ team: result.team, botUserId: result.user_id }, 'slack bot authenticated');
    } catch (error) {
      logger?.warn({ err: (error as Error).message }, 'slack auth.test failed; retrying in 30 s');
      retry = setTimeout(() => void whoAmI(), 30_000).unref();
    }
  };

  return {
    app,
    client,
    async start() {
      void whoAmI();
      if (receiver instanceof HTTPReceiver) {
        const server = await receiver.start({ port: settings.listen.port, host: settings.listen.host });
        return { port: (server.address() as AddressInfo).port };
      }
      await app.start();
      return {};
    },
    async stop() {
      clearTimeout(retry);
      await app.stop().catch(() => undefined);
    },
  };
}

/** The profile e-mail of a Slack user (`users.info`, scope `users:read.email`). */
/**
 * Why a Slack profile must not be trusted as one of this workspace's people (deactivated, a
 * guest, a member of another organisation through a shared channel), or `undefined` when it may.
 * The workspace is the bot's own, from auth.test: asked once needed, and again after a failure;
 * without it the answer is a refusal rather than trust in a profile of unknown origin.
 */
export function slackProfiles(client: webApi.WebClient): {
  lookup(userId: string): Promise<{ email: string | undefined; refused?: string }>;
} {
  let team: Promise<string | undefined> | undefined;
  const teamId = async (): Promise<string | undefined> => {
    team ??= client.auth.test().then(
      (result) => (typeof result.team_id === 'string' && result.team_id !== '' ? result.team_id : undefined),
      () => undefined,
    );
    const id = await team;
    if (!id) team = undefined;
    return id;
  };
  return {
    async lookup(userId) {
      const result = await client.users.info({ user: userId });
      const user = result.user;
      const raw = user?.profile?.email;
      const email = typeof raw === 'string' && raw !== '' ? raw : undefined;
      const account = `Your Slack account ${userId}`;
      if (user?.deleted) return { email, refused: `${account} is deactivated.` };
      if (user?.is_restricted || user?.is_ultra_restricted) {
        return { email, refused: `${account} is a guest in this workspace, and guests cannot do this.` };
      }
      const home = await teamId();
      if (!home) {
        return {
          email,
          refused: `${account} could not be checked against this workspace (Slack did not answer); try again shortly.`,
        };
      }
      if (user?.is_stranger || user?.team_id !== home) {
        return {
          email,
          refused: `${account} belongs to another organisation (a shared channel); only members of this workspace can do this.`,
        };
      }
      return { email };
    },
  };
}

/**
 * The approver identity of a Slack user by profile e-mail, for `approvers.byEmail`: only a full,
 * active member of this workspace is trusted (see {@link slackProfiles}).
 */
export function slackEmailLookup(client: webApi.WebClient): (userId: string) => Promise<ProfileLookup> {
  const profiles = slackProfiles(client);
  return async (userId) => {
    const found = await profiles.lookup(userId);
    if (!found.email) return undefined;
    if (found.refused) return { refused: `${found.refused} It cannot approve.` };
    return found.email;
  };
}
