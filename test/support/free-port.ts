import { once } from 'node:events';
import { createServer } from 'node:net';

/** Ports handed out in this test file's worker: each was free when bound, not yet in use since. */
const handedOut = new Set<number>();

/**
 * A loopback port the kernel just handed out (bound, then released), for a server or child that
 * must listen where the test says. Never one handed out before in this worker: the kernel may bind
 * a port just released again, so two asked for one after another (a Redis primary and its
 * replica, a gateway and its metrics listener) could otherwise be the same port.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const address = probe.address();
    probe.close();
    await once(probe, 'close');
    if (address === null || typeof address === 'string') throw new Error('no free port');
    if (handedOut.has(address.port)) continue;
    handedOut.add(address.port);
    return address.port;
  }
}
