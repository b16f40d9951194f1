import { webApi } from '@slack/bolt';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ReviewStore } from '../src/approvals/review-store.ts';
import type { DecisionSigner } from '../src/approvals/signing/decision-keys.ts';
import type { SlackSettings } from '../src/config/slack.ts';
import type { TeamsSettings } from '../src/config/teams.ts';
import { settledWithin } from '../src/ops/bounded.ts';
import type { Health } from '../src/ops/health.ts';
import { redisProbe } from '../src/ops/redis-probe.ts';
import {
  createRequestConnection,
  createWorkerConnection,
  type RedisSettings,
} from '../src/queues/connections.ts';
import { type NotifyJob, QUEUE_NAMES } from '../src/queues/names.ts';
import { ReviewProducers } from '../src/queues/review-producers.ts';
import { recordingKeys } from '../src/recording/scripts.ts';
import { SessionIndex } from '../src/recording/session-index.ts';
import { replicationFor } from '../src/redis/replication.ts';
import {
  type ApproverDirectory,
  createApproverDirectory,
  perPlatform,
} from './dispatch/approver-directory.ts';
import type { DispatchDeps } from './dispatch/deps.ts';
import { recordedSessions, reviewSessions, whenConnected } from './dispatch/sessions.ts';
import { createViewerPolicy, type ViewerPolicy } from './dispatch/viewers.ts';
import type { ChatPlatform } from './model/interaction.ts';
import { createSlackApp, slackEmailLookup, slackProfiles } from './receivers/slack-app.ts';
import { slackLogger } from './receivers/slack-logger.ts';
import { createTeamsApp } from './receivers/teams-app.ts';
import { type ActivityAuthenticator, botFrameworkAuthenticator } from './receivers/teams-auth.ts';
import { type TeamsMemberLookup, teamsMemberLookup } from './receivers/teams-members.ts';
import { CardLocations } from './workers/card-locations.ts';
import { CardSync } from './workers/card-sync.ts';
import { ChannelPacer } from './workers/channel-pacer.ts';
import type { ChatPoster } from './workers/chat-poster.ts';
import { startNotifyWorker } from './workers/notify.ts';
import { createSlackPoster } from './workers/slack-poster.ts';
import {
  type BotTokenSource,
  createTeamsConnector,
  sdkTokenSource,
  type TeamsConnector,
} from './workers/teams-connector.ts';
import { createTeamsPoster } from './workers/teams-poster.ts';
import { TeamsReferences } from './workers/teams-references.ts';

/**
 * The approval bot, composed: a receiver per configured chat platform (Slack: clicks, modal,
 * `/hoop`; Teams: card actions, `hoop` messages), the notify worker (cards and thread replies on
 * every platform), and the card sync (review events and the sweep). Both receivers hand what
 * people do to the same dispatch layer, so there is one decision path for both. It shares nothing
 * with the gateway but Redis, so it runs in the gateway's process (`serve --role all`) or as its
 * own deployment with any number of replicas (`--role bot`): jobs are consumed once, card updates
 * are deduplicated by job id, and pacing is per channel across replicas.
 */
export interface BotOptions {
  /** The `slack:` section; absent: no Slack receiver or cards. */
  slack?: SlackSettings | undefined;
  /** The `teams:` section; absent: no Teams receiver or cards. At least one of the two is needed. */
  teams?: TeamsSettings | undefined;
  /** Test seams for Teams: the inbound token check and the outbound token (teams-app.ts). */
  teamsAuth?: TeamsAuthOverrides;
  /** Where the approvals engine lives; the same values the gateway uses (config `approvals:`). */
  approvals: {
    redisUrl: string;
    storePrefix: string;
    queuePrefix: string;
    claimAllowlist?: string[] | undefined;
  };
  /**
   * The recorder's session index (config `recording:`), for `/hoop sessions` and `/hoop show`.
   * Without it the bot knows only the sessions that asked for a review.
   */
  recording?: { redisUrl: string; storePrefix: string } | undefined;
  /** ACL user, password and TLS for every Redis connection (config `redis:`). */
  redis?: RedisSettings | undefined;
  /** Signs every chat decision (config `approvals.signing.botPrivateKey`); required. */
  signer: DecisionSigner;
  /** The web console's public URL (config `console.publicUrl`): cards and summaries link to it. */
  consoleUrl?: string | undefined;
  /** The bot's own keys (card locations, pacing). Default `<queuePrefix>:bot`. */
  botPrefix?: string;
  /** Card sync sweep interval. Default 30 s. */
  sweepMs?: number;
  /** Delivery of the notify jobs the bot enqueues itself. Default 8 attempts from 2 s. */
  notify?: { attempts?: number; backoffMs?: number };
  logger?: Logger;
  /** Receives the bot's metrics (Slack API errors, notify queue depth) when given. */
  registry?: Registry;
  /** Receives the bot's readiness check (its Redis answers) when given. */
  health?: Health;
}

