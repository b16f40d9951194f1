import type { Logger } from 'pino';
import type { AuditSink } from '../audit/audit-sink.ts';
import type { GatewayMetrics } from '../ops/metrics.ts';
import type { OpenRequests } from '../ops/open-requests.ts';
import { errorText } from '../ops/request-fields.ts';
import type { Stage } from '../request-context.ts';
import { statusFromError, writeStatus } from '../respond/status.ts';

/** What the outermost stage reports each finished request to, besides the log line. */
export interface RequestObservers {
  /** Every request in flight (scrape-time gauges, shutdown). */
  open?: OpenRequests;
  metrics?: GatewayMetrics;
  audit?: AuditSink;
}

/**
 * Outermost stage: turns any error below it into a Kubernetes Status response and writes exactly
 * one JSON log line per request when it finishes: request id, client address, session, identity,
 * request info, decision, status, durations (whole and upstream), and the caller's context claims
 * (where a CI job runs: repository, ref, run id…). It never logs headers, so tokens cannot leak
 * through it. The same moment feeds the metrics (one counter and two histogram observations) and
 * the audit sink (one buffer push).
 */
export function requestLog(logger: Logger, observers: RequestObservers = {}): Stage {
  const { open, metrics, audit } = observers;
  return (next) => async (ctx) => {
    const entry = open?.add(ctx);
    // Read now: a request destroyed mid-body (a client gone, a body stream given up) has no socket later.
    const client = ctx.req.socket?.remoteAddress;
    const done = new Promise<void>((resolve) => {
      const finish = () => resolve();
      ctx.res.once('close', finish);
      ctx.upgrade?.socket.once('close', finish);
    });
    try {
      await next(ctx);
    } catch (error) {
      const { status, headers, plainText } = statusFromError(error);
      ctx.status = status.code;
      ctx.refusal ??= status.reason;
      if (status.code >= 500 && status.reason === 'InternalError')
        logger.error({ requestId: ctx.id, client, err: errorText(error) }, 'request failed');
      writeStatus(ctx.res, status, headers, plainText);
    }
    await done;
    if (entry) open?.delete(entry);
    const info = ctx.info;
    const ms = Number(process.hrtime.bigint() - ctx.startedAt) / 1e6;
    const status = ctx.status ?? ctx.res.statusCode;
    logger.info(
      {
        requestId: ctx.id,
        session: ctx.recording?.sessionId,
        client,
        cluster: ctx.cluster?.name,
        subject: ctx.caller?.subject,
        groups: ctx.caller?.groups,
        issuer: ctx.caller?.issuer,
        context: ctx.caller?.context,
        method: ctx.req.method,
        verb: info?.verb,
        apiGroup: info?.apiGroup || undefined,
        resource: info ? resourceField(info.resource, info.subresource) : undefined,
        namespace: info?.namespace || undefined,
        name: info?.name || undefined,
        path: info && !info.isResourceRequest ? info.path : undefined,
        decision: ctx.decision?.action,
        rule: ctx.decision?.rule,
        review: ctx.review?.id,
        reviewOutcome: ctx.review?.outcome,
        refusal: ctx.refusal,
        masked: ctx.masked,
        status,
        upgrade: ctx.upgrade ? true : undefined,
        kubectlCommand: ctx.req.headers['kubectl-command'],
        durationMs: Math.round(ms * 100) / 100,
        upstreamMs: ctx.upstreamMs === undefined ? undefined : Math.round(ctx.upstreamMs * 100) / 100,
      },
      'request',
    );
    if (metrics) {
      const cluster = ctx.cluster?.name ?? '-';
      const verb = info?.verb || '-';
      metrics.requests
        .labels(
          cluster,
          verb,
          (info?.isResourceRequest && info.resource) || '-',
          ctx.decision?.action ?? '-',
          String(status),
        )
        .inc();
      metrics.duration.labels(cluster, verb).observe(ms / 1000);
      if (ctx.upstreamMs !== undefined) metrics.upstream.labels(cluster).observe(ctx.upstreamMs / 1000);
      if (ctx.masked) metrics.maskedValues.inc(ctx.masked);
      if (ctx.refusal?.startsWith('unmaskable')) metrics.maskingFailClosed.inc();
    }
    audit?.add(ctx, status);
  };
}

/** `resource/subresource`, either alone when the other is empty, or nothing (no arrays per line). */
function resourceField(resource: string, subresource: string): string | undefined {
  if (resource && subresource) return `${resource}/${subresource}`;
  return resource || subresource || undefined;
}
