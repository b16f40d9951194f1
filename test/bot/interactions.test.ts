import { afterEach, describe, expect, it } from 'vitest';
import { INFO } from '../approvals/helpers.ts';
import {
  answersToNonPathTargets,
  type BotHarness,
  blocksText,
  CHANNEL,
  clickBody,
  postSigned,
  rejectSubmitBody,
  sign,
  startBotHarness,
} from './harness.ts';

let h: BotHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Opens a review and waits for its card on the stand-in. */
async function openWithCard(harness: BotHarness, overrides = {}) {
  const review = await harness.open(overrides);
  const post = await harness.slack.waitFor('chat.postMessage', (c) =>
    JSON.stringify(c.args['blocks']).includes(review.id),
  );
  return { review, post };
}

describe('card and buttons over signed HTTP', () => {
  it('posts the card; an approve click applies the decision and updates the card in place', async () => {
    h = await startBotHarness();
    const { review, post } = await openWithCard(h);
    expect(post.args['channel']).toBe(CHANNEL);
    expect(post.token).toBe('xoxb-test-token');
    const text = blocksText(post.args['blocks']);
    expect(text).toContain('`agent-1`');
    expect(text).toContain('`prod`');
    expect(text).toContain('`kubectl delete`');
    expect(text).toContain('<!date^');
    const ts = [...h.slack.messages.values()][0]!.ts;

    const response = await postSigned(
      h.eventsUrl,
      clickBody({ user: 'U0BOB', actionId: 'hoop_approve', value: review.id, ts }),
    );
    expect(response.status).toBe(200);
    const update = await h.slack.waitFor('chat.update');
    expect(blocksText(update.args['blocks'])).toContain('Approved by *bob*');
    expect(JSON.stringify(update.args['blocks'])).not.toContain('hoop_approve');
    expect((await h.store.get(review.id))?.state).toBe('approved');
    expect((await h.store.get(review.id))?.decisions[0]).toMatchObject({ approver: 'bob', via: 'slack' });
  });

  it('refuses a bad signature and a stale timestamp with 401, deciding nothing', async () => {
    h = await startBotHarness();
    const { review } = await openWithCard(h);
    const body = clickBody({ user: 'U0BOB', actionId: 'hoop_approve', value: review.id });
    const now = Math.floor(Date.now() / 1000);
    const forged = await postSigned(h.eventsUrl, body, {
      signature: sign(body, now, 'not-the-secret-at-all'),
    });
    expect(forged.status).toBe(401);
    const stale = now - 6 * 60;
    const old = await postSigned(h.eventsUrl, body, { timestamp: stale, signature: sign(body, stale) });
    expect(old.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await h.store.get(review.id))?.state).toBe('pending');
    expect(h.slack.callsTo('chat.postEphemeral')).toHaveLength(0);
  });

  it('answers a request target that is no path (`//`) with 404, not a 500 from the router', async () => {
    h = await startBotHarness();
    for (const [request, statusLine] of await answersToNonPathTargets(h.eventsUrl))
      expect(statusLine, request).toBe('HTTP/1.1 404 Not Found');
    const health = await fetch(new URL('/healthz', h.eventsUrl));
    expect(health.status).toBe(200);
  });

  it('refuses a timestamp more than 5 minutes ahead and a replayed request with 401', async () => {
    h = await startBotHarness();
    const { review } = await openWithCard(h);
    const now = Math.floor(Date.now() / 1000);
    const reject = rejectSubmitBody({ user: 'U0BOB', reviewId: review.id, reason: 'future' });
    const ahead = now + 6 * 60;
    const future = await postSigned(h.eventsUrl, reject, {
      timestamp: ahead,
      signature: sign(reject, ahead),
    });
    expect(future.status).toBe(401);
    expect((await h.store.get(review.id))?.state).toBe('pending');

    const body = clickBody({ user: 'U0BOB', actionId: 'hoop_approve', value: review.id });
    const signature = sign(body, now);
    const first = await postSigned(h.eventsUrl, body, { timestamp: now, signature });
    expect(first.status).toBe(200);
    const replay = await postSigned(h.eventsUrl, body, { timestamp: now, signature });
    expect(replay.status).toBe(401);
    await h.slack.waitFor('chat.update');
    expect((await h.store.get(review.id))?.decisions).toHaveLength(1);
    // A forged signature is not recorded, so it cannot pre-empt the genuine request.
    const body2 = clickBody({ user: 'U0BOB', actionId: 'hoop_approve', value: review.id });
    expect((await postSigned(h.eventsUrl, body2, { signature: 'v0=00' })).status).toBe(401);
  });

  it('of two simultaneous clicks one wins; the other is told who approved', async () => {
    h = await startBotHarness();
    const { review } = await openWithCard(h);
    const [a, b] = await Promise.all([
      postSigned(h.eventsUrl, clickBody({ user: 'U0BOB', actionId: 'hoop_approve', value: review.id })),
      postSigned(h.eventsUrl, clickBody({ user: 'U0CAROL', actionId: 'hoop_approve', value: review.id })),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const ephemeral = await h.slack.waitFor('chat.postEphemeral');
    const winner = (await h.store.get(review.id))!.decidedBy!;
    expect(['bob', 'carol@example.com']).toContain(winner);
    expect(ephemeral.args['user']).toBe(winner === 'bob' ? 'U0CAROL' : 'U0BOB');
    expect(String(ephemeral.args['text'])).toContain(`Already approved by ${winner}`);
    expect((await h.store.get(review.id))!.decisions).toHaveLength(1);
  });

  it('refuses a non-approver and a self-approval with an ephemeral reason', async () => {
    h = await startBotHarness();
    const { review } = await openWithCard(h);
    await postSigned(
      h.eventsUrl,
      clickBody({ user: 'U0MALLORY', actionId: 'hoop_approve', value: review.id }),
    );
    const refused = await h.slack.waitFor('chat.postEphemeral', (c) => c.args['user'] === 'U0MALLORY');
    expect(String(refused.args['text'])).toContain('mallory@example.com is not an approver');
    await postSigned(h.eventsUrl, clickBody({ user: 'U0ALICE', actionId: 'hoop_approve', value: review.id }));
    const self = await h.slack.waitFor('chat.postEphemeral', (c) => c.args['user'] === 'U0ALICE');
    expect(String(self.args['text'])).toContain('does not allow self-approval');
    // An unmapped Slack user without a profile e-mail is told what to configure.
    await postSigned(
      h.eventsUrl,
      clickBody({ user: 'U0NOBODY', actionId: 'hoop_approve', value: review.id }),
    );
    const unknown = await h.slack.waitFor('chat.postEphemeral', (c) => c.args['user'] === 'U0NOBODY');
    expect(String(unknown.args['text'])).toContain('not mapped to an approver identity');
    expect((await h.store.get(review.id))?.state).toBe('pending');
  });

  it('reject opens a modal; the submitted reason is recorded and shown on the card', async () => {
    h = await startBotHarness();
    const { review } = await openWithCard(h);
    await postSigned(h.eventsUrl, clickBody({ user: 'U0CAROL', actionId: 'hoop_reject', value: review.id }));
    const open = await h.slack.waitFor('views.open');
    const view = open.args['view'] as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('hoop_reject_reason');
    expect(JSON.parse(view.private_metadata)).toEqual({ reviewId: review.id, channel: CHANNEL });

    const submit = await postSigned(
      h.eventsUrl,
      rejectSubmitBody({ user: 'U0CAROL', reviewId: review.id, reason: 'not during the <!here> freeze' }),
    );
    expect(submit.status).toBe(200);
    const update = await h.slack.waitFor('chat.update');
    const text = blocksText(update.args['blocks']);
    expect(text).toContain('Rejected by *carol@example.com*');
    expect(text).toContain('`not during the &lt;!here&gt; freeze`');
    const stored = await h.store.get(review.id);
    expect(stored?.state).toBe('rejected');
    expect(stored?.decisions[0]).toMatchObject({ reason: 'not during the <!here> freeze', via: 'slack' });
  });

  it('Reject opens the modal before any user lookup; a non-approver submit is refused', async () => {
    h = await startBotHarness();
    const { review } = await openWithCard(h);
    // carol is an approver by e-mail: mapping her needs users.info, which must come after views.open.
    await postSigned(h.eventsUrl, clickBody({ user: 'U0CAROL', actionId: 'hoop_reject', value: review.id }));
    await h.slack.waitFor('views.open');
    const methods = h.slack.calls.map((c) => c.method);
    const opened = methods.indexOf('views.open');
    const looked = methods.indexOf('users.info');
    expect(looked === -1 || looked > opened).toBe(true);

    // mallory gets the modal too (nothing is looked up before it opens), but her submit is refused.
    await postSigned(
      h.eventsUrl,
      clickBody({ user: 'U0MALLORY', actionId: 'hoop_reject', value: review.id }),
    );
    await h.slack.waitFor('views.open', (c) => c !== h?.slack.callsTo('views.open')[0]);
    const submit = await postSigned(
      h.eventsUrl,
      rejectSubmitBody({ user: 'U0MALLORY', reviewId: review.id, reason: 'because' }),
    );
    expect(submit.status).toBe(200);
    const refused = await h.slack.waitFor('chat.postEphemeral', (c) => c.args['user'] === 'U0MALLORY');
    expect(String(refused.args['text'])).toContain('mallory@example.com is not an approver');
    expect(refused.args['channel']).toBe(CHANNEL);
    const stored = await h.store.get(review.id);
    expect(stored?.state).toBe('pending');
    expect(stored?.decisions).toHaveLength(0);
  });

  it('an e-mail match is refused for deactivated users, guests and other organisations', async () => {
    h = await startBotHarness();
    // Each of these has carol's e-mail (an approver via the sre group) on the profile.
    const email = 'carol@example.com';
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['U0DELETED', { deleted: true }, 'deactivated'],
      ['U0GUEST', { is_restricted: true }, 'guest'],
      ['U0SINGLE', { is_ultra_restricted: true }, 'guest'],
      ['U0STRANGER', { is_stranger: true, team_id: 'T0OTHER' }, 'another organisation'],
      ['U0OTHERTEAM', { team_id: 'T0OTHER' }, 'another organisation'],
    ];
    for (const [id, flags] of cases) h.slack.users.set(id, { name: id.toLowerCase(), email, ...flags });
    const { review } = await openWithCard(h);
    for (const [id, , why] of cases) {
      await postSigned(h.eventsUrl, clickBody({ user: id, actionId: 'hoop_approve', value: review.id }));
      const told = await h.slack.waitFor('chat.postEphemeral', (c) => c.args['user'] === id);
      expect(String(told.args['text'])).toContain(why);
      expect(String(told.args['text'])).toContain('cannot approve');
      expect(told.args['channel']).toBe(CHANNEL);
    }
    expect((await h.store.get(review.id))?.state).toBe('pending');
    expect((await h.store.get(review.id))?.decisions).toHaveLength(0);
    // A full member of the workspace with the same e-mail still approves.
    await postSigned(h.eventsUrl, clickBody({ user: 'U0CAROL', actionId: 'hoop_approve', value: review.id }));
    await h.slack.waitFor('chat.update');
    expect((await h.store.get(review.id))?.state).toBe('approved');
  });

  it('escapes caller-controlled text: a resource named <!channel> mentions nobody', async () => {
    h = await startBotHarness();
    const evil = '<!channel> *bold* <https://evil.test|click>';
    const { post } = await openWithCard(h, {
      info: { ...INFO, name: evil },
      headers: { command: 'kubectl delete <@U0BOB>', session: 's1' },
    });
    const raw = JSON.stringify(post.args['blocks']) + String(post.args['text']);
    expect(raw).not.toContain('<!channel>');
    expect(raw).not.toContain('<@U0BOB>');
    expect(raw).not.toContain('<https://evil');
    expect(raw).toContain('&lt;!channel&gt;');
    // Values sit in code spans (no formatting, no links), and text objects are verbatim.
    expect(blocksText(post.args['blocks'])).toContain(
      '`&lt;!channel&gt; *bold* &lt;https://evil.test|click&gt;`',
    );
    expect(raw).toContain('"verbatim":true');
  });
});
