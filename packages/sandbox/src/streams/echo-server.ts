/**
 * The sandbox's stand-in for "a process listening in the pod": one loopback TCP echo server
 * per process, started on first use, that every forwarded pod port connects to. It echoes bytes
 * back and half-closes when the client half-closes, so a port-forward round trip and its
 * teardown can both be observed from outside.
 *
 * The listener is unref'd: it never keeps a process (a test run, the demo) alive on its own.
 */
import net from 'node:net';

let listening: Promise<net.Server> | undefined;

function start(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => socket.destroy());
      socket.pipe(socket);
    });
    server.once('error', (error) => {
      listening = undefined;
      reject(error);
    });
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve(server);
    });
  });
}

/** The echo server's loopback port, starting the server if needed. */
export async function echoServerPort(): Promise<number> {
  listening ??= start();
  const address = (await listening).address();
  if (address === null || typeof address === 'string') throw new Error('echo server has no TCP address');
  return address.port;
}

/** Connections the echo server currently holds (0 if it never started): a leak check for tests. */
export async function echoServerConnections(): Promise<number> {
  if (!listening) return 0;
  const server = await listening;
  return new Promise((resolve, reject) => {
    server.getConnections((error, count) => (error ? reject(error) : resolve(count)));
  });
}
