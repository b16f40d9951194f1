import { unauthorized } from '../../src/errors.ts';
import { hasQueryCredential } from '../../src/request/query-credentials.ts';
import type { Stage } from '../request-context.ts';
import type { TokenAuthenticator } from '../runtime.ts';

/**
 * Verifies the bearer token and leaves behind the caller. A missing or invalid token is a 401 and
 * the request goes no further: nothing unauthenticated is ever forwarded.
 */
export function authenticate(authenticator: TokenAuthenticator): Stage {
  return (next) => async (ctx) => {
    const header = ctx.req.headers.authorization;
    const match = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      ctx.refusal = header ? 'malformed authorization header' : 'no bearer token';
      // A token in the query is never read (nor logged, recorded or forwarded: route-cluster.ts).
      const inQuery = hasQueryCredential(ctx.req.url ?? '')
        ? ' A token in the query string (access_token) is not accepted, because URLs end up in logs: send it in the Authorization header instead.'
        : '';
      throw unauthorized(
        (header
          ? 'the Authorization header is not "Bearer <token>"; configure an OIDC token for this gateway in your kubeconfig'
          : 'no bearer token: this gateway needs an OIDC access token (Authorization: Bearer <token>); configure your kubeconfig user with a token or an exec credential plugin') +
          inQuery,
      );
    }
    try {
      ctx.caller = await authenticator.authenticate(match[1]);
    } catch (error) {
      ctx.refusal = 'invalid token';
      throw error;
    }
    await next(ctx);
  };
}
