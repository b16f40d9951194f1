/**
 * The real sandbox API server (seeded) plus a temp dir holding its kubeconfig, for the
 * streaming end-to-end tests; `close()` stops the server and removes the dir (kubectl's caches
 * live in it too: test/support/kubectl.ts puts them beside the kubeconfig).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sandbox, startSandbox } from '../../src/server.ts';
import { activeStreamCounts, echoServerConnections } from '../../src/streams/index.ts';

export interface SandboxFixture {
  sandbox: Sandbox;
  kubeconfig: string;
  close: () => Promise<void>;
}

export async function startSandboxFixture(): Promise<SandboxFixture> {
  const sandbox = await startSandbox({ kubeVersion: '1.33', seed: true });
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-streams-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, sandbox.kubeconfig());
  return {
    sandbox,
    kubeconfig,
    close: async () => {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Methods of the requests the sandbox saw for a pod's streaming subresource (GET = WebSocket). */
export function streamRequestMethods(sandbox: Sandbox, subresource: string): string[] {
  return sandbox.requests.filter((r) => r.path.endsWith(`/${subresource}`)).map((r) => r.method);
}

/** Waits until no streaming session, forwarded connection or echo connection is left. */
export async function waitForNoActiveStreams(timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = activeStreamCounts();
    const echo = await echoServerConnections();
    if (Object.values(counts).every((n) => n === 0) && echo === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`streams still active: ${JSON.stringify({ ...counts, echoConnections: echo })}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
