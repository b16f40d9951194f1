import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
/** The TypeScript entry point: the sandbox (development equipment, not in the build) runs from it. */
const BIN = join(ROOT, 'bin', 'hoop-gateway.ts');
const built = new Set<string>();
/** How much of a child's last output the bench keeps, to show if it dies during a run. */
const STDERR_TAIL = 4096;

/**
 * The gateway as the production image runs it: JavaScript compiled by `npm run build` into
 * `<tree>/dist` (once per tree and bench run). Run from its TypeScript sources instead, Node loads
 * its type stripper too, which costs a gateway 20–40 MB of RSS the image never pays.
 */
export function shippedGateway(tree = ROOT): string {
  if (!built.has(tree)) {
    execFileSync(process.execPath, [join(tree, 'scripts', 'build.ts')], {
      cwd: tree,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    built.add(tree);
  }
  return join(tree, 'dist', 'bin', 'hoop-gateway.js');
}

/**
 * Ports `freePort` handed out in this process (a bench run, or a test file's worker, which takes it
 * through test/support/free-port.ts): each is free once bound, not in use until its child starts.
 */
const handedOut = new Set<number>();

/**
 * A free loopback port (bound then released), for children that must listen where we say. Never
 * one handed out before in this run: the kernel may bind a port just released again, and a
 * gateway whose metrics listener got its own API port died at start (EADDRINUSE).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await releasedPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function releasedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

/**
 * Runs `hoop-gateway <args>` as a child process and resolves once a line of its output matches
 * `ready` — so the benchmark measures the gateway in its own process, as deployed, and can read
 * that process's CPU time. `nodeArgs` go to node itself (e.g. `--cpu-prof`).
 */
export function startChild(
  args: string[],
  ready: RegExp,
  options: { nodeArgs?: string[]; script?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script ?? BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    });
    let seen = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`timed out starting ${args[0]}: ${seen}`)), 30_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (ready.test(seen)) {
        clearTimeout(timer);
        started = true;
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      // Once started, only the end is kept: what to show if the process dies mid-run.
      seen = (seen + chunk.toString()).slice(started ? -STDERR_TAIL : 0);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`${args[0]} exited with ${code}: ${seen}`));
      // stopChild removes this listener first: an exit seen here is the process dying under load.
      else
        process.stderr.write(
          `bench: ${args[0]} (pid ${child.pid}) exited during the run (code ${code}, signal ${signal}); its last output:\n${seen.slice(-STDERR_TAIL)}\n`,
        );
    });
  });
}

/**
 * The sandbox cluster as a child process, offering HTTP/2 beside HTTP/1.1 as kube-apiserver does;
 * resolves once it wrote `kubeconfig` (its URL, CA and `token`).
 */
export function startSandboxChild(options: {
  port: number;
  token: string;
  kubeconfig: string;
  seed: boolean;
}): Promise<ChildProcess> {
  return startChild(
    [
      'sandbox',
      '--port',
      String(options.port),
      '--http2',
      ...(options.seed ? ['--seed'] : []),
      '--token',
      options.token,
      '--kubeconfig-out',
      options.kubeconfig,
    ],
    /kubeconfig written/,
  );
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.removeAllListeners('exit');
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Resident set size of a process, in KiB, from /proc. */
export async function rssKb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/**
 * The smallest RSS (KiB) of a process over `ms`, sampled every 500 ms: what it settles at once the
 * gateway's idle collection (gateway/ops/idle-collector.ts, ~4 s after a burst of long-lived
 * requests) has had its chance.
 */
export async function settledRssKb(pid: number, ms: number): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let t = 0; t < ms; t += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    least = Math.min(least, await rssKb(pid));
  }
  return least;
}

/**
 * Full (mark-compact) collections a gateway has run so far, from its default metrics. A recorded
 * copy that starts them every few MB is what the seventeenth round of docs/performance.md found
 * and removed; the exec part prints them so such a regression shows.
 */
export async function fullCollections(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  if (!text.includes('# TYPE hoop_nodejs_gc_duration_seconds histogram'))
    throw new Error('bench: no hoop_nodejs_gc_duration_seconds in the metrics');
  // The series appears with the first full collection: none so far until then.
  const line = /^hoop_nodejs_gc_duration_seconds_count\{kind="major"\} (\S+)$/m.exec(text);
  return line ? Number(line[1]) : 0;
}

/** V8's committed heap in MB, read from a gateway's default metrics. */
export async function v8HeapMb(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = /^hoop_nodejs_heap_size_total_bytes (\S+)$/m.exec(text);
  if (!line) throw new Error('bench: no hoop_nodejs_heap_size_total_bytes in the metrics');
  return Number(line[1]) / 2 ** 20;
}
