import { join } from 'node:path';
import { expect } from 'vitest';
import type { RedisSettings } from '../../src/queues/connections.ts';
import { readArchiveLines } from '../../src/recording/archive.ts';
import { verifyChain } from '../../src/recording/hash-chain.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { SessionIndex, type SessionMeta } from '../../src/recording/session-index.ts';
import { freshPrefix } from '../approvals/helpers.ts';
import { rawRequest } from '../approvals-e2e/raw-https.ts';
import { type ApprovalsStack, NAMESPACE_PATH, startApprovalsStack } from '../approvals-e2e/support.ts';
import { runKubectl } from './kubectl.ts';

/**
 * A failover drill: a real gateway (test/support/stack.ts: sandbox cluster, OpenID provider, the
 * gateway from a real config file with approvals and recording required) on a Redis topology
 * that can lose its primary, agents issuing real kubectl continuously, one call held for review
 * across the loss, and one approved grant waiting to be claimed across it. The topology's
 * primary (for Cluster: the master of the slot holding the held review) is SIGKILLed; the drill
 * waits for the failover, approves the held call, claims the grant, and measures:
 *
 * - requests and failed requests of the agents (kubectl exit code ≠ 0);
 * - the longest gap between two successful agent requests, and how long the failover took;
 * - reviews lost (a review that existed before the kill and is gone after it): must be 0;
 * - grants executed twice (a single-call approval that reached the cluster more than once): 0;
 * - recorded sessions whose hash chain does not verify: 0.
 *
 * The figures are printed (`drill <topology>: …`) and returned for the test to assert on.
 */
export interface DrillTopology {
  /** `sentinel`, `cluster`: printed with the figures. */
  name: string;
  /** The config's `redis:` section (the gateway's only way to find Redis: no redisUrl beside it). */
  configSection: Record<string, unknown>;
  /** How the drill's own connections (deciding, reading reviews and sessions) reach Redis. */
  settings: RedisSettings;
  /** SIGKILLs the node that serves `key`: the primary with Sentinel, the slot's master with Cluster. */
  kill(key: string): Promise<void>;
  /** Resolves once `key` is served by a writable node again (the failover is complete). */
  recovered(key: string): Promise<void>;
}

export interface DrillFigures {
  topology: string;
  requests: number;
  failed: number;
  /** Failed requests' first stderr lines (distinct), for the report. */
  failures: string[];
  /** Successful agent requests that completed after the failover: the agents resumed. */
  succeededAfterFailover: number;
  longestGapMs: number;
  /** From the kill until the topology served the review's key again. */
  failoverMs: number;
  reviewsLost: number;
  grantsExecutedTwice: number;
  sessionsChecked: number;
  /** Of those, how many the close job had archived (the rest were verified in Redis). */
  sessionsArchived: number;
  brokenChains: number;
  /** kubectl exit code of the call held across the failover, once approved (0: went through). */
  heldCallExit: number | null;
  /** HTTP status of the grant claimed after the failover (200: the grant survived). */
  grantClaimStatus: number;
}

export interface DrillOptions {
  /** Agents issuing kubectl continuously. Default 2. */
  agents?: number;
  /** How long agents run before the kill and after the failover. Default 3000 ms each. */
  steadyMs?: number;
  kubectlVersion?: string;
  /** More `recording:` settings (e.g. `spool: {}`). */
  recording?: Record<string, unknown>;
  /** Printed with the figures: which variant of the topology's settings this is. */
  variant?: string;
}

/** The namespace whose delete is approved before the kill and claimed after it. */
const GRANT_PATH = '/api/v1/namespaces/payments';

