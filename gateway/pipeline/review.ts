import type { Logger } from 'pino';
import { ownerFrom } from '../../src/approvals/caller-snapshot.ts';
import { fingerprint } from '../../src/approvals/fingerprint.ts';
import type { ImpactPreview } from '../../src/approvals/impact.types.ts';
import {
  forgedError,
  HELD_BODY_TOO_LARGE,
  pendingError,
  refusedError,
} from '../../src/approvals/messages.ts';
import type { HistoryEvent, Review } from '../../src/approvals/review.types.ts';
import { parseReviewRule } from '../../src/approvals/review-rule.ts';
import { ApprovalsUnavailableError } from '../../src/approvals/unavailable-error.ts';
import { serviceUnavailable } from '../../src/errors.ts';
import type { ReviewSpec } from '../../src/policy/policy.types.ts';
import { publishCallOutcome } from '../../src/queues/chat-thread.ts';
import { summarizeBody } from '../approvals/body-summary.ts';
import { type HoldOutcome, holdForApproval } from '../approvals/hold.ts';
import type { ImpactPreviewer } from '../approvals/impact/compute.ts';
import { approvalsNeeded, previewAutoApproval } from '../approvals/impact-rules.ts';
import { readBodyOnce } from '../request-body.ts';
import { callerFrom, clusterFrom, infoFrom, type RequestContext, type Stage } from '../request-context.ts';
import type { ApprovalsRuntime } from '../runtime.ts';

/**
 * Holds a request the policy sent to review until a person decides (docs/approvals.md says
 * what the agent sees). Requests with any other decision pass straight through, their bodies unread.
 *
 * For a review-bound request it reads the body (capped: 413 beyond `maxBodyBytes`; request-body.ts)
 * and leaves it in `ctx.body`, so the fingerprint covers exactly the bytes an approver is shown
 * and forward (and the recording gate) use those same bytes. It then holds for up to
 * `holdSeconds` (approvals/hold.ts):
 * - approved (or covered by a window, or auto-approved): the grant is claimed once and the request
 *   continues to forward;
 * - rejected, expired or cancelled: 403 saying by whom and why;
 * - still pending: 429 with `Retry-After` and a message saying what is pending and how to approve.
 *   client-go retries it by itself; the retry has the same fingerprint and joins the same review.
 * A client that goes away while held stops the wait (no listener or timer outlives it). Redis down
 * is a 503 "approvals unavailable" here only: requests the policy allows never reach Redis. Once
 * an approved call has been answered, its outcome is queued for the thread under the review card.
 *
 * Upgrades (exec, attach, port-forward) are held too, with no body; their fingerprint uses the
 * method `UPGRADE` so kubectl's WebSocket attempt (GET) and its SPDY fallback (POST) join one
 * review. The policy never sends discovery or non-resource requests here.
 *
 * A request that opens a new review first gets its impact preview (`previewer`, within
 * `approvals.preview.budget`; gateway/approvals/impact/), stored on the record; a retry that
 * joins the review reuses the stored one, so every attempt is judged on what the approver saw.
 * The rule's preview conditions (impact-rules.ts) may then auto-approve it or ask for more
 * approvals.
 */
