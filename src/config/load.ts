import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { IssuerConfig } from '../authn/issuer-config.ts';
import { type PeopleIssuerConfig, parsePeopleIssuer } from '../authn/people-config.ts';
import { ConfigError } from '../errors.ts';
import { type CompiledMaskingPolicy, compileMaskingPolicy } from '../masking/policy.ts';
import { policyOfConfig } from '../policy/load-file.ts';
import type { CompiledPolicy } from '../policy/policy.types.ts';
import type { RedisSettings } from '../queues/redis-settings.ts';
import { withHashTag } from '../redis/hash-tag.ts';
import { type ApprovalsSettings, resolveApprovals } from './approvals.ts';
import type { AwsAuthenticationConfig } from './aws-authentication.ts';
import { type ConnectionSettings, resolveConnections } from './connections.ts';
import { type ConsoleSettings, resolveConsole } from './console.ts';
import type { EksClusterConfig } from './eks-cluster.ts';
import { expandEnv } from './env-expand.ts';
import {
  type AuditWebhookSettings,
  type MetricsSettings,
  resolveAudit,
  resolveMetrics,
} from './operations.ts';
import { type RecordingSettings, resolveRecording } from './recording.ts';
import { resolveRedisTopology } from './redis-topology.ts';
import { configSchema, durationMs, type RawConfig } from './schema.ts';
import { resolveSlack, type SlackSettings } from './slack.ts';
import { resolveTeams, type TeamsSettings } from './teams.ts';

/** One cluster with its upstream source resolved to absolute paths. */
export interface ClusterSettings {
  name: string;
  upstream:
    | { kind: 'kubeconfig'; path: string; context: string | undefined; execTimeoutMs: number }
    | { kind: 'inCluster' }
    | ({ kind: 'eks' } & EksClusterConfig);
  upstreamTimeoutMs: number;
}

/** The validated configuration, every default applied and every path absolute. */
export interface GatewayConfig {
  /** The config file this came from. */
  file: string;
  listen: { host: string; port: number };
  /** The `connections:` section with defaults (connections.ts). */
  connections: ConnectionSettings;
  dataDir: string;
  publicUrl: string | undefined;
  tls: { certFile: string; keyFile: string } | undefined;
  tlsHosts: string[];
  issuers: IssuerConfig[];
  /** `authentication.aws`: agents authenticated by AWS IAM, or undefined. */
  aws: AwsAuthenticationConfig | undefined;
  /** `authentication.people`: who may sign in to decide reviews; undefined: no approvals API. */
  people: PeopleIssuerConfig | undefined;
  identity: RawConfig['identity'];
  clusters: ClusterSettings[];
  policy: CompiledPolicy;
  /** The file `policyFile:` names (absolute), watched for reloads; undefined for an inline policy. */
  policyFile: string | undefined;
  /** The `masking:` section, compiled (default: every Secret value masked for every caller). */
  masking: CompiledMaskingPolicy;
  /** The `approvals:` section with defaults (approvals.ts). */
  approvals: ApprovalsSettings;
  /** The `recording:` section with defaults (recording.ts). */
  recording: RecordingSettings;
  /** The `redis:` section, files read: ACL user, password, TLS for every Redis connection. */
  redis: RedisSettings;
  /** The `slack:` section with defaults (slack.ts); undefined when Slack is not configured. */
  slack: SlackSettings | undefined;
  /** The `teams:` section with defaults (teams.ts); undefined when Teams is not configured. */
  teams: TeamsSettings | undefined;
  log: RawConfig['log'];
  /** The metrics and health listener; undefined when `metrics: false`. */
  metrics: MetricsSettings;
  /** SIGTERM: the longest the process takes to stop, in milliseconds. */
  shutdownGraceMs: number;
  /** The streaming audit webhook, when `audit:` is configured. */
  audit: AuditWebhookSettings | undefined;
  /** The `console:` section (console.ts); undefined when there is no web console. */
  console: ConsoleSettings | undefined;
}

const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;

