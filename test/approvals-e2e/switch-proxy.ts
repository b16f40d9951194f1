import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP relay in front of gateway replicas, standing in for a load balancer: every connection
 * goes to the current target, and `switchTo` points new connections at another replica and cuts
 * the open ones (kubectl's idle keep-alive connection included), so the next retry of a held
 * request reaches the other replica, or a restarted one. TLS passes through untouched: the
 * replicas share one data directory, hence one serving certificate.
 */
export interface SwitchProxy {
  port: number;
  switchTo(port: number): void;
  close(): Promise<void>;
}

export async function startSwitchProxy(initialTarget: number): Promise<SwitchProxy> {
  let target = initialTarget;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy: no port');
  const cut = (): void => {
    for (const socket of open) socket.destroy();
  };
  return {
    port: address.port,
    switchTo(port) {
      target = port;
      cut();
    },
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
