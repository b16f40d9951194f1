import { forbidden } from '../../src/errors.ts';
import { callerFrom, clusterFrom, infoFrom, type Stage } from '../request-context.ts';
import type { PolicyEngine } from '../runtime.ts';

/**
 * Applies the policy. `deny` ends the request with a 403 whose message names the rule; `allow`
 * continues; `review` continues too, with the decision (and the rule's review settings) left in
 * the context for the review stage, which holds the request until a person decides.
 */
export function authorize(policy: PolicyEngine): Stage {
  return (next) => (ctx) => {
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
      ctx.decision.message = decision.message;
      if (decision.review) ctx.decision.review = decision.review;
    }
    return next(ctx);
  };
}
