import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OidcIssuer, type OidcIssuerClient, startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { type Sandbox, startSandbox } from '@hoop-gateway/sandbox/server';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { startConsoleFor } from '../../cli/serve.ts';
import type { RunningConsole } from '../../console/server/main.ts';
import { createPeopleAuthenticator } from '../../gateway/authn/people-authenticator.ts';
import { type RunningGateway, startGateway } from '../../gateway/main.ts';
import type { DecisionSigner } from '../../src/approvals/signing/decision-keys.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { renderKubeconfig } from '../../src/kubeconfig/render.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { topologyOf } from '../../src/queues/redis-settings.ts';
import { writeKeyPair } from './decision-keys.ts';
import { freePort } from './free-port.ts';
import { gatewayKubeconfig, type KubeApiserver } from './kube-apiserver.ts';
import { deleteKeys, REDIS_URL } from './redis.ts';
import { dumpRedis, leaveEvidence, MIN_SCANNED_LENGTH, secretValues } from './secret-scan.ts';

export const AUDIENCE = 'https://hoop-gateway.test';

/** The agents every stack's issuer knows. */
export const AGENTS = {
  agent: { clientId: 'agent-1', clientSecret: 'agent-1-secret-value', groups: ['ai-agents'] },
  ci: {
    clientId: 'ci-deployer',
    clientSecret: 'ci-deployer-secret-value',
    groups: ['ci'],
    extraClaims: { repository: 'acme/payments', workflow: 'deploy', ref: 'refs/heads/main', actor: 'alice' },
  },
  outsider: { clientId: 'outsider', clientSecret: 'outsider-secret-value', groups: [] as string[] },
};

/** People who can sign in (device flow) to decide reviews; alice owns the CI job (`actor`). */
export const PEOPLE = {
  alice: { id: 'alice', email: 'alice@example.com', groups: ['sre'] },
  bob: { id: 'bob', email: 'bob@example.com', groups: ['sre'] },
  carol: { id: 'carol', email: 'carol@example.com', groups: ['platform'] },
  mallory: { id: 'mallory', email: 'mallory@example.com', groups: [] as string[] },
  approver1: { id: 'approver-1', email: 'approver-1@example.com', groups: [] as string[] },
};
export const PEOPLE_CLIENT = 'hoop-gateway-cli';
export const PEOPLE_AUDIENCE = `${AUDIENCE}/approvals`;

/** What every stack has: a gateway started from a real config file, its issuer, its log. */
export interface GatewayStack {
  dir: string;
  issuer: OidcIssuer;
  gateway: RunningGateway;
  /** Signs as the chat bot would (the gateway trusts it: `approvals.signing.botPrivateKey`). */
  botSigner: DecisionSigner;
  /** The break-glass private key file (its public key is trusted with role break-glass). */
  breakGlassKeyFile: string;
  /** Log lines the gateway wrote (pino JSON), for assertions. */
  logLines: string[];
  /** The `clusters:` entry the upstream is configured as (`sandbox`, `kube`). */
  cluster: string;
  /** The web console, when started with `console` (same local CA as the gateway). */
  console?: RunningConsole & { publicUrl: string; caPem: string; keyPrefix: string };
  /** Writes a kubeconfig for an agent pointing at the gateway, with a fresh token from the issuer. */
  kubeconfigFor(clientId: string, cluster?: string): Promise<string>;
  clusterUrl(cluster?: string): string;
  close(): Promise<void>;
}

/** A gateway in front of the sandbox (packages/sandbox). */
export interface Stack extends GatewayStack {
  sandbox: Sandbox;
}

/** A gateway in front of a real kube-apiserver (test/support/kube-apiserver.ts). */
export interface KubeApiserverStack extends GatewayStack {
  apiserver: KubeApiserver;
}

interface GatewayOptions {
  policy: unknown;
  config?: Record<string, unknown>;
  /**
   * More `clusters:` entries after the default one (kubeconfig paths absolute or relative to the
   * stack's directory), e.g. a cluster whose upstream is down.
   */
  extraClusters?: Array<Record<string, unknown>>;
  /** More clients for the issuer besides {@link AGENTS} (e.g. ones with hostile group claims). */
  extraAgents?: OidcIssuerClient[];
  /**
   * Starts the web console too (console/server), signing with its own key the gateway trusts;
   * default viewers `sre` and `platform`. `assets` points at a front-end bundle directory.
   */
  console?: { viewers?: string[]; assets?: string; sessionMaxAge?: string; maxLiveViews?: number };
}

