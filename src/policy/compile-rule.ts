import { CLAIM_PATH } from '../authn/claim-path.ts';
import { compileGlobs, compileNamespaces, compileResources } from './patterns.ts';
import type { CompiledRule, ReviewSpec, RuleScope } from './policy.types.ts';
import { explicitProxyResources } from './proxy-subresources.ts';
import type { MatchDocument, RuleDocument } from './schema.ts';

/**
 * Checks what a rule means and compiles it into a {@link CompiledRule}. Structure was checked by
 * schema.ts; this file owns the semantics, and every refusal names the field it is about through
 * `fail(path, message)`, with `path` relative to the rule (`match.verbs[0]`).
 */

export type Fail = (path: string, message: string) => never;

/** Verbs a resource request can have (request-info.ts), as RBAC spells them. */
export const RESOURCE_VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'proxy',
] as const;
/** Verbs a non-resource request can have: its lowercase HTTP method. */
export const NON_RESOURCE_VERBS = ['get', 'head', 'post', 'put', 'patch', 'delete'] as const;

const RESOURCE_MATCHERS = ['apiGroups', 'resources', 'namespaces', 'names'] as const;

function scopeOf(match: MatchDocument, fail: Fail): RuleScope {
  const resourceField = RESOURCE_MATCHERS.find((key) => match[key] !== undefined);
  if (match.nonResourceURLs && resourceField) {
    fail(
      'match.nonResourceURLs',
      `cannot be combined with ${resourceField}: a request is either a resource request or a ` +
        'non-resource URL; write two rules',
    );
  }
  if (match.nonResourceURLs) return 'nonResource';
  return resourceField ? 'resource' : 'any';
}

function compileVerbs(
  verbs: readonly string[] | undefined,
  scope: RuleScope,
  fail: Fail,
): Set<string> | null {
  if (!verbs) return null;
  const known = new Set<string>(
    scope === 'resource'
      ? RESOURCE_VERBS
      : scope === 'nonResource'
        ? NON_RESOURCE_VERBS
        : [...RESOURCE_VERBS, ...NON_RESOURCE_VERBS],
  );
  verbs.forEach((verb, i) => {
    if (verb !== '*' && !known.has(verb)) {
      const kind = scope === 'nonResource' ? 'non-resource verbs (lowercase HTTP methods)' : 'verbs';
      fail(`match.verbs[${i}]`, `unknown verb ${JSON.stringify(verb)}; ${kind}: ${[...known].join(', ')}, *`);
    }
  });
  return verbs.includes('*') ? null : new Set(verbs);
}

function resourcesMatcher(resources: readonly string[] | undefined, fail: Fail): RegExp | null {
  if (!resources) return null;
  const compiled = compileResources(resources);
  if (compiled === null || compiled instanceof RegExp) return compiled;
  const entry = JSON.stringify(resources[compiled.invalid]);
  return fail(
    `match.resources[${compiled.invalid}]`,
    `${entry} is not a resource; write "pods", "pods/exec", "pods/*", "*/status" or "*"`,
  );
}

function nonEmpty(list: readonly string[] | undefined, field: string, fail: Fail, why: string): void {
  list?.forEach((value, i) => {
    if (value === '') fail(`match.${field}[${i}]`, `must not be empty (${why})`);
  });
}

function compileReview(rule: RuleDocument, fail: Fail): ReviewSpec | undefined {
  const review = rule.review;
  if (rule.action !== 'review') {
    if (review) fail('review', `only applies to action: review (this rule's action is ${rule.action})`);
    return undefined;
  }
  const spec: ReviewSpec = { name: rule.name, message: rule.message ?? '' };
  if (!review) return spec;
  if (review.approvers) {
    spec.approvers = { users: review.approvers.users ?? [], groups: review.approvers.groups ?? [] };
  }
  if (review.minApprovals !== undefined) spec.minApprovals = review.minApprovals;
  if (review.timeout !== undefined) spec.timeoutSeconds = seconds(review.timeout);
  if (review.allowSelfApproval !== undefined) spec.allowSelfApproval = review.allowSelfApproval;
  if (review.grant !== undefined) {
    spec.grant =
      review.grant === 'once'
        ? { kind: 'once' }
        : { kind: 'window', maxSeconds: seconds(review.grant.window) };
  }
  if (review.autoApprove) {
    spec.autoApprove = { groups: [...(review.autoApprove.groups ?? [])] };
    if (review.autoApprove.deleteAtMost)
      spec.autoApprove.deleteAtMost = { ...review.autoApprove.deleteAtMost };
  }
  if (review.escalate) spec.escalate = { ...review.escalate };
  if (review.notify?.slack || review.notify?.teams) {
    spec.notify = {
      ...(review.notify.slack ? { slack: { channel: review.notify.slack.channel } } : {}),
      ...(review.notify.teams ? { teams: { channel: review.notify.teams.channel } } : {}),
    };
  }
  return spec;
}

