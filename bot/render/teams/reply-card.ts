import type { Reply } from '../../model/reply.ts';
import { type AdaptiveCard, adaptiveCard } from './card.ts';
import { lineRuns, rich } from './text.ts';

/**
 * A platform-neutral {@link Reply} (a command's answer, a thread reply, a session summary) as an
 * Adaptive Card: one RichTextBlock per line, every span a TextRun (see text.ts), and an attached
 * review card rendered read-only below. Sent as a card rather than as message text because a
 * message's `text` is markdown in Teams, and a TextRun is not.
 */
const MAX_LINES = 80;

export function replyCard(reply: Reply): AdaptiveCard {
  const lines = reply.lines.slice(0, MAX_LINES);
  const body: unknown[] = lines.map((line, i) => rich(lineRuns(line), i === 0 ? {} : { spacing: 'None' }));
  if (reply.lines.length > MAX_LINES) {
    body.push(rich([{ type: 'TextRun', text: `… ${reply.lines.length - MAX_LINES} more line(s) left out` }]));
  }
  if (reply.card) {
    const card = adaptiveCard(reply.card, { withActions: false });
    body.push({ type: 'Container', separator: true, items: card.body });
  }
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    msteams: { width: 'Full' },
  };
}
