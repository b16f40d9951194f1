import { decideAudited } from '../src/approvals/decide-audited.ts';
import type { Review, ReviewState } from '../src/approvals/review.types.ts';
import { ReviewStore } from '../src/approvals/review-store.ts';
import { createDecisionSigner, readPrivateKey } from '../src/approvals/signing/decision-keys.ts';
import { ApprovalsUnavailableError } from '../src/approvals/unavailable-error.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { createRequestConnection, describeRedis } from '../src/queues/connections.ts';
import { replicationFor } from '../src/redis/replication.ts';
import { UsageError } from './args.ts';
import { type Out, reportDecided, STATES, type Values, windowSecondsOf } from './reviews.ts';
import { formatList, formatReview } from './reviews-format.ts';

/**
 * `hoop-gateway reviews … --break-glass KEYFILE`: the operators' way around the approvals API,
 * for when it (or the identity provider) is down. Reads and writes Redis directly with the
 * gateway's config, and signs decisions with the break-glass private key, whose public key the
 * gateway trusts with role `break-glass` only. Such an approval overrides the approver list and
 * the number of approvals (never the self-approval rule), so it is loud: a reason is required, a
 * JSON audit line goes to stderr, the review's history records it, and the gateway logs a warning
 * when it forwards on it. Without the key file nothing here can approve anything.
 */
export async function runBreakGlass(sub: string, id: string, values: Values, io: Out): Promise<number> {
  const keyFile = values['break-glass'] ?? '';
  if (sub === 'approve' || sub === 'reject') {
    if (!values.as?.trim()) throw new UsageError('--break-glass needs --as NAME: who is breaking the glass');
    if (!values.reason?.trim())
      throw new UsageError('--break-glass needs --reason TEXT: why the normal path cannot be used');
  }
  const config = await loadConfigFile(values.config);
  const settings = config.approvals;
  const signer = createDecisionSigner(await readPrivateKey(keyFile, '--break-glass'), 'break-glass');
  const redis = createRequestConnection({
    url: settings.redisUrl,
    name: 'hoop-break-glass',
    redis: config.redis,
  });
  const store = new ReviewStore({
    connection: redis,
    prefix: settings.storePrefix,
    readyTimeoutMs: 3000,
    signer,
    replication: replicationFor(config.redis),
  });
  try {
    if (sub === 'list') {
      const state = values.state;
      if (state !== undefined && !STATES.includes(state as ReviewState))
        throw new UsageError(`--state must be one of ${STATES.join(', ')}`);
      io.out(
        formatList(
          await store.list({
            ...(state ? { state: state as ReviewState } : {}),
            limit: Number(values.limit ?? 20),
          }),
        ),
      );
      return 0;
    }
    if (sub === 'show') {
      const review = await store.get(id);
      if (!review) return notFound(id, io);
      io.out(formatReview({ ...review, history: await store.history(id) }));
      return 0;
    }
    const action = sub as 'approve' | 'reject';
    const windowSeconds = action === 'approve' ? windowSecondsOf(values) : undefined;
    const approver = { id: values.as!.trim(), groups: [] };
    const audit = {
      info: (fields: Record<string, unknown>, message: string) => line(io, 'warn', fields, message),
      warn: (fields: Record<string, unknown>, message: string) => line(io, 'warn', fields, message),
    };
    const result = await decideAudited(
      store,
      {
        reviewId: id,
        approver,
        action,
        via: 'break-glass',
        reason: values.reason!.trim(),
        ...(windowSeconds ? { windowSeconds } : {}),
        trusted: true,
      },
      audit,
      signer.keyId,
    );
    line(
      io,
      'warn',
      {
        alert: 'break-glass',
        review: id,
        action,
        approver: approver.id,
        keyId: signer.keyId,
        outcome: result.outcome,
      },
      `break-glass ${action} of ${id} by ${approver.id}`,
    );
    await store
      .appendHistory(id, {
        kind: 'break-glass',
        by: approver.id,
        detail: `${action} (${result.outcome}) with key ${signer.keyId}: ${values.reason}`,
      })
      .catch(() => undefined);
    if (result.outcome === 'applied' || result.outcome === 'counted') {
      io.out(reportDecided(action, id, result.outcome, result.review as Review | undefined));
      return 0;
    }
    if (result.outcome === 'not-found') return notFound(id, io);
    io.err(`nothing changed: ${result.outcome}${result.decidedBy ? ` by ${result.decidedBy}` : ''}\n`);
    return 1;
  } catch (error) {
    if (!(error instanceof ApprovalsUnavailableError)) throw error;
    io.err(`error: cannot reach Redis at ${describeRedis(settings.redisUrl, config.redis)}\n`);
    return 3;
  } finally {
    await store.close();
    redis.disconnect();
  }
}

/** One JSON audit line on stderr, pino-shaped, so log shipping treats it like the gateway's. */
function line(io: Out, level: 'info' | 'warn', fields: Record<string, unknown>, msg: string): void {
  io.err(`${JSON.stringify({ level, time: Date.now(), component: 'break-glass', ...fields, msg })}\n`);
}

function notFound(id: string, io: Out): number {
  io.err(
    `no review ${id} (it may have passed its retention, or the config points at another Redis or keyPrefix)\n`,
  );
  return 1;
}
