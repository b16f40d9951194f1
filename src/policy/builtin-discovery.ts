import { compileGlobs } from './patterns.ts';
import { BUILTIN_DISCOVERY_RULE, type CompiledRule } from './policy.types.ts';

/**
 * The built-in rule that lets every authenticated caller read what any Kubernetes client needs
 * before it can do anything: API discovery, the server version, the OpenAPI documents, and the
 * health endpoints. Without it a default-deny policy would break `kubectl` outright; with it, a
 * policy only has to talk about resources.
 *
 * It is an ordinary `allow` rule evaluated after the policy's own, so "most restrictive wins"
 * applies: a deny rule matching any of these requests overrides it, and `builtinDiscovery: false`
 * removes it. It matches GET and HEAD only, and only non-resource requests. Under `/api` and
 * `/apis`, request-info.ts classifies every path deep enough to name a resource as a resource
 * request, so `/api/*` and `/apis/*` here can only reach the discovery documents (`/api/v1`,
 * `/apis/apps`, `/apis/apps/v1`), never an object.
 *
 * Deliberately left out: `/metrics`, `/logs`, `/debug/*` and `/.well-known/*`. A policy that
 * wants them writes a rule with `nonResourceURLs`.
 */

export const DISCOVERY_URLS: readonly string[] = [
  '/api',
  '/api/*',
  '/apis',
  '/apis/*',
  '/version',
  '/openapi/v2',
  '/openapi/v3',
  '/openapi/v3/*',
  '/healthz',
  '/livez',
  '/readyz',
];

export function builtinDiscoveryRule(): CompiledRule {
  return {
    name: BUILTIN_DISCOVERY_RULE,
    action: 'allow',
    message: 'API discovery, /version, /openapi and health checks are allowed by the built-in rule.',
    scope: 'nonResource',
    subjects: null,
    groups: null,
    clusters: null,
    verbs: new Set(['get', 'head']),
    apiGroups: null,
    resources: null,
    namespaces: null,
    names: null,
    nonResourceURLs: compileGlobs(DISCOVERY_URLS),
    match: { verbs: ['get', 'head'], nonResourceURLs: [...DISCOVERY_URLS] },
  };
}

/** The name the built-in self-review rule carries in decisions. */
export const BUILTIN_SELF_REVIEW_RULE = 'builtin:self-review';

/**
 * The built-in rule that lets every authenticated caller ask who it is and what it may do:
 * `kubectl auth whoami` (SelfSubjectReview) and `kubectl auth can-i` (SelfSubjectAccessReview,
 * SelfSubjectRulesReview), which kube-apiserver grants everyone through `system:basic-user`. The
 * gateway answers these itself from its own policy (gateway/pipeline/self-reviews.ts), so they
 * reveal nothing but the caller's own identity and permissions. Like the discovery rule it is an
 * ordinary allow rule evaluated after the policy's own, removed by `builtinDiscovery: false`.
 */
export function builtinSelfReviewRules(): CompiledRule[] {
  return [
    selfReviewRule('authentication.k8s.io', ['selfsubjectreviews']),
    selfReviewRule('authorization.k8s.io', ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
  ];
}

function selfReviewRule(group: string, resources: string[]): CompiledRule {
  const match = { verbs: ['create'], apiGroups: [group], resources };
  return {
    name: BUILTIN_SELF_REVIEW_RULE,
    action: 'allow',
    message:
      'Asking who you are and what you may do (kubectl auth whoami, auth can-i) is allowed by the built-in rule.',
    scope: 'resource',
    subjects: null,
    groups: null,
    clusters: null,
    verbs: new Set(match.verbs),
    apiGroups: compileGlobs(match.apiGroups),
    resources: compileGlobs(match.resources, true),
    namespaces: null,
    names: null,
    nonResourceURLs: null,
    match,
  };
}
