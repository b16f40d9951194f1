/**
 * The benchmark's load generator, run in its own process (bench/load.ts spawns it) so the client's
 * CPU is not the gateway's: `connections` keep-alive TLS connections, each sending one small GET
 * at a time (closed loop), for a warm-up and then a measured window of `seconds`.
 *
 * It speaks HTTP/1.1 over raw TLS sockets with a minimal response parser (status line,
 * Content-Length or chunked), so the client costs a fraction of a `node:https` client and the
 * numbers are the server's, not the generator's. With `http2` it is one HTTP/2 connection
 * carrying `connections` streams at a time instead, as client-go sends a process's requests. At the start and end of the measured window it
 * reads the CPU time of the process under test from /proc, so CPU per request covers exactly the
 * measured requests.
 *
 * Input: one JSON argument (LoadSpec). Output: one JSON line (LoadResult).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as connectHttp2 } from 'node:http2';
import { connect, type TLSSocket } from 'node:tls';
import { minorFaults } from './page-faults.ts';

export interface LoadSpec {
  host: string;
  port: number;
  path: string;
  ca: string;
  headers: Record<string, string>;
  connections: number;
  /** One HTTP/2 connection with `connections` requests in flight, instead of HTTP/1.1 ones. */
  http2?: boolean;
  /**
   * HTTP/1.1 only: each connection sends a `Kubectl-Session` of its own, as that many kubectl
   * processes would, so a recording gateway keeps that many sessions instead of one.
   */
  sessionPerConnection?: boolean;
  warmupSeconds: number;
  seconds: number;
  /** Processes whose CPU time is measured over the window (the proxy under test first). */
  pids: number[];
}

export interface LoadResult {
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU milliseconds each of `pids` used in the measured window. */
  cpuMs: number[];
  /** Minor page faults each of `pids` took in the measured window (bench/page-faults.ts). */
  faults: number[];
  /** Of `cpuMs[0]`, what the main thread of the process under test used (mainThreadCpuMs). */
  mainThreadCpuMs: number;
  /** CPU milliseconds the generator itself used in the measured window. */
  ownCpuMs: number;
}

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc. */
export function processCpuMs(pid: number): number {
  return cpuMsOf(`/proc/${pid}/stat`);
}

/**
 * CPU time of a process's main thread alone (where its JavaScript runs), in milliseconds. The
 * rest of {@link processCpuMs} is its other threads': V8's helpers (concurrent marking of full
 * collections, parallel scavenging, the optimising compilers) and libuv's pool.
 */
export function mainThreadCpuMs(pid: number): number {
  return cpuMsOf(`/proc/${pid}/task/${pid}/stat`);
}

function cpuMsOf(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Bytes of one complete response at the start of `buf`, its status, or -1 if incomplete. */
function responseLength(buf: Buffer): { length: number; status: number } | null {
  const headEnd = buf.indexOf(CRLF2);
  if (headEnd === -1) return null;
  const head = buf.toString('latin1', 0, headEnd).toLowerCase();
  const status = Number(head.slice(9, 12));
  const bodyStart = headEnd + 4;
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (cl) {
    const length = bodyStart + Number(cl[1]);
    return buf.length >= length ? { length, status } : null;
  }
  if (!/\r\ntransfer-encoding:\s*chunked/.test(head)) return { length: bodyStart, status };
  let at = bodyStart;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd === -1) return null;
    const size = Number.parseInt(buf.toString('latin1', at, lineEnd), 16);
    at = lineEnd + 2 + size + 2;
    if (at > buf.length) return null;
    if (size === 0) return { length: at, status };
  }
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const requestFor = (headers: Record<string, string>) =>
    Buffer.from(
      `GET ${spec.path} HTTP/1.1\r\nHost: ${spec.host}:${spec.port}\r\n` +
        Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('') +
        '\r\n',
    );
  const shared = requestFor(spec.headers);
  let measuring = false;
  let stopped = false;
  const latencies: number[] = [];
  let errors = 0;
  const sockets: TLSSocket[] = [];

  const client = () =>
    new Promise<void>((resolve) => {
      const request = spec.sessionPerConnection
        ? requestFor({ ...spec.headers, 'Kubectl-Session': randomUUID() })
        : shared;
      const socket = connect({ host: spec.host, port: spec.port, ca: spec.ca, servername: undefined });
      sockets.push(socket);
      let pending: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const send = () => {
        if (stopped) {
          socket.end();
          resolve();
          return;
        }
        sentAt = performance.now();
        socket.write(request);
      };
      socket.once('secureConnect', () => {
        socket.setNoDelay(true);
        send();
      });
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          const done = responseLength(pending);
          if (!done) return;
          pending = pending.subarray(done.length);
          if (measuring) {
            if (done.status !== 200) errors++;
            else latencies.push(performance.now() - sentAt);
          }
          send();
        }
      });
      socket.on('error', () => {
        if (measuring) errors++;
        resolve();
      });
      socket.on('close', () => resolve());
    });

  const session = spec.http2 ? connectHttp2(`https://${spec.host}:${spec.port}`, { ca: spec.ca }) : undefined;
  session?.on('error', () => {});
  /** One closed loop of requests as streams on the shared HTTP/2 connection. */
  const streamClient = () =>
    new Promise<void>((resolve) => {
      const send = () => {
        if (stopped) return resolve();
        const sentAt = performance.now();
        const stream = session!.request({ ':path': spec.path, ...spec.headers });
        let status = 0;
        stream.once('response', (head) => {
          status = Number(head[':status']);
        });
        stream.resume();
        stream.once('close', () => {
          if (measuring) {
            if (status !== 200) errors++;
            else latencies.push(performance.now() - sentAt);
          }
          send();
        });
      };
      send();
    });

  const all = Promise.all(Array.from({ length: spec.connections }, spec.http2 ? streamClient : client));
  await new Promise((r) => setTimeout(r, spec.warmupSeconds * 1000));
  const cpuBefore = spec.pids.map(processCpuMs);
  const faultsBefore = spec.pids.map(minorFaults);
  const mainBefore = mainThreadCpuMs(spec.pids[0]!);
  const ownBefore = process.cpuUsage();
  const started = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, spec.seconds * 1000));
  measuring = false;
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = spec.pids.map((pid, i) => processCpuMs(pid) - cpuBefore[i]!);
  const faults = spec.pids.map((pid, i) => minorFaults(pid) - faultsBefore[i]!);
  const mainMs = mainThreadCpuMs(spec.pids[0]!) - mainBefore;
  const own = process.cpuUsage(ownBefore);
  stopped = true;
  const grace = setTimeout(() => {
    for (const s of sockets) s.destroy();
    session?.destroy();
  }, 2000);
  await all;
  session?.close();
  clearTimeout(grace);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    cpuMs,
    faults,
    mainThreadCpuMs: mainMs,
    ownCpuMs: (own.user + own.system) / 1000,
  };
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  process.stdout.write(`${JSON.stringify(await run(spec))}\n`);
}