export interface RunningBot {
  /** The Slack HTTP receiver's port (HTTP mode). */
  port: number | undefined;
  /** The Teams messaging endpoint's port, when Teams is configured. */
  teamsPort: number | undefined;
  store: ReviewStore;
  sync: CardSync;
  worker: Worker<NotifyJob, string>;
  close(): Promise<void>;
}

export interface TeamsAuthOverrides {
  /** Checks incoming activities; default: Bot Framework JWTs against `teams.openIdMetadataUrl`. */
  authenticator?: ActivityAuthenticator;
  /** The bot's outbound connector token; default: the SDK's TokenManager with the app's secret. */
  token?: BotTokenSource;
}

export async function startBot(options: BotOptions): Promise<RunningBot> {
  const { slack, teams, approvals, logger } = options;
  if (!slack && !teams) throw new Error('the bot needs a slack: or a teams: section (or both)');
  const botPrefix = options.botPrefix ?? `${approvals.queuePrefix}:bot`;
  const redis = options.redis;
  const requests = createRequestConnection({ url: approvals.redisUrl, name: 'hoop-bot', redis });
  const workers = createWorkerConnection({ url: approvals.redisUrl, name: 'hoop-bot-worker', redis });
  const store = new ReviewStore({
    connection: requests,
    prefix: approvals.storePrefix,
    claimAllowlist: approvals.claimAllowlist,
    signer: options.signer,
    replication: replicationFor(redis),
  });
  const producers = new ReviewProducers({ connection: requests, prefix: approvals.queuePrefix });
  const locations = new CardLocations(workers, botPrefix);
  // Both platforms share the window the buttons offer and the pacing interval; Slack's wins.
  const windowSeconds = (slack ?? teams)!.windowSeconds;
  const postIntervalMs = (slack ?? teams)!.postIntervalMs;

  const posters: ChatPoster[] = [];
  const directories: Partial<Record<ChatPlatform, ApproverDirectory>> = {};
  const viewers: Partial<Record<ChatPlatform, ViewerPolicy>> = {};
  let slackLookupClient: webApi.WebClient | undefined;
  if (slack) {
    const sdkLogger = slackLogger(logger);
    // The worker's client neither retries nor waits out a 429 itself: the queue does (notify.ts).
    const postingClient = new webApi.WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 10_000,
      logger: sdkLogger,
    });
    slackLookupClient = new webApi.WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 1 },
      timeout: 5_000,
      logger: sdkLogger,
    });
    const slackErrors = options.registry
      ? new Counter({
          name: 'hoop_slack_api_errors_total',
          help: 'Slack API calls that failed, by kind (rate_limited, rejected, other)',
          labelNames: ['kind'],
          registers: [options.registry],
        })
      : undefined;
    posters.push(createSlackPoster(postingClient, slack, (kind) => slackErrors?.labels(kind).inc()));
    directories.slack = createApproverDirectory({
      ...slack.approvers,
      lookupEmail: slackEmailLookup(slackLookupClient),
      configPath: 'slack.approvers',
    });
    const profiles = slackProfiles(slackLookupClient);
    viewers.slack = createViewerPolicy({
      viewers: slack.viewers,
      approvers: slack.approvers,
      directory: directories.slack,
      member: async (id) => (await profiles.lookup(id)).refused,
      configPath: 'slack.viewers',
    });
  }
  let teamsParts:
    | { connector: TeamsConnector; references: TeamsReferences; members: TeamsMemberLookup }
    | undefined;
  if (teams) {
    const connector = createTeamsConnector(options.teamsAuth?.token ?? sdkTokenSource(teams));
    const references = new TeamsReferences(requests, botPrefix);
    const members = teamsMemberLookup(connector);
    teamsParts = { connector, references, members };
    posters.push(createTeamsPoster(connector, teams, references));
    directories.teams = createApproverDirectory({
      users: teams.approvers.users,
      groups: teams.approvers.groups,
      byEmail: teams.approvers.byUpn,
      lookupEmail: (id) => members.upnOf(id),
      configPath: 'teams.approvers',
      lookupFlag: 'byUpn',
      lookupHint:
        'make sure the account has a UPN the bot can read (it must share a team or chat with the bot)',
    });
  }
  const probe = redisProbe('bot', requests);
  options.health?.checks.push({ name: 'redis-bot', ok: () => probe.up() });
  if (options.registry) {
    new Gauge({
      name: 'hoop_bot_notify_queue_jobs',
      help: 'Jobs in the approval notification queue as the bot sees them, by BullMQ state',
      labelNames: ['state'],
      registers: [options.registry],
      async collect() {
        this.reset();
        const counts = await producers
          .queue(QUEUE_NAMES.notify)
          .getJobCounts()
          .catch(() => ({}) as Record<string, number>);
        for (const [state, value] of Object.entries(counts)) this.set({ state }, value);
      },
    });
  }
  const sync = new CardSync({
    store,
    queues: producers,
    locations,
    posters,
    ...(options.sweepMs ? { sweepMs: options.sweepMs } : {}),
    ...(options.notify?.attempts ? { attempts: options.notify.attempts } : {}),
    ...(options.notify?.backoffMs ? { backoffMs: options.notify.backoffMs } : {}),
    logger,
  });
  // The recorder may keep its index on another Redis than the approvals; share the connection if not.
  const sessionsConnection =
    options.recording && options.recording.redisUrl !== approvals.redisUrl
      ? createRequestConnection({ url: options.recording.redisUrl, name: 'hoop-bot-sessions', redis })
      : undefined;
  const deps: DispatchDeps = {
    store,
    approvers: perPlatform(directories),
    viewers,
    sessions: options.recording
      ? whenConnected(
          recordedSessions(
            new SessionIndex(
              sessionsConnection ?? requests,
              recordingKeys(options.recording.storePrefix, { hashTag: requests.isCluster }),
            ),
            store,
          ),
          sessionsConnection ?? requests,
        )
      : reviewSessions(store),
    windowSeconds,
    consoleUrl: options.consoleUrl,
    logger,
    signerKeyId: options.signer.keyId,
    onCounted: (review) => sync.counted(review),
  };
  const worker = startNotifyWorker({
    connection: workers,
    store,
    posters,
    locations,
    pacer: new ChannelPacer({ redis: workers, prefix: botPrefix, intervalMs: postIntervalMs }),
    windowSeconds,
    consoleUrl: options.consoleUrl,
    prefix: approvals.queuePrefix,
    logger,
  });
  const slackHandle = slack
    ? createSlackApp(slack, deps, logger, { redis: requests, prefix: botPrefix })
    : undefined;
  const teamsHandle =
    teams && teamsParts
      ? createTeamsApp({
          settings: teams,
          deps,
          authenticator:
            options.teamsAuth?.authenticator ??
            botFrameworkAuthenticator({
              appId: teams.appId,
              tenantId: teams.tenantId,
              openIdMetadataUrl: teams.openIdMetadataUrl,
              tokenIssuer: teams.tokenIssuer,
            }),
          ...teamsParts,
          logger,
        })
      : undefined;
  const syncing = startSync(sync, logger);
  let port: number | undefined;
  if (slackHandle && slack) {
    port = (await slackHandle.start()).port;
    logger?.info(
      { mode: slack.mode, port, path: slack.mode === 'http' ? slack.path : undefined },
      'slack bot started',
    );
  }
  let teamsPort: number | undefined;
  if (teamsHandle && teams) {
    teamsPort = (await teamsHandle.start()).port;
    logger?.info({ port: teamsPort, path: teams.path }, 'teams bot started');
  }

  return {
    port,
    teamsPort,
    store,
    sync,
    worker,
    close: async () => {
      syncing.cancel();
      sync.stop();
      // Every close is bounded: with Redis down, BullMQ's and ioredis' closes wait forever.
      await settledWithin(Promise.allSettled([slackHandle?.stop(), teamsHandle?.stop()]), 2000);
      await settledWithin(Promise.allSettled([worker.close(), producers.close(), store.close()]), 2000);
      requests.disconnect();
      sessionsConnection?.disconnect();
      workers.disconnect();
    },
  };
}

/** Subscribes the card sync, retrying every 5 s while Redis is unreachable (the bot still starts). */
function startSync(sync: CardSync, logger: Logger | undefined): { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const attempt = (): void => {
    sync.start().catch((error: unknown) => {
      if (cancelled) return;
      logger?.warn({ err: (error as Error).message }, 'card sync cannot subscribe yet; retrying in 5 s');
      timer = setTimeout(attempt, 5_000).unref();
    });
  };
  attempt();
  return {
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}
