import { STATUS_CODES } from 'node:http';
import type { Review } from '../../src/approvals/review.types.ts';
import { consoleSessionUrl } from '../../src/config/console.ts';
import type { CallOutcome, SessionSummary, SessionSummaryJob } from '../../src/queues/names.ts';
import { bold, code, type Line, link, plain, type Reply } from '../model/reply.ts';

/**
 * The thread replies under a card, as platform-neutral {@link Reply} data: how the held call
 * ended (published by the gateway, src/queues/chat-thread.ts) and the session summary (published
 * by the recorder). Both are shared with the channel: they continue the card's story.
 */

/** "✅ Completed: 200 OK in 0.4 s, 42 s after it was first held." */
export function outcomeReply(review: Review, outcome: CallOutcome): Reply {
  const ok = outcome.status < 400;
  const reason = STATUS_CODES[outcome.status] ?? '';
  const waited = Math.max(0, outcome.completedAt - outcome.durationMs - review.createdAt);
  return {
    visibility: 'shared',
    lines: [
      [
        plain(ok ? '✅ ' : '⚠️ '),
        bold(ok ? 'Completed' : 'Finished with an error'),
        plain(': '),
        code(`${outcome.status}${reason ? ` ${reason}` : ''}`),
        plain(` in ${seconds(outcome.durationMs)}, ${seconds(waited)} after the call was first held.`),
      ],
    ],
  };
}

/**
 * The recorder's summary text, line by line, as plain (escaped) text; with the console's URL, a
 * last line links to the session there.
 */
export function summaryReply(summary: SessionSummary, consoleUrl?: string): Reply {
  const lines: Line[] = summary.text
    .split(/\r?\n/)
    .slice(0, 60)
    .map((text) => [plain(text)]);
  if (consoleUrl)
    lines.push([link('Open session in the console', consoleSessionUrl(consoleUrl, summary.sessionId))]);
  return {
    visibility: 'shared',
    lines: [[bold('Session summary'), plain(' '), code(summary.sessionId)], ...lines],
  };
}

/**
 * A no-review session's summary as a message of its own (in `slack.sessionsChannel`): the same
 * escaped lines as {@link summaryReply}, headed with the cluster since no card gives it.
 */
export function sessionSummaryMessage(job: SessionSummaryJob, consoleUrl?: string): Reply {
  const reply = summaryReply(job, consoleUrl);
  const [head = [], ...lines] = reply.lines;
  return { ...reply, lines: [[...head, plain(' on '), code(job.cluster)], ...lines] };
}

function seconds(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