export function review(
  approvals: ApprovalsRuntime | undefined,
  logger: Logger,
  previewer?: ImpactPreviewer,
): Stage {
  return (next) => async (ctx) => {
    const decision = ctx.decision;
    if (decision?.action !== 'review') return next(ctx);
    if (!approvals) {
      ctx.refusal = 'approvals off';
      const why = `This call needs human approval (rule "${decision.rule}"), but approvals are not configured on this gateway, so it is refused.`;
      throw serviceUnavailable(decision.message ? `${decision.message} ${why}` : why);
    }
    const { settings, store, producers } = approvals;
    const caller = callerFrom(ctx);
    const info = infoFrom(ctx);
    const cluster = clusterFrom(ctx).name;
    if (!ctx.upgrade)
      await readBodyOnce(ctx, { maxBytes: settings.maxBodyBytes, tooLarge: HELD_BODY_TOO_LARGE });

    const spec = decision.review ?? { name: decision.rule, message: '' };
    const fp = fingerprint({
      identity: caller,
      cluster,
      method: ctx.upgrade ? 'UPGRADE' : (ctx.req.method ?? 'GET'),
      path: info.path,
      query: ctx.rawQuery ?? '',
      body: ctx.body ?? '',
    });
    const impact = await impactFor(ctx, approvals, fp, previewer);
    const autoApprove = autoApproval(spec, caller.groups, impact);
    // An auto-approved record needs the one approval the gateway gives it.
    const minApprovals = autoApprove ? 1 : approvalsNeeded(spec, impact);
    const rule = parseReviewRule({ ...spec, ...(minApprovals === undefined ? {} : { minApprovals }) });
    const owner = ownerFrom(caller, settings.ownerClaim);
    const open = {
      fingerprint: fp,
      caller,
      cluster,
      info,
      headers: sessionHeaders(ctx),
      bodySummary: summarizeBody(ctx.body, header(ctx, 'content-type'), info),
      rule,
      ...(owner ? { owner } : {}),
      ...(impact ? { impact } : {}),
    };

    const check = approvals.verifier.forCall({
      fingerprint: fp,
      caller,
      owner,
      cluster,
      rule,
      autoApproval: autoApprove?.reason,
    });
    const outcome = await holdUntilClosed(ctx, (signal) =>
      holdForApproval(store, producers, {
        open,
        check,
        holdMs: settings.holdSeconds * 1000,
        signal,
        pollMs: approvals.pollMs,
        ...(autoApprove
          ? { autoApprove }
          : {
              onCreated: (r) => {
                approvals.observer?.created(r);
                logCreated(logger, r);
              },
            }),
      }),
    );
    switch (outcome.kind) {
      case 'proceed': {
        const label =
          outcome.autoApproved && autoApprove?.byPreview ? autoApprove.reason : proceedLabel(outcome);
        ctx.review = { id: outcome.review.id, outcome: label };
        if (!outcome.autoApproved) approvals.observer?.decided(outcome.review, 'approved');
        if (outcome.review.decisions.some((d) => d.action === 'approve' && d.via === 'break-glass')) {
          logger.warn(
            { alert: 'break-glass-decision', review: outcome.review.id, approvers: outcome.approvers },
            `forwarding review ${outcome.review.id} on a break-glass approval`,
          );
        }
        const started = Date.now();
        try {
          await next(ctx);
        } finally {
          if (!outcome.autoApproved) publishOutcome(approvals, outcome.review.id, ctx, started, logger);
        }
        return;
      }
      case 'pending':
        ctx.review = { id: outcome.review.id, outcome: 'pending' };
        ctx.refusal = 'review pending';
        throw pendingError(outcome.review, settings);
      case 'refused':
        ctx.review = { id: outcome.review.id, outcome: outcome.review.state };
        ctx.refusal = `review ${outcome.review.state}`;
        if (outcome.review.state === 'rejected') approvals.observer?.decided(outcome.review, 'rejected');
        throw refusedError(outcome.review);
      case 'forged':
        ctx.review = { id: outcome.review.id, outcome: 'forged' };
        ctx.refusal = 'forged decision';
        alertForged(logger, outcome.review, outcome.why, caller.subject);
        void recordHistory(approvals, outcome.review.id, {
          kind: 'forged-decision-refused',
          by: 'hoop-gateway',
          detail: outcome.why,
        });
        throw forgedError(outcome.review, outcome.why);
      case 'gone':
        // 499 as nginx logs it: the client closed the connection; nobody is left to answer.
        ctx.status = 499;
        ctx.refusal = 'client went away while held';
        return;
    }
  };
}

/**
 * Threads "completed: <status>" under the review's chat card (once per review, by job id).
 * Fire-and-forget: the call has already been answered, and a queue failure must not touch it.
 */
function publishOutcome(
  approvals: ApprovalsRuntime,
  reviewId: string,
  ctx: RequestContext,
  started: number,
  logger: Logger,
): void {
  const completedAt = Date.now();
  const outcome = {
    status: ctx.status ?? ctx.res.statusCode,
    durationMs: completedAt - started,
    completedAt,
  };
  publishCallOutcome(approvals.producers, reviewId, outcome).catch((error: unknown) =>
    logger.warn({ err: error, review: reviewId }, 'could not queue the call outcome for the review card'),
  );
}

