/**
 * pods/portforward with the real kubectl against the real sandbox server: direct SPDY/3.1 at
 * 1.29 and 1.30, SPDY tunnelled in WebSocket (`SPDY/3.1+portforward.k8s.io`) at 1.31 and 1.33.
 * A TCP round trip through the local port reaches the echo server; a payload far beyond SPDY's
 * 64 KiB default window proves nothing waits on flow control; killing kubectl, even with a
 * forwarded connection still open, leaves no session, stream or echo connection behind.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  describeEachKubectl,
  describeWithKubectl,
  spawnKubectl,
  waitForOutput,
} from '../../../../test/support/kubectl.ts';
import {
  type SandboxFixture,
  startSandboxFixture,
  streamRequestMethods,
  waitForNoActiveStreams,
} from './sandbox-fixture.ts';

let fixture: SandboxFixture;
let child: ChildProcess | undefined;
beforeAll(async () => {
  fixture = await startSandboxFixture();
});
afterAll(async () => {
  await fixture?.close();
});
beforeEach(() => {
  fixture.sandbox.requests.length = 0;
});
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

/** Starts `kubectl port-forward pod/ledger-0 :9090` and resolves with the local port. */
async function startPortForward(version: string): Promise<number> {
  child = spawnKubectl({
    kubeconfig: fixture.kubeconfig,
    version,
    args: ['-n', 'payments', 'port-forward', 'pod/ledger-0', ':9090'],
    timeoutMs: 60_000,
  });
  const forwarding = /Forwarding from 127\.0\.0\.1:(\d+) -> 9090/;
  return Number(forwarding.exec(await waitForOutput(child, forwarding))?.[1]);
}

/** Sends `payload`, half-closes, and resolves with everything read until the peer closes. */
function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.end(payload));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

async function stopKubectl(): Promise<void> {
  const running = child;
  child = undefined;
  if (!running || running.exitCode !== null) return;
  const closed = new Promise((resolve) => running.once('close', resolve));
  running.kill('SIGTERM');
  await closed;
}

/** The minors port-forward is tested with, and the HTTP method each upgrades with. */
const PORT_FORWARD_VERSIONS: Array<[version: string, method: string]> = [
  ['1.29', 'POST'],
  ['1.30', 'POST'],
  ['1.31', 'GET'],
  ['1.33', 'GET'],
];

describeEachKubectl(PORT_FORWARD_VERSIONS, 'kubectl %s port-forward', (version, method) => {
  it('round-trips through the echo server and cleans up when kubectl ends', async () => {
    const port = await startPortForward(version);
    expect((await roundTrip(port, Buffer.from('hello sandbox'))).toString()).toBe('hello sandbox');

    const big = Buffer.alloc(512 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251;
    const [a, b] = await Promise.all([roundTrip(port, big), roundTrip(port, Buffer.from('concurrent'))]);
    expect(a.equals(big)).toBe(true);
    expect(b.toString()).toBe('concurrent');

    // SPDY upgrade is a POST; the WebSocket tunnel a GET, with no fallback to SPDY.
    expect(streamRequestMethods(fixture.sandbox, 'portforward')).toEqual([method]);
    await stopKubectl();
    await waitForNoActiveStreams();
  });
});

describeWithKubectl(['1.29', '1.33'], 'port-forward teardown', () => {
  it.each(['1.29', '1.33'])(
    'kubectl %s killed with a connection open closes it on both sides',
    async (version) => {
      const port = await startPortForward(version);
      const socket = net.connect(port, '127.0.0.1');
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.on('error', () => {});
      const echoed = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
      socket.write('still open');
      expect(await echoed).toBe('still open');

      child?.kill('SIGKILL');
      await closed;
      await waitForNoActiveStreams();
    },
  );
});
