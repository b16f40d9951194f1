import { z } from 'zod';
import { identityValueProblem } from '../authn/identity-value.ts';
import { approvalsSchema } from './approvals.ts';
import { awsAuthenticationSchema } from './aws-authentication.ts';
import { connectionsSchema } from './connections.ts';
import { eksClusterSchema } from './eks-cluster.ts';
import { auditSchema, metricsSchema, shutdownSchema } from './operations.ts';
import { recordingSchema } from './recording.ts';
import { redisTopologySchema } from './redis-topology.ts';
import { slackSchema } from './slack.ts';
import { teamsSchema } from './teams.ts';

/**
 * The gateway's YAML configuration (`hoop.yaml`), validated in one place. Sections owned by other
 * modules (authentication issuers, policy, masking) are validated by those modules' own schemas in
 * load.ts, so each rule lives beside the code that uses it.
 */

const duration = z.string().regex(/^\d+(ms|s|m|h)$/, 'a duration such as 500ms, 20s, 15m or 1h');

/** A name the gateway sends in an Impersonate-* header: see src/authn/identity-value.ts. */
const identityName = z.string().superRefine((value, ctx) => {
  const problem = identityValueProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `an identity name that ${problem}` });
});

/** A prefix of such a name: may be empty, may end in a space, never control characters. */
const identityPrefix = z.string().superRefine((value, ctx) => {
  const problem = value === '' ? undefined : identityValueProblem(`${value}x`);
  if (problem) ctx.addIssue({ code: 'custom', message: `a name prefix that ${problem}` });
});

const upstreamKubeconfig = z.strictObject({
  /** Path to a kubeconfig file (relative to the config file). */
  path: z.string().min(1),
  /** Context to use; the kubeconfig's current-context when omitted. */
  context: z.string().min(1).optional(),
  /** How long an exec credential plugin (e.g. `aws eks get-token`) may run; default 30s. */
  execTimeout: duration.optional(),
});

const clusterSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a DNS label: lowercase letters, digits and "-"'),
    kubeconfig: upstreamKubeconfig.optional(),
    inCluster: z.boolean().optional(),
    /** An EKS cluster, reached with the gateway's AWS identity (eks-cluster.ts). */
    eks: eksClusterSchema.optional(),
    /** Seconds to wait for upstream response headers before answering 504. */
    upstreamTimeout: duration.optional(),
  })
  .refine(
    (c) => Number(Boolean(c.kubeconfig)) + Number(Boolean(c.inCluster)) + Number(Boolean(c.eks)) === 1,
    {
      message: 'set exactly one upstream credential source: kubeconfig, inCluster or eks',
    },
  );

export const configSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8443),
    })
    .default({ host: '127.0.0.1', port: 8443 }),
  /** Client timeouts and connection caps (see connections.ts). */
  connections: connectionsSchema.optional(),
  /** Where the gateway keeps its generated TLS material (and, later, recordings). */
  dataDir: z.string().default('.hoop-data'),
  /** The URL agents use to reach the gateway; goes into messages and generated kubeconfigs. */
  publicUrl: z.url().optional(),
  tls: z
    .strictObject({
      certFile: z.string().min(1),
      keyFile: z.string().min(1),
    })
    .optional(),
  /** Extra host names and IPs for the generated serving certificate. */
  tlsHosts: z.array(z.string().min(1)).default([]),
  authentication: z
    .strictObject({
      issuers: z.array(z.unknown()).default([]),
      /** Agents authenticated by AWS IAM (aws-authentication.ts). */
      aws: awsAuthenticationSchema.optional(),
      /** The issuer people sign in with to decide reviews (src/authn/people-config.ts). */
      people: z.unknown().optional(),
    })
    .refine((a) => a.issuers.length > 0 || a.aws !== undefined, {
      message: 'configure at least one OIDC issuer (issuers) or AWS IAM authentication (aws)',
    }),
  identity: z
    .strictObject({
      /** Prefix for Impersonate-User, so cluster RBAC and audit can tell agents from people. */
      userPrefix: identityPrefix.default('hoop:'),
      /** Prefix for every Impersonate-Group taken from the token. */
      groupPrefix: identityPrefix.default(''),
      /** Groups every agent gets upstream, in addition to its token's. */
      extraGroups: z.array(identityName).default([]),
    })
    .default({ userPrefix: 'hoop:', groupPrefix: '', extraGroups: [] }),
  clusters: z.array(clusterSchema).min(1, 'configure at least one cluster'),
  policy: z.unknown().optional(),
  policyFile: z.string().min(1).optional(),
  masking: z.unknown().optional(),
  /** Holding requests for review: Redis, hold time, terminal approver (see approvals.ts). */
  approvals: approvalsSchema.optional(),
  /** Session recording: Redis, idle gap, body cap, retention, archive dir (see recording.ts). */
  recording: recordingSchema.optional(),
  /** Which Redis topology every connection uses, how it authenticates and verifies (redis-topology.ts). */
  redis: redisTopologySchema.optional(),
  /** The Slack approval bot (see slack.ts); absent: no Slack. */
  slack: slackSchema.optional(),
  /** The plain-HTTP metrics and health listener (operations.ts); `false` turns it off. */
  metrics: metricsSchema.optional(),
  /** How long SIGTERM may take (operations.ts). */
  shutdown: shutdownSchema.default({ gracePeriod: '30s' }),
  /** The streaming audit sink (operations.ts). */
  audit: auditSchema.optional(),
  /** The Microsoft Teams approval bot (see teams.ts); absent: no Teams. */
  teams: teamsSchema.optional(),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    })
    .default({ level: 'info' }),
});

export type RawConfig = z.infer<typeof configSchema>;
export type ClusterConfig = z.infer<typeof clusterSchema>;

/** Parses `20s`, `15m`, `500ms`, `1h` into milliseconds. */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}
