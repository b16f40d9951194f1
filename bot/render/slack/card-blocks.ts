import type { types } from '@slack/bolt';
import type { Decision, ReviewState } from '../../../src/approvals/review.types.ts';
import { type CardAction, type CardModel, windowLabel } from '../../model/card.ts';
import {
  codeBlock,
  codeSpan,
  escapeText,
  LIMITS,
  mrkdwn,
  neutralise,
  plainText,
  slackDate,
  slackLink,
  truncate,
} from './escape.ts';
import { ACTION_IDS } from './ids.ts';

/**
 * The approval card in Block Kit: who asks, what call, which rule, until when, what was decided,
 * and — while pending — the buttons. Built only from a {@link CardModel}; every caller-controlled
 * value goes through escape.ts (code spans), so a resource named `<!channel>` is shown, not sent.
 *
 * At most ten blocks whatever the review holds (decisions share one section), each section within
 * Slack's 3,000 characters; long values are cut with a visible "… (N more characters)".
 */
export interface SlackMessage {
  /** Notification and fallback text. */
  text: string;
  blocks: types.KnownBlock[];
}

const HEADLINE: Record<ReviewState, string> = {
  pending: '🔐 Approval needed',
  approved: '✅ Approved',
  rejected: '⛔ Rejected',
  expired: '⌛ Expired',
  cancelled: '🚫 Cancelled',
};