/** `match.claims`: each key a claim path, each value one glob or a list of them. */
function compileClaims(claims: MatchDocument['claims'], fail: Fail): CompiledRule['claims'] | undefined {
  if (!claims) return undefined;
  const entries = Object.entries(claims);
  if (entries.length === 0) fail('match.claims', 'list at least one claim, or leave the field out');
  return entries.map(([path, globs]) => {
    if (!CLAIM_PATH.test(path)) {
      fail(
        `match.claims.${path}`,
        `${JSON.stringify(path)} is not a claim name: write a name or a dotted path such as repository or kubernetes.io.namespace`,
      );
    }
    return { path, pattern: compileGlobs(typeof globs === 'string' ? [globs] : globs) };
  });
}

/** `90s`, `15m`, `1h` (already validated by the schema) in seconds. */
function seconds(duration: string): number {
  const unit = duration.at(-1) === 'h' ? 3600 : duration.at(-1) === 'm' ? 60 : 1;
  return Number(duration.slice(0, -1)) * unit;
}

/** Compiles one validated rule; `fail` paths are relative to the rule. */
export function compileRule(rule: RuleDocument, fail: Fail): CompiledRule {
  if (rule.name === 'default' || rule.name.startsWith('builtin:')) {
    fail('name', `${JSON.stringify(rule.name)} is reserved; choose another name`);
  }
  if (/[\u0000-\u001f\u007f]/.test(rule.name)) fail('name', 'must not contain control characters');
  const match = rule.match ?? {};
  const scope = scopeOf(match, fail);
  if (rule.action === 'review' && scope === 'nonResource') {
    fail(
      'action',
      'review cannot apply to non-resource URLs: the gateway never holds discovery, /version, ' +
        '/openapi or health requests (kubectl gives up on discovery after 32 s); use allow or deny',
    );
  }
  nonEmpty(match.subjects, 'subjects', fail, 'every caller has a subject');
  nonEmpty(match.names, 'names', fail, 'a request without a name is never matched by ""');
  match.nonResourceURLs?.forEach((url, i) => {
    if (!url.startsWith('/') && !url.startsWith('*')) {
      fail(
        `match.nonResourceURLs[${i}]`,
        `${JSON.stringify(url)} must be a path starting with "/", such as /healthz`,
      );
    }
  });
  const compiled: CompiledRule = {
    name: rule.name,
    action: rule.action,
    message: rule.message ?? '',
    scope,
    subjects: match.subjects ? compileGlobs(match.subjects) : null,
    groups: match.groups ? compileGlobs(match.groups) : null,
    clusters: match.clusters ? compileGlobs(match.clusters) : null,
    verbs: compileVerbs(match.verbs, scope, fail),
    apiGroups: match.apiGroups && !match.apiGroups.includes('*') ? compileGlobs(match.apiGroups) : null,
    resources: resourcesMatcher(match.resources, fail),
    namespaces: match.namespaces ? compileNamespaces(match.namespaces) : null,
    names: match.names ? compileGlobs(match.names) : null,
    nonResourceURLs: match.nonResourceURLs ? compileGlobs(match.nonResourceURLs) : null,
  };
  const explicitProxy = explicitProxyResources(match.resources);
  if (explicitProxy.size > 0) compiled.explicitProxy = explicitProxy;
  if (rule.match) compiled.match = rule.match;
  const claims = compileClaims(match.claims, fail);
  if (claims) compiled.claims = claims;
  const review = compileReview(rule, fail);
  if (review) compiled.review = review;
  if (rule.allowUnrecordedStreams) compiled.allowUnrecordedStreams = true;
  return compiled;
}
