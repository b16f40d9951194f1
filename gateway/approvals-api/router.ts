import type { Logger } from 'pino';
import { isReviewId } from '../../src/approvals/keys.ts';
import type { Approver, ReviewState } from '../../src/approvals/review.types.ts';
import { reviewView } from '../../src/approvals/review-view.ts';
import type { PeopleIssuerConfig } from '../../src/authn/people-config.ts';
import { consoleReviewUrl } from '../../src/config/console.ts';
import { badRequest, StatusError, serviceUnavailable, unauthorized } from '../../src/errors.ts';
import type { PeopleAuthenticator } from '../authn/people-authenticator.ts';
import type { AgentRequest, AgentResponse } from '../request-context.ts';
import type { ApprovalsRuntime } from '../runtime.ts';
import { decideForPerson } from './decide.ts';
import { notFoundError, readJsonObject, writeError, writeJson } from './responses.ts';

/**
 * The approvals API, for people: routed on the gateway's TLS listener before the agent pipeline
 * (server.ts), at `/hoop/v1/…` only, so nothing under `/clusters/` ever reaches it and no agent
 * request ever reaches this router.
 *
 * | method | path                              | what                                         |
 * | ------ | --------------------------------- | -------------------------------------------- |
 * | GET    | /hoop/v1/login                    | where people sign in (no token needed)       |
 * | GET    | /hoop/v1/whoami                   | the signed-in person as an approver          |
 * | GET    | /hoop/v1/reviews?state=&limit=    | reviews, pending first by deadline           |
 * | GET    | /hoop/v1/reviews/{id}             | one review, its history and signature status |
 * | POST   | /hoop/v1/reviews/{id}/approve     | `{ reason?, window? }`                       |
 * | POST   | /hoop/v1/reviews/{id}/reject      | `{ reason }`                                 |
 *
 * Everything but `login` needs a bearer token from the people issuer (people-authenticator.ts);
 * an agent's token has another audience and is refused with 401. Errors are Status objects.
 */
export interface ApprovalsApiDeps {
  people: { config: PeopleIssuerConfig; authenticator: PeopleAuthenticator } | undefined;
  approvals: ApprovalsRuntime | undefined;
  logger: Logger;
  /** The web console's public URL (`console.publicUrl`): a review links to its page there. */
  consoleUrl?: string | undefined;
}

export const API_PREFIX = '/hoop/';
const STATES: readonly string[] = ['pending', 'approved', 'rejected', 'expired', 'cancelled'];

/** Returns a handler that answers (and returns true for) every request under `/hoop/`. */
export function createApprovalsApi(
  deps: ApprovalsApiDeps,
): (req: AgentRequest, res: AgentResponse) => boolean {
  return (req, res) => {
    const target = req.url ?? '/';
    if (!mayBeUnderApi(target)) return false;
    // `URL.parse`, not `new URL`: a target such as `//` does not parse, and a throw here, before
    // any stage that turns errors into a Status, ended the whole process. Such a target is not the
    // API's; the agent pipeline answers it (401, or 404: no cluster in that path).
    const url = URL.parse(target, 'https://gateway.invalid');
    if (!url?.pathname.startsWith(API_PREFIX)) return false;
    handle(deps, req, res, url).catch((error: unknown) => {
      const status = writeError(res, error);
      if (!(error instanceof StatusError))
        deps.logger.error({ err: error, path: url.pathname }, 'approvals API failed');
      else if (status.code >= 500)
        deps.logger.warn({ path: url.pathname, status: status.code }, status.message);
    });
    return true;
  };
}

/**
 * False when no parse of `target` can put it under {@link API_PREFIX}: every agent request asks,
 * and parsing each target into a URL cost ~1 % of the gateway's CPU per small request. A path
 * only normalises to `/hoop/…` with the letters `hoop` in it, or with a tab or line break inside
 * them, which the URL parser drops; the parser decides everything else, as before.
 */
export function mayBeUnderApi(target: string): boolean {
  return target.includes('hoop') || /[\t\n\r]/.test(target);
}

