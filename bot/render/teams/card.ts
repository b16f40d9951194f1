import type { Decision, ReviewState } from '../../../src/approvals/review.types.ts';
import { type CardAction, type CardModel, windowLabel } from '../../model/card.ts';
import { MAX_REASON_CHARS } from '../../model/interaction.ts';
import type { Line } from '../../model/reply.ts';
import {
  clean,
  codeRun,
  inline,
  lineRuns,
  type RichTextBlock,
  rich,
  run,
  type TextRun,
  utc,
} from './text.ts';

/**
 * The approval card as an Adaptive Card (schema 1.5) for Teams, built only from a
 * {@link CardModel}, with the same facts as the Block Kit card: the request, the requester, the
 * CI context, the rule, the masked body (with its hash), the deadline and the decisions.
 *
 * While pending it carries Universal Actions (`Action.Execute`): Approve, Approve for a window
 * (when the rule grants windows), and Reject, which opens an inline form with a required reason.
 * A pending card also carries `refresh`, so Teams asks the bot for the current card whenever
 * someone opens it, and a stale copy never offers buttons for a decided review. Decided cards have
 * no actions and no refresh; they say who decided.
 *
 * Every caller-controlled value is a TextRun (see text.ts): never parsed as markdown or mentions.
 */
export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema?: string;
  version: '1.5';
  body: unknown[];
  actions?: unknown[];
  refresh?: { action: ExecuteAction };
  fallbackText?: string;
  msteams?: { width: 'Full' };
}

export interface ExecuteAction {
  type: 'Action.Execute';
  title?: string;
  verb: string;
  data: Record<string, string | number>;
  style?: 'positive' | 'destructive';
  associatedInputs?: 'auto' | 'none';
}

/** The `verb`s of the card's actions; the receiver acts on nothing else. */
export const VERBS = {
  approve: 'hoop.approve',
  approveWindow: 'hoop.approve-window',
  reject: 'hoop.reject',
  refresh: 'hoop.refresh',
} as const;

/** The reject form's input id; its value arrives in the invoke's `action.data`. */
export const REASON_INPUT = 'reason';

export const CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
const SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';

const HEADLINE: Record<ReviewState, string> = {
  pending: '🔐 Approval needed',
  approved: '✅ Approved',
  rejected: '⛔ Rejected',
  expired: '⌛ Expired',
  cancelled: '🚫 Cancelled',
};

export interface CardRenderOptions {
  /** Buttons while pending. Default true; command answers show cards read-only. */
  withActions?: boolean;
  /** A note for the one person who sees this copy (an invoke answer), shown above the card. */
  notice?: Line[];
}

export function adaptiveCard(card: CardModel, options: CardRenderOptions = {}): AdaptiveCard {
  const t = card.target;
  const body: unknown[] = [];
  if (options.notice?.length) {
    body.push({
      type: 'Container',
      style: 'attention',
      items: options.notice.map((line) => rich(lineRuns(line))),
    });
  }
  body.push(
    {
      type: 'TextBlock',
      text: HEADLINE[card.state],
      size: 'Medium',
      weight: 'Bolder',
      wrap: true,
    },
    rich([run('Review '), codeRun(card.reviewId, 40)], { spacing: 'None' }),
    rich([
      run(inline(t.verb, 40), { weight: 'Bolder' }),
      run(' '),
      codeRun(t.name ?? t.resource),
      run(' ('),
      codeRun(t.resource, 100),
      ...(t.apiGroup ? [run(' in '), codeRun(t.apiGroup, 100)] : []),
      run(')'),
      ...(t.namespace ? [run(' in namespace '), codeRun(t.namespace, 100)] : []),
      run(' on cluster '),
      codeRun(t.cluster, 100),
    ]),
  );
  if (t.command) body.push(field('Command', [codeRun(t.command, 200)]));
  if (t.path) body.push(field('Path', [codeRun(t.path, 300)]));
  body.push(field('Requester', [codeRun(card.requester.subject)]));
  body.push(
    field('Groups', card.requester.groups.length ? [codeRun(card.requester.groups.join(', '))] : [run('—')]),
  );
  body.push(field('Issuer', [codeRun(card.requester.issuer)]));
  if (card.requester.owner) body.push(field('Owner', [codeRun(card.requester.owner)]));
  if (t.session) body.push(field('Session', [codeRun(t.session, 100)]));
  const ci = card.ci;
  if (ci?.repository) body.push(field('Repository', [codeRun(ci.repository)]));
  if (ci?.workflow) body.push(field('Workflow', [codeRun(ci.workflow)]));
  if (ci?.ref) body.push(field('Ref', [codeRun(ci.ref)]));
  body.push(field('Rule', [codeRun(card.rule.name, 100)]));
  if (card.rule.message) body.push(rich([run(clean(card.rule.message, 1000))], { spacing: 'None' }));
  if (card.body) {
    body.push(field('Request body (masked)', []));
    body.push(rich([run(clean(card.body), { fontType: 'Monospace' })], { spacing: 'None' }));
  }
  body.push(rich(statusRuns(card), { separator: true }));
  for (const decision of card.decisions) body.push(rich(decisionRuns(decision), { spacing: 'Small' }));

  const result: AdaptiveCard = {
    type: 'AdaptiveCard',
    $schema: SCHEMA,
    version: '1.5',
    body,
    fallbackText: `${HEADLINE[card.state].slice(2).trim()}: review ${card.reviewId}`,
    msteams: { width: 'Full' },
  };
  const actions: unknown[] = [];
  // runUrl is built from shape-checked claims only (ci-context.ts): an https URL of a known shape.
  if (ci?.runUrl) actions.push({ type: 'Action.OpenUrl', title: 'Open the CI run', url: ci.runUrl });
  // The console URL comes from configuration (an https origin) and the review id's fixed alphabet.
  if (card.links) actions.push({ type: 'Action.OpenUrl', title: 'Open review', url: card.links.review });
  if (options.withActions !== false && card.state === 'pending' && card.actions.length) {
    for (const action of card.actions) actions.push(actionFor(card, action));
    result.refresh = {
      action: { type: 'Action.Execute', verb: VERBS.refresh, data: { reviewId: card.reviewId } },
    };
  }
  if (actions.length) result.actions = actions;
  return result;
}

