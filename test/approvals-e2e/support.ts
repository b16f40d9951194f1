import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Review } from '../../src/approvals/review.types.ts';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { renderKubeconfig } from '../../src/kubeconfig/render.ts';
import {
  createRequestConnection,
  type RedisConnection,
  type RedisSettings,
  redisUrlFromEnv,
} from '../../src/queues/connections.ts';
import { freshPrefix } from '../approvals/helpers.ts';
import { deleteKeys } from '../support/redis.ts';
import { type Stack, startStack } from '../support/stack.ts';

/**
 * A whole gateway with approvals on, for the end-to-end tests of issue 3: the stack from
 * test/support/stack.ts (sandbox, real OpenID provider, gateway from a real config file) with an
 * `approvals:` section on a fresh Redis key prefix, and a review store of its own on the same
 * prefix for the test to look at and decide with. Cleanup deletes every key the test wrote.
 */
export const APPROVER = 'approver-1';
export const NAMESPACE_PATH = '/api/v1/namespaces/scratch';

/** Agents read everything; deleting a namespace or a configmap, or exec in payments, needs APPROVER. */
export function reviewPolicy(review: Record<string, unknown> = {}): Record<string, unknown> {
  const settings = { approvers: { users: [APPROVER] }, ...review };
  return {
    default: 'deny',
    rules: [
      { name: 'agents-read', action: 'allow', match: { verbs: ['get', 'list', 'watch'] } },
      {
        name: 'namespace-delete',
        action: 'review',
        message: 'Deleting a namespace deletes everything in it.',
        match: { resources: ['namespaces'], verbs: ['delete'] },
        review: settings,
      },
      {
        name: 'payments-exec',
        action: 'review',
        match: { resources: ['pods/exec'], namespaces: ['payments'], verbs: ['create'] },
        review: settings,
      },
      {
        name: 'configmap-delete',
        action: 'review',
        match: { resources: ['configmaps'], namespaces: ['scratch'], verbs: ['delete'] },
        review: settings,
      },
    ],
  };
}

export interface ApprovalsStack extends Stack {
  prefix: string;
  configFile: string;
  redis: RedisConnection;
  store: ReviewStore;
  /** Resolves with the pending reviews once there are `count` of them. */
  pending(count?: number, timeoutMs?: number): Promise<Review[]>;
  /** Approves (or rejects) as APPROVER through the store, as the chat bot would. */
  decide(id: string, action: 'approve' | 'reject', reason?: string): Promise<void>;
  /** How many requests with `method` on `path` reached the sandbox. */
  upstreamCount(method: string, path: string): number;
  /** A kubeconfig for `clientId` whose server is `server` (default: the gateway). */
  kubeconfigAt(clientId: string, server?: string): Promise<string>;
  /** Gateway log lines (pino JSON) parsed, for status/refusal assertions. */
  logs(): Array<Record<string, unknown>>;
}

export async function startApprovalsStack(
  options: {
    review?: Record<string, unknown>;
    /** Replaces {@link reviewPolicy} entirely. */
    policy?: Record<string, unknown>;
    approvals?: Record<string, unknown>;
    kubeVersion?: string;
    /** More top-level config (e.g. `redis:`), and how the test's own connection reaches Redis. */
    config?: Record<string, unknown>;
    redis?: RedisSettings;
    /** The key prefix (default: a fresh one); ACL rules name it. */
    prefix?: string;
  } = {},
): Promise<ApprovalsStack> {
  const prefix = options.prefix ?? freshPrefix('e2e');
  const redisUrl = (options.approvals?.['redisUrl'] as string | undefined) ?? redisUrlFromEnv();
  const stack = await startStack({
    policy: options.policy ?? reviewPolicy(options.review),
    ...(options.kubeVersion ? { kubeVersion: options.kubeVersion } : {}),
    config: {
      approvals: {
        keyPrefix: prefix,
        holdSeconds: 20,
        retryAfterSeconds: 1,
        ownerClaim: 'actor',
        ...options.approvals,
      },
      ...options.config,
    },
  });
  const redis = createRequestConnection({ url: redisUrl, redis: options.redis });
  // Decides as the chat bot would: signed with the bot key the gateway trusts.
  const store = new ReviewStore({
    connection: redis,
    prefix: `${prefix}:approvals`,
    readyTimeoutMs: 3000,
    signer: stack.botSigner,
  });
  const close = stack.close;
  return {
    ...stack,
    prefix,
    configFile: join(stack.dir, 'hoop.yaml'),
    redis,
    store,
    async pending(count = 1, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = await store.list({ state: 'pending', limit: 200 }).catch(() => []);
        if (found.length >= count) return found;
        if (Date.now() > until) throw new Error(`expected ${count} pending reviews, found ${found.length}`);
        await sleep(100);
      }
    },
    async decide(id, action, reason) {
      const result = await store.decide(id, {
        approver: { id: APPROVER, groups: [] },
        action,
        via: 'slack',
        ...(reason ? { reason } : {}),
      });
      if (result.outcome !== 'applied')
        throw new Error(`decide ${id}: ${result.outcome} ${result.reason ?? ''}`);
    },
    upstreamCount: (method, path) =>
      stack.sandbox.requests.filter((r) => r.method === method && r.path === path).length,
    async kubeconfigAt(clientId, server = stack.clusterUrl()) {
      const token = await stack.issuer.issueToken(clientId);
      const path = join(stack.dir, `${clientId}-${Math.random().toString(36).slice(2)}.kubeconfig`);
      const user = { token };
      await writeFile(
        path,
        renderKubeconfig({ server, caPem: stack.gateway.caPem ?? '', user, name: 'agent' }),
        {
          mode: 0o600,
        },
      );
      return path;
    },
    logs: () => stack.logLines.map((line) => JSON.parse(line) as Record<string, unknown>),
    close: async () => {
      await close();
      await store.close();
      await whenReady(redis, 5000).catch(() => undefined);
      if (redis.status === 'ready') await deleteKeys(redis, `${prefix}:*`);
      redis.disconnect();
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const BIN = fileURLToPath(new URL('../../bin/hoop-gateway.ts', import.meta.url));

/** Runs `hoop-gateway reviews …` as a child process (asynchronously: the gateway runs in this one). */
export function runReviewsCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'reviews', ...args],
      { env: { ...process.env, ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
