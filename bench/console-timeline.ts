/**
 * `node bench/console-timeline.ts`: how the console serves a long session. A closed session of
 * 10,000 recorded events (5,000 calls, each a request and a response with a small masked JSON
 * body) is archived and indexed in Redis as the recorder would; the console's sessions API then
 * answers its detail (read, parse, verify the hash chain, build the timeline: the first view),
 * pages of 100 calls (the timeline as the page scrolls) and one call's bodies. Figures are ratios
 * against a baseline measured in the same run: reading and JSON-parsing the archive alone, the
 * least any reader of the session must do. Needs Redis (REDIS_URL, default 127.0.0.1:6379).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionsApi } from '../console/server/api/sessions.ts';
import { whenReady } from '../src/approvals/unavailable-error.ts';
import { createRequestConnection, redisUrlFromEnv } from '../src/queues/connections.ts';
import { writeArchive } from '../src/recording/archive.ts';
import type { RecordedEvent } from '../src/recording/event.types.ts';
import { genesisHash, sealEvent } from '../src/recording/hash-chain.ts';
import { recordingKeys } from '../src/recording/scripts.ts';
import { SessionIndex } from '../src/recording/session-index.ts';

const EVENTS = 10_000;
const ID = 's-benchbench';
const dir = mkdtempSync(join(tmpdir(), 'hoop-bench-console-'));
const prefix = `hoop-bench-console-${process.pid}`;
const redis = createRequestConnection({ url: redisUrlFromEnv(), commandTimeoutMs: 10_000 });

function sessionEvents(): { lines: string[]; events: RecordedEvent[]; finalHash: string } {
  const lines: string[] = [];
  let prev = genesisHash(ID);
  const start = Date.now() - 3_600_000;
  for (let seq = 1; seq <= EVENTS; seq++) {
    const call = Math.floor((seq - 1) / 2);
    const rid = `r-${String(call).padStart(8, '0')}`;
    const head = { v: 1, seq, prev, ts: start + seq, by: 'bench' };
    const body =
      seq % 2 === 1
        ? {
            type: 'request',
            rid,
            method: 'GET',
            path: `/api/v1/namespaces/ns-${call % 20}/configmaps/cm-${call}`,
            headers: { 'user-agent': 'kubectl/v1.33.0', 'kubectl-command': 'kubectl get' },
            info: {
              verb: 'get',
              resource: 'configmaps',
              namespace: `ns-${call % 20}`,
              name: `cm-${call}`,
              apiVersion: 'v1',
            },
            decision: { action: 'allow', rule: 'agents-read' },
            command: 'kubectl get',
          }
        : {
            type: 'response',
            rid,
            status: 200,
            durationMs: 3,
            body: {
              contentType: 'application/json',
              size: 420,
              sha256: 'a'.repeat(64),
              json: { kind: 'ConfigMap', metadata: { name: `cm-${call}` }, data: { key: '••••••' } },
              masked: 1,
            },
          };
    const sealed = sealEvent({ ...head, ...body });
    lines.push(sealed.line);
    prev = sealed.hash;
  }
  return { lines, events: lines.map((line) => JSON.parse(line) as RecordedEvent), finalHash: prev };
}

async function timed(run: () => Promise<unknown>, rounds: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

try {
  await whenReady(redis, 5000);
  const { lines, events, finalHash } = sessionEvents();
  const startedAt = events[0]!.ts;
  const { path } = await writeArchive(dir, ID, startedAt, lines, events);
  const keys = recordingKeys(prefix);
  await redis.hset(keys.meta(ID), {
    id: ID,
    state: 'closed',
    kind: 'kubectl',
    subject: 'agent-1',
    cluster: 'bench',
    startedAt: String(startedAt),
    lastAt: String(events[events.length - 1]!.ts),
    seq: String(EVENTS),
    hash: finalHash,
    count: String(EVENTS),
    finalHash,
    archive: path,
    archivedAt: String(Date.now()),
    requests: String(EVENTS / 2),
  });
  const index = new SessionIndex(redis, keys);
  const baseline = await timed(async () => {
    const text = await readFile(join(dir, path), 'utf8');
    for (const line of text.split('\n')) if (line) JSON.parse(line);
  }, 7);
  // A fresh API each round: the first view of a session parses and verifies everything.
  const firstView = await timed(() => new SessionsApi({ index, archiveDir: dir }).detail(ID), 7);
  const api = new SessionsApi({ index, archiveDir: dir });
  await api.detail(ID);
  let offset = 0;
  const page = await timed(async () => {
    await api.calls(ID, new URLSearchParams({ offset: String(offset), limit: '100' }));
    offset = (offset + 100) % (EVENTS / 2);
  }, 50);
  const oneCall = await timed(() => api.call(ID, 'r-00002500'), 50);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`console timeline, one session of ${EVENTS} events (${EVENTS / 2} calls), medians:`);
  out(`  baseline (read + JSON.parse the archive): ${baseline.toFixed(1)} ms`);
  out(
    `  first view (detail: read, verify chain, timeline): ${firstView.toFixed(1)} ms = ${(firstView / baseline).toFixed(2)}× baseline`,
  );
  out(
    `  a page of 100 calls after that: ${page.toFixed(3)} ms = ${(page / baseline).toExponential(1)}× baseline`,
  );
  out(`  one call's bodies: ${oneCall.toFixed(3)} ms = ${(oneCall / baseline).toExponential(1)}× baseline`);
} finally {
  const names = await redis.keys(`${prefix}:*`);
  if (names.length > 0) await redis.del(...names);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
}
