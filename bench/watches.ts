import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { settledRssKb, v8HeapMb } from './processes.ts';
import type { Endpoint } from './setup.ts';

const CLIENT = new URL('./watch-client.ts', import.meta.url).pathname;
const WATCH_PATH = '/api/v1/namespaces/default/configmaps?watch=1';

export interface WatchMemory {
  watches: number;
  baselineMb: number;
  openMb: number;
  closedMb: number;
  /** Gateway RSS per open idle watch, KiB. */
  kbPerWatch: number;
  /** RSS after the watches closed, as a fraction of the baseline (1.0 = all given back). */
  closedRatio: number;
  /** V8's committed heap (MB) before, open and closed, where the process reports it. */
  heapMb?: { baseline: number; open: number; closed: number };
  /** With `laterMs`: RSS (lowest over 8 s) from that long after the watches closed. */
  closedLaterMb?: number;
}

/**
 * Memory per idle watch of the process behind `endpoint`: RSS before, with `count` watches open and
 * idle (from a client in its own process: each watch its own HTTP/1.1 connection, or with `http2`
 * streams on HTTP/2 connections of `streamsPerConnection`, 1 by default), and after they closed;
 * with `laterMs` also that long after they closed (once a gateway's idle connections to the
 * cluster, kept for reuse, have closed too).
 */
export async function benchWatches(
  endpoint: Endpoint,
  count: number,
  options: { http2?: boolean; streamsPerConnection?: number; laterMs?: number } = {},
): Promise<WatchMemory> {
  const heap = endpoint.metricsPort === undefined ? undefined : () => v8HeapMb(endpoint.metricsPort!);
  const baseline = await settledRssKb(endpoint.pid, 3000);
  const heapBaseline = await heap?.();
  const child = spawn(
    process.execPath,
    [
      CLIENT,
      JSON.stringify({
        host: '127.0.0.1',
        port: endpoint.port,
        path: endpoint.prefix + WATCH_PATH,
        ca: endpoint.ca,
        headers: endpoint.headers,
        count,
        parallel: 32,
        ...(options.http2 ? { http2: true, streamsPerConnection: options.streamsPerConnection ?? 1 } : {}),
      }),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const opened = (await lines.next()).value as string;
  const open = Number(opened.split(' ')[1]);
  if (open !== count) throw new Error(`watch bench: only ${open} of ${count} watches opened`);
  // 6 s: the gateway collects what the watches' arrival left behind ~4 s after the last one.
  const withWatches = await settledRssKb(endpoint.pid, 6000);
  const heapOpen = await heap?.();
  child.stdin!.write('close\n');
  await lines.next();
  await once(child, 'exit');
  const closedAt = performance.now();
  const closed = await settledRssKb(endpoint.pid, 8000);
  const heapClosed = await heap?.();
  let closedLater: number | undefined;
  if (options.laterMs !== undefined) {
    await new Promise((resolve) => setTimeout(resolve, closedAt + options.laterMs! - performance.now()));
    closedLater = await settledRssKb(endpoint.pid, 8000);
  }
  return {
    watches: count,
    baselineMb: baseline / 1024,
    openMb: withWatches / 1024,
    closedMb: closed / 1024,
    kbPerWatch: (withWatches - baseline) / count,
    closedRatio: closed / baseline,
    ...(heap ? { heapMb: { baseline: heapBaseline!, open: heapOpen!, closed: heapClosed! } } : {}),
    ...(closedLater !== undefined ? { closedLaterMb: closedLater / 1024 } : {}),
  };
}
