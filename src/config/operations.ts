import { z } from 'zod';

/**
 * The operational sections of `hoop.yaml`: the metrics/health listener, the shutdown grace period
 * and the audit webhook. Kept beside, not inside, schema.ts so their defaults and reasons live in
 * one place.
 *
 * ```yaml
 * metrics:                       # or `metrics: false` for no listener at all
 *   listen: { host: 127.0.0.1, port: 9464 }
 * shutdown:
 *   gracePeriod: 30s             # SIGTERM → exit within this long, whatever Redis does
 * audit:
 *   webhook:
 *     url: https://audit.example.com/k8s-audit
 *     caFile: audit-ca.pem       # optional: trust this CA for the webhook
 *     batchMaxSize: 100
 *     batchMaxWaitMs: 1000
 *     bufferSize: 10000          # events held while the webhook is slow; beyond it they are dropped (and counted)
 *     level: Metadata            # Metadata | Request | RequestResponse
 * ```
 */

const duration = z.string().regex(/^\d+(ms|s|m|h)$/, 'a duration such as 500ms, 20s, 15m or 1h');

export const DEFAULT_METRICS_LISTEN = { host: '127.0.0.1', port: 9464 };

export const metricsSchema = z.union([
  z.literal(false),
  z.strictObject({
    listen: z
      .strictObject({
        host: z.string().default(DEFAULT_METRICS_LISTEN.host),
        port: z.number().int().min(0).max(65535).default(DEFAULT_METRICS_LISTEN.port),
      })
      .default(DEFAULT_METRICS_LISTEN),
  }),
]);

export const shutdownSchema = z.strictObject({ gracePeriod: duration.default('30s') });

export const AUDIT_LEVELS = ['Metadata', 'Request', 'RequestResponse'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];

export const auditSchema = z.strictObject({
  webhook: z.strictObject({
    url: z.url().regex(/^https?:\/\//, 'an http:// or https:// URL'),
    caFile: z.string().min(1).optional(),
    batchMaxSize: z.number().int().min(1).max(10_000).default(100),
    batchMaxWaitMs: z.number().int().min(10).max(60_000).default(1000),
    bufferSize: z.number().int().min(1).max(1_000_000).default(10_000),
    level: z.enum(AUDIT_LEVELS).default('Metadata'),
  }),
});

/** `metrics:` resolved: where the listener binds, or undefined when it is off. */
export type MetricsSettings = { host: string; port: number } | undefined;

export interface AuditWebhookSettings {
  url: string;
  /** Absolute path, resolved against the config file's directory. */
  caFile: string | undefined;
  batchMaxSize: number;
  batchMaxWaitMs: number;
  bufferSize: number;
  level: AuditLevel;
}

export function resolveMetrics(section: z.infer<typeof metricsSchema> | undefined): MetricsSettings {
  if (section === false) return undefined;
  return section?.listen ?? DEFAULT_METRICS_LISTEN;
}

export function resolveAudit(
  section: z.infer<typeof auditSchema> | undefined,
  resolvePath: (file: string) => string,
): AuditWebhookSettings | undefined {
  if (!section) return undefined;
  const { caFile, ...rest } = section.webhook;
  return { ...rest, caFile: caFile ? resolvePath(caFile) : undefined };
}
