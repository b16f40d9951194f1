/**
 * What the agent does in the browser tests, always with the real kubectl through the gateway:
 * an exec whose typed commands the replay must show, a `kubectl proxy` (one long-lived recorded
 * session whose calls arrive one by one, and the quickest way to record thousands of calls), and
 * an exec shell kept open for the live view.
 */
import type { ChildProcess } from 'node:child_process';
import { runKubectl, spawnKubectl, waitForOutput } from '../support/kubectl.ts';

export const KUBECTL_VERSION = '1.33';

/** `kubectl exec -i … -- sh` typing `lines`; resolves with what kubectl printed. */
export async function execTyping(kubeconfig: string, lines: string[]): Promise<string> {
  const run = await runKubectl({
    kubeconfig,
    version: KUBECTL_VERSION,
    args: ['exec', '-i', '-n', 'payments', 'ledger-0', '--', 'sh'],
    stdin: `${lines.join('\n')}\nexit\n`,
    timeoutMs: 30_000,
  });
  if (run.code !== 0) throw new Error(`kubectl exec failed (${run.code}): ${run.stderr}`);
  return run.stdout;
}

export interface KubectlProxy {
  /** GET through the proxy, to a path below the gateway's cluster URL (`/api/v1/namespaces`). */
  get(path: string): Promise<number>;
  stop(): void;
}

/**
 * `kubectl proxy`: kubectl sends no Kubectl-Session header for proxied calls, so the gateway
 * records them as one session until an idle gap. The proxy forwards the request path as it is
 * (the kubeconfig server's path is dropped), so paths get the cluster prefix here.
 */
export async function startProxy(kubeconfig: string, clusterPath: string): Promise<KubectlProxy> {
  const child = spawnKubectl({
    kubeconfig,
    version: KUBECTL_VERSION,
    args: ['proxy', '--port=0'],
    timeoutMs: 300_000,
  });
  const printed = await waitForOutput(child, /Starting to serve on [\d.]+:\d+\n/);
  const port = /Starting to serve on [\d.]+:(\d+)/.exec(printed)?.[1];
  return {
    async get(path) {
      const response = await fetch(`http://127.0.0.1:${port}${clusterPath}${path}`);
      await response.arrayBuffer();
      return response.status;
    },
    stop: () => void child.kill(),
  };
}

/** `count` GETs through the proxy, `parallel` at a time; each is a request and a response event. */
export async function manyCalls(
  proxy: KubectlProxy,
  path: string,
  count: number,
  parallel = 8,
): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started += 1;
      const status = await proxy.get(path);
      if (status !== 200) throw new Error(`proxied GET ${path} answered ${status}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** An exec shell left open: the test types into it while the browser watches. */
export interface OpenShell {
  type(line: string): void;
  /** Resolves with everything printed so far once `pattern` appears. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Types `exit` and waits for kubectl to end. */
  exit(): Promise<number | null>;
  child: ChildProcess;
}

export function openShell(kubeconfig: string): OpenShell {
  const child = spawnKubectl({
    kubeconfig,
    version: KUBECTL_VERSION,
    args: ['exec', '-i', '-n', 'payments', 'ledger-0', '--', 'sh'],
    keepStdinOpen: true,
    timeoutMs: 120_000,
  });
  return {
    child,
    type: (line) => void child.stdin?.write(`${line}\n`),
    waitFor: (pattern) => waitForOutput(child, pattern),
    exit: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('close', (code) => resolve(code));
        child.stdin?.end('exit\n');
      }),
  };
}
