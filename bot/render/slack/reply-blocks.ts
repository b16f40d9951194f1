import type { types } from '@slack/bolt';
import type { Line, Reply } from '../../model/reply.ts';
import { lineText } from '../../model/reply.ts';
import { cardMessage, type SlackMessage } from './card-blocks.ts';
import {
  codeSpan,
  escapeText,
  LIMITS,
  mrkdwn,
  neutralise,
  slackDate,
  slackLink,
  truncate,
} from './escape.ts';

/**
 * A platform-neutral {@link Reply} as a Slack message: lines become mrkdwn (each span escaped for
 * its kind), packed into sections of at most 3,000 characters; an attached card is rendered
 * read-only below them. The block count stays within Slack's 50; a reply that would need more
 * says how many lines were left out.
 */
export function replyMessage(reply: Reply): SlackMessage {
  const blocks: types.KnownBlock[] = [];
  let chunk = '';
  const room = reply.card ? 35 : LIMITS.blocks - 1;
  let dropped = 0;
  for (const line of reply.lines) {
    const text = lineMrkdwn(line);
    if (chunk && chunk.length + 1 + text.length > LIMITS.sectionText) {
      if (blocks.length < room) blocks.push({ type: 'section', text: mrkdwn(chunk) });
      else dropped++;
      chunk = '';
    }
    chunk = chunk ? `${chunk}\n${text}` : text;
  }
  if (chunk) {
    if (blocks.length < room) blocks.push({ type: 'section', text: mrkdwn(chunk) });
    else dropped++;
  }
  if (dropped) blocks.push({ type: 'context', elements: [mrkdwn(`… ${dropped} more section(s) left out`)] });
  let text = escapeText(truncate(reply.lines.map(lineText).join('\n'), LIMITS.fallbackText));
  if (reply.card) {
    const card = cardMessage(reply.card, { withActions: false });
    blocks.push(...card.blocks);
    if (!text) text = card.text;
  }
  return { text: text || ' ', blocks };
}

/** One line as mrkdwn: plain text escaped, bold in `*`, values in code spans, dates formatted. */
export function lineMrkdwn(line: Line): string {
  return line
    .map((span) => {
      if ('text' in span) return escapeText(neutralise(span.text));
      if ('bold' in span) return span.bold ? `*${escapeText(span.bold.replace(/\*/g, '∗'))}*` : '';
      if ('code' in span) return codeSpan(span.code);
      if ('link' in span) return slackLink(span.url, span.link);
      return slackDate(span.date);
    })
    .join('');
}
