import { forbidden } from '../../src/errors.ts';
import type { Stage } from './context.ts';

/**
 * The gateway decides who the agent is upstream; a caller may not ask to be someone else. Any
 * `Impersonate-*` header (User, Group, Uid, Extra-*) is refused outright rather than stripped, so a
 * confused client learns why instead of silently acting as itself.
 */
export function refuseImpersonation(): Stage {
  return (next) => async (ctx) => {
    for (const name of Object.keys(ctx.req.headers)) {
      if (name.startsWith('impersonate-')) {
        ctx.refusal = 'caller impersonation';
        throw forbidden(
          `the "${name}" header is not allowed: this gateway impersonates the authenticated agent itself, so callers cannot choose another identity. Remove --as/--as-group from the command`,
        );
      }
    }
    await next(ctx);
  };
}
