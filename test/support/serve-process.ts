import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/hoop-gateway.ts', import.meta.url));

/** `hoop-gateway serve` from the sources in a child process, with what it says collected. */
export interface ServeProcess {
  child: ChildProcess;
  /** Its stdout and stderr so far, interleaved as they arrived. */
  output(): string;
}

/** Runs `hoop-gateway serve <args>` as operators do (`env` on top of this process's). */
export function spawnServe(args: readonly string[], env?: NodeJS.ProcessEnv): ServeProcess {
  let said = '';
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  const collect = (chunk: Buffer) => {
    said += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { child, output: () => said };
}

/** The `url` of its "gateway listening" line; fails with what it said if it exits or takes too long. */
export async function listeningUrl(serve: ServeProcess, timeoutMs = 20_000): Promise<string> {
  const started = Date.now();
  for (;;) {
    const url = /"url":"(https:[^"]+)"/.exec(serve.output())?.[1];
    if (url) return url;
    if (Date.now() - started > timeoutMs || serve.child.exitCode !== null)
      throw new Error(`serve did not start: ${serve.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
