import type { types } from '@slack/bolt';
import type { CardModel } from '../../model/card.ts';
import { codeBlock, mrkdwn, plainText } from './escape.ts';

/**
 * The read-only modal "Show details" opens: the impact preview's every line, as computed when the
 * review was created (already masked). Lines go into code blocks of at most 2,000 characters (escaping may lengthen them),
 * at most 20 of them, so the view stays within Slack's limits whatever the preview holds (the
 * preview itself is bounded to 16 KiB).
 */
const CHUNK = 2000;
const MAX_SECTIONS = 20;

export function impactModal(card: CardModel): types.ModalView {
  const impact = card.impact;
  const lines = impact ? [impact.headline, '', ...impact.details] : ['This review has no impact preview.'];
  const chunks: string[] = [];
  let current = '';
  for (const line of lines) {
    if (current.length + line.length + 1 > CHUNK && current) {
      chunks.push(current);
      current = '';
    }
    current += `${current ? '\n' : ''}${line}`;
  }
  if (current) chunks.push(current);
  return {
    type: 'modal',
    title: plainText(`Impact ${card.reviewId}`, 24),
    close: plainText('Close', 24),
    blocks: chunks.slice(0, MAX_SECTIONS).map((chunk) => ({
      type: 'section',
      text: mrkdwn(codeBlock(chunk, CHUNK)),
    })),
  };
}
