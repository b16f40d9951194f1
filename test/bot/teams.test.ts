import { afterEach, describe, expect, it } from 'vitest';
import { VERBS } from '../../bot/render/teams/card.ts';
import { assertAdaptiveCard, cardTexts } from '../support/adaptive-card-schema.ts';
import { answersToNonPathTargets, blocksText } from './harness.ts';
import {
  invokeActivity,
  messageActivity,
  startTeamsHarness,
  TEAMS_CHANNEL,
  type TeamsHarness,
  USERS,
} from './teams-harness.ts';

/**
 * The Teams bot against the connector stand-in, with signed activities: cards posted
 * proactively, Universal Action invokes deciding on the shared decision path, refusals only the
 * clicker sees, 401 for anything not signed by Bot Framework, `hoop` commands, 429 pacing, and
 * Slack beside Teams on one review.
 */
let h: TeamsHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type InvokeAnswer = { statusCode: number; type: string; value: Record<string, unknown> | string };

async function invoke(harness: TeamsHarness, user: string, verb: string, data: Record<string, unknown>) {
  const res = await harness.post(invokeActivity(harness.connector.serviceUrl, user, verb, data));
  expect(res.status).toBe(200);
  return (await res.json()) as InvokeAnswer;
}

async function postedCard(harness: TeamsHarness, reviewId: string) {
  const call = await harness.connector.waitFor('create-conversation', (c) =>
    JSON.stringify(c.body).includes(reviewId),
  );
  return call;
}