function fieldOf(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

function firstIssue(error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  if (!issue) return new ConfigError('(config)', 'invalid');
  if (issue.code === 'unrecognized_keys') {
    return new ConfigError(fieldOf([...issue.path, issue.keys[0] ?? '']), 'unknown field');
  }
  return new ConfigError(fieldOf(issue.path) || '(config)', issue.message);
}

/**
 * Reads `hoop.yaml`: YAML, `${ENV}` expansion for secrets, validation (every error names the field
 * and the file), defaults, paths resolved against the file's directory, and the policy compiled.
 * A broken file stops start-up here, never at the first request. The file is read and parsed
 * once; the policy (embedded, or the file `policyFile:` names) is compiled from that parse.
 */
export async function loadConfigFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatewayConfig> {
  const path = resolve(file);
  const dir = dirname(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      path,
      `cannot read the config file: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  const [syntax] = doc.errors;
  if (syntax) throw new ConfigError(path, `not valid YAML: ${syntax.message.split('\n')[0]}`);
  const js = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const expanded = expandEnv(js, env);

  const parsed = configSchema.safeParse(expanded);
  if (!parsed.success) {
    throw firstIssue(parsed.error).within(`${path}: `);
  }
  const raw = parsed.data;
  if (!raw.policy && !raw.policyFile) {
    throw new ConfigError(`${path}: policy`, 'set policy: (inline rules) or policyFile: (a path)');
  }
  const names = new Set<string>();
  const clusters = raw.clusters.map((cluster, index): ClusterSettings => {
    if (names.has(cluster.name)) throw new ConfigError(`${path}: clusters[${index}].name`, 'listed twice');
    names.add(cluster.name);
    return {
      name: cluster.name,
      upstream: cluster.kubeconfig
        ? {
            kind: 'kubeconfig',
            path: resolve(dir, cluster.kubeconfig.path),
            context: cluster.kubeconfig.context,
            execTimeoutMs: durationMs(cluster.kubeconfig.execTimeout ?? '30s'),
          }
        : cluster.eks
          ? { kind: 'eks', ...cluster.eks }
          : { kind: 'inCluster' },
      upstreamTimeoutMs: cluster.upstreamTimeout
        ? durationMs(cluster.upstreamTimeout)
        : DEFAULT_UPSTREAM_TIMEOUT_MS,
    };
  });

  let people: PeopleIssuerConfig | undefined;
  try {
    people = parsePeopleIssuer(raw.authentication.people, raw.authentication.issuers as IssuerConfig[]);
  } catch (error) {
    throw error instanceof ConfigError ? error.within(`${path}: `) : error;
  }
  if (people?.caFile) people.caFile = resolve(dir, people.caFile);
  if (raw.console && !people) {
    throw new ConfigError(
      'console',
      'the console signs people in with authentication.people: configure it (docs/console.md)',
    ).within(`${path}: `);
  }

  // The policy comes from the file as written: `${…}` in a policy is never expanded.
  const policy = await policyOfConfig(path, js as Record<string, unknown>);
  const approvals = resolveApprovals(raw.approvals, policy, env, dir);
  const recording = resolveRecording(raw.recording, resolve(dir, raw.dataDir), dir, approvals);
  let redis: RedisSettings;
  try {
    redis = await resolveRedisTopology(
      raw.redis,
      dir,
      [
        {
          field: 'approvals.redisUrl',
          url: approvals.redisUrl,
          used: approvals.enabled,
          given: raw.approvals?.redisUrl !== undefined,
        },
        {
          field: 'recording.redisUrl',
          url: recording.redisUrl,
          used: recording.enabled,
          given: raw.recording?.redisUrl !== undefined,
        },
      ],
      durationMs,
    );
  } catch (error) {
    throw error instanceof ConfigError ? error.within(`${path}: `) : error;
  }
  if (redis.cluster) {
    // Every key of one BullMQ queue must share a slot: BullMQ's documented `{prefix}` form. Only
    // on a cluster, so a single Redis or Sentinel keeps the queue keys it already has.
    approvals.queuePrefix = withHashTag(approvals.queuePrefix);
    recording.queuePrefix = withHashTag(recording.queuePrefix);
    recording.notifyPrefix = approvals.queuePrefix;
  }
  return {
    file: path,
    listen: raw.listen,
    connections: resolveConnections(raw.connections, durationMs),
    dataDir: resolve(dir, raw.dataDir),
    publicUrl: raw.publicUrl,
    tls: raw.tls
      ? { certFile: resolve(dir, raw.tls.certFile), keyFile: resolve(dir, raw.tls.keyFile) }
      : undefined,
    tlsHosts: raw.tlsHosts,
    issuers: raw.authentication.issuers as IssuerConfig[],
    aws: raw.authentication.aws,
    people,
    identity: raw.identity,
    clusters,
    policy,
    policyFile: raw.policyFile ? resolve(dir, raw.policyFile) : undefined,
    masking: compileMaskingPolicy(raw.masking),
    approvals,
    recording,
    redis,
    slack: resolveSlack(raw.slack),
    teams: resolveTeams(raw.teams),
    log: raw.log,
    metrics: resolveMetrics(raw.metrics),
    shutdownGraceMs: durationMs(raw.shutdown.gracePeriod),
    audit: resolveAudit(raw.audit, (file) => resolve(dir, file)),
    console: resolveConsole(raw.console, dir),
  };
}
