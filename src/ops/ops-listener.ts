import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { answerHealth, type Health } from './health.ts';

/**
 * The plain-HTTP operations listener (`metrics.listen`, default 127.0.0.1:9464): `/metrics` in the
 * Prometheus text format, and the same `/livez` `/readyz` `/healthz` as the HTTPS listener. It
 * needs no agent token, so it must only be reachable by the monitoring system (loopback by
 * default; in Kubernetes a NetworkPolicy admits the monitoring namespace only). It serves no
 * request data: metric labels are bounded sets (never names, users or tokens).
 */
export interface OpsListener {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startOpsListener(
  listen: { host: string; port: number },
  registry: Registry,
  health: Health,
): Promise<OpsListener> {
  const server = createServer((req, res) => {
    if (answerHealth(req, res, health)) return;
    if ((req.url ?? '').split('?')[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: this listener serves /metrics, /livez, /readyz and /healthz\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`metrics collection failed: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