/**
 * A whole gateway for end-to-end tests: the sandbox cluster, a real OpenID provider on loopback and
 * the gateway started from a real config file (the same path `hoop-gateway serve` takes).
 */
export async function startStack(
  options: GatewayOptions & { kubeVersion?: string; http2?: boolean },
): Promise<Stack> {
  const sandbox = await startSandbox({
    kubeVersion: options.kubeVersion ?? '1.33',
    seed: true,
    logFollowIntervalMs: 200,
    http2: options.http2 === true,
  });
  // Every secret value this cluster ever holds, for the after-run scan (secret-scan.ts).
  const secrets = new Set<string>();
  const collect = (object: unknown): void => {
    for (const value of secretValues(object)) secrets.add(value);
  };
  for (const secret of sandbox.store.list('secrets')) collect(secret);
  sandbox.store.subscribe((event) => {
    if (event.resource === 'secrets') collect(event.object);
  });
  try {
    const stack = await startGatewayStack('sandbox', sandbox.kubeconfig(), options, secrets);
    return {
      ...stack,
      sandbox,
      close: async () => {
        await stack.close();
        await sandbox.close();
      },
    };
  } catch (error) {
    await sandbox.close();
    throw error;
  }
}

/**
 * The same gateway in front of a running real kube-apiserver, as cluster `kube`. The gateway's
 * upstream credential is the hoop-gateway service account with only the shipped impersonation
 * ClusterRole ({@link gatewayKubeconfig}). The apiserver is not stopped by `close`: one apiserver
 * can serve several stacks.
 */
export async function startKubeApiserverStack(
  options: GatewayOptions & { apiserver: KubeApiserver },
): Promise<KubeApiserverStack> {
  const stack = await startGatewayStack('kube', await gatewayKubeconfig(options.apiserver), options);
  return { ...stack, apiserver: options.apiserver };
}

/**
 * The gateway, its issuer (agents and people), its decision keys and its evidence for the secret
 * scan; `secrets` holds the values the upstream's Secrets held (the tokens issued are added here).
 */
