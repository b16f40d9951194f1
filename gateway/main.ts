import { readFile } from 'node:fs/promises';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type GatewaySigning, loadGatewaySigning } from '../src/approvals/signing/load-signing.ts';
import { type GatewayConfig, loadConfigFile } from '../src/config/load.ts';
import { ConfigError } from '../src/errors.ts';
import { settledWithin } from '../src/ops/bounded.ts';
import { createHealth, type Health } from '../src/ops/health.ts';
import { type RedisProbe, redisProbe } from '../src/ops/redis-probe.ts';
import { evaluate } from '../src/policy/evaluate.ts';
import { QUEUE_NAMES } from '../src/queues/names.ts';
import { loadOrCreateLocalTls } from '../src/tls/local-ca.ts';
import { startApprovals } from './approvals/start.ts';
import { createApprovalsApi } from './approvals-api/router.ts';
import { startAuditSink } from './audit/audit-sink.ts';
import { createAuthenticator } from './authn/authenticator.ts';
import { createAwsAuthenticator } from './authn/aws/aws-authenticator.ts';
import { createPeopleAuthenticator } from './authn/people-authenticator.ts';
import { routeTokens } from './authn/token-router.ts';
import { endStreams } from './ops/end-streams.ts';
import { capHttpParserPool } from './ops/http-parser-pool.ts';
import { collectAfterBursts, IDLE_COLLECTOR_DEFAULTS } from './ops/idle-collector.ts';
import { createGatewayMetrics, type GatewayMetrics } from './ops/metrics.ts';
import { OpenRequests } from './ops/open-requests.ts';
import { errorText } from './ops/request-fields.ts';
import type { RecordingRuntime } from './recording/start.ts';
import { startRecording } from './recording/start.ts';
import type { GatewayCluster, GatewayRuntime, ReviewObserver } from './runtime.ts';
import { createGatewayServer, type TlsMaterial } from './server.ts';
import { inClusterTarget } from './upstream/credentials/in-cluster.ts';
import { kubeconfigTarget } from './upstream/credentials/kubeconfig.ts';