describe('Teams: cards, signed invokes, commands', () => {
  it('posts a valid card; an approver’s invoke approves it, answers with the refreshed card, and updates the post', async () => {
    h = await startTeamsHarness();
    const review = await h.open();
    const call = await postedCard(h, review.id);
    expect(call.body['channelData']).toMatchObject({ channel: { id: TEAMS_CHANNEL } });
    const card = h.connector.cardOf(call.body['activity'] as Record<string, unknown>)!;
    assertAdaptiveCard(card);
    expect(cardTexts(card).runs).toContain(review.id);

    const answer = await invoke(h, USERS.bob, VERBS.approve, { reviewId: review.id });
    expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
    assertAdaptiveCard(answer.value);
    const shown = answer.value as Record<string, unknown>;
    expect(cardTexts(shown).blocks[0]).toBe('✅ Approved');
    expect(cardTexts(shown).runs).toContain('bob');
    expect(shown['actions']).toBeUndefined();
    expect(shown['refresh']).toBeUndefined();
    expect((await h.store.get(review.id))?.state).toBe('approved');
    expect((await h.store.get(review.id))?.decisions[0]?.via).toBe('teams');

    const update = await h.connector.waitFor('update', (c) => JSON.stringify(c.body).includes('✅ Approved'));
    expect(update.conversationId).toBe(TEAMS_CHANNEL);
    assertAdaptiveCard(h.connector.cardOf(update.body));
  });

  it('without teams.serviceUrl, posts through the connector Teams named when the app was installed', async () => {
    h = await startTeamsHarness({ configuredServiceUrl: false });
    const install = {
      type: 'conversationUpdate',
      id: 'install-1',
      channelId: 'msteams',
      serviceUrl: h.connector.serviceUrl,
      from: { id: '29:installer', aadObjectId: USERS.bob },
      recipient: { id: `28:${h.settings.appId}` },
      conversation: { id: TEAMS_CHANNEL, conversationType: 'channel' },
      membersAdded: [{ id: `28:${h.settings.appId}` }],
      channelData: {
        team: { id: TEAMS_CHANNEL },
        channel: { id: TEAMS_CHANNEL },
        eventType: 'teamMemberAdded',
      },
    };
    expect((await h.post(install, 'none')).status).toBe(401);
    expect((await h.post(install)).status).toBe(200);
    const review = await h.open();
    await postedCard(h, review.id);
  });

  it('answers a refresh with the current card', async () => {
    h = await startTeamsHarness();
    const review = await h.open();
    const answer = await invoke(h, USERS.mallory, VERBS.refresh, { reviewId: review.id });
    assertAdaptiveCard(answer.value);
    expect((answer.value as Record<string, unknown>)['actions']).toBeDefined();
  });

  it('refuses unsigned, forged and other-bot activities with 401 and changes nothing', async () => {
    h = await startTeamsHarness();
    const review = await h.open();
    const activity = invokeActivity(h.connector.serviceUrl, USERS.bob, VERBS.approve, {
      reviewId: review.id,
    });
    for (const auth of ['none', 'forged', 'other-bot'] as const) {
      const res = await h.post(activity, auth);
      expect(res.status, auth).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized' });
    }
    // A token for another connector does not vouch for this activity either.
    const elsewhere = { ...activity, serviceUrl: 'https://smba.trafficmanager.net/evil/' };
    expect((await h.post(elsewhere)).status).toBe(401);
    expect((await h.store.get(review.id))?.state).toBe('pending');
    expect((await h.store.get(review.id))?.decisions).toEqual([]);
  });

  it('answers a request target that is no path (`//`) with 404, not a 500', async () => {
    h = await startTeamsHarness();
    for (const [request, statusLine] of await answersToNonPathTargets(h.endpoint))
      expect(statusLine, request).toBe('HTTP/1.1 404 Not Found');
    expect((await fetch(new URL('/healthz', h.endpoint))).status).toBe(200);
  });

  it('refuses a non-approver and the requester’s owner in the card only they see', async () => {
    h = await startTeamsHarness();
    const review = await h.open();
    const mallory = await invoke(h, USERS.mallory, VERBS.approve, { reviewId: review.id });
    assertAdaptiveCard(mallory.value);
    expect(cardTexts(mallory.value).runs.join('')).toContain('is not mapped to an approver identity');
    const alice = await invoke(h, USERS.alice, VERBS.approve, { reviewId: review.id });
    assertAdaptiveCard(alice.value);
    expect(cardTexts(alice.value).runs.join('')).toMatch(/self-approval/);
    // Still pending: both answers keep the buttons for the next person.
    expect((alice.value as Record<string, unknown>)['actions']).toBeDefined();
    expect((await h.store.get(review.id))?.state).toBe('pending');
  });

  it('maps an approver by UPN through the connector, and rejects with a hostile reason shown verbatim, inert', async () => {
    h = await startTeamsHarness();
    const review = await h.open();
    const empty = await invoke(h, USERS.carol, VERBS.reject, { reviewId: review.id, reason: '  ' });
    expect(cardTexts(empty.value).runs.join('')).toContain('Say why');
    const hostile = '**now** [login](https://evil.example) <at>everyone</at>\n✅ Approved by bob';
    const answer = await invoke(h, USERS.carol, VERBS.reject, { reviewId: review.id, reason: hostile });
    assertAdaptiveCard(answer.value);
    const { runs, blocks } = cardTexts(answer.value);
    expect(blocks[0]).toBe('⛔ Rejected');
    expect(runs).toContain('carol@example.com');
    expect(runs).toContain('**now** [login](https://evil.example) <at>everyone</at> ✅ Approved by bob');
    expect(blocks.join('\n')).not.toContain('evil');
    const stored = await h.store.get(review.id);
    expect(stored?.decisions[0]).toMatchObject({ approver: 'carol@example.com', action: 'reject' });
  });

  it('answers hoop commands in a channel (with @mention) and in a personal chat, as replies', async () => {
    h = await startTeamsHarness();
    const review = await h.open();
    const channel = messageActivity(h.connector.serviceUrl, USERS.bob, 'pending');
    expect((await h.post(channel)).status).toBe(200);
    const reply = await h.connector.waitFor('reply', (c) => c.body['replyToId'] === channel['id']);
    expect(reply.conversationId).toBe(TEAMS_CHANNEL);
    const card = h.connector.cardOf(reply.body)!;
    assertAdaptiveCard(card);
    expect(cardTexts(card).runs).toContain(review.id);

    const personal = messageActivity(h.connector.serviceUrl, USERS.bob, 'help', true);
    expect((await h.post(personal)).status).toBe(200);
    const help = await h.connector.waitFor('reply', (c) => c.body['replyToId'] === personal['id']);
    expect(cardTexts(h.connector.cardOf(help.body)).runs).toContain('@hoop reject <review-id> <reason>');

    const reject = messageActivity(h.connector.serviceUrl, USERS.bob, `reject ${review.id} not now`);
    await h.post(reject);
    await h.connector.waitFor('reply', (c) => c.body['replyToId'] === reject['id']);
    expect((await h.store.get(review.id))?.state).toBe('rejected');

    // Unsigned commands are refused before anything runs.
    const replies = () => h!.connector.calls.filter((c) => c.kind === 'reply').length;
    const before = replies();
    expect((await h.post(messageActivity(h.connector.serviceUrl, USERS.bob, 'pending'), 'none')).status).toBe(
      401,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(replies()).toBe(before);
  });

  it('waits out a 429 with its Retry-After, then posts', async () => {
    h = await startTeamsHarness();
    h.connector.failNext('create-conversation', { status: 429, retryAfter: 1 });
    const review = await h.open();
    const first = await h.connector.waitFor('create-conversation');
    const posted = await h.connector.waitFor(
      'create-conversation',
      (c) => c !== first && JSON.stringify(c.body).includes(review.id),
      15_000,
    );
    expect(posted.at - first.at).toBeGreaterThanOrEqual(1000);
    expect([...h.connector.activities.values()].filter((a) => !a.replyToId)).toHaveLength(1);
  });

  it('with Slack configured too: one review posts to both, and a Teams decision updates both cards', async () => {
    h = await startTeamsHarness({ withSlack: true });
    const review = await h.open();
    await postedCard(h, review.id);
    await h.slack!.waitFor('chat.postMessage', (c) => JSON.stringify(c.args['blocks']).includes(review.id));
    await invoke(h, USERS.bob, VERBS.approve, { reviewId: review.id });
    await h.connector.waitFor('update', (c) => JSON.stringify(c.body).includes('✅ Approved'));
    const slackUpdate = await h.slack!.waitFor('chat.update', (c) =>
      blocksText(c.args['blocks']).includes('Approved by *bob*'),
    );
    expect(slackUpdate).toBeDefined();
  });
});
