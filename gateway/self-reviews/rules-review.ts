import { NEEDS_APPROVAL, policyRulesFor } from '../../src/access-review/policy-rules.ts';
import type { Caller } from '../../src/authn/caller.ts';
import { StatusError } from '../../src/errors.ts';
import type { GatewayCluster, IdentityMapping, PolicyEngine } from '../runtime.ts';
import { askCluster } from '../upstream/ask-cluster.ts';
import { impersonatedIdentity } from '../upstream/impersonated-identity.ts';

/**
 * The `status` of a SelfSubjectRulesReview (`kubectl auth can-i --list`): the gateway's rules
 * for this caller in the namespace (policy-rules.ts), annotated with the cluster's answer for the
 * impersonated identity rather than intersected (RBAC rule sets with globs do not intersect into
 * something readable). Whatever the list cannot say goes into `evaluationError` with
 * `incomplete: true`, which kubectl prints as "warning: the list may be incomplete: …": the deny
 * rules that win over it, what the review marker means, and that the cluster's RBAC applies too
 * when it does not grant everything.
 */
export async function selfSubjectRulesReviewStatus(
  namespace: string,
  caller: Caller,
  cluster: GatewayCluster,
  identity: IdentityMapping,
  policy: PolicyEngine,
): Promise<Record<string, unknown>> {
  if (!policy.compiled) {
    throw new StatusError(
      501,
      'InternalError',
      'this gateway cannot list its rules; ask with kubectl auth can-i VERB RESOURCE',
    );
  }
  const rules = policyRulesFor(policy.compiled, caller, cluster.name, namespace);
  const notes: string[] = [];
  if (rules.resourceRules.some((r) => r.verbs.some((v) => v.endsWith(NEEDS_APPROVAL)))) {
    notes.push(`verbs marked ${NEEDS_APPROVAL} are held until a person approves each call`);
  }
  if (rules.denials.length > 0)
    notes.push(`these deny rules win over every rule listed: ${rules.denials.join('; ')}`);
  const clusterNote = await clusterAnnotation(namespace, caller, cluster, identity);
  if (clusterNote) notes.push(clusterNote);
  return {
    resourceRules: rules.resourceRules,
    nonResourceRules: rules.nonResourceRules,
    incomplete: notes.length > 0,
    ...(notes.length > 0 ? { evaluationError: `the gateway's policy: ${notes.join('. ')}` } : {}),
  };
}

/** What to say about the cluster's own rules for the agent, or undefined when it grants everything. */
async function clusterAnnotation(
  namespace: string,
  caller: Caller,
  cluster: GatewayCluster,
  identity: IdentityMapping,
): Promise<string | undefined> {
  const user = impersonatedIdentity(caller, identity).user;
  let status: Record<string, unknown>;
  try {
    const answer = await askCluster(
      cluster,
      caller,
      identity,
      '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        spec: { namespace },
      },
    );
    status = (answer['status'] ?? {}) as Record<string, unknown>;
  } catch (error) {
    return `the cluster's own rules for ${user} could not be read (${(error as Error).message}); each call also needs them`;
  }
  const resourceRules = Array.isArray(status['resourceRules'])
    ? (status['resourceRules'] as Array<Record<string, unknown>>)
    : [];
  const grantsAll = resourceRules.some(
    (r) =>
      isStar(r['verbs']) &&
      isStar(r['apiGroups']) &&
      isStar(r['resources']) &&
      r['resourceNames'] === undefined,
  );
  if (grantsAll && status['incomplete'] !== true) return undefined;
  return (
    `each call also needs the cluster's RBAC for ${user}, which grants ${resourceRules.length} resource rule(s) in this namespace` +
    ' (kubectl auth can-i VERB RESOURCE asks both)'
  );
}

function isStar(list: unknown): boolean {
  return Array.isArray(list) && list.includes('*');
}
