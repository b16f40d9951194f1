import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import type { AuditWebhookSettings } from '../../src/config/operations.ts';
import { ConfigError } from '../../src/errors.ts';
import { settledWithin } from '../../src/ops/bounded.ts';
import type { RequestContext } from '../request-context.ts';
import { type AuditEvent, type AuditEventOptions, auditEventOf } from './audit-event.ts';

/**
 * The streaming audit sink: every finished request becomes an `audit.k8s.io/v1` Event
 * (audit-event.ts), buffered and posted to `audit.webhook.url` as an `EventList`, as
 * kube-apiserver's batching audit webhook does: a batch leaves when it holds `batchMaxSize`
 * events or its oldest event has waited `batchMaxWaitMs`. One batch is in flight at a time; a
 * failed post (network error, non-2xx) is retried with backoff (0.5 s doubling, up to 5 attempts)
 * and then dropped. The buffer holds at most `bufferSize` events: a slow or dead webhook costs
 * dropped events (counted in `hoop_audit_events_total{result="dropped"}`, logged at most every
 * 30 s), never memory or request latency. On shutdown {@link AuditSink.close} flushes what it can
 * within the time it is given.
 */
export interface AuditSink {
  add(ctx: RequestContext, status: number): void;
  close(withinMs: number): Promise<void>;
}

const ATTEMPTS = 5;
const POST_TIMEOUT_MS = 10_000;

export function startAuditSink(
  settings: AuditWebhookSettings,
  event: Omit<AuditEventOptions, 'level'>,
  deps: { logger: Logger; onResult?: (result: 'sent' | 'dropped', count: number) => void },
): AuditSink {
  let ca: string | undefined;
  if (settings.caFile) {
    try {
      ca = readFileSync(settings.caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        'audit.webhook.caFile',
        `cannot read ${settings.caFile}: ${(error as NodeJS.ErrnoException).code}`,
      );
    }
  }
  const url = new URL(settings.url);
  const buffer: AuditEvent[] = [];
  let pendingBuilds = 0;
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> | undefined;
  let closed = false;
  let lastWarned = 0;
  const warn = (message: string, extra: Record<string, unknown> = {}): void => {
    if (Date.now() - lastWarned < 30_000) return;
    lastWarned = Date.now();
    deps.logger.warn({ webhook: url.origin, ...extra }, message);
  };
  const dropped = (count: number, why: string): void => {
    deps.onResult?.('dropped', count);
    warn(`audit: ${count} event(s) dropped: ${why}`);
  };

  const post = (body: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: POST_TIMEOUT_MS,
          ...(ca ? { ca } : {}),
        },
        (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) resolve();
          else reject(new Error(`the webhook answered ${code}`));
        },
      );
      req.once('timeout', () => req.destroy(new Error('the webhook did not answer in time')));
      req.once('error', reject);
      req.end(body);
    });

  const sendBatch = async (): Promise<void> => {
    const items = buffer.splice(0, settings.batchMaxSize);
    if (items.length === 0) return;
    const body = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
    let delay = 500;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await post(body);
        deps.onResult?.('sent', items.length);
        return;
      } catch (error) {
        if (attempt === ATTEMPTS || closed) {
          dropped(items.length, `the webhook failed ${attempt} time(s): ${(error as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, delay).unref());
        delay *= 2;
      }
    }
  };

  const pump = (): void => {
    if (sending || buffer.length === 0) return;
    clearTimeout(timer);
    timer = undefined;
    sending = sendBatch().finally(() => {
      sending = undefined;
      if (buffer.length >= settings.batchMaxSize) pump();
      else schedule();
    });
  };
  const schedule = (): void => {
    if (timer || buffer.length === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, settings.batchMaxWaitMs);
    timer.unref();
  };
  const push = (item: AuditEvent): void => {
    if (buffer.length >= settings.bufferSize) {
      dropped(1, 'the buffer is full (audit.webhook.bufferSize)');
      return;
    }
    buffer.push(item);
    if (buffer.length >= settings.batchMaxSize) pump();
    else schedule();
  };

  return {
    add(ctx, status) {
      if (closed) return;
      const endedAt = Date.now();
      if (settings.level === 'Metadata' || !ctx.body) {
        // Synchronous for the common case: no body to mask.
        auditEventOf(ctx, status, endedAt, { ...event, level: 'Metadata' }).then((e) => {
          e.level = settings.level;
          push(e);
        });
        return;
      }
      pendingBuilds++;
      auditEventOf(ctx, status, endedAt, { ...event, level: settings.level })
        .then(push, (error: unknown) =>
          warn('audit: an event could not be built', { err: (error as Error).message }),
        )
        .finally(() => pendingBuilds--);
    },
    async close(withinMs) {
      const deadline = Date.now() + withinMs;
      while (pendingBuilds > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const flush = (async () => {
        while (buffer.length > 0 || sending) {
          if (sending) await sending;
          else pump();
        }
      })();
      await settledWithin(flush, deadline - Date.now());
      closed = true;
      clearTimeout(timer);
      if (buffer.length > 0) dropped(buffer.splice(0).length, 'shutdown came before the webhook took them');
    },
  };
}
