import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { freshPrefix } from '../approvals/helpers.ts';
import { reviewPolicy } from '../approvals-e2e/support.ts';
import { runKubectl } from '../support/kubectl.ts';
import { AGENTS, type Stack, startStack } from '../support/stack.ts';
import { type ThrowawayRedis, throwawayRedis } from '../support/throwaway-redis.ts';

/**
 * A gateway with approvals and recording on a throwaway Redis the test kills, and
 * `recording.spool` on (gateway/recording/spool.ts): for the spool's tests and the security tests
 * that try to get around review or the audit trail while Redis is away.
 */
export interface SpoolStack {
  redis: ThrowawayRedis;
  stack: Stack;
  prefix: string;
  /** The agent's kubeconfig. */
  kubeconfig: string;
  /** The spool directory (`<dataDir>/recording-spool`). */
  dir: string;
  close(): Promise<void>;
}

export async function startSpoolStack(
  spool: Record<string, unknown> = {},
  policy: Record<string, unknown> = reviewPolicy(),
): Promise<SpoolStack> {
  const redis = await throwawayRedis();
  await redis.start();
  const prefix = freshPrefix('spool');
  const stack = await startStack({
    policy,
    config: {
      approvals: { redisUrl: redis.url, keyPrefix: prefix, holdSeconds: 5 },
      recording: { redisUrl: redis.url, keyPrefix: prefix, idleGap: '1s', spool },
    },
  });
  return {
    redis,
    stack,
    prefix,
    kubeconfig: await stack.kubeconfigFor(AGENTS.agent.clientId),
    dir: join(stack.dir, 'data', 'recording-spool'),
    close: async () => {
      await redis.start().catch(() => undefined); // so cleanup can delete the test's keys
      await stack.close();
      await redis.stop();
    },
  };
}

export function getNamespace(kubeconfig: string, name: string) {
  return runKubectl({
    kubeconfig,
    version: '1.33',
    args: ['get', 'namespace', name, '-o', 'name'],
    timeoutMs: 60_000,
  });
}

export async function spoolSize(dir: string): Promise<number> {
  return stat(join(dir, 'events.jsonl')).then(
    (s) => s.size,
    () => 0,
  );
}

/**
 * The event bodies in the spool, from its finished lines only: the gateway may be writing the
 * next one as the test reads (a stream's last frames and a response event are spooled after the
 * client has its answer), and part of a line is not an event.
 */
export async function spooledBodies<Body>(dir: string): Promise<Body[]> {
  const text = await readFile(join(dir, 'events.jsonl'), 'utf8').catch(() => '');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => (JSON.parse(line) as { entry: { body: Body } }).entry.body);
}

export async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
