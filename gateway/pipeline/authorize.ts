import { forbidden, StatusError } from '../../src/errors.ts';
import type { PolicyEngine } from '../runtime.ts';
import { callerFrom, clusterFrom, infoFrom, type Stage } from './context.ts';

/**
 * Applies the policy. `deny` ends the request with a 403 whose message names the rule; `allow`
 * continues. `review` needs the approvals engine; until one is configured such calls fail closed.
 */
export function authorize(policy: PolicyEngine): Stage {
  return (next) => async (ctx) => {
    const decision = policy.evaluate({
      caller: callerFrom(ctx),
      cluster: clusterFrom(ctx).name,
      info: infoFrom(ctx),
    });
    ctx.decision = { action: decision.action, rule: decision.rule };
    if (decision.action === 'deny') {
      ctx.refusal = 'policy';
      throw forbidden(decision.message);
    }
    if (decision.action === 'review') {
      ctx.refusal = 'review unavailable';
      throw new StatusError(
        503,
        'ServiceUnavailable',
        `${decision.message} This call needs human approval (rule "${decision.rule}"), but approvals are not configured on this gateway, so it is refused.`,
      );
    }
    await next(ctx);
  };
}
