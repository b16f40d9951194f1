import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import type { DecisionKeyring, DecisionSigner } from '../../src/approvals/signing/decision-keys.ts';
import type { PeopleIssuerConfig } from '../../src/authn/people-config.ts';
import type { ApprovalsSettings } from '../../src/config/approvals.ts';
import type { ConsoleSettings } from '../../src/config/console.ts';
import type { RecordingSettings } from '../../src/config/recording.ts';

import {
  createRequestConnection,
  createWorkerConnection,
  type RedisSettings,
} from '../../src/queues/connections.ts';
import { ReviewProducers } from '../../src/queues/review-producers.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { SessionIndex } from '../../src/recording/session-index.ts';
import { LiveViews } from './api/live.ts';
import { ReviewsApi } from './api/reviews.ts';
import { SessionsApi } from './api/sessions.ts';
import { createConsoleOidc } from './auth/oidc.ts';
import { ConsoleSessionStore } from './auth/session-store.ts';
import { type PersonVerifier, SignIn } from './auth/sign-in.ts';
import { createRouter } from './router.ts';
import { createStaticFiles } from './static-files.ts';

/**
 * The web console's server (docs/console.md): its own TLS listener, the sign-in for people, the
 * JSON API over the recorder's Redis index and archive and the approvals store, and the built
 * front end. It never talks to a cluster, and needs only `src/`: the person's token verifier is
 * handed in (`cli/serve.ts` passes the gateway's people authenticator).
 */
export interface ConsoleOptions {
  settings: ConsoleSettings;
  people: PeopleIssuerConfig;
  recording: RecordingSettings;
  approvals: ApprovalsSettings;
  redis: RedisSettings;
  tls: { certPem: string; keyPem: string };
  /** Signs the console's decisions (role `console`). */
  signer: DecisionSigner;
  /** Verifies the decisions it shows. */
  keyring: DecisionKeyring;
  verifier: PersonVerifier;
  logger: Logger;
}

export interface RunningConsole {
  /** `https://host:port` as listening (the public URL may differ behind a proxy). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const { settings, people, recording, approvals, logger } = options;
  const redis = options.redis;
  const approvalsRedis = createRequestConnection({ url: approvals.redisUrl, name: 'hoop-console', redis });
  const recordingRedis = createRequestConnection({
    url: recording.redisUrl,
    name: 'hoop-console-recordings',
    redis,
    // Reading a long session's stream takes longer than an approvals call.
    commandTimeoutMs: 10_000,
  });
  const store = new ReviewStore({
    connection: approvalsRedis,
    prefix: approvals.storePrefix,
    claimAllowlist: approvals.claimAllowlist,
    signer: options.signer,
  });
  const producers = new ReviewProducers({ connection: approvalsRedis, prefix: approvals.queuePrefix });
  const clientId = settings.clientId ?? people.clientId;
  const signIn = new SignIn({
    oidc: createConsoleOidc({
      people,
      clientId,
      clientSecret: settings.clientSecret,
      redirectUri: `${settings.publicUrl}/auth/callback`,
    }),
    store: new ConsoleSessionStore(approvalsRedis, `${approvals.queuePrefix}:console`),
    verifier: options.verifier,
    publicUrl: settings.publicUrl,
    sessionMaxAgeMs: settings.sessionMaxAgeMs,
    logger,
  });
  const keys = recordingKeys(recording.storePrefix, { hashTag: recordingRedis.isCluster });
  const index = new SessionIndex(recordingRedis, keys);
  const sessions = recording.enabled ? new SessionsApi({ index, archiveDir: recording.dir }) : undefined;
  const live = sessions
    ? new LiveViews({
        redis: recordingRedis,
        openReader: () =>
          createWorkerConnection({ url: recording.redisUrl, name: 'hoop-console-live', redis }),
        keys,
        index,
        sessions,
        maxViewers: settings.maxLiveViews,
      })
    : undefined;
  const reviews = approvals.enabled
    ? new ReviewsApi({
        store,
        producers,
        keyring: options.keyring,
        signerKeyId: options.signer.keyId,
        logger,
      })
    : undefined;
  const handler = createRouter({
    signIn,
    sessions,
    live,
    reviews,
    staticFiles: createStaticFiles(settings.assets),
    viewers: settings.viewers,
    publicUrl: settings.publicUrl,
    logger,
  });
  const server: Server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, handler);
  server.headersTimeout = 20_000;
  server.requestTimeout = 0; // live views stay open
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.listen.port, settings.listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = settings.listen.host.includes(':') ? `[${settings.listen.host}]` : settings.listen.host;
  return {
    url: `https://${host}:${port}`,
    port,
    async close() {
      live?.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await producers.close().catch(() => undefined);
      approvalsRedis.disconnect();
      recordingRedis.disconnect();
    },
  };
}
