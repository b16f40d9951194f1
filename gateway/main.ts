import { readFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type GatewaySigning, loadGatewaySigning } from '../src/approvals/signing/load-signing.ts';
import type { GatewayConfig } from '../src/config/load.ts';
import { ConfigError } from '../src/errors.ts';
import { evaluate } from '../src/policy/evaluate.ts';
import { loadOrCreateLocalTls } from '../src/tls/local-ca.ts';
import { startApprovals } from './approvals/start.ts';
import { createApprovalsApi } from './approvals-api/router.ts';
import { createAuthenticator } from './authn/authenticator.ts';
import { createPeopleAuthenticator } from './authn/people-authenticator.ts';
import { startRecording } from './recording/start.ts';
import type { GatewayCluster, GatewayRuntime } from './runtime.ts';
import { createGatewayServer, type TlsMaterial } from './server.ts';
import { inClusterTarget } from './upstream/credentials/in-cluster.ts';
import { kubeconfigTarget } from './upstream/credentials/kubeconfig.ts';

export interface RunningGateway {
  /** https://host:port of the gateway itself (clusters live under /clusters/<name>). */
  url: string;
  port: number;
  /** PEM of the CA that signed the serving certificate (the generated local CA, or undefined). */
  caPem: string | undefined;
  server: Server;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'];

async function tlsFor(config: GatewayConfig): Promise<{ tls: TlsMaterial; caPem: string | undefined }> {
  if (config.tls) {
    const read = (file: string, field: string) =>
      readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new ConfigError(`tls.${field}`, `cannot read ${file}: ${error.code ?? error.message}`);
      });
    return {
      tls: {
        certPem: await read(config.tls.certFile, 'certFile'),
        keyPem: await read(config.tls.keyFile, 'keyFile'),
      },
      caPem: undefined,
    };
  }
  const hosts = [...new Set([...LOOPBACK_HOSTS, ...config.tlsHosts])];
  if (config.publicUrl) hosts.push(new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, ''));
  const local = await loadOrCreateLocalTls(join(config.dataDir, 'tls'), [...new Set(hosts)]);
  return { tls: local.serving, caPem: local.ca.certPem };
}

async function clustersFor(config: GatewayConfig): Promise<Map<string, GatewayCluster>> {
  const clusters = new Map<string, GatewayCluster>();
  for (const settings of config.clusters) {
    const target =
      settings.upstream.kind === 'kubeconfig'
        ? await kubeconfigTarget(settings.upstream.path, settings.upstream.context)
        : await inClusterTarget();
    clusters.set(settings.name, {
      name: settings.name,
      target,
      upstreamTimeoutMs: settings.upstreamTimeoutMs,
    });
  }
  return clusters;
}

/** The gateway's decision keys; a generated one is announced, since replicas must share a key. */
async function signingFor(config: GatewayConfig, logger: Logger): Promise<GatewaySigning> {
  const signing = await loadGatewaySigning(config.approvals.signing, config.dataDir);
  const keyIds = [...signing.keyring].map(([keyId, key]) => ({ keyId, role: key.role }));
  if (signing.generated) {
    logger.warn(
      { keyId: signing.signer.keyId, file: join(config.dataDir, 'keys', 'gateway.key') },
      'approvals: generated a decision signing key for this gateway; replicas must share one (approvals.signing.privateKey)',
    );
  }
  logger.info(
    { keyId: signing.signer.keyId, trusted: keyIds },
    'approvals: decisions are verified with these keys',
  );
  return signing;
}

/**
 * Builds everything the pipeline needs once (credentials, authenticator, compiled policy, TLS, the
 * approvals engine when the policy or config asks for it) and starts the HTTPS server. Issuer
 * discovery starts in the background: a gateway whose issuer is briefly down still starts, and
 * `/readyz` says so until the issuer answers. Redis is not needed to start either.
 */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  let authenticator: ReturnType<typeof createAuthenticator>;
  try {
    authenticator = createAuthenticator(config.issuers);
  } catch (error) {
    throw error instanceof ConfigError ? error.within('authentication.') : error;
  }
  const people = config.people
    ? { config: config.people, authenticator: createPeopleAuthenticator(config.people) }
    : undefined;
  const clusters = await clustersFor(config);
  const runtime: GatewayRuntime = {
    clusters,
    authenticator,
    policy: { evaluate: (input) => evaluate(config.policy, input) },
    identity: config.identity,
    masking: config.masking,
    logger,
  };
  const { tls, caPem } = await tlsFor(config);
  const recording = config.recording.enabled
    ? await startRecording(config.recording, {
        masking: config.masking,
        policy: config.policy,
        logger,
        security: config.redis,
      })
    : undefined;
  if (recording) runtime.recording = recording.runtime;
  const approvals = config.approvals.enabled
    ? startApprovals(config.approvals, logger, await signingFor(config, logger), { security: config.redis })
    : undefined;
  if (approvals) runtime.approvals = approvals.runtime;

  // Ready once every issuer's keys are fetched; until then /readyz answers 503 and we keep trying.
  let issuersReady = false;
  let retry: NodeJS.Timeout | undefined;
  const checkIssuers = () => {
    Promise.all([authenticator.ready(), people?.authenticator.ready()]).then(
      () => {
        issuersReady = true;
      },
      (error: unknown) => {
        logger.warn({ err: error }, 'an OIDC issuer is not reachable yet; /readyz answers 503 until it is');
        retry = setTimeout(checkIssuers, 5_000).unref();
      },
    );
  };
  checkIssuers();

  const api = createApprovalsApi({
    people: people ? { config: people.config, authenticator: people.authenticator } : undefined,
    approvals: runtime.approvals,
    logger,
  });
  const server = createGatewayServer(runtime, tls, { ready: () => issuersReady, api });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    clearTimeout(retry);
    await approvals?.close();
    await recording?.close();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const displayHost = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  return {
    url: `https://${displayHost}:${port}`,
    port,
    caPem,
    server,
    close: async () => {
      clearTimeout(retry);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const cluster of clusters.values()) cluster.target.close();
      await approvals?.close();
      await recording?.close();
    },
  };
}
