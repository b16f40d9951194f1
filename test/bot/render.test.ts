import { describe, expect, it } from 'vitest';
import { buildCard } from '../../bot/model/card.ts';
import { ciContextOf } from '../../bot/model/ci-context.ts';
import { parseCommand, parseWindow } from '../../bot/model/command.ts';
import { code, plain, say } from '../../bot/model/reply.ts';
import { cardMessage } from '../../bot/render/slack/card-blocks.ts';
import { clampMrkdwn, codeSpan, escapeText } from '../../bot/render/slack/escape.ts';
import { replyMessage } from '../../bot/render/slack/reply-blocks.ts';
import type { Review } from '../../src/approvals/review.types.ts';
import { CALLER, INFO, rule } from '../approvals/helpers.ts';

function review(overrides: Partial<Review> = {}): Review {
  return {
    id: 'r-abc234',
    fingerprint: 'f'.repeat(64),
    state: 'pending',
    caller: {
      issuer: CALLER.issuer,
      subject: 'agent-1',
      groups: ['agents'],
      claims: { repository: 'org/repo' },
    },
    owner: 'alice',
    cluster: 'prod',
    info: INFO,
    headers: { command: 'kubectl delete', session: 's1' },
    bodySummary: '(no body)',
    rule: rule(),
    decisions: [],
    deadline: Date.UTC(2030, 0, 1),
    createdAt: Date.UTC(2029, 11, 31),
    updatedAt: Date.UTC(2029, 11, 31),
    ...overrides,
  };
}

/** Every mrkdwn/plain text in a block list, with the block it came from. */
function texts(blocks: unknown[]): string[] {
  return JSON.stringify(blocks)
    .match(/"text":"(?:[^"\\]|\\.)*"/g)!
    .map((m) => JSON.parse(m.slice(7)) as string);
}

describe('Slack rendering', () => {
  it('escapes &, < and > and strips control and bidi characters', () => {
    expect(escapeText('a & b <!channel> <@U1> >x\u0007\u202e')).toBe(
      'a &amp; b &lt;!channel&gt; &lt;@U1&gt; &gt;x',
    );
    expect(codeSpan('x`y\nz')).toBe('`xˋy z`');
    expect(codeSpan('')).toBe('—');
  });

  it('keeps Block Kit limits: ≤ 50 blocks, sections ≤ 3,000 characters, long fields cut visibly', () => {
    const long = 'x'.repeat(10_000);
    const decisions = Array.from({ length: 200 }, (_, i) => ({
      approver: `approver-${i}`,
      action: 'approve' as const,
      at: Date.UTC(2030, 0, 1),
      via: 'slack' as const,
      reason: long,
    }));
    const card = buildCard(
      review({
        info: { ...INFO, name: long, namespace: long },
        headers: { command: long, session: long },
        bodySummary: long,
        rule: rule({ message: long }),
        decisions,
      }),
    );
    const message = cardMessage(card);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    for (const text of texts(message.blocks)) expect(text.length).toBeLessThanOrEqual(3000);
    const all = texts(message.blocks).join('\n');
    expect(all).toMatch(/… \(\d+ more characters\)/);
    expect(all).toContain('… (truncated)');

    const reply = replyMessage(
      say(...Array.from({ length: 1500 }, (_, i) => [plain(`line ${i} `), code(long.slice(0, 200))])),
    );
    expect(reply.blocks.length).toBeLessThanOrEqual(50);
    for (const text of texts(reply.blocks)) expect(text.length).toBeLessThanOrEqual(3000);
    expect(JSON.stringify(reply.blocks)).toContain('more section(s) left out');
  });

  it('never cuts an entity or a date token in half', () => {
    const text = `${'a'.repeat(2990)}&amp;<!date^1^{time}|x>`;
    const clamped = clampMrkdwn(text, 3000);
    expect(clamped.length).toBeLessThanOrEqual(3000);
    expect(clamped).not.toMatch(/&am?$|<!da/);
  });

  it('offers Approve (primary, confirm), a window button only where the rule grants windows, Reject (danger)', () => {
    const once = cardMessage(buildCard(review()));
    const actions = once.blocks.find((b) => b.type === 'actions') as unknown as {
      elements: Array<Record<string, unknown>>;
    };
    expect(actions.elements.map((e) => e['action_id'])).toEqual(['hoop_approve', 'hoop_reject']);
    expect(actions.elements[0]).toMatchObject({
      style: 'primary',
      value: 'r-abc234',
      confirm: { confirm: { text: 'Approve' } },
    });
    expect(actions.elements[1]).toMatchObject({ style: 'danger' });

    const windowed = cardMessage(
      buildCard(review({ rule: rule({ grant: { kind: 'window', maxSeconds: 600 } }) }), {
        windowSeconds: 900,
      }),
    );
    const buttons = (
      windowed.blocks.find((b) => b.type === 'actions') as unknown as {
        elements: Array<Record<string, unknown>>;
      }
    ).elements;
    expect(buttons[1]).toMatchObject({
      action_id: 'hoop_approve_window',
      value: 'r-abc234:600',
      text: { text: 'Approve for 10 min' },
    });
  });

  it('shows CI context and builds a run link only from well-shaped claims', () => {
    const github = 'https://token.actions.githubusercontent.com';
    expect(
      ciContextOf({
        issuer: github,
        subject: 's',
        groups: [],
        claims: { repository: 'acme/pay', run_id: '42', ref: 'refs/heads/main', workflow: 'deploy' },
      }),
    ).toEqual({
      repository: 'acme/pay',
      workflow: 'deploy',
      ref: 'refs/heads/main',
      runUrl: 'https://github.com/acme/pay/actions/runs/42',
    });
    expect(
      ciContextOf({
        issuer: github,
        subject: 's',
        groups: [],
        claims: { repository: 'acme/pay|evil>', run_id: '42' },
      })?.runUrl,
    ).toBeUndefined();
    expect(
      ciContextOf({
        issuer: 'https://gitlab.example',
        subject: 's',
        groups: [],
        claims: { project_path: 'g/p', pipeline_id: 7 },
      })?.runUrl,
    ).toBe('https://gitlab.example/g/p/-/pipelines/7');
    const card = cardMessage(
      buildCard(
        review({
          caller: {
            issuer: github,
            subject: 's',
            groups: [],
            claims: { repository: 'acme/pay', run_id: '42' },
          },
        }),
      ),
    );
    expect(JSON.stringify(card.blocks)).toContain(
      '<https://github.com/acme/pay/actions/runs/42|open the CI run>',
    );
  });
});

describe('command parsing', () => {
  it('splits name, arguments, flags and --share', () => {
    expect(parseCommand('sessions --agent "ci bot" --limit=5 --share')).toEqual({
      name: 'sessions',
      args: [],
      flags: { agent: 'ci bot', limit: '5' },
      share: true,
    });
    expect(parseCommand('')).toMatchObject({ name: 'help', args: [] });
    expect(parseCommand('REJECT r-abc234 no way share')).toMatchObject({
      name: 'reject',
      args: ['r-abc234', 'no', 'way', 'share'],
      share: false,
    });
    expect(parseCommand('pending share')).toMatchObject({ name: 'pending', share: true });
  });

  it('reads window lengths', () => {
    expect(parseWindow('15m')).toBe(900);
    expect(parseWindow('2h')).toBe(7200);
    expect(parseWindow('30')).toBe(1800);
    expect(parseWindow('90 s')).toBe(90);
    expect(parseWindow('soon')).toBeUndefined();
    expect(parseWindow('0m')).toBeUndefined();
  });
});
