import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The gateway's Prometheus families (docs/operations.md lists them). Every label is a bounded
 * set: cluster names come from the config, verbs from Kubernetes' fixed list, `resource` is the
 * resource plural only (never a name or namespace; non-resource paths are `-`), decisions and
 * outcomes are enums, the code is an HTTP status. Nothing here ever carries a user, a name or a
 * token. Gauges whose value lives elsewhere (open streams, pending reviews, queue depth, Redis and
 * issuer health) are computed when Prometheus scrapes, so the request path pays nothing for them.
 */
export interface GatewayMetrics {
  requests: Counter<'cluster' | 'verb' | 'resource' | 'decision' | 'code'>;
  duration: Histogram<'cluster' | 'verb'>;
  upstream: Histogram<'cluster'>;
  reviewsCreated: Counter;
  reviewsDecided: Counter<'outcome'>;
  reviewDecisionSeconds: Histogram<'outcome'>;
  maskedValues: Counter;
  maskingFailClosed: Counter;
  recordingAppend: Histogram;
  recordingAppendFailures: Counter;
  auditEvents: Counter<'result'>;
  idleCollections: Counter;
}

/** Scrape-time sources for the gauges. Each must be cheap and must never throw for long. */
export interface GaugeSources {
  openStreams(): Record<'watch' | 'exec' | 'attach' | 'portforward' | 'other', number>;
  pendingReviews?(): Promise<number>;
  notifyQueue?(): Promise<Record<string, number>>;
  redisUp(): Array<{ name: string; up: Promise<boolean> }>;
  issuersReady(): boolean;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createGatewayMetrics(registry: Registry, sources: GaugeSources): GatewayMetrics {
  const registers = [registry];
  new Gauge({
    name: 'hoop_open_streams',
    help: 'Open long-lived requests: watches (chunked or WebSocket) and exec/attach/port-forward sessions',
    labelNames: ['kind'],
    registers,
    collect() {
      for (const [kind, value] of Object.entries(sources.openStreams())) this.set({ kind }, value);
    },
  });
  new Gauge({
    name: 'hoop_reviews_pending',
    help: 'Reviews waiting for a decision (from the review index in Redis; -1 when Redis did not answer)',
    registers,
    async collect() {
      if (!sources.pendingReviews) return;
      this.set(await sources.pendingReviews().catch(() => -1));
    },
  });
  new Gauge({
    name: 'hoop_notify_queue_jobs',
    help: 'Jobs in the approval notification queue, by BullMQ state (empty when Redis did not answer)',
    labelNames: ['state'],
    registers,
    async collect() {
      this.reset();
      if (!sources.notifyQueue) return;
      const counts = await sources.notifyQueue().catch(() => ({}));
      for (const [state, value] of Object.entries(counts)) this.set({ state }, value);
    },
  });
  new Gauge({
    name: 'hoop_redis_up',
    help: 'Whether each Redis connection the configuration uses answers PING (1) or not (0)',
    labelNames: ['connection'],
    registers,
    async collect() {
      for (const { name, up } of sources.redisUp()) this.set({ connection: name }, (await up) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hoop_issuers_ready',
    help: "Whether every configured OIDC issuer's signing keys are loaded (1) or not (0)",
    registers,
    collect() {
      this.set(sources.issuersReady() ? 1 : 0);
    },
  });
  return {
    requests: new Counter({
      name: 'hoop_requests_total',
      help: 'Requests by cluster, verb, resource plural, policy decision and status code',
      labelNames: ['cluster', 'verb', 'resource', 'decision', 'code'],
      registers,
    }),
    duration: new Histogram({
      name: 'hoop_request_duration_seconds',
      help: 'Whole request time at the gateway, from the request arriving to the response closing',
      labelNames: ['cluster', 'verb'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    upstream: new Histogram({
      name: 'hoop_upstream_response_seconds',
      help: "Upstream time to response headers (the cluster's share of the request time)",
      labelNames: ['cluster'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    reviewsCreated: new Counter({ name: 'hoop_reviews_created_total', help: 'Reviews opened', registers }),
    reviewsDecided: new Counter({
      name: 'hoop_reviews_decided_total',
      help: 'Reviews that ended, by outcome (approved, rejected, expired) as the gateway holding them saw it',
      labelNames: ['outcome'],
      registers,
    }),
    reviewDecisionSeconds: new Histogram({
      name: 'hoop_review_decision_seconds',
      help: 'Time from a review being opened to its decision',
      labelNames: ['outcome'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600],
      registers,
    }),
    maskedValues: new Counter({
      name: 'hoop_masked_values_total',
      help: 'Values the masker replaced in responses',
      registers,
    }),
    maskingFailClosed: new Counter({
      name: 'hoop_masking_fail_closed_total',
      help: 'Responses withheld or cut because they could not be masked',
      registers,
    }),
    recordingAppend: new Histogram({
      name: 'hoop_recording_append_seconds',
      help: "Time to append one event (or a stream's frames gathered meanwhile) to a session recording in Redis",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    recordingAppendFailures: new Counter({
      name: 'hoop_recording_append_failures_total',
      help: 'Recording appends that failed (Redis unreachable or refused)',
      registers,
    }),
    auditEvents: new Counter({
      name: 'hoop_audit_events_total',
      help: 'Audit events by result: sent, dropped (buffer full or retries exhausted)',
      labelNames: ['result'],
      registers,
    }),
    idleCollections: new Counter({
      name: 'hoop_idle_collections_total',
      help: 'Full garbage collections run once a burst of long-lived requests had ended or settled, to give memory back',
      registers,
    }),
  };
}
