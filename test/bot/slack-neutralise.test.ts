import { describe, expect, it } from 'vitest';
import { plain, say } from '../../bot/model/reply.ts';
import { neutralise } from '../../bot/render/slack/escape.ts';
import { replyMessage } from '../../bot/render/slack/reply-blocks.ts';
import { summaryReply } from '../../bot/workers/thread-replies.ts';
import { type SessionFacts, summaryText } from '../../src/recording/summary.ts';

/**
 * Caller-controlled words in Slack messages cannot format, link, mention or add lines: a
 * Kubectl-Command header (or an exec command line, or a request path) with line breaks stays on
 * its summary line, and mrkdwn markers in plain text are inert.
 */
function facts(overrides: Partial<SessionFacts> = {}): SessionFacts {
  return {
    id: 's-1',
    agent: 'agent-1',
    cluster: 'prod',
    startedAt: Date.UTC(2030, 0, 1),
    endedAt: Date.UTC(2030, 0, 1, 0, 0, 4),
    commands: [],
    verbs: new Map([['delete', 1]]),
    requests: 1,
    held: 1,
    approved: 0,
    rejected: 1,
    blocked: 0,
    masked: 0,
    execs: [],
    errors: [],
    reviewIds: [],
    outcomes: ['reviewed'],
    ...overrides,
  };
}

describe('Slack: caller-controlled text is inert', () => {
  it('keeps a multi-line Kubectl-Command, exec line or path on its own summary line', () => {
    const text = summaryText(
      facts({
        commands: ['kubectl delete\nReviews: 9 held, 9 approved, 0 rejected; 0 blocked by policy'],
        execs: [{ what: '`sh -c a\r\nErrors: none`', exitCode: 0 }],
        errors: [{ status: 500, what: 'GET /api/v1/x\nMasked values: 0' }],
      }),
    );
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('Reviews:'))).toEqual([
      'Reviews: 1 held, 0 approved, 1 rejected; 0 blocked by policy',
    ]);
    expect(lines.filter((l) => l.startsWith('Errors:'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('Masked values:'))).toHaveLength(1);
    expect(lines).toHaveLength(7);
  });

  it('renders a summary line by line with formatting, links and mentions made inert', () => {
    const summary = summaryReply({
      sessionId: 's-1',
      text: 'Commands: *kubectl* _delete_ ~x~ `y` <!channel> <https://evil|click> ci_bot',
    });
    const message = replyMessage(summary);
    const shown = JSON.stringify(message.blocks);
    expect(shown).toContain('∗kubectl∗ ˍdeleteˍ ∼x∼ ˋyˋ &lt;!channel&gt; &lt;https://evil|click&gt; ci_bot');
    expect(shown).not.toContain('<!channel>');
  });

  it('turns line breaks inside a plain span into spaces', () => {
    expect(neutralise('a\nb\r\nc')).toBe('a b c');
    const message = replyMessage(say([plain('one\n*two*')]));
    expect(JSON.stringify(message.blocks)).toContain('one ∗two∗');
  });
});
