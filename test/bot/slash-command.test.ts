import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../approvals/helpers.ts';
import { type BotHarness, blocksText, commandBody, postSigned, startBotHarness } from './harness.ts';

async function hoopAt(
  harness: BotHarness,
  user: string,
  text: string,
): Promise<CommandAnswer & { shown: string }> {
  const response = await postSigned(harness.eventsUrl, commandBody(user, text));
  expect(response.status).toBe(200);
  const answer = (await response.json()) as CommandAnswer;
  return { ...answer, shown: blocksText(answer.blocks) };
}

/** One bot for the whole file: the commands only read, except approve/reject on their own reviews. */
let h: BotHarness;
beforeAll(async () => {
  h = await startBotHarness();
});
afterAll(async () => {
  await h.close();
});

interface CommandAnswer {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  blocks: unknown[];
}

async function hoop(user: string, text: string): Promise<CommandAnswer & { shown: string }> {
  const started = Date.now();
  const response = await postSigned(h.eventsUrl, commandBody(user, text));
  expect(response.status).toBe(200);
  expect(Date.now() - started).toBeLessThan(3000);
  const answer = (await response.json()) as CommandAnswer;
  return { ...answer, shown: blocksText(answer.blocks) };
}

describe('/hoop', () => {
  it('help (and no subcommand) lists the subcommands, ephemerally', async () => {
    for (const text of ['help', '']) {
      const answer = await hoop('U0MALLORY', text);
      expect(answer.response_type).toBe('ephemeral');
      for (const sub of ['pending', 'sessions', 'show', 'approve', 'reject'])
        expect(answer.shown).toContain(`/hoop ${sub}`);
    }
  });

  it('an unknown subcommand is named and answered with the help', async () => {
    const answer = await hoop('U0BOB', 'aprove r-abcdef');
    expect(answer.shown).toContain('Unknown subcommand `aprove`');
    expect(answer.shown).toContain('/hoop approve');
  });

  it('pending lists open reviews; --share posts in the channel', async () => {
    const review = await h.open();
    const answer = await hoop('U0BOB', 'pending');
    expect(answer.shown).toContain(`\`${review.id}\``);
    expect(answer.shown).toContain('*delete*');
    expect((await hoop('U0BOB', 'pending --share')).response_type).toBe('in_channel');
  });

  it('show <review-id> renders the card without buttons; bad and unknown ids get a helpful answer', async () => {
    const review = await h.open();
    const answer = await hoop('U0BOB', `show ${review.id}`);
    expect(answer.shown).toContain(`Approval needed · ${review.id}`);
    expect(JSON.stringify(answer.blocks)).not.toContain('hoop_approve');
    expect((await hoop('U0BOB', 'show r-zzzzzz')).shown).toContain('No review `r-zzzzzz`');
    expect((await hoop('U0BOB', 'show <!channel>')).shown).toContain(
      'No review or session `&lt;!channel&gt;`',
    );
    expect((await hoop('U0BOB', 'approve 42')).shown).toContain('`42` is not a review id');
    expect((await hoop('U0BOB', 'show')).shown).toContain('Usage: `/hoop show');
  });

  it('sessions groups recent reviews by kubectl session, with filters and a limit', async () => {
    await h.open({ headers: { command: 'kubectl delete', session: 'sess-a' }, cluster: 'staging' });
    const all = await hoop('U0BOB', 'sessions --limit 50');
    expect(all.shown).toContain('`sess-a`');
    const staging = await hoop('U0BOB', 'sessions --cluster staging --agent AGENT');
    expect(staging.shown).toContain('`sess-a`');
    expect(staging.shown).toContain('cluster staging');
    expect((await hoop('U0BOB', 'sessions --cluster nowhere')).shown).toContain(
      'No sessions for cluster nowhere',
    );
    expect((await hoop('U0BOB', 'sessions --limit lots')).shown).toContain('--limit takes a number');
    expect((await hoop('U0BOB', 'show sess-a')).shown).toContain(
      '*Session* `sess-a` of `agent-1` on `staging`',
    );
  });

  it('approve and reject apply the same authorization as the buttons', async () => {
    const review = await h.open();
    expect((await hoop('U0MALLORY', `approve ${review.id}`)).shown).toContain('is not an approver');
    expect((await hoop('U0ALICE', `approve ${review.id}`)).shown).toContain('does not allow self-approval');
    expect((await hoop('U0BOB', `reject ${review.id}`)).shown).toContain('Say why');
    expect((await hoop('U0BOB', `approve ${review.id}`)).shown).toContain(`Approved \`${review.id}\``);
    expect((await hoop('U0CAROL', `reject ${review.id} too late`)).shown).toContain(
      'Already *approved* by *bob*',
    );

    const other = await h.open();
    const rejected = await hoop('U0CAROL', `reject ${other.id} not on a Friday`);
    expect(rejected.shown).toContain(`Rejected \`${other.id}\``);
    expect((await h.store.get(other.id))?.decisions[0]?.reason).toBe('not on a Friday');
  });

  it('approve <id> for 15m grants a window where the rule allows one, and says so where not', async () => {
    const once = await h.open();
    expect((await hoop('U0BOB', `approve ${once.id} for 15m`)).shown).toContain('grants a single call only');
    const windowed = await h.open({ rule: rule({ grant: { kind: 'window', maxSeconds: 3600 } }) });
    expect((await hoop('U0BOB', `approve ${windowed.id} for soon`)).shown).toContain('Not a window length');
    expect((await hoop('U0BOB', `approve ${windowed.id} for 15m`)).shown).toContain('for 15 min');
    expect((await h.store.get(windowed.id))?.grant).toMatchObject({ kind: 'window', windowSeconds: 900 });
  });
});

