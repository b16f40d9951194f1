/**
 * The sandbox cluster: an in-memory Kubernetes API server on loopback that speaks the real wire
 * protocol well enough for the real kubectl 1.27–1.33 (discovery, CRUD, patch in all four types,
 * server-side apply, watch, Table printing, Status errors, logs, protobuf bodies of the kinds
 * kubectl sends that way) and hands exec/attach/portforward to sandbox/streams.
 *
 * It serves HTTPS with a certificate from a CA made in memory, requires one bearer token, and
 * records every request (impersonation headers included, the token never) so tests can assert
 * what a client, or the gateway in front of it, sent.
 */
import { randomBytes } from 'node:crypto';
import { createSecureServer } from 'node:http2';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createCertificateAuthority, issueServingCertificate } from '../../../src/tls/certificate-issuer.ts';
import { createEksAuthenticator, type EksModeOptions } from './aws/eks-authenticator.ts';
import { bootstrapCluster } from './bootstrap.ts';
import { startControllers } from './controllers/run.ts';
import type { Cluster } from './http/context.ts';
import type { RecordedRequest } from './http/record.ts';
import type { Refusal } from './http/refusals.ts';
import { createRequestHandler, createUpgradeHandler } from './http/serve.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { LogBook } from './logs/log-book.ts';
import { seedCluster } from './seed.ts';
import { ObjectStore } from './store/object-store.ts';

export type { RecordedRequest } from './http/record.ts';
export type { Refusal } from './http/refusals.ts';
export { SEED_VALUES } from './seed.ts';

export interface SandboxOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** TCP port (default 0: any free port). */
  port?: number;
  /** Kubernetes minor version `/version` reports, e.g. '1.31' (default '1.33'). */
  kubeVersion?: string;
  /** The bearer token clients must present (default: random). */
  token?: string;
  /** Create the demo namespaces, workloads, config and secrets (see seed.ts). */
  seed?: boolean;
  /** Milliseconds between heartbeat lines of `logs -f` (default 1000). */
  logFollowIntervalMs?: number;
  /** Change events kept for watches resuming from a resourceVersion (default 5000). */
  watchHistoryLimit?: number;
  /**
   * EKS mode: authenticate `k8s-aws-v1.` tokens through the STS stand-in, as EKS does, instead
   * of the one bearer token (aws/eks-authenticator.ts).
   */
  eks?: EksModeOptions;
  /**
   * Offer HTTP/2 beside HTTP/1.1 (ALPN `h2`, `http/1.1`), as kube-apiserver does; upgrades
   * (exec, attach, port-forward) stay on HTTP/1.1. Default false: HTTP/1.1 only.
   */
  http2?: boolean;
}

export interface Sandbox {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  /** The CA that issued the serving certificate, PEM. */
  caPem: string;
  token: string;
  /** TLS connections open now (HTTP/2 carries many requests on one). */
  openConnections(): number;
  /** Cuts every open connection at once, as a cluster that goes away for a moment does. */
  dropConnections(): void;
  /** Every request received, in order (tests may clear it with `requests.length = 0`). */
  requests: RecordedRequest[];
  /** A kubeconfig (YAML) for this server: context `sandbox`, CA data and token inline. */
  kubeconfig(options?: { name?: string; namespace?: string }): string;
  /**
   * Test-only stand-in for RBAC: push a refusal (`{ group: 'ai-agents', verb: 'list', resource:
   * 'secrets' }`) and matching impersonated requests get kube-apiserver's 403 Forbidden.
   */
  refusals: Refusal[];
  /** The object store: read or write objects directly (writes emit watch events). */
  store: ObjectStore;
  /** Canned pod logs; `logs.define(...)` adds lines for matching pods. */
  logs: LogBook;
  /** Resolves once the controllers (deployments, replica sets, service accounts) are idle. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const kubeVersion = options.kubeVersion ?? '1.33';
  if (!/^1\.\d+$/.test(kubeVersion))
    throw new Error(`kubeVersion must look like "1.31", got "${kubeVersion}"`);
  const token = options.token ?? randomBytes(24).toString('base64url');
  const ca = await createCertificateAuthority('hoop-gateway sandbox CA');
  const hosts = [...new Set([host, '127.0.0.1', 'localhost', '::1'])].filter(
    (h) => h !== '0.0.0.0' && h !== '::',
  );
  const serving = await issueServingCertificate(ca, hosts);

  const store = new ObjectStore({ historyLimit: options.watchHistoryLimit });
  const logs = new LogBook({ followIntervalMs: options.logFollowIntervalMs });
  const cluster: Cluster = { store, logs, applied: new Map() };
  const controllers = startControllers(store);
  bootstrapCluster(store);
  if (options.seed) seedCluster(store, logs);
  await controllers.idle();

  const requests: RecordedRequest[] = [];
  const info = { kubeVersion, address: '' };
  const refusals: Refusal[] = [];
  const deps = {
    cluster,
    token,
    requests,
    info,
    refusals,
    eks: options.eks ? createEksAuthenticator(options.eks) : undefined,
  };
  const tls = { cert: serving.certPem, key: serving.keyPem };
  const handler = createRequestHandler(deps);
  const server = options.http2
    ? createSecureServer({ ...tls, allowHTTP1: true }, handler as never)
    : createServer(tls, handler);
  // Every connection, to close them all at once (an HTTP/2 server has no closeAllConnections).
  const connections = new Set<Duplex>();
  const dropConnections = () => {
    for (const socket of connections) socket.destroy();
  };
  server.on('secureConnection', (socket: Duplex) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  // An upgraded request's socket is its TLS connection, counted above.
  server.on('upgrade', createUpgradeHandler(deps));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `https://${urlHost(host === '0.0.0.0' ? '127.0.0.1' : host)}:${port}`;
  info.address = `${urlHost(host)}:${port}`;

  return {
    url,
    caPem: ca.certPem,
    token,
    requests,
    refusals,
    store,
    logs,
    openConnections: () => connections.size,
    dropConnections,
    kubeconfig: (o = {}) => renderKubeconfig({ server: url, caPem: ca.certPem, token, ...o }),
    settle: () => controllers.idle(),
    close: async () => {
      controllers.stop();
      dropConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
