/**
 * The self-review APIs kubectl's `auth` commands call, answered from the request and never
 * stored: `auth whoami` (authentication.k8s.io SelfSubjectReview), `auth can-i`
 * (authorization.k8s.io SelfSubjectAccessReview) and `auth can-i --list`
 * (SelfSubjectRulesReview).
 *
 * The sandbox authorizes everything, so every access review is allowed. The identity `whoami`
 * reports is the impersonated one when Impersonate-User is present: through the gateway, an
 * agent sees the identity the cluster sees it as.
 */
import { decodeObjectBody, readBody } from '../http/body.ts';
import type { HandlerContext } from '../http/context.ts';
import { headerValues } from '../http/record.ts';
import { sendJson } from '../http/respond.ts';
import { apiVersionOf } from '../resources.ts';

/** The user the request acts as: the impersonated one, or the sandbox's administrator. */
function userInfo(ctx: HandlerContext): Record<string, unknown> {
  const user = ctx.req.headers['impersonate-user'];
  if (typeof user === 'string' && user) {
    const groups = headerValues(ctx.req, 'impersonate-group');
    return { username: user, groups: [...groups, 'system:authenticated'] };
  }
  return { username: 'sandbox-admin', groups: ['system:masters', 'system:authenticated'] };
}

function statusFor(ctx: HandlerContext): Record<string, unknown> {
  switch (ctx.route.type.kind) {
    case 'SelfSubjectReview':
      return { userInfo: userInfo(ctx) };
    case 'SelfSubjectAccessReview':
      return { allowed: true, reason: 'the sandbox cluster authorizes every request' };
    default:
      return {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      };
  }
}

export async function handleReview(ctx: HandlerContext): Promise<void> {
  const body = decodeObjectBody(await readBody(ctx.req), ctx.req.headers['content-type']);
  const { type } = ctx.route;
  const answer = {
    ...body,
    apiVersion: apiVersionOf(type),
    kind: type.kind,
    metadata: { creationTimestamp: null },
    status: statusFor(ctx),
  };
  sendJson(ctx.res, 201, answer);
}