describe('/hoop pending|sessions|show are for viewers', () => {
  it('by default only the configured approvers read; others are told why, only them', async () => {
    const review = await h.open();
    for (const text of ['pending', 'sessions', `show ${review.id}`, 'pending --share']) {
      const refused = await hoop('U0MALLORY', text);
      expect(refused.response_type).toBe('ephemeral');
      expect(refused.shown).toContain('shown to approvers and configured viewers only (slack.viewers)');
      expect(refused.shown).not.toContain(review.id);
    }
    // carol is an approver through approvers.groups (by e-mail); bob through approvers.users.
    expect((await hoop('U0CAROL', 'pending')).shown).toContain(review.id);
    expect((await hoop('U0BOB', `show ${review.id}`)).shown).toContain(review.id);
    // help stays open to everyone.
    expect((await hoop('U0MALLORY', 'help ')).shown).toContain('/hoop pending');
  });

  it('slack.viewers replaces the default; guests are refused even when listed', async () => {
    const v = await startBotHarness({
      approvers: { users: { U0BOB: 'bob', U0GUEST: 'guest' }, byEmail: true, groups: {} },
      viewers: { users: ['U0MALLORY', 'U0GUEST'], groups: ['sre'] },
    });
    try {
      v.slack.users.set('U0GUEST', { name: 'guest', email: 'guest@example.com', is_restricted: true });
      v.slack.users.set('U0CAROL', { name: 'carol', email: 'carol@example.com' });
      const review = await v.open();
      expect((await hoopAt(v, 'U0MALLORY', 'pending')).shown).toContain(review.id);
      const guest = await hoopAt(v, 'U0GUEST', 'pending');
      expect(guest.response_type).toBe('ephemeral');
      expect(guest.shown).toContain('is a guest');
      expect(guest.shown).not.toContain(review.id);
      // bob approves but is not a viewer here; carol has no sre group in this configuration.
      expect((await hoopAt(v, 'U0BOB', 'pending')).shown).toContain('configured viewers only');
      expect((await hoopAt(v, 'U0CAROL', 'pending')).shown).toContain('configured viewers only');
    } finally {
      await v.close();
    }
  });

  it('a viewer group matches the approver groups', async () => {
    const v = await startBotHarness({ viewers: { users: [], groups: ['sre'] } });
    try {
      const review = await v.open();
      expect((await hoopAt(v, 'U0CAROL', 'pending')).shown).toContain(review.id);
      expect((await hoopAt(v, 'U0BOB', 'pending')).shown).toContain('configured viewers only');
    } finally {
      await v.close();
    }
  });
});