export function cardMessage(card: CardModel, options: { withActions?: boolean } = {}): SlackMessage {
  const t = card.target;
  const what = [t.namespace, t.resource, t.name].filter(Boolean).join('/');
  const blocks: types.KnownBlock[] = [
    { type: 'header', text: plainText(`${HEADLINE[card.state]} · ${card.reviewId}`, LIMITS.header) },
    {
      type: 'section',
      text: mrkdwn(
        `*${escapeText(t.verb)}* ${codeSpan(t.name ?? t.resource)} (${codeSpan(t.resource, 100)}` +
          `${t.apiGroup ? ` in ${codeSpan(t.apiGroup, 100)}` : ''})` +
          `${t.namespace ? ` in namespace ${codeSpan(t.namespace, 100)}` : ''} on cluster ${codeSpan(t.cluster, 100)}` +
          `${t.command ? `\nCommand: ${codeSpan(t.command, 200)}` : ''}`,
      ),
    },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Requester*\n${codeSpan(card.requester.subject)}`),
        mrkdwn(
          `*Groups*\n${card.requester.groups.length ? codeSpan(card.requester.groups.join(', ')) : '—'}`,
        ),
        mrkdwn(`*Issuer*\n${codeSpan(card.requester.issuer)}`),
        ...(card.requester.owner ? [mrkdwn(`*Owner*\n${codeSpan(card.requester.owner)}`)] : []),
        ...(t.session ? [mrkdwn(`*Session*\n${codeSpan(t.session, 100)}`)] : []),
      ],
    },
  ];
  const ci = ciFields(card);
  if (ci.length) blocks.push({ type: 'section', fields: ci });
  blocks.push({
    type: 'section',
    text: mrkdwn(
      `*Rule* ${codeSpan(card.rule.name, 100)}${card.rule.message ? `\n${escapeText(truncate(card.rule.message, 1000))}` : ''}`,
    ),
  });
  if (card.body)
    blocks.push({ type: 'section', text: mrkdwn(`*Request body (masked)*\n${codeBlock(card.body)}`) });
  const open = card.links ? ` · ${slackLink(card.links.review, 'Open review in the console')}` : '';
  blocks.push({ type: 'context', elements: [mrkdwn(`${statusLine(card)}${open}`)] });
  // Decisions and the impact preview share one section, so a card stays within ten blocks.
  const tail = [
    ...(card.impact
      ? [
          `*Impact preview*${card.impact.complete ? '' : ' (incomplete)'}\n${codeSpan(card.impact.headline, 600)}`,
        ]
      : []),
    ...card.decisions.map(decisionLine),
  ];
  if (tail.length) {
    const section: types.SectionBlock = { type: 'section', text: mrkdwn(tail.join('\n')) };
    if (card.impact) {
      section.accessory = {
        type: 'button',
        action_id: ACTION_IDS.impactDetails,
        text: plainText('Show details'),
        value: card.reviewId,
      };
    }
    blocks.push(section);
  }
  if (options.withActions !== false && card.actions.length) {
    blocks.push({
      type: 'actions',
      block_id: `hoop_actions_${card.reviewId}`,
      elements: card.actions.map((a) => button(card, a)),
    });
  }
  return { text: fallback(card, what), blocks };
}

function ciFields(card: CardModel): types.MrkdwnElement[] {
  const ci = card.ci;
  if (!ci) return [];
  const fields = [];
  if (ci.repository) fields.push(mrkdwn(`*Repository*\n${codeSpan(ci.repository)}`));
  if (ci.workflow) fields.push(mrkdwn(`*Workflow*\n${codeSpan(ci.workflow)}`));
  if (ci.ref) fields.push(mrkdwn(`*Ref*\n${codeSpan(ci.ref)}`));
  // runUrl is built from shape-checked claims only (ci-context.ts): no `|` or `>` can occur in it.
  if (ci.runUrl) fields.push(mrkdwn(`*Run*\n<${ci.runUrl}|open the CI run>`));
  return fields;
}

function statusLine(card: CardModel): string {
  if (card.state === 'pending') {
    const count =
      card.approvals.needed > 1 ? ` · ${card.approvals.count} of ${card.approvals.needed} approvals` : '';
    return `Waiting for a decision until ${slackDate(card.deadline)}${count}`;
  }
  if (card.state === 'expired')
    return `Nobody decided before ${slackDate(card.deadline)}; the agent was told it timed out.`;
  const by = card.decidedBy ? ` by *${escapeText(neutralise(card.decidedBy))}*` : '';
  const grant =
    card.grant?.kind === 'window'
      ? ` · matching calls pass for ${windowLabel(card.grant.windowSeconds)}, until ${slackDate(card.grant.until, '{time}')}`
      : card.state === 'approved'
        ? ' · this one call passes'
        : '';
  return `${card.state[0]!.toUpperCase()}${card.state.slice(1)}${by} ${slackDate(card.updatedAt)}${grant}`;
}

function decisionLine(d: Decision): string {
  const icon = d.action === 'approve' ? '✅' : '⛔';
  const verb = d.action === 'approve' ? 'approved' : 'rejected';
  const window = d.windowSeconds ? ` for ${windowLabel(d.windowSeconds)}` : '';
  const reason = d.reason ? `: ${codeSpan(d.reason, 500)}` : '';
  return `${icon} *${escapeText(neutralise(d.approver))}* ${verb}${window} via ${escapeText(d.via)} ${slackDate(d.at, '{time}')}${reason}`;
}

function button(card: CardModel, action: CardAction): types.Button {
  const id = card.reviewId;
  switch (action.kind) {
    case 'approve':
      return {
        type: 'button',
        action_id: ACTION_IDS.approve,
        text: plainText('Approve'),
        style: 'primary',
        value: id,
        confirm: {
          title: plainText('Approve this call?', 100),
          text: plainText(`The held call ${id} goes through once, as the agent.`, 300),
          confirm: plainText('Approve', 30),
          deny: plainText('Cancel', 30),
        },
      };
    case 'approve-window':
      return {
        type: 'button',
        action_id: ACTION_IDS.approveWindow,
        text: plainText(`Approve for ${windowLabel(action.windowSeconds)}`),
        value: `${id}:${action.windowSeconds}`,
        confirm: {
          title: plainText('Approve a window?', 100),
          text: plainText(
            `For ${windowLabel(action.windowSeconds)}, every call of this agent that rule "${truncate(card.rule.name, 60)}" sends to review on this cluster goes through.`,
            300,
          ),
          confirm: plainText('Approve', 30),
          deny: plainText('Cancel', 30),
        },
      };
    case 'reject':
      return {
        type: 'button',
        action_id: ACTION_IDS.reject,
        text: plainText('Reject'),
        style: 'danger',
        value: id,
      };
  }
}

function fallback(card: CardModel, what: string): string {
  const head = card.state === 'pending' ? 'Approval needed' : HEADLINE[card.state].slice(2);
  return truncate(
    `${head}: ${escapeText(card.target.verb)} ${escapeText(what)} on ${escapeText(card.target.cluster)} (${card.reviewId})`,
    300,
  );
}