export async function runFailoverDrill(
  topology: DrillTopology,
  options: DrillOptions = {},
): Promise<DrillFigures> {
  const version = options.kubectlVersion ?? '1.33';
  const steadyMs = options.steadyMs ?? 3000;
  const prefix = freshPrefix(`drill-${topology.name}`);
  const startedAt = Date.now();
  const step = (what: string): void => {
    if (process.env['HOOP_DRILL_TRACE']) console.info(`drill +${Date.now() - startedAt} ms: ${what}`);
  };
  const stack = await startApprovalsStack({
    prefix,
    approvals: { holdSeconds: 55 },
    redis: topology.settings,
    config: {
      redis: topology.configSection,
      recording: { keyPrefix: prefix, idleGap: '2s', ...options.recording },
    },
  });
  try {
    const token = await stack.issuer.issueToken('agent-1');
    const caPem = stack.gateway.caPem ?? '';
    const deleteBody = '{"propagationPolicy":"Background"}';

    // A grant waiting to be claimed: the call is held, its client gives up, the review is approved.
    const gaveUp = new AbortController();
    const first = rawRequest({
      url: `${stack.clusterUrl()}${GRANT_PATH}`,
      method: 'DELETE',
      token,
      caPem,
      body: deleteBody,
      signal: gaveUp.signal,
    }).catch(() => undefined);
    const [grantReview] = await stack.pending(1);
    step('grant review pending');
    gaveUp.abort();
    await first;
    await stack.decide(grantReview!.id, 'approve');
    step('grant approved');

    // A call held for review across the failover.
    const heldKubeconfig = await stack.kubeconfigFor('agent-1');
    const held = runKubectl({
      kubeconfig: heldKubeconfig,
      version,
      args: ['delete', 'namespace', 'scratch', '--wait=false'],
      timeoutMs: 120_000,
    });
    const [heldReview] = await stack.pending(1);
    const reviewsBefore = [grantReview!.id, heldReview!.id];
    step('held review pending');

    // Agents reading continuously.
    const calls: Array<{ end: number; ok: boolean; stderr: string }> = [];
    let running = true;
    const kubeconfigs = await Promise.all(
      Array.from({ length: options.agents ?? 2 }, () => stack.kubeconfigFor('agent-1')),
    );
    const agents = kubeconfigs.map(async (kubeconfig) => {
      while (running) {
        const result = await runKubectl({
          kubeconfig,
          version,
          args: ['get', 'namespaces', '-o', 'name'],
          timeoutMs: 60_000,
        });
        calls.push({ end: Date.now(), ok: result.code === 0, stderr: result.stderr });
      }
    });

    await sleep(steadyMs);
    const heldKey = stack.store.keys.review(heldReview!.id);
    const killedAt = Date.now();
    await topology.kill(heldKey);
    step('killed');
    await topology.recovered(heldKey);
    const recoveredAt = Date.now();
    step('recovered');

    // Approve the held call on the new primary; it must go through. Claim the waiting grant.
    await stack.decide(heldReview!.id, 'approve');
    const heldResult = await held;
    step('held call done');
    const claim = await rawRequest({
      url: `${stack.clusterUrl()}${GRANT_PATH}`,
      method: 'DELETE',
      token,
      caPem,
      body: deleteBody,
    });
    // Claimed once, the grant is gone: the same call again is held for a new review, never forwarded.
    const again = new AbortController();
    const secondClaim = rawRequest({
      url: `${stack.clusterUrl()}${GRANT_PATH}`,
      method: 'DELETE',
      token,
      caPem,
      body: deleteBody,
      signal: again.signal,
    }).catch(() => undefined);
    await stack.pending(1).catch(() => []);
    again.abort();
    await secondClaim;
    step('second claim held');

    await sleep(steadyMs);
    running = false;
    await Promise.all(agents);
    step('agents stopped');

    let reviewsLost = 0;
    for (const id of reviewsBefore) if (!(await stack.store.get(id))) reviewsLost++;
    const grantsExecutedTwice =
      Number(stack.upstreamCount('DELETE', NAMESPACE_PATH) > 1) +
      Number(stack.upstreamCount('DELETE', GRANT_PATH) > 1);
    const chains = await checkChains(stack, prefix, startedAt);
    step('chains checked');

    const figures: DrillFigures = {
      topology: options.variant ? `${topology.name} (${options.variant})` : topology.name,
      requests: calls.length,
      failed: calls.filter((c) => !c.ok).length,
      failures: [...new Set(calls.filter((c) => !c.ok).map((c) => c.stderr.split('\n')[0] ?? ''))],
      succeededAfterFailover: calls.filter((c) => c.ok && c.end > recoveredAt).length,
      longestGapMs: longestGap(calls, killedAt - steadyMs),
      failoverMs: recoveredAt - killedAt,
      reviewsLost,
      grantsExecutedTwice,
      sessionsChecked: chains.checked,
      sessionsArchived: chains.archived,
      brokenChains: chains.broken,
      heldCallExit: heldResult.code,
      grantClaimStatus: claim.status,
    };
    console.info(formatFigures(figures));
    return figures;
  } finally {
    await stack.close();
  }
}

