import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `redis-server` processes a test starts on loopback (data nodes, Sentinels, cluster nodes), for
 * the failover drills. Every process started here is killed by {@link killAllRedisProcesses} (call
 * it in `afterAll`) and, should the test process die first, by an `exit` handler: a drill never
 * leaves a Redis running, whatever happened.
 */
export interface RedisProcess {
  port: number;
  /** Kills the server with SIGKILL (a crash, not a shutdown) and waits for it to exit. */
  kill(): Promise<void>;
  /** Whether the process is still running. */
  readonly running: boolean;
}

const running = new Set<ChildProcess>();
let exitHandlerInstalled = false;

/**
 * Starts `redis-server` with a config file written to `dir` (Sentinel rewrites its config, so it
 * must be a file) and resolves once it accepts connections. `sentinel` starts it in Sentinel mode.
 */
export async function startRedisProcess(options: {
  dir: string;
  port: number;
  config: string[];
  sentinel?: boolean;
}): Promise<RedisProcess> {
  installExitHandler();
  const file = join(options.dir, `${options.sentinel ? 'sentinel' : 'redis'}-${options.port}.conf`);
  const base = [
    `port ${options.port}`,
    'bind 127.0.0.1',
    `dir ${options.dir}`,
    ...(options.sentinel ? [] : ['save ""', 'appendonly no']),
  ];
  await writeFile(file, `${[...base, ...options.config].join('\n')}\n`);
  const child = spawn('/usr/bin/redis-server', [file, ...(options.sentinel ? ['--sentinel'] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server on ${options.port} did not start`)),
      15_000,
    );
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      // A data node says it is ready; a Sentinel says which master it monitors.
      if (seen.includes('Ready to accept connections') || seen.includes('+monitor')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${options.port} exited with ${code}: ${seen.slice(-500)}`));
    });
  });
  // Keep draining the log so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    port: options.port,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Kills every Redis process this test process started and waits for them to exit. */
export async function killAllRedisProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}
