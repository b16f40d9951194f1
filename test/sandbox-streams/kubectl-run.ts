/**
 * Runs one of the real kubectl binaries for the streaming tests: a finished run
 * ({@link runKubectl}) or a long-running one whose output is watched ({@link spawnKubectl},
 * for port-forward). Each run gets the given kubeconfig and its own cache dir (and HOME) beside
 * it, so discovery from one test never leaks into another.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  kubeconfig: string;
  version: string;
  args: string[];
  env?: Record<string, string>;
  stdin?: string;
  timeoutMs?: number;
}

/** Starts kubectl and returns the child (stdout/stderr piped, stdin closed unless given). */
export function spawnKubectl(options: KubectlOptions): ChildProcess {
  // Next to the kubeconfig, so removing the test's temp dir removes the caches too.
  const cacheDir = mkdtempSync(join(dirname(options.kubeconfig), 'kubecache-'));
  return spawn(join(KUBECTL_DIR, `kubectl.${options.version}`), [...options.args], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: cacheDir,
      KUBECONFIG: options.kubeconfig,
      KUBECACHEDIR: cacheDir,
      ...options.env,
    },
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
}

/** Runs kubectl to completion (killed after `timeoutMs`, default 20 s). */
export function runKubectl(options: KubectlOptions): Promise<KubectlResult> {
  const child = spawnKubectl(options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resolves with the first match of `pattern` in the child's stdout (rejects after `timeoutMs`). */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; saw: ${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    child.on('close', () => reject(new Error(`kubectl exited before ${pattern}; saw: ${seen}`)));
  });
}
