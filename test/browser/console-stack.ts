/**
 * A whole console for the browser tests: the stack from test/support/stack.ts (sandbox cluster,
 * the sandbox's OpenID provider with the PEOPLE accounts, the gateway from a real config file,
 * and the web console started from the same file the way `serve` starts it) with recording on
 * the stack's fresh Redis prefix, serving the bundle in dist/console (built first when missing or
 * older than its sources).
 *
 * Viewers are the groups `sre` (alice, bob) and `platform` (carol); namespace deletes are held
 * for review by `sre`, who may grant a window of up to an hour. mallory is in no group.
 */

import { connect } from 'node:tls';
import { buildConsole, CONSOLE_DIST, consoleBundleStale } from '../../scripts/build-console.ts';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { SessionIndex, type SessionMeta } from '../../src/recording/session-index.ts';
import { REDIS_URL } from '../support/redis.ts';
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

/**
 * Builds dist/console unless it is up to date: the browser tests serve what `npm run build:console`
 * makes. Under vitest the e2e project's global setup (console-bundle.global.ts) has built it
 * already and this finds it fresh; it matters when the harness is used from a plain script.
 */
let building: Promise<void> | undefined;
export function ensureConsoleBundle(): Promise<void> {
  building ??= consoleBundleStale() ? buildConsole() : Promise.resolve();
  return building;
}

/** The certificate a TLS server presents, as PEM (not verified: it is about to be pinned). */
export function servedCertificate(port: number): Promise<string> {
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
  const stack = await startStack({
    policy: CONSOLE_POLICY,
    console: { assets: CONSOLE_DIST },
    config: { recording: { redisUrl: REDIS_URL, idleGap: options.idleGap ?? '2s' } },
  });
  const running = stack.console;
  const redis = createRequestConnection({ url: REDIS_URL, commandTimeoutMs: 5000 });
  try {
    if (!running) throw new Error('the stack started no console');
    await whenReady(redis, 5000);
    const prefix = running.keyPrefix;
    const index = new SessionIndex(redis, recordingKeys(`${prefix}:rec`));
    const reviews = new ReviewStore({
      connection: redis,
      prefix: `${prefix}:approvals`,
      readyTimeoutMs: 3000,
    });
    return {
      ...stack,
      consoleUrl: running.publicUrl,
      consoleCertPem: await servedCertificate(running.port),
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
        redis.disconnect();
        await stack.close();
      },
    };
  } catch (error) {
    redis.disconnect();
    await stack.close();
    throw error;
  }
}
