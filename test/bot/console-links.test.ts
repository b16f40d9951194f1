import { describe, expect, it } from 'vitest';
import { buildCard } from '../../bot/model/card.ts';
import { cardMessage } from '../../bot/render/slack/card-blocks.ts';
import { replyMessage } from '../../bot/render/slack/reply-blocks.ts';
import { adaptiveCard } from '../../bot/render/teams/card.ts';
import { replyCard } from '../../bot/render/teams/reply-card.ts';
import { sessionSummaryMessage, summaryReply } from '../../bot/workers/thread-replies.ts';
import type { Review } from '../../src/approvals/review.types.ts';
import { CALLER, INFO, rule } from '../approvals/helpers.ts';
import { assertAdaptiveCard } from '../support/adaptive-card-schema.ts';

/**
 * The web console's links in chat: with `console.publicUrl` configured, the approval card links
 * to the review's page and the session summaries to the session's page, on Slack and Teams;
 * without it, nothing changes.
 */
const CONSOLE = 'https://console.example.com';
const REVIEW: Review = {
  id: 'r-abc234',
  fingerprint: 'f'.repeat(64),
  state: 'pending',
  caller: { issuer: CALLER.issuer, subject: 'agent-1', groups: ['agents'], claims: {} },
  cluster: 'prod',
  info: INFO,
  headers: { command: 'kubectl delete' },
  bodySummary: '(no body)',
  rule: rule(),
  decisions: [],
  deadline: Date.UTC(2030, 0, 1),
  createdAt: Date.UTC(2029, 11, 31),
  updatedAt: Date.UTC(2029, 11, 31),
};
const SUMMARY = { sessionId: 's-7k2m9xq4ad', text: 'agent-1 ran kubectl get on prod: 1 call, all allowed.' };

describe('links to the console', () => {
  it('puts "Open review in the console" on the Slack card', () => {
    const message = cardMessage(buildCard(REVIEW, { consoleUrl: CONSOLE }));
    expect(JSON.stringify(message.blocks)).toContain(
      `<${CONSOLE}/reviews/r-abc234|Open review in the console>`,
    );
    expect(JSON.stringify(cardMessage(buildCard(REVIEW)).blocks)).not.toContain('console');
  });

  it('puts an "Open review" action on the Teams card', () => {
    const card = adaptiveCard(buildCard(REVIEW, { consoleUrl: CONSOLE }));
    assertAdaptiveCard(card);
    expect(card.actions).toContainEqual({
      type: 'Action.OpenUrl',
      title: 'Open review',
      url: `${CONSOLE}/reviews/r-abc234`,
    });
    expect(JSON.stringify(adaptiveCard(buildCard(REVIEW)))).not.toContain('Open review');
  });

  it('links the threaded session summary and the sessions-channel message to the session', () => {
    const slack = replyMessage(summaryReply(SUMMARY, CONSOLE));
    expect(JSON.stringify(slack.blocks)).toContain(
      `<${CONSOLE}/sessions/s-7k2m9xq4ad|Open session in the console>`,
    );
    const teams = replyCard(sessionSummaryMessage({ ...SUMMARY, cluster: 'prod' } as never, CONSOLE));
    assertAdaptiveCard(teams);
    expect(JSON.stringify(teams)).toContain(
      JSON.stringify({
        type: 'TextRun',
        text: 'Open session in the console',
        selectAction: { type: 'Action.OpenUrl', url: `${CONSOLE}/sessions/s-7k2m9xq4ad` },
      }),
    );
    expect(JSON.stringify(replyMessage(summaryReply(SUMMARY)).blocks)).not.toContain('console');
  });
});