async function startGatewayStack(
  clusterName: string,
  upstreamKubeconfig: string,
  options: GatewayOptions,
  secrets: Set<string> = new Set(),
): Promise<GatewayStack> {
  const dir = await mkdtemp(join(tmpdir(), 'hoop-stack-'));
  const keyPrefix = `hoop-test-${randomBytes(4).toString('hex')}`;
  const consolePort = options.console ? await freePort() : undefined;
  const consoleUrl = consolePort ? `https://127.0.0.1:${consolePort}` : undefined;
  const issuer = await startOidcIssuer({
    audience: AUDIENCE,
    clients: [...Object.values(AGENTS), ...(options.extraAgents ?? [])],
    people: {
      clientId: PEOPLE_CLIENT,
      audience: PEOPLE_AUDIENCE,
      accounts: Object.values(PEOPLE),
      ...(consoleUrl ? { redirectUris: [`${consoleUrl}/auth/callback`] } : {}),
    },
  });
  const bot = await writeKeyPair(join(dir, 'keys'), 'bot', 'bot');
  const breakGlass = await writeKeyPair(join(dir, 'keys'), 'break-glass', 'break-glass');
  if (options.console) await writeKeyPair(join(dir, 'keys'), 'console', 'console');
  const signing = {
    botPrivateKey: 'keys/bot.key',
    ...(options.console ? { consolePrivateKey: 'keys/console.key' } : {}),
    trustedKeys: [{ publicKey: 'keys/break-glass.pub', role: 'break-glass' }],
  };
  await writeFile(join(dir, 'upstream.kubeconfig'), upstreamKubeconfig, { mode: 0o600 });
  const config: Record<string, unknown> = {
    listen: { host: '127.0.0.1', port: 0 },
    dataDir: 'data',
    authentication: {
      issuers: [{ issuer: issuer.issuer, audience: AUDIENCE }],
      people: { issuer: issuer.issuer, audience: PEOPLE_AUDIENCE, clientId: PEOPLE_CLIENT },
    },
    clusters: [
      { name: clusterName, kubeconfig: { path: 'upstream.kubeconfig' } },
      ...(options.extraClusters ?? []),
    ],
    policy: options.policy,
    // A fresh Redis key prefix per stack: test files run in parallel against one Redis server.
    approvals: { keyPrefix },
    ...(options.console && consoleUrl
      ? {
          console: {
            listen: { host: '127.0.0.1', port: consolePort },
            publicUrl: consoleUrl,
            viewers: options.console.viewers ?? ['sre', 'platform'],
            assets: options.console.assets ?? 'no-console-bundle',
            ...(options.console.sessionMaxAge ? { sessionMaxAge: options.console.sessionMaxAge } : {}),
            ...(options.console.maxLiveViews ? { maxLiveViews: options.console.maxLiveViews } : {}),
          },
        }
      : {}),
    ...options.config,
  };
  // Every stack signs and verifies decisions with the same test keys unless a test says otherwise.
  const approvals = config['approvals'] as Record<string, unknown> | undefined;
  if (approvals && approvals['signing'] === undefined) config['approvals'] = { ...approvals, signing };
  await writeFile(join(dir, 'hoop.yaml'), stringify(config));
  const logLines: string[] = [];
  // Capture what the gateway logs without printing it into the test output.
  const stream = { write: (line: string) => void logLines.push(line) };
  const loaded = await loadConfigFile(join(dir, 'hoop.yaml'));
  const gateway = await startGateway(loaded, pino({ level: 'info' }, stream));
  let consoleServer: GatewayStack['console'];
  if (options.console && consoleUrl) {
    try {
      // The tokens people sign in with join the after-run secret scan.
      const people = createPeopleAuthenticator(loaded.people!);
      const verifier = {
        authenticate: (token: string) => {
          for (const part of token.split('.')) if (part.length >= MIN_SCANNED_LENGTH * 2) secrets.add(part);
          return people.authenticate(token);
        },
      };
      const running = await startConsoleFor(
        loaded,
        pino({ level: 'info' }, stream).child({ component: 'console' }),
        { verifier },
      );
      consoleServer = Object.assign(running, {
        publicUrl: consoleUrl,
        caPem: gateway.caPem ?? '',
        keyPrefix: loaded.approvals.queuePrefix,
      });
    } catch (error) {
      await gateway.close();
      await issuer.close();
      throw error;
    }
  }

  const clusterUrl = (cluster = clusterName) => `${gateway.url}/clusters/${cluster}`;
  return {
    dir,
    issuer,
    gateway,
    botSigner: bot.signer,
    breakGlassKeyFile: breakGlass.keyFile,
    logLines,
    cluster: clusterName,
    ...(consoleServer ? { console: consoleServer } : {}),
    clusterUrl,
    kubeconfigFor: async (clientId, cluster = clusterName) => {
      const token = await issuer.issueToken(clientId);
      for (const part of token.split('.')) if (part.length >= MIN_SCANNED_LENGTH * 2) secrets.add(part);
      const path = join(dir, `${clientId}-${cluster}.kubeconfig`);
      await writeFile(
        path,
        renderKubeconfig({
          server: clusterUrl(cluster),
          caPem: gateway.caPem ?? '',
          user: { token },
          name: 'agent',
        }),
        {
          mode: 0o600,
        },
      );
      return path;
    },
    close: async () => {
      await consoleServer?.close();
      await gateway.close();
      for (const token of issuer.issuedRefreshTokens()) secrets.add(token);
      await issuer.close();
      // Reviews, queues and recordings this stack left under its fresh prefix (when it used it):
      // handed to the after-run secret scan with the log and the archive, then deleted.
      // REDIS_URL, where the stack's prefix lives; with a Sentinel or Cluster `redis:` section, that.
      const topology = topologyOf(loaded.redis) === 'single' ? undefined : loaded.redis;
      const redis = createRequestConnection({ url: REDIS_URL, redis: topology });
      try {
        await whenReady(redis, 5000);
        await leaveEvidence(keyPrefix, {
          secrets,
          logLines,
          redisDump: await dumpRedis(redis, `${keyPrefix}:*`),
          dataDir: join(dir, 'data'),
        });
        await deleteKeys(redis, `${keyPrefix}:*`);
      } finally {
        redis.disconnect();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
