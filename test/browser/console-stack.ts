/**
 * A whole console for the browser tests: the stack from test/support/stack.ts (sandbox cluster,
 * the sandbox's OpenID provider with the PEOPLE accounts, the gateway from a real config file)
 * with recording and approvals on a fresh Redis prefix, and the web console started from the same
 * config file the way `serve` starts it (cli/serve.ts `startConsoleFor`), serving the bundle in
 * dist/console (built first when missing or older than its sources).
 *
 * Viewers are the groups `sre` (alice, bob) and `platform` (carol); namespace deletes are held
 * for review by `sre`, who may grant a window of up to an hour. mallory is in no group.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { pino } from 'pino';
import { startConsoleFor } from '../../cli/serve.ts';
import type { RunningConsole } from '../../console/server/main.ts';
import { buildConsole, CONSOLE_DIST, consoleBundleStale } from '../../scripts/build-console.ts';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { SessionIndex, type SessionMeta } from '../../src/recording/session-index.ts';
import { freshPrefix } from '../approvals/helpers.ts';
import { writeKeyPair } from '../support/decision-keys.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { type Stack, startStack } from '../support/stack.ts';

export const CONSOLE_POLICY = {
  default: 'deny',
  rules: [
    {
      name: 'agents-read',
      action: 'allow',
      match: { groups: ['ai-agents'], verbs: ['get', 'list', 'watch'] },
    },
    {
      name: 'agents-exec',
      action: 'allow',
      match: { groups: ['ai-agents'], verbs: ['create', 'get'], resources: ['pods/exec'] },
    },
    {
      name: 'namespace-delete',
      action: 'review',
      message: 'Deleting a namespace deletes everything in it.',
      match: { resources: ['namespaces'], verbs: ['delete'] },
      review: { approvers: { groups: ['sre'] }, grant: { window: '1h' } },
    },
  ],
};

export interface ConsoleStack extends Stack {
  /** https://127.0.0.1:<port>: the console's public URL. */
  consoleUrl: string;
  /** The certificate the console serves (PEM), for the browser to pin. */
  consoleCertPem: string;
  issuerUrl: string;
  /** The newest session matching `match`, once the recorder has one (read from Redis, not the console). */
  waitForSession(match: (session: SessionMeta) => boolean, timeoutMs?: number): Promise<string>;
  /** The id of the first pending review, once there is one. */
  waitForPendingReview(timeoutMs?: number): Promise<string>;
}

/** Builds dist/console unless it is up to date: the browser tests serve what `npm run build:console` makes. */
let building: Promise<void> | undefined;
export function ensureConsoleBundle(): Promise<void> {
  building ??= consoleBundleStale() ? buildConsole() : Promise.resolve();
  return building;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The certificate a TLS server presents, as PEM (not verified: it is about to be pinned). */
function servedCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      const base64 = raw.toString('base64').replace(/.{64}/g, '$&\n');
      resolve(`-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`);
    });
    socket.once('error', reject);
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

export async function startConsoleStack(options: { idleGap?: string } = {}): Promise<ConsoleStack> {
  await ensureConsoleBundle();
  const prefix = freshPrefix('console');
  const keys = await mkdtemp(join(tmpdir(), 'hoop-console-keys-'));
  const consoleKey = await writeKeyPair(keys, 'console', 'console');
  const port = await freePort();
  const consoleUrl = `https://127.0.0.1:${port}`;
  const stack = await startStack({
    policy: CONSOLE_POLICY,
    peopleRedirectUris: [`${consoleUrl}/auth/callback`],
    config: {
      approvals: {
        keyPrefix: prefix,
        holdSeconds: 20,
        retryAfterSeconds: 1,
        signing: {
          consolePrivateKey: consoleKey.keyFile,
          trustedKeys: [{ publicKey: consoleKey.pubFile, role: 'console' }],
        },
      },
      recording: { redisUrl: REDIS_URL, idleGap: options.idleGap ?? '2s' },
      console: {
        listen: { host: '127.0.0.1', port },
        publicUrl: consoleUrl,
        viewers: ['sre', 'platform'],
        assets: CONSOLE_DIST,
      },
    },
  });
  const redis = createRequestConnection({ url: REDIS_URL, commandTimeoutMs: 5000 });
  let running: RunningConsole | undefined;
  try {
    await whenReady(redis, 5000);
    const config = await loadConfigFile(join(stack.dir, 'hoop.yaml'));
    // The console's log joins the gateway's, so the after-run secret scan reads both.
    const log = pino({ level: 'info' }, { write: (line: string) => void stack.logLines.push(line) });
    running = await startConsoleFor(config, log);
  } catch (error) {
    await stack.close();
    redis.disconnect();
    throw error;
  }
  const index = new SessionIndex(redis, recordingKeys(`${prefix}:rec`));
  const reviews = new ReviewStore({ connection: redis, prefix: `${prefix}:approvals`, readyTimeoutMs: 3000 });
  const consoleServer = running;

  return {
    ...stack,
    consoleUrl,
    consoleCertPem: await servedCertificate(port),
    issuerUrl: stack.issuer.issuer,
    waitForSession: (match, timeoutMs = 20_000) =>
      until('a recorded session', timeoutMs, async () => {
        const sessions = await index.list({ limit: 100 });
        return sessions.find(match)?.id;
      }),
    waitForPendingReview: (timeoutMs = 20_000) =>
      until('a pending review', timeoutMs, async () => {
        const pending = await reviews.list({ state: 'pending', limit: 10 });
        return pending[0]?.id;
      }),
    close: async () => {
      await consoleServer.close();
      await stack.close();
      await deleteKeys(redis, `${prefix}:*`);
      redis.disconnect();
      await rm(keys, { recursive: true, force: true });
    },
  };
}
