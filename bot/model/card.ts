import { impactDetails, impactHeadline } from '../../src/approvals/impact-format.ts';
import type { Decision, Review, ReviewState } from '../../src/approvals/review.types.ts';
import { maxWindowSeconds } from '../../src/approvals/review-rule.ts';
import { consoleReviewUrl } from '../../src/config/console.ts';
import { type CiContext, ciContextOf } from './ci-context.ts';

/**
 * The approval card as platform-neutral data, built from a review record. Renderers (Slack Block
 * Kit, a Teams Adaptive Card) turn it into markup; they never read the review itself,
 * so both show the same facts and offer the same actions.
 *
 * Every string here is raw: whatever the caller sent (resource names, claims, the kubectl
 * command) is still unescaped, and escaping is the renderer's job, because it differs per format.
 */
export type CardAction =
  | { kind: 'approve' }
  /** Approve with a window grant; offered only when the rule grants windows. */
  | { kind: 'approve-window'; windowSeconds: number }
  | { kind: 'reject' };

export interface CardModel {
  reviewId: string;
  state: ReviewState;
  requester: { subject: string; issuer: string; groups: string[]; owner?: string };
  ci?: CiContext;
  target: {
    cluster: string;
    verb: string;
    /** `resource` or `resource/subresource`. */
    resource: string;
    apiGroup: string;
    namespace?: string;
    name?: string;
    /** The request path the gateway classified (relative to the cluster prefix). */
    path?: string;
    /** The `Kubectl-Command` header, e.g. `kubectl delete`. */
    command?: string;
    session?: string;
  };
  rule: { name: string; message: string };
  /** The masked body summary; absent when there is no body worth showing. */
  body?: string;
  /**
   * The impact preview (src/approvals/impact.types.ts), already masked: `headline` is the short
   * form every card shows (counts, or how many fields change and the first ones); `details` are
   * the full lines a renderer offers behind "Show details". Absent when the review has none.
   */
  impact?: { headline: string; details: string[]; complete: boolean };
  deadline: number;
  createdAt: number;
  updatedAt: number;
  approvals: { count: number; needed: number };
  decisions: Decision[];
  /** Who made the review final, when it is. */
  decidedBy?: string;
  /** The grant an approval gave: a window's length in seconds, or `once`. */
  grant?: { kind: 'once' } | { kind: 'window'; windowSeconds: number; until: number };
  /** Buttons to offer; empty unless pending. */
  actions: CardAction[];
  /** The review's page in the web console, when one is configured (`console.publicUrl`). */
  links?: { review: string };
}

export interface CardOptions {
  /** The window the "approve for a while" action offers (capped by the rule). Default 900. */
  windowSeconds?: number;
  /** The web console's public URL: the card links to the review there. */
  consoleUrl?: string | undefined;
}

/** The card for `review` in its current state. */
export function buildCard(review: Review, options: CardOptions = {}): CardModel {
  const info = review.info;
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const approvers = new Set(
    review.decisions.filter((d) => d.action === 'approve').map((d) => d.approver.toLowerCase()),
  );
  const card: CardModel = {
    reviewId: review.id,
    state: review.state,
    requester: {
      subject: review.caller.subject,
      issuer: review.caller.issuer,
      groups: review.caller.groups,
      ...(review.owner ? { owner: review.owner } : {}),
    },
    target: {
      cluster: review.cluster,
      verb: info.verb,
      resource,
      apiGroup: info.apiGroup,
      ...(info.namespace ? { namespace: info.namespace } : {}),
      ...(info.name ? { name: info.name } : {}),
      ...(info.path ? { path: info.path } : {}),
      ...(review.headers.command ? { command: review.headers.command } : {}),
      ...(review.headers.session ? { session: review.headers.session } : {}),
    },
    rule: { name: review.rule.name, message: review.rule.message },
    deadline: review.deadline,
    createdAt: review.createdAt,
    updatedAt: review.updatedAt,
    approvals: { count: approvers.size, needed: review.rule.minApprovals },
    decisions: review.decisions,
    actions: review.state === 'pending' ? actionsFor(review, options) : [],
  };
  const ci = ciContextOf(review.caller);
  if (ci) card.ci = ci;
  if (review.bodySummary && review.bodySummary !== '(no body)') card.body = review.bodySummary;
  if (review.impact) {
    card.impact = {
      headline: impactHeadline(review.impact),
      details: impactDetails(review.impact),
      complete: review.impact.complete,
    };
  }
  if (review.decidedBy) card.decidedBy = review.decidedBy;
  if (options.consoleUrl) card.links = { review: consoleReviewUrl(options.consoleUrl, review.id) };
  if (review.grant?.kind === 'window') {
    card.grant = { kind: 'window', windowSeconds: review.grant.windowSeconds, until: review.grant.windowEnd };
  } else if (review.grant) {
    card.grant = { kind: 'once' };
  }
  return card;
}

function actionsFor(review: Review, options: CardOptions): CardAction[] {
  const actions: CardAction[] = [{ kind: 'approve' }];
  const max = maxWindowSeconds(review.rule);
  if (max > 0) {
    actions.push({ kind: 'approve-window', windowSeconds: Math.min(options.windowSeconds ?? 900, max) });
  }
  actions.push({ kind: 'reject' });
  return actions;
}

/** "approved", "rejected" … as a reader expects them, for texts on any platform. */
export function stateWord(state: ReviewState): string {
  return state === 'pending' ? 'waiting for approval' : state;
}

/** A window's length for a button or a sentence: "15 min", "2 h", "90 s". */
export function windowLabel(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
