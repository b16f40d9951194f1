import { type AccessQuestion, questionInfo } from '../../src/access-review/attributes.ts';
import { approvalReason } from '../../src/access-review/policy-rules.ts';
import type { Caller } from '../../src/authn/caller.ts';
import type { GatewayCluster, IdentityMapping, PolicyEngine } from '../runtime.ts';
import { askCluster } from '../upstream/ask-cluster.ts';

/**
 * The `status` of a SelfSubjectAccessReview (`kubectl auth can-i`): the gateway's policy first,
 * then the cluster's own RBAC, since a call must pass both.
 *
 * - deny: `allowed: false, denied: true`, the policy's message as `reason`;
 * - review: `allowed: false`, reason "allowed after approval by …" naming the approvers, so the
 *   agent knows the call would be held (no review is created: nothing was asked for yet);
 * - allow: the cluster's answer for the impersonated identity (a SelfSubjectAccessReview sent
 *   upstream as the agent), its reason kept.
 */
export async function selfSubjectAccessReviewStatus(
  question: AccessQuestion,
  caller: Caller,
  cluster: GatewayCluster,
  identity: IdentityMapping,
  policy: PolicyEngine,
): Promise<Record<string, unknown>> {
  const decision = policy.evaluate({ caller, cluster: cluster.name, info: questionInfo(question) });
  if (decision.action === 'deny') return { allowed: false, denied: true, reason: decision.message };
  if (decision.action === 'review') {
    const authored = policy.compiled?.rules.find((rule) => rule.name === decision.rule)?.message ?? '';
    return { allowed: false, reason: approvalReason(decision.rule, decision.review, authored) };
  }
  const spec =
    question.kind === 'resource'
      ? { resourceAttributes: withoutKind(question) }
      : { nonResourceAttributes: { path: question.path, verb: question.verb } };
  const answer = await askCluster(
    cluster,
    caller,
    identity,
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec,
    },
  );
  const status = (answer['status'] ?? {}) as Record<string, unknown>;
  return {
    allowed: status['allowed'] === true,
    ...(status['denied'] === true ? { denied: true } : {}),
    ...(typeof status['reason'] === 'string' && status['reason'] ? { reason: status['reason'] } : {}),
    ...(typeof status['evaluationError'] === 'string' && status['evaluationError']
      ? { evaluationError: status['evaluationError'] }
      : {}),
  };
}

function withoutKind(question: Extract<AccessQuestion, { kind: 'resource' }>): Record<string, string> {
  const { kind: _kind, ...attributes } = question;
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== ''));
}