/** A labelled line: the label bold (fixed text), the value runs after it. */
function field(label: string, value: TextRun[]): RichTextBlock {
  return rich([run(`${label}: `, { weight: 'Bolder' }), ...value], { spacing: 'Small' });
}

function statusRuns(card: CardModel): TextRun[] {
  if (card.state === 'pending') {
    const count =
      card.approvals.needed > 1 ? ` · ${card.approvals.count} of ${card.approvals.needed} approvals` : '';
    return [run(`Waiting for a decision until ${utc(card.deadline)}${count}`, { isSubtle: true })];
  }
  if (card.state === 'expired') {
    return [run(`Nobody decided before ${utc(card.deadline)}; the agent was told it timed out.`)];
  }
  const state = `${card.state[0]!.toUpperCase()}${card.state.slice(1)}`;
  const grant =
    card.grant?.kind === 'window'
      ? ` · matching calls pass for ${windowLabel(card.grant.windowSeconds)}, until ${utc(card.grant.until)}`
      : card.state === 'approved'
        ? ' · this one call passes'
        : '';
  return [
    run(state, { weight: 'Bolder' }),
    ...(card.decidedBy ? [run(' by '), run(inline(card.decidedBy, 200), { weight: 'Bolder' as const })] : []),
    run(` ${utc(card.updatedAt)}${grant}`),
  ];
}

function decisionRuns(d: Decision): TextRun[] {
  const icon = d.action === 'approve' ? '✅' : '⛔';
  const verb = d.action === 'approve' ? 'approved' : 'rejected';
  const window = d.windowSeconds ? ` for ${windowLabel(d.windowSeconds)}` : '';
  return [
    run(`${icon} `),
    run(inline(d.approver, 200), { weight: 'Bolder' }),
    run(` ${verb}${window} via ${inline(d.via, 20)} ${utc(d.at)}`),
    ...(d.reason ? [run(': '), codeRun(d.reason, MAX_REASON_CHARS)] : []),
  ];
}

function actionFor(card: CardModel, action: CardAction): unknown {
  const reviewId = card.reviewId;
  switch (action.kind) {
    case 'approve':
      return execute('Approve', VERBS.approve, { reviewId }, 'positive');
    case 'approve-window':
      return execute(`Approve for ${windowLabel(action.windowSeconds)}`, VERBS.approveWindow, {
        reviewId,
        windowSeconds: action.windowSeconds,
      });
    case 'reject':
      // The reason is asked for in the card itself: Teams has no modal for a bot to open.
      return {
        type: 'Action.ShowCard',
        title: 'Reject…',
        card: {
          type: 'AdaptiveCard',
          version: '1.5',
          body: [
            {
              type: 'Input.Text',
              id: REASON_INPUT,
              label: 'Why? The agent sees this reason.',
              isMultiline: true,
              isRequired: true,
              errorMessage: 'Say why: the agent sees this reason.',
              maxLength: MAX_REASON_CHARS,
            },
          ],
          actions: [
            { ...execute('Reject', VERBS.reject, { reviewId }, 'destructive'), associatedInputs: 'auto' },
          ],
        },
      };
  }
}

function execute(
  title: string,
  verb: string,
  data: Record<string, string | number>,
  style?: 'positive' | 'destructive',
): ExecuteAction {
  return { type: 'Action.Execute', title, verb, data, ...(style ? { style } : {}) };
}
