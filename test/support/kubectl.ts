/**
 * Running the real kubectl binaries from tests.
 *
 * - `runKubectl` runs one command to completion (execFile, killed after `timeoutMs`) and returns
 *   its exit code and output; `spawnKubectl` starts one that runs until stopped (`get -w`,
 *   `logs -f`, `port-forward`) and `waitForOutput` waits for what it prints.
 * - `version` picks `kubectl.<version>` in {@link KUBECTL_DIR} (`$KUBECTL_DIR` when set); without
 *   it the `kubectl` on PATH runs, a dispatcher that picks a binary by the server's `/version`.
 * - Tests that need a version wrap their `describe` in {@link describeWithKubectl}: on a machine
 *   without that binary they are skipped, and the skipped suite's title names the missing file,
 *   rather than failing with ENOENT.
 * - kubectl sees only the given kubeconfig: HOME and KUBECACHEDIR point at a cache directory
 *   beside it (or `cacheDir`), so nothing is read from or written to the real home, and the
 *   6-hour discovery cache never leaks between test files.
 * - `writeTempKubeconfig` puts a kubeconfig in a fresh temp directory and removes it on cleanup.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe } from 'vitest';

/** The directory of the versioned binaries `kubectl.<minor>`: `$KUBECTL_DIR`, else the default. */
export const KUBECTL_DIR = process.env['KUBECTL_DIR'] || '/usr/lib/google-cloud-sdk/bin';

/** The kubectl minors the end-to-end tests cover (oldest supported, middle, newest). */
export const KUBECTL_VERSIONS = ['1.29', '1.31', '1.33'] as const;

export interface KubectlRun {
  /** Path of the kubeconfig file kubectl uses (KUBECONFIG). */
  kubeconfig: string;
  /** Minor version such as '1.31'; omitted: the /usr/bin/kubectl dispatcher. */
  version?: string;
  args: string[];
  /** Extra environment (added to a minimal PATH/HOME/KUBECONFIG/KUBECACHEDIR environment). */
  env?: Record<string, string>;
  /** Written to kubectl's stdin, which is then closed (unless `keepStdinOpen`). */
  stdin?: string;
  /** spawnKubectl: leave stdin open for the test to write to (`child.stdin.write`), e.g. an exec shell. */
  keepStdinOpen?: boolean;
  /** Kill after this long (default 20 s); the result then has `timedOut: true`. */
  timeoutMs?: number;
  /** Discovery cache and HOME; default `<kubeconfig dir>/kube-cache`. */
  cacheDir?: string;
}

export interface KubectlResult {
  /** Exit code, or null when kubectl was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The binary for `version`, or the dispatcher (`kubectl`, looked up on PATH). */
export function kubectlPath(version?: string): string {
  return version ? join(KUBECTL_DIR, `kubectl.${version}`) : 'kubectl';
}

/** Why a test needing kubectl `versions` cannot run here, naming the missing binary; else undefined. */
export function missingKubectl(versions: readonly string[]): string | undefined {
  const missing = versions.map(kubectlPath).filter((path) => !existsSync(path));
  if (missing.length === 0) return undefined;
  return `no ${missing.join(', ')} on this machine (set KUBECTL_DIR to a directory of kubectl.<minor> binaries)`;
}

/**
 * `describe` for tests that run kubectl `versions`: when a binary is missing the suite is
 * skipped (its hooks do not run) and its title says which one, so a machine without, say,
 * kubectl 1.29 reports skipped tests instead of ENOENT failures.
 */
export function describeWithKubectl(
  versions: string | readonly string[],
  title: string,
  body: () => void,
): void {
  const missing = missingKubectl(typeof versions === 'string' ? [versions] : versions);
  if (missing) describe.skip(`${title} (skipped: ${missing})`, body);
  else describe(title, body);
}

/**
 * `describe.each` for rows whose first element is a kubectl version: one
 * {@link describeWithKubectl} per row, `%s` in the title replaced by the version.
 */
export function describeEachKubectl<Row extends readonly [string, ...unknown[]]>(
  rows: readonly Row[],
  title: string,
  body: (...row: Row) => void,
): void {
  for (const row of rows) describeWithKubectl(row[0], title.replace('%s', row[0]), () => body(...row));
}

function environment(run: KubectlRun): NodeJS.ProcessEnv {
  const cacheDir = run.cacheDir ?? join(dirname(run.kubeconfig), 'kube-cache');
  mkdirSync(cacheDir, { recursive: true });
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: cacheDir,
    KUBECONFIG: run.kubeconfig,
    KUBECACHEDIR: cacheDir,
    ...run.env,
  };
}

/**
 * client-go's WebSocket exec client (up to 1.33) starts reading before it has registered its
 * streams, so a message that arrives in that window is discarded with `Unknown stream id 1,
 * discarding message` on stderr. The first message is kube-apiserver's empty "stream established"
 * one, whose loss costs nothing; the sandbox starts its commands 50 ms later, as a kubelet does,
 * so real output does not land in the window (the tests compare stdout byte for byte and would
 * see it). That one log line is taken out of stderr; anything else kubectl prints stays.
 */
function withoutStreamRaceNoise(stderr: string): string {
  return stderr.replace(
    /^E\d{4} [\d:.]+\s+\d+ websocket\.go:\d+\] Unknown stream id \d+, discarding message\n/gm,
    '',
  );
}

/** Runs kubectl to completion. Never rejects for a non-zero exit: assert on `code`. */
export function runKubectl(run: KubectlRun): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      kubectlPath(run.version),
      run.args,
      {
        env: environment(run),
        timeout: run.timeoutMs ?? 20_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: unknown; killed?: boolean }) | null;
        const code = failure ? (typeof failure.code === 'number' ? failure.code : null) : 0;
        resolve({ code, stdout, stderr: withoutStreamRaceNoise(stderr), timedOut: failure?.killed === true });
      },
    );
    if (run.stdin !== undefined) child.stdin?.end(run.stdin);
    else child.stdin?.end();
  });
}

/** Starts a long-running kubectl (stdout/stderr piped). Stop it with `child.kill()`. */
export function spawnKubectl(run: KubectlRun): ChildProcess {
  const child = spawn(kubectlPath(run.version), run.args, {
    env: environment(run),
    stdio: [run.stdin === undefined && !run.keepStdinOpen ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (run.keepStdinOpen) child.stdin?.write(run.stdin ?? '');
  else if (run.stdin !== undefined) child.stdin?.end(run.stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), run.timeoutMs ?? 20_000);
  child.once('close', () => clearTimeout(timer));
  return child;
}

/** Resolves with everything printed (stdout and stderr) once `pattern` matches it. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('close', onClose);
      if (error) reject(error);
      else resolve(seen);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (pattern.test(seen)) finish();
    };
    const onClose = (): void =>
      finish(new Error(`kubectl exited before printing ${pattern}; output:\n${seen}`));
    const timer = setTimeout(
      () => finish(new Error(`timed out waiting for ${pattern}; output:\n${seen}`)),
      timeoutMs,
    );
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('close', onClose);
  });
}

export interface TempKubeconfig {
  /** The kubeconfig file. */
  path: string;
  /** Its directory (also holds kubectl's cache); removed by cleanup. */
  dir: string;
  cleanup(): Promise<void>;
}

/** Writes `content` (a kubeconfig YAML) to a fresh temp directory, mode 0600. */
export async function writeTempKubeconfig(
  content: string,
  prefix = 'hoop-kubeconfig-',
): Promise<TempKubeconfig> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const path = join(dir, 'kubeconfig');
  await writeFile(path, content, { mode: 0o600 });
  return { path, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
