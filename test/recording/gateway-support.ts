import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { SessionIndex, type SessionMeta } from '../../src/recording/session-index.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { freshPrefix } from './support.ts';

/**
 * A gateway stack (sandbox, OpenID provider, gateway from a real config file) with recording on:
 * a fresh Redis key prefix per stack, a short idle gap so sessions close within a test, and
 * helpers to find sessions, wait for their archive and run the `hoop-gateway` CLI against the
 * same config file — as a separate process, started asynchronously, like an operator would.
 */
export interface RecordingStack {
  stack: Stack;
  prefix: string;
  redis: RedisConnection;
  index: SessionIndex;
  config: string;
  /** Sessions that started at or after `since`, oldest first. */
  sessionsSince(since: number): Promise<SessionMeta[]>;
  /** Resolves once the session's close job archived it. */
  waitForArchived(id: string, timeoutMs?: number): Promise<SessionMeta>;
  cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export const ROOT = new URL('../../', import.meta.url).pathname;

/** `examples/demo-policy.yaml`, as the gateway's inline `policy:`. */
export const DEMO_POLICY: unknown = parse(readFileSync(join(ROOT, 'examples/demo-policy.yaml'), 'utf8'));

export async function startRecordingStack(options: {
  policy: unknown;
  kubeVersion?: string;
  recording?: Record<string, unknown>;
  config?: Record<string, unknown>;
  /** Turn approvals on, under the same fresh prefix (reviews, notify queue). */
  approvals?: boolean;
}): Promise<RecordingStack> {
  const prefix = freshPrefix('gw');
  const approvals = options.approvals ? { approvals: { redisUrl: REDIS_URL, keyPrefix: prefix } } : {};
  const stack = await startStack({
    policy: options.policy,
    ...(options.kubeVersion ? { kubeVersion: options.kubeVersion } : {}),
    config: {
      recording: { redisUrl: REDIS_URL, keyPrefix: prefix, idleGap: '1s', ...options.recording },
      ...approvals,
      ...options.config,
    },
  });
  const redis = createRequestConnection({ url: REDIS_URL, commandTimeoutMs: 5000 });
  await whenReady(redis, 5000);
  const index = new SessionIndex(redis, recordingKeys(`${prefix}:rec`));
  const config = join(stack.dir, 'hoop.yaml');
  return {
    stack,
    prefix,
    redis,
    index,
    config,
    sessionsSince: async (since) => (await index.list({ since, limit: 100 })).reverse(),
    waitForArchived: async (id, timeoutMs = 15_000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const meta = await index.get(id);
        if (meta?.archivedAt) return meta;
        if (Date.now() > until) throw new Error(`session ${id} was not archived in ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    cli: (args) => runCli([...args, '--config', config]),
    close: async () => {
      await stack.close();
      await deleteKeys(redis, `${prefix}:*`);
      redis.disconnect();
    },
  };
}

/** Runs `node bin/hoop-gateway.ts …` to completion, asynchronously. */
export function runCli(
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/hoop-gateway.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}