/**
 * The preview for this request: none when previews are off or the request has none; the stored
 * one when a review for this fingerprint exists already (a retry); else computed now.
 */
async function impactFor(
  ctx: RequestContext,
  approvals: ApprovalsRuntime,
  fp: string,
  previewer: ImpactPreviewer | undefined,
): Promise<ImpactPreview | undefined> {
  if (!previewer || !approvals.settings.preview.enabled) return undefined;
  let existing: Awaited<ReturnType<ApprovalsRuntime['store']['openFor']>>;
  try {
    existing = await approvals.store.openFor(fp);
  } catch (error) {
    if (error instanceof ApprovalsUnavailableError) ctx.refusal = 'approvals unavailable';
    throw error;
  }
  if (existing) return existing.impact;
  return previewer(ctx, approvals.settings.preview.budgetMs);
}

/** Whether, and why, the rule lets this call through without a person. */
function autoApproval(
  spec: ReviewSpec,
  groups: readonly string[],
  impact: ImpactPreview | undefined,
): { reason: string; byPreview: boolean } | undefined {
  const group = spec.autoApprove?.groups.find((g) => groups.includes(g));
  if (group) {
    return {
      reason: `the caller is in group "${group}", which rule "${spec.name}" auto-approves`,
      byPreview: false,
    };
  }
  const reason = previewAutoApproval(spec, impact);
  return reason ? { reason, byPreview: true } : undefined;
}

/** Runs `hold` with a signal that aborts when the client's connection closes. */
async function holdUntilClosed(
  ctx: RequestContext,
  hold: (signal: AbortSignal) => Promise<HoldOutcome>,
): Promise<HoldOutcome> {
  const controller = new AbortController();
  const onClose = (): void => controller.abort(new Error('the client went away'));
  ctx.res.once('close', onClose);
  ctx.upgrade?.socket.once('close', onClose);
  try {
    return await hold(controller.signal);
  } catch (error) {
    if (error instanceof ApprovalsUnavailableError) ctx.refusal = 'approvals unavailable';
    throw error;
  } finally {
    ctx.res.off('close', onClose);
    ctx.upgrade?.socket.off('close', onClose);
  }
}

function proceedLabel(outcome: Extract<HoldOutcome, { kind: 'proceed' }>): string {
  if (outcome.autoApproved) return 'auto-approved';
  return outcome.grant === 'window' ? 'approved (window)' : 'approved';
}

function header(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sessionHeaders(ctx: RequestContext): { command?: string; session?: string } {
  const command = header(ctx, 'kubectl-command');
  const session = header(ctx, 'kubectl-session');
  return { ...(command ? { command } : {}), ...(session ? { session } : {}) };
}

/** Adds an event to the review's history; the log line already written is what counts if this fails. */
async function recordHistory(
  approvals: ApprovalsRuntime,
  id: string,
  event: Omit<HistoryEvent, 'at'>,
): Promise<void> {
  await approvals.store.appendHistory(id, event).catch(() => undefined);
}

/**
 * The alert for a forged decision: an error line an operator's alerting can match on
 * (`alert: forged-decision`). Names the review and why, never any of the record's free text.
 */
function alertForged(logger: Logger, review: Review, why: string, subject: string): void {
  logger.error(
    {
      alert: 'forged-decision',
      review: review.id,
      state: review.state,
      fingerprint: review.fingerprint,
      requester: subject,
      why,
    },
    `refused to act on review ${review.id}: the decision's signature did not verify (${why}); check who can write to Redis`,
  );
}

/** Until the bot consumes the notify queue, this line (and the terminal approver) must suffice. */
function logCreated(logger: Logger, r: Review): void {
  logger.info(
    {
      review: r.id,
      rule: r.rule.name,
      subject: r.caller.subject,
      cluster: r.cluster,
      verb: r.info.verb,
      resource: r.info.resource,
      namespace: r.info.namespace || undefined,
      name: r.info.name || undefined,
      approve: `hoop-gateway reviews approve ${r.id}`,
    },
    `review ${r.id} pending: approve with \`hoop-gateway reviews approve ${r.id}\` or reject with \`hoop-gateway reviews reject ${r.id} --reason …\``,
  );
}
