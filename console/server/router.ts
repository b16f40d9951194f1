import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { forbidden, serviceUnavailable } from '../../src/errors.ts';
import type { Me } from '../api.types.ts';
import type { LiveViews } from './api/live.ts';
import type { ReviewsApi } from './api/reviews.ts';
import type { SessionsApi } from './api/sessions.ts';
import { csrfTokenOf } from './auth/secrets.ts';
import type { SignedIn, SignIn } from './auth/sign-in.ts';
import { allowMethod, notFound, readJsonObject, writeError, writeErrorPage, writeJson } from './http.ts';
import { setSecurityHeaders } from './security-headers.ts';

/**
 * Every console request: security headers first, then sign-in routes, the JSON API (signed in;
 * viewers only, except `me` and logout; POSTs CSRF-checked), and the front end's files for the
 * rest. Errors become Status objects; each API request is one log line naming the person.
 * The route table is in console/api.types.ts.
 */
export interface RouterDeps {
  signIn: SignIn;
  sessions: SessionsApi | undefined;
  live: LiveViews | undefined;
  reviews: ReviewsApi | undefined;
  staticFiles: (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void>;
  viewers: readonly string[];
  publicUrl: string;
  logger: Logger;
}

export function createRouter(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    setSecurityHeaders(res);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', deps.publicUrl);
    } catch {
      writeError(res, notFound('no such page'));
      return;
    }
    route(deps, req, res, url).catch((error: unknown) => {
      // A browser navigating through sign-in gets a page; API callers get a Status.
      const page = url.pathname.startsWith('/auth/') && req.method === 'GET';
      const { code, message } = page ? writeErrorPage(res, error) : writeError(res, error);
      if (code >= 500)
        deps.logger.error(
          {
            err: error instanceof Error ? { name: error.name, message: error.message } : undefined,
            path: url.pathname,
          },
          message,
        );
    });
  };
}

async function route(deps: RouterDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('ok\n');
    return;
  }
  if (path === '/auth/login') {
    allowMethod(req, 'GET');
    return deps.signIn.login(res, url);
  }
  if (path === '/auth/callback') {
    allowMethod(req, 'GET');
    return deps.signIn.callback(req, res, url);
  }
  if (path === '/auth/logout') {
    allowMethod(req, 'POST');
    const signedIn = await deps.signIn.require(req);
    deps.signIn.checkCsrf(req, signedIn);
    return deps.signIn.logout(res, signedIn);
  }
  if (path === '/api' || path.startsWith('/api/')) return api(deps, req, res, url);
  if (req.method !== 'GET' && req.method !== 'HEAD') allowMethod(req, 'GET');
  return deps.staticFiles(req, res, path);
}

async function api(deps: RouterDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const parts = url.pathname.split('/').filter(Boolean).slice(1); // after 'api'
  if (parts[0] !== 'v1') throw notFound('no such API path; the API lives under /api/v1/');
  const route = parts.slice(1);
  const signedIn = await deps.signIn.require(req);
  const you = signedIn.session.approver;
  if (req.method === 'POST') deps.signIn.checkCsrf(req, signedIn);
  const viewer = you.groups.some((group) => deps.viewers.includes(group));
  deps.logger.info(
    { audit: 'console', approver: you.id, method: req.method, path: url.pathname.slice(0, 200) },
    `${you.id}: ${req.method} ${url.pathname.slice(0, 200)}`,
  );

  if (route.length === 1 && route[0] === 'me') {
    allowMethod(req, 'GET');
    return writeJson(res, 200, me(deps, signedIn, viewer));
  }
  if (!viewer)
    throw forbidden(
      `${you.id} may not view the console: it is open to members of ${deps.viewers.join(', ')}`,
    );

  if (route[0] === 'sessions') {
    const sessions = deps.sessions;
    if (!sessions) throw serviceUnavailable('recording is not configured, so there are no sessions to show');
    const [, id, what, sub, leaf] = route;
    if (route.length === 1) {
      allowMethod(req, 'GET');
      return writeJson(res, 200, await sessions.list(url.searchParams));
    }
    if (id && route.length === 2) {
      allowMethod(req, 'GET');
      return writeJson(res, 200, await sessions.detail(id));
    }
    if (id && what === 'calls' && route.length === 3) {
      allowMethod(req, 'GET');
      return writeJson(res, 200, await sessions.calls(id, url.searchParams));
    }
    if (id && what === 'calls' && sub && route.length === 4) {
      allowMethod(req, 'GET');
      return writeJson(res, 200, await sessions.call(id, sub));
    }
    if (id && what === 'streams' && sub && leaf === 'cast' && route.length === 5) {
      allowMethod(req, 'GET');
      return sessions.cast(id, sub, res);
    }
    if (id && what === 'live' && route.length === 3 && deps.live) {
      allowMethod(req, 'GET');
      return deps.live.serve(req, res, id);
    }
  }
  if (route[0] === 'reviews') {
    const reviews = deps.reviews;
    if (!reviews) throw serviceUnavailable('approvals are not configured, so there are no reviews');
    const [, id, action] = route;
    if (route.length === 1) {
      allowMethod(req, 'GET');
      return writeJson(res, 200, await reviews.list(url.searchParams, you));
    }
    if (id && route.length === 2) {
      allowMethod(req, 'GET');
      return writeJson(res, 200, await reviews.get(id, you));
    }
    if (id && (action === 'approve' || action === 'reject') && route.length === 3) {
      allowMethod(req, 'POST');
      const body = await readJsonObject(req);
      return writeJson(res, 200, await reviews.decide(id, action, body, you));
    }
  }
  throw notFound(`no such API path: ${url.pathname.slice(0, 100)}`);
}

function me(deps: RouterDeps, signedIn: SignedIn, viewer: boolean): Me {
  const { approver, name, expiresAt } = signedIn.session;
  return {
    kind: 'Me',
    id: approver.id,
    subject: approver.subject ?? approver.id,
    issuer: approver.issuer ?? '',
    groups: approver.groups,
    viewer,
    csrfToken: csrfTokenOf(signedIn.secret),
    sessionExpiresAt: expiresAt,
    publicUrl: deps.publicUrl,
    ...(approver.email ? { email: approver.email } : {}),
    ...(name ? { name } : {}),
  };
}
