import { forbidden } from '../../src/errors.ts';
import { callerFrom, type Stage } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { readsTheSameUpstream } from '../upstream/headers.ts';

/**
 * The gateway decides who the agent is upstream; a caller may not ask to be someone else. Any
 * `Impersonate-*` header (User, Group, Uid, Extra-*) is refused outright rather than stripped, so a
 * confused client learns why instead of silently acting as itself. It also refuses an agent whose
 * upstream user name would fall in Kubernetes' reserved `system:` namespace.
 */
export function refuseImpersonation(identity: IdentityMapping): Stage {
  return (next) => (ctx) => {
    // The agent is impersonated upstream as <userPrefix><subject>, sent as a header value. Go trims
    // spaces and tabs around header values, so a padded subject would arrive as another name:
    // "agent-1 " as agent-1, " system:admin" as system:admin. Refuse what would not arrive as is.
    const user = identity.userPrefix + callerFrom(ctx).subject;
    if (!readsTheSameUpstream(user)) {
      ctx.refusal = 'unsendable user name';
      throw forbidden(
        `the agent's upstream user name ${JSON.stringify(user.slice(0, 100))} cannot be sent to the cluster as is (surrounding whitespace or control characters would reach it as another name); ask the platform team to fix the token's subject`,
      );
    }
    // With an empty prefix a subject such as `system:kube-controller-manager` would borrow a
    // control-plane identity: refuse it.
    if (user.startsWith('system:')) {
      ctx.refusal = 'system user';
      throw forbidden(
        `the agent's upstream user name would start with "system:", which is reserved for Kubernetes components; ask the platform team to set identity.userPrefix`,
      );
    }
    for (const name of Object.keys(ctx.req.headers)) {
      if (name.startsWith('impersonate-')) {
        ctx.refusal = 'caller impersonation';
        throw forbidden(
          `the "${name}" header is not allowed: this gateway impersonates the authenticated agent itself, so callers cannot choose another identity. Remove --as/--as-group from the command`,
        );
      }
    }
    return next(ctx);
  };
}
