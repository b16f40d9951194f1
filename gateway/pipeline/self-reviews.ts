import { accessQuestion, rulesNamespace } from '../../src/access-review/attributes.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';
import { readBodyOnce } from '../request-body.ts';
import { callerFrom, clusterFrom, type RequestContext, type Stage } from '../request-context.ts';
import type { GatewayRuntime } from '../runtime.ts';
import { selfSubjectAccessReviewStatus } from '../self-reviews/access-review.ts';
import { selfSubjectRulesReviewStatus } from '../self-reviews/rules-review.ts';
import { selfSubjectReviewStatus } from '../self-reviews/whoami.ts';

/**
 * "Ask before you act": the gateway answers the self-review APIs itself instead of forwarding
 * them, since only it knows the identity it impersonates and the policy it applies.
 *
 * - `kubectl auth whoami`: SelfSubjectReview (authentication.k8s.io v1, v1beta1, v1alpha1);
 * - `kubectl auth can-i`: SelfSubjectAccessReview (authorization.k8s.io/v1), policy then cluster;
 * - `kubectl auth can-i --list`: SelfSubjectRulesReview (authorization.k8s.io/v1).
 *
 * It is the last stage, after authorize (the built-in `builtin:self-review` rule allows these
 * unless the policy denies them) and after the recording gate, so each is logged and recorded like
 * any request, its answer included. Everything else goes on to the cluster untouched.
 */
export function selfReviews(runtime: GatewayRuntime): Stage {
  return (next) => async (ctx) => {
    const kind = ctx.upgrade || !ctx.info ? undefined : selfReviewKind(ctx.info);
    if (!kind) return next(ctx);
    const caller = callerFrom(ctx);
    const cluster = clusterFrom(ctx);
    let status: Record<string, unknown>;
    if (kind === 'SelfSubjectReview') {
      status = selfSubjectReviewStatus(caller, runtime.identity);
    } else {
      const body = await readBodyOnce(ctx, REVIEW_BODY_LIMIT);
      const contentType = ctx.req.headers['content-type'];
      status =
        kind === 'SelfSubjectAccessReview'
          ? await selfSubjectAccessReviewStatus(
              accessQuestion(body, contentType),
              caller,
              cluster,
              runtime.identity,
              runtime.policy,
            )
          : await selfSubjectRulesReviewStatus(
              rulesNamespace(body, contentType),
              caller,
              cluster,
              runtime.identity,
              runtime.policy,
            );
    }
    answer(ctx, kind, status);
  };
}

const REVIEW_BODY_LIMIT = {
  maxBytes: 64 * 1024,
  tooLarge: 'far more than a self-review object; send only its spec',
};

type SelfReviewKind = 'SelfSubjectReview' | 'SelfSubjectAccessReview' | 'SelfSubjectRulesReview';

const AUTHENTICATION_VERSIONS = new Set(['v1', 'v1beta1', 'v1alpha1']);

function selfReviewKind(info: RequestInfo): SelfReviewKind | undefined {
  if (!info.isResourceRequest || info.verb !== 'create' || info.namespace || info.name || info.subresource) {
    return undefined;
  }
  if (info.apiGroup === 'authentication.k8s.io' && AUTHENTICATION_VERSIONS.has(info.apiVersion)) {
    return info.resource === 'selfsubjectreviews' ? 'SelfSubjectReview' : undefined;
  }
  if (info.apiGroup === 'authorization.k8s.io' && info.apiVersion === 'v1') {
    if (info.resource === 'selfsubjectaccessreviews') return 'SelfSubjectAccessReview';
    if (info.resource === 'selfsubjectrulesreviews') return 'SelfSubjectRulesReview';
  }
  return undefined;
}

/** Writes the created review (201, JSON), as kube-apiserver answers a create of one. */
function answer(ctx: RequestContext, kind: SelfReviewKind, status: Record<string, unknown>): void {
  const info = ctx.info!;
  const review: Record<string, unknown> = {
    kind,
    apiVersion: `${info.apiGroup}/${info.apiVersion}`,
    metadata: { creationTimestamp: null },
    status,
  };
  if (kind !== 'SelfSubjectReview') review['spec'] = specOf(ctx.body);
  const body = JSON.stringify(review);
  ctx.status = 201;
  ctx.res.writeHead(201, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache, private',
  });
  ctx.res.end(body);
}

/** The request's spec echoed back when it was JSON (a protobuf one is not re-encoded). */
function specOf(body: Buffer | undefined): unknown {
  try {
    const spec = (JSON.parse(body?.toString('utf8') ?? '') as { spec?: unknown }).spec;
    return typeof spec === 'object' && spec !== null ? spec : {};
  } catch {
    return {};
  }
}