export interface RunningGateway {
  /** https://host:port of the gateway itself (clusters live under /clusters/<name>). */
  url: string;
  port: number;
  /** PEM of the CA that signed the serving certificate (the generated local CA, or undefined). */
  caPem: string | undefined;
  server: Http2SecureServer;
  /** The readiness checks (shared with the metrics listener); `draining` is set by close(). */
  health: Health;
  /** Re-reads the config file: policy, issuers, TLS certificate and key; connections stay open. */
  reload(): Promise<ReloadResult>;
  /** The files a reload reads (config, policy file, TLS certificate and key), for watching. */
  watchedFiles: string[];
  /**
   * Stops within `graceMs` (default 5 s): readiness goes 503, the listener stops accepting,
   * watches and streams are ended cleanly, in-flight requests finish, then recordings and audit
   * events are flushed; every step is bounded, so a dead Redis cannot stall it.
   */
  close(graceMs?: number): Promise<void>;
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
    const pools = { connectTimeoutMs: settings.upstreamTimeoutMs };
    const target =
      settings.upstream.kind === 'kubeconfig'
        ? await kubeconfigTarget(settings.upstream.path, settings.upstream.context, {
            execTimeoutMs: settings.upstream.execTimeoutMs,
            ...pools,
          })
        : settings.upstream.kind === 'eks'
          ? // Loaded only when used: the AWS SDK is large, and most gateways reach no EKS cluster.
            await (await import('./upstream/credentials/eks.ts')).eksTarget(
              settings.name,
              settings.upstream,
              pools,
            )
          : await inClusterTarget(process.env, undefined, pools);
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
 *
 * `ops.registry`, when given, receives the gateway's metrics (gateway/ops/metrics.ts); `ops.health`
 * receives its readiness checks (issuers' keys, upstream credentials, and Redis when approvals or
 * required recording use it), for the HTTPS listener and the metrics listener alike.
 */
export async function startGateway(
  config: GatewayConfig,
  logger: Logger,
  ops: { registry?: Registry; health?: Health } = {},
): Promise<RunningGateway> {
  const buildAuthenticator = (issuers: GatewayConfig['issuers']) => {
    try {
      return createAuthenticator(issuers);
    } catch (error) {
      throw error instanceof ConfigError ? error.within('authentication.') : error;
    }
  };
  let authenticator = buildAuthenticator(config.issuers);
  let policy = config.policy;
  const people = config.people
    ? { config: config.people, authenticator: createPeopleAuthenticator(config.people) }
    : undefined;
  const clusters = await clustersFor(config);
  const open = new OpenRequests();
  const runtime: GatewayRuntime = {
    clusters,
    // Indirections, so a reload swaps the policy and the issuers without rebuilding the chain.
    authenticator: routeTokens({
      oidc:
        config.issuers.length > 0
          ? { authenticate: (token) => authenticator.authenticate(token) }
          : undefined,
      aws: config.aws ? createAwsAuthenticator(config.aws) : undefined,
    }),
    policy: {
      evaluate: (input) => evaluate(policy, input),
      get compiled() {
        return policy;
      },
    },
    identity: config.identity,
    masking: config.masking,
    logger,
    observers: { open },
  };
  const { tls, caPem } = await tlsFor(config);
  const recording = config.recording.enabled
    ? await startRecording(config.recording, {
        masking: config.masking,
        policy: config.policy,
        logger,
        redis: config.redis,
      })
    : undefined;
  if (recording) runtime.recording = recording.runtime;
  let metrics: GatewayMetrics | undefined;
  const observer: ReviewObserver = {
    created: () => metrics?.reviewsCreated.inc(),
    decided: (review, outcome) => {
      metrics?.reviewsDecided.labels(outcome).inc();
      const end = outcome === 'expired' ? review.deadline : review.updatedAt;
      metrics?.reviewDecisionSeconds.labels(outcome).observe(Math.max(0, end - review.createdAt) / 1000);
    },
  };
  const approvals = config.approvals.enabled
    ? startApprovals(config.approvals, logger, await signingFor(config, logger), {
        observer,
        redis: config.redis,
      })
    : undefined;
  if (approvals) runtime.approvals = approvals.runtime;

  // Ready once every issuer's keys are fetched; until then /readyz answers 503 and we keep trying.
  let issuersReady = false;
  let retry: NodeJS.Timeout | undefined;
  let generation = 0;
  const checkIssuers = () => {
    const mine = generation;
    Promise.all([authenticator.ready(), people?.authenticator.ready()]).then(
      () => {
        if (mine === generation) issuersReady = true;
      },
      (error: unknown) => {
        if (mine !== generation) return;
        logger.warn(
          { err: errorText(error) },
          'an OIDC issuer is not reachable yet; /readyz answers 503 until it is',
        );
        retry = setTimeout(checkIssuers, 5_000).unref();
      },
    );
  };
  checkIssuers();

  const probes: RedisProbe[] = [];
  if (approvals) probes.push(redisProbe('approvals', approvals.connection));
  if (recording) probes.push(redisProbe('recording', recording.connection));
  // With the recording spool, a Redis outage does not stop recording: not a reason to leave the
  // load balancer (approvals still is: held calls need Redis).
  const recordingNeedsRedis = config.recording.required && !config.recording.spool;
  const requiredProbes = probes.filter((p) => p.name === 'approvals' || recordingNeedsRedis);
  const health = ops.health ?? createHealth();
  health.checks.push(
    { name: 'issuers', ok: () => issuersReady },
    { name: 'upstream-credentials', ok: upstreamCredentialsCheck(clusters) },
    ...requiredProbes.map((probe) => ({ name: `redis-${probe.name}`, ok: () => probe.up() })),
  );
  if (ops.registry) {
    metrics = createGatewayMetrics(ops.registry, {
      openStreams: () => open.countStreams(),
      redisUp: () => probes.map((probe) => ({ name: probe.name, up: probe.up() })),
      issuersReady: () => issuersReady,
      ...(approvals
        ? {
            pendingReviews: () => approvals.runtime.store.countPending(),
            notifyQueue: () => approvals.runtime.producers.queue(QUEUE_NAMES.notify).getJobCounts(),
          }
        : {}),
    });
    runtime.observers = { ...runtime.observers, metrics };
    if (recording) instrumentAppends(recording.runtime, metrics);
  }
  const audit = config.audit
    ? startAuditSink(
        config.audit,
        { identity: config.identity, masking: config.masking },
        { logger, onResult: (result, count) => metrics?.auditEvents.labels(result).inc(count) },
      )
    : undefined;
  if (audit) runtime.observers = { ...runtime.observers, audit };

  const api = createApprovalsApi({
    people: people ? { config: people.config, authenticator: people.authenticator } : undefined,
    approvals: runtime.approvals,
    logger,
    consoleUrl: config.console?.publicUrl,
  });
  const { server, closeAllConnections } = createGatewayServer(runtime, tls, {
    health,
    connections: config.connections,
    api,
  });
  // Memory a burst of connections would otherwise leave behind for good (ops/http-parser-pool.ts).
  if (!capHttpParserPool()) logger.debug('http parser pool: this Node has no free list to cap');
  const idleCollector = collectAfterBursts({
    ...IDLE_COLLECTOR_DEFAULTS,
    openLongLived: () => open.longLived(),
    logger,
    onCollect: () => metrics?.idleCollections.inc(),
  });
  open.onLongLivedEnd = () => idleCollector.ended();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    clearTimeout(retry);
    idleCollector.stop();
    await approvals?.close();
    await recording?.close();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const displayHost = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;

  const reload = async (): Promise<ReloadResult> => {
    let next: GatewayConfig;
    let nextTls: TlsMaterial | undefined;
    let nextAuthenticator: ReturnType<typeof createAuthenticator>;
    try {
      next = await loadConfigFile(config.file);
      nextAuthenticator = buildAuthenticator(next.issuers);
      if (next.tls) nextTls = (await tlsFor(next)).tls;
      if (nextTls) server.setSecureContext({ cert: nextTls.certPem, key: nextTls.keyPem }); // throws on a bad pair
    } catch (error) {
      return { ok: false, error: errorText(error) };
    }
    policy = next.policy;
    if (recording) recording.runtime.policy = next.policy;
    if (JSON.stringify(next.issuers) !== JSON.stringify(config.issuers)) {
      authenticator = nextAuthenticator;
      config.issuers = next.issuers;
      generation++;
      issuersReady = false;
      clearTimeout(retry);
      checkIssuers();
    }
    return { ok: true, rules: policy.rules.length, tls: nextTls !== undefined };
  };

  return {
    url: `https://${displayHost}:${port}`,
    port,
    caPem,
    server,
    health,
    reload,
    watchedFiles: [config.file, config.policyFile, config.tls?.certFile, config.tls?.keyFile].filter(
      (f): f is string => f !== undefined,
    ),
    close: async (graceMs = 5_000) => {
      const deadline = Date.now() + graceMs;
      health.draining = true;
      clearTimeout(retry);
      generation++;
      idleCollector.stop();
      // Stops accepting, closes idle HTTP/1.1 connections and sends HTTP/2 connections GOAWAY (their
      // open streams go on until they end or the grace period does).
      server.close();
      const ended = endStreams(open);
      if (ended > 0) logger.info({ streams: ended }, 'shutdown: watches and streams ended');
      // Leave a quarter of the grace period (at most 5 s) for flushing recordings and audit events.
      const flushMs = Math.min(5_000, graceMs / 4);
      while (open.size > 0 && Date.now() < deadline - flushMs) await sleep(50);
      if (open.size > 0) logger.warn({ requests: open.size }, 'shutdown: requests still in flight were cut');
      closeAllConnections();
      for (const cluster of clusters.values()) cluster.target.close();
      const remaining = () => Math.max(0, deadline - Date.now());
      await Promise.all([
        audit?.close(remaining()),
        settledWithin(approvals?.close() ?? Promise.resolve(), remaining()),
        settledWithin(recording?.close() ?? Promise.resolve(), remaining()),
      ]);
    },
  };
}

/** The outcome of a reload: applied, or refused with the reason (the old configuration stays). */
export type ReloadResult = { ok: true; rules: number; tls: boolean } | { ok: false; error: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Readiness of the upstream credentials: every cluster's credential source yields an
 * Authorization header (or uses a client certificate). Asked at most once a second.
 */
function upstreamCredentialsCheck(clusters: Map<string, GatewayCluster>): () => Promise<boolean> {
  let at = 0;
  let last = true;
  return async () => {
    if (Date.now() - at < 1000) return last;
    at = Date.now();
    const results = await Promise.allSettled([...clusters.values()].map((c) => c.target.authorization()));
    last = results.every((r) => r.status === 'fulfilled');
    return last;
  };
}

/**
 * Times every recording append into the metrics, by wrapping the store's `appendAll` (which its
 * `append` calls) on this one instance, so the store itself (a hot path) stays free of metrics code.
 */
function instrumentAppends(recording: RecordingRuntime, metrics: GatewayMetrics): void {
  const store = recording.store;
  const appendAll = store.appendAll.bind(store);
  store.appendAll = (...args) => {
    const started = process.hrtime.bigint();
    const result = appendAll(...args);
    result.then(
      () => metrics.recordingAppend.observe(Number(process.hrtime.bigint() - started) / 1e9),
      () => metrics.recordingAppendFailures.inc(),
    );
    return result;
  };
}