async function handle(
  deps: ApprovalsApiDeps,
  req: AgentRequest,
  res: AgentResponse,
  url: URL,
): Promise<void> {
  const parts = url.pathname.split('/').filter(Boolean); // ['hoop', 'v1', …]
  if (parts[1] !== 'v1') throw notFoundError(`no such approvals API path; the API lives under /hoop/v1/`);
  const method = req.method ?? 'GET';
  const route = parts.slice(2);

  if (route.length === 1 && route[0] === 'login') {
    allow(method, 'GET');
    const people = requirePeople(deps);
    const { issuer, clientId, audience, scopes } = people.config;
    writeJson(res, 200, { kind: 'LoginConfig', issuer, clientId, audience, scopes });
    return;
  }
  const approver = await authenticate(deps, req);
  if (route.length === 1 && route[0] === 'whoami') {
    allow(method, 'GET');
    deps.logger.info(
      {
        audit: 'login',
        approver: approver.id,
        subject: approver.subject,
        issuer: approver.issuer,
        groups: approver.groups,
      },
      `${approver.id} signed in to the approvals API`,
    );
    writeJson(res, 200, { kind: 'Approver', ...approver });
    return;
  }
  if (route[0] !== 'reviews' || route.length > 3)
    throw notFoundError(`no such approvals API path: ${url.pathname.slice(0, 100)}`);
  const approvals = deps.approvals;
  if (!approvals) throw serviceUnavailable('approvals are not configured on this gateway');

  if (route.length === 1) {
    allow(method, 'GET');
    const state = url.searchParams.get('state') ?? undefined;
    if (state !== undefined && !STATES.includes(state))
      throw badRequest(`state must be one of ${STATES.join(', ')}`);
    const limit = Number(url.searchParams.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200)
      throw badRequest('limit must be a whole number from 1 to 200');
    const reviews = await approvals.store.list({ ...(state ? { state: state as ReviewState } : {}), limit });
    const items = reviews.map((review) => reviewView(review, [], approvals.keyring));
    writeJson(res, 200, { kind: 'ReviewList', items });
    return;
  }
  const id = route[1] ?? '';
  if (!isReviewId(id))
    throw notFoundError(`"${id.slice(0, 40)}" is not a review id (they look like r-7f3k2q)`);
  if (route.length === 2) {
    allow(method, 'GET');
    const review = await approvals.store.get(id);
    if (!review) throw notFoundError(`no review ${id}`);
    writeJson(res, 200, {
      kind: 'Review',
      ...reviewView(review, await approvals.store.history(id), approvals.keyring),
      ...(deps.consoleUrl ? { consoleUrl: consoleReviewUrl(deps.consoleUrl, id) } : {}),
    });
    return;
  }
  const action = route[2];
  if (action !== 'approve' && action !== 'reject')
    throw notFoundError(`no such action "${String(action).slice(0, 40)}"; use approve or reject`);
  allow(method, 'POST');
  const body = await readJsonObject(req);
  const result = await decideForPerson(approvals, { id, action, approver, body }, deps.logger);
  const review = result.review ? reviewView(result.review, [], approvals.keyring) : undefined;
  writeJson(res, 200, { kind: 'ReviewDecision', outcome: result.outcome, review });
}

function allow(method: string, expected: string): void {
  if (method !== expected) {
    throw new StatusError(405, 'MethodNotAllowed', `${method} is not supported here; use ${expected}`, {
      headers: { allow: expected },
    });
  }
}

function requirePeople(deps: ApprovalsApiDeps): NonNullable<ApprovalsApiDeps['people']> {
  if (!deps.people) {
    throw notFoundError(
      'this gateway has no sign-in for people: configure authentication.people (docs/approvals.md)',
    );
  }
  return deps.people;
}

async function authenticate(deps: ApprovalsApiDeps, req: AgentRequest): Promise<Approver> {
  const people = requirePeople(deps);
  const header = req.headers.authorization;
  const match = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
  if (!match?.[1])
    throw unauthorized(
      'sign in first: `hoop-gateway login --gateway <url>`, then send Authorization: Bearer <token>',
    );
  return people.authenticator.authenticate(match[1]);
}