/** One line for the test output (and docs/deploy.md's table). */
export function formatFigures(f: DrillFigures): string {
  return (
    `drill ${f.topology}: ${f.requests} requests, ${f.failed} failed, longest gap ${f.longestGapMs} ms, ` +
    `failover ${f.failoverMs} ms, reviews lost ${f.reviewsLost}, grants executed twice ${f.grantsExecutedTwice}, ` +
    `broken chains ${f.brokenChains}/${f.sessionsChecked} (${f.sessionsArchived} archived), held call exit ${f.heldCallExit}, ` +
    `grant claimed ${f.grantClaimStatus}` +
    (f.failures.length > 0 ? `\n  failures: ${f.failures.join(' | ')}` : '')
  );
}

/** The longest time without a successful completion, from `from` to the last completion. */
function longestGap(calls: ReadonlyArray<{ end: number; ok: boolean }>, from: number): number {
  let previous = from;
  let longest = 0;
  for (const call of [...calls].filter((c) => c.ok).sort((a, b) => a.end - b.end)) {
    if (call.end < from) continue;
    longest = Math.max(longest, call.end - previous);
    previous = call.end;
  }
  return longest;
}

/**
 * Verifies the hash chain of every session recorded since `since`: from its archive once the
 * close job wrote it (waited for: the idle gap is short), else from the live stream.
 */
async function checkChains(
  stack: ApprovalsStack,
  prefix: string,
  since: number,
): Promise<{ checked: number; broken: number; archived: number }> {
  const index = new SessionIndex(
    stack.redis,
    recordingKeys(`${prefix}:rec`, { hashTag: stack.redis.isCluster }),
  );
  const dir = join(stack.dir, 'data', 'recordings');
  const deadline = Date.now() + 30_000;
  let sessions: SessionMeta[] = [];
  for (;;) {
    sessions = await index.list({ since, limit: 1000 });
    if (sessions.every((s) => s.archivedAt) || Date.now() > deadline) break;
    await sleep(250);
  }
  let broken = 0;
  let archived = 0;
  for (const listed of sessions) {
    const { lines, expected, fromArchive } = await sessionChain(index, dir, listed.id);
    if (fromArchive) archived++;
    const result = verifyChain(listed.id, lines, expected);
    if (!result.ok) {
      broken++;
      console.info(`drill: session ${listed.id} chain broken at line ${result.line}: ${result.reason}`);
    }
  }
  return { checked: sessions.length, broken, archived };
}

/**
 * A session's lines and what they must add up to. A session still live when listed may be
 * archived (and its stream deleted) while it is read: on a loaded machine the close jobs run late,
 * so the meta is read again after the stream, and the archive is used when it appeared meanwhile.
 */
async function sessionChain(index: SessionIndex, dir: string, id: string) {
  for (;;) {
    const before = await index.get(id);
    if (!before) throw new Error(`session ${id} disappeared`);
    if (before.archive) {
      const lines = await readArchiveLines(dir, before.archive);
      return { lines, expected: { count: before.count, finalHash: before.finalHash }, fromArchive: true };
    }
    const lines = await index.liveLines(id);
    const after = await index.get(id);
    if (after && !after.archive && after.seq === before.seq) {
      return { lines, expected: { count: after.seq }, fromArchive: false };
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * What every drill must show, whatever the topology and settings: no review lost, no grant
 * executed twice, every recorded chain intact (and some checked), the grant claimed after the
 * failover and the agents' requests going through again.
 */
export function expectNothingLost(figures: DrillFigures): void {
  expect(figures.reviewsLost).toBe(0);
  expect(figures.grantsExecutedTwice).toBe(0);
  expect(figures.brokenChains).toBe(0);
  expect(figures.sessionsChecked).toBeGreaterThan(0);
  expect(figures.grantClaimStatus).toBe(200);
  expect(figures.succeededAfterFailover).toBeGreaterThan(0);
}
