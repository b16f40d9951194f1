import { describe, expect, it } from 'vitest';
import { buildCard } from '../../bot/model/card.ts';
import { parseCommand } from '../../bot/model/command.ts';
import { bold, code, plain, say } from '../../bot/model/reply.ts';
import { commandTextOf } from '../../bot/receivers/teams-command.ts';
import { adaptiveCard, VERBS } from '../../bot/render/teams/card.ts';
import { replyCard } from '../../bot/render/teams/reply-card.ts';
import type { Review } from '../../src/approvals/review.types.ts';
import { CALLER, INFO, rule } from '../approvals/helpers.ts';
import { assertAdaptiveCard, cardTexts } from '../support/adaptive-card-schema.ts';

/** HOSTILE as shown: one line (its line break a space), the bidi override gone. */
const FLAT = '**bold** [click](https://evil.example) <at>bob</at> _x_  # forged line';
const HOSTILE = '**bold** [click](https://evil.example) <at>bob</at> _x_ \n# forged line\u202e';

function review(overrides: Partial<Review> = {}): Review {
  return {
    id: 'r-abc234',
    fingerprint: 'f'.repeat(64),
    state: 'pending',
    caller: {
      issuer: 'https://token.actions.githubusercontent.com',
      subject: 'agent-1',
      groups: ['agents'],
      claims: { repository: 'acme/payments', workflow: 'deploy', ref: 'refs/heads/main', run_id: '42' },
    },
    owner: 'alice',
    cluster: 'prod',
    info: { ...INFO, name: HOSTILE },
    headers: { command: `kubectl delete\n✅ Approved by bob`, session: 's1' },
    bodySummary: 'application/json, 12 bytes, sha256 abc: {"a":"***"}',
    rule: rule({ message: HOSTILE, grant: { kind: 'window', maxSeconds: 3600 } }),
    decisions: [],
    deadline: Date.UTC(2030, 0, 1),
    createdAt: Date.UTC(2029, 11, 31),
    updatedAt: Date.UTC(2029, 11, 31),
    ...overrides,
  };
}
void CALLER;

describe('Teams Adaptive Card rendering', () => {
  it('renders a pending card as a valid 1.5 card with Universal Actions and refresh', () => {
    const card = adaptiveCard(buildCard(review(), { windowSeconds: 900 }));
    assertAdaptiveCard(card);
    expect(card.version).toBe('1.5');
    expect(card.refresh?.action).toMatchObject({ type: 'Action.Execute', verb: VERBS.refresh });
    const actions = card.actions as Array<Record<string, unknown>>;
    expect(actions.map((a) => a['type'])).toEqual([
      'Action.OpenUrl',
      'Action.Execute',
      'Action.Execute',
      'Action.ShowCard',
    ]);
    expect(actions[0]!['url']).toBe('https://github.com/acme/payments/actions/runs/42');
    expect(actions[2]).toMatchObject({
      verb: VERBS.approveWindow,
      data: { reviewId: 'r-abc234', windowSeconds: 900 },
    });
    const reject = actions[3] as { card: { body: Array<Record<string, unknown>>; actions: unknown[] } };
    expect(reject.card.body[0]).toMatchObject({ type: 'Input.Text', id: 'reason', isRequired: true });
    expect(reject.card.actions[0]).toMatchObject({ verb: VERBS.reject, associatedInputs: 'auto' });
    const { runs } = cardTexts(card);
    for (const fact of ['agent-1', 'acme/payments', 'deploy', 'refs/heads/main', 'prod', 'r-abc234']) {
      expect(runs).toContain(fact);
    }
    expect(runs.some((r) => r.includes('sha256 abc'))).toBe(true);
  });

  it('puts caller-controlled text only in TextRuns, flattened to one line, without bidi overrides', () => {
    const card = adaptiveCard(buildCard(review()));
    const { runs, blocks } = cardTexts(card);
    for (const text of blocks) {
      expect(text).not.toContain('bold');
      expect(text).not.toContain('evil');
    }
    const name = runs.find((r) => r.includes('[click]'))!;
    expect(name).toBe(FLAT);
    // The command header's line break cannot start a line of its own.
    expect(runs).toContain('kubectl delete ✅ Approved by bob');
    expect(JSON.stringify(card)).not.toContain('\u202e');
    expect(JSON.stringify(card)).not.toContain('"entities"');
  });

  it('drops the buttons and the refresh once decided, and says who decided', () => {
    const decided = review({
      state: 'rejected',
      decidedBy: 'bob@example.com',
      decisions: [
        {
          approver: 'bob@example.com',
          action: 'reject',
          at: Date.UTC(2030, 0, 1),
          via: 'teams',
          reason: HOSTILE,
        },
      ],
    });
    const card = adaptiveCard(buildCard(decided));
    assertAdaptiveCard(card);
    expect(card.refresh).toBeUndefined();
    expect((card.actions as Array<{ type: string }>).map((a) => a.type)).toEqual(['Action.OpenUrl']);
    const { runs, blocks } = cardTexts(card);
    expect(blocks[0]).toBe('⛔ Rejected');
    expect(runs).toContain('bob@example.com');
    expect(runs).toContain(FLAT);
  });

  it('renders replies (lines and an attached read-only card) as valid cards', () => {
    const reply = say([bold('2 pending'), plain(' '), code(HOSTILE)], [plain('second')]);
    const card = replyCard({ ...reply, card: buildCard(review()) });
    assertAdaptiveCard(card);
    expect(card.actions).toBeUndefined();
    expect(cardTexts(card).runs).toContain('second');
  });

  it('rejects what the 1.5 schema does not allow', () => {
    expect(() =>
      assertAdaptiveCard({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock' }] }),
    ).toThrow(/body\.0/);
    expect(() =>
      assertAdaptiveCard({
        type: 'AdaptiveCard',
        version: '1.5',
        body: [],
        actions: [{ type: 'Action.Submit' }],
      }),
    ).toThrow();
  });

  it('reads hoop commands from Teams message text, mention or not', () => {
    expect(commandTextOf('<at>hoop</at> pending')).toBe('pending');
    expect(commandTextOf('<at>Hoop Bot</at>&nbsp;hoop show r-abc234')).toBe('show r-abc234');
    expect(commandTextOf('reject r-abc234 not &lt;now&gt;')).toBe('reject r-abc234 not <now>');
    expect(parseCommand(commandTextOf('<p><at>hoop</at> approve r-abc234 for 15m</p>'))).toMatchObject({
      name: 'approve',
      args: ['r-abc234', 'for', '15m'],
    });
  });
});
