import type { Logger } from 'pino';
import type { Stage } from '../request-context.ts';
import { statusFromError, writeStatus } from '../respond/status.ts';

/**
 * Outermost stage: turns any error below it into a Kubernetes Status response and writes exactly
 * one JSON log line per request when it finishes: identity, request info, decision, status,
 * duration, and the caller's context claims (where a CI job runs: repository, ref, run id…). It
 * never logs headers, so tokens cannot leak through it.
 */
export function requestLog(logger: Logger): Stage {
  return (next) => async (ctx) => {
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
        logger.error({ err: error }, 'request failed');
      writeStatus(ctx.res, status, headers, plainText);
    }
    await done;
    const info = ctx.info;
    const ms = Number(process.hrtime.bigint() - ctx.startedAt) / 1e6;
    logger.info(
      {
        cluster: ctx.cluster?.name,
        subject: ctx.caller?.subject,
        groups: ctx.caller?.groups,
        issuer: ctx.caller?.issuer,
        context: ctx.caller?.context,
        method: ctx.req.method,
        verb: info?.verb,
        apiGroup: info?.apiGroup || undefined,
        resource: info ? [info.resource, info.subresource].filter(Boolean).join('/') || undefined : undefined,
        namespace: info?.namespace || undefined,
        name: info?.name || undefined,
        path: info && !info.isResourceRequest ? info.path : undefined,
        decision: ctx.decision?.action,
        rule: ctx.decision?.rule,
        review: ctx.review?.id,
        reviewOutcome: ctx.review?.outcome,
        refusal: ctx.refusal,
        masked: ctx.masked,
        status: ctx.status ?? ctx.res.statusCode,
        upgrade: ctx.upgrade ? true : undefined,
        kubectlCommand: ctx.req.headers['kubectl-command'],
        durationMs: Math.round(ms * 100) / 100,
      },
      'request',
    );
  };
}
