import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './free-port.ts';

/**
 * A real `redis-server` that a test starts, kills (or freezes) and starts again on the same port,
 * to play a Redis outage or hang: no persistence (`--save ''`, no AOF), loopback only, a free port
 * of its own, so the shared Redis other tests use is never touched.
 */
export interface ThrowawayRedis {
  url: string;
  port: number;
  /** Starts (or restarts) the server and resolves once it accepts connections; running already: nothing. */
  start(): Promise<void>;
  /** Kills the server (SIGKILL: an outage, not a shutdown) and waits for it to exit. */
  stop(): Promise<void>;
  /** Freezes the running server (SIGSTOP): connections stay open, nothing is answered (a hang). */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
}

/**
 * Options for a locked-down server: `tls` serves TLS only on the port (the URL becomes
 * `rediss://`) with the given PEM files; `args` adds redis-server arguments (ACL users, for
 * example `['--user', 'default', 'off']`).
 */
export interface ThrowawayOptions {
  tls?: { certFile: string; keyFile: string; caFile: string };
  args?: string[];
}

const isRunning = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/** Every server started here and still running: killed when the test process exits, whatever happened. */
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const server of started) server.kill('SIGKILL');
});

export async function throwawayRedis(options: ThrowawayOptions = {}): Promise<ThrowawayRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const listen = options.tls
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        options.tls.certFile,
        '--tls-key-file',
        options.tls.keyFile,
        '--tls-ca-cert-file',
        options.tls.caFile,
        '--tls-auth-clients',
        'optional',
      ]
    : ['--port', String(port)];
  return {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    async start() {
      // A second server on the same port would fail to bind and, had it replaced `child`, leave
      // the running one behind with nothing left to stop it.
      if (child && isRunning(child)) return;
      const server = spawn(
        '/usr/bin/redis-server',
        [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(options.args ?? [])],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      child = server;
      started.add(server);
      server.once('exit', () => started.delete(server));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
        let seen = '';
        server.stdout?.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('Ready to accept connections')) {
            clearTimeout(timer);
            resolve();
          }
        });
        server.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`redis-server exited with ${code}: ${seen.slice(-500)}`));
        });
      });
      server.stdout?.resume();
    },
    async stop() {
      const server = child;
      child = undefined;
      if (!server || !isRunning(server)) return;
      server.kill('SIGKILL');
      await once(server, 'exit');
    },
    pause() {
      if (!child) throw new Error('redis-server is not running');
      child.kill('SIGSTOP');
    },
    resume() {
      if (!child) throw new Error('redis-server is not running');
      child.kill('SIGCONT');
    },
  };
}
