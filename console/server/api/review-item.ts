import { authorizeDecision } from '../../../src/approvals/authorize.ts';
import { impactDetails, impactHeadline } from '../../../src/approvals/impact-format.ts';
import type { Approver, Review } from '../../../src/approvals/review.types.ts';
import { maxWindowSeconds } from '../../../src/approvals/review-rule.ts';
import { reviewView } from '../../../src/approvals/review-view.ts';
import type { DecisionKeyring } from '../../../src/approvals/signing/decision-keys.ts';
import type { ReviewItem } from '../../api.types.ts';

/**
 * A review as the console shows it: the facts its chat card shows (requester, target, rule, the
 * masked body summary, the impact preview), each decision with whether its signature verifies,
 * and what the signed-in person may do with it now, asked of the same rules (authorize.ts) the
 * decision itself will be checked against.
 */
const WINDOW_CHOICES = [300, 900, 3600, 14_400];

export function reviewItem(review: Review, keyring: DecisionKeyring, you: Approver): ReviewItem {
  const info = review.info;
  const view = reviewView(review, [], keyring);
  const approvers = new Set(
    review.decisions.filter((d) => d.action === 'approve').map((d) => d.approver.toLowerCase()),
  );
  const max = maxWindowSeconds(review.rule);
  const item: ReviewItem = {
    id: review.id,
    state: review.state,
    requester: {
      subject: review.caller.subject,
      issuer: review.caller.issuer,
      groups: [...review.caller.groups],
      ...(review.owner ? { owner: review.owner } : {}),
    },
    target: {
      cluster: review.cluster,
      verb: info.verb,
      resource: info.subresource ? `${info.resource}/${info.subresource}` : info.resource,
      apiGroup: info.apiGroup,
      ...(info.namespace ? { namespace: info.namespace } : {}),
      ...(info.name ? { name: info.name } : {}),
      ...(info.path ? { path: info.path } : {}),
      ...(review.headers.command ? { command: review.headers.command } : {}),
      ...(review.headers.session ? { kubectlSession: review.headers.session } : {}),
    },
    rule: { name: review.rule.name, message: review.rule.message },
    deadline: review.deadline,
    createdAt: review.createdAt,
    updatedAt: review.updatedAt,
    approvals: { count: approvers.size, needed: review.rule.minApprovals },
    decisions: view.decisions.map((d) => ({
      approver: d.approver,
      action: d.action,
      at: d.at,
      via: d.via,
      signature: d.signature,
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.windowSeconds ? { windowSeconds: d.windowSeconds } : {}),
    })),
    windowChoices: max > 0 ? [...new Set([...WINDOW_CHOICES.filter((s) => s < max), max])] : [],
    you: mayDo(review, you),
  };
  if (review.bodySummary && review.bodySummary !== '(no body)') item.body = review.bodySummary;
  if (review.impact)
    item.impact = {
      headline: impactHeadline(review.impact),
      details: impactDetails(review.impact),
      complete: review.impact.complete,
    };
  if (review.decidedBy) item.decidedBy = review.decidedBy;
  if (review.grant?.kind === 'window')
    item.grant = { kind: 'window', windowSeconds: review.grant.windowSeconds, until: review.grant.windowEnd };
  else if (review.grant) item.grant = { kind: 'once' };
  return item;
}

function mayDo(review: Review, approver: Approver): ReviewItem['you'] {
  if (review.state !== 'pending')
    return { mayApprove: false, mayReject: false, why: `it is ${review.state}` };
  const approve = authorizeDecision(review, { approver, action: 'approve' });
  const reject = authorizeDecision(review, { approver, action: 'reject' });
  const why = !approve.allowed ? approve.reason : !reject.allowed ? reject.reason : undefined;
  return { mayApprove: approve.allowed, mayReject: reject.allowed, ...(why ? { why } : {}) };
}
