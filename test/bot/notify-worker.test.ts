import { afterEach, describe, expect, it } from 'vitest';
import { notifyJobId, QUEUE_NAMES } from '../../src/queues/names.ts';
import { rule } from '../approvals/helpers.ts';
import { type BotHarness, CHANNEL, startBotHarness } from './harness.ts';

let h: BotHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const posts = (harness: BotHarness, channel = CHANNEL) =>
  harness.slack.callsTo('chat.postMessage').filter((c) => c.args['channel'] === channel);

describe('notify worker: channels, pacing, 429, outages', () => {
  it('posts to the rule channel, else the cluster channel, else the default', async () => {
    h = await startBotHarness({ clusterChannels: { staging: 'C0STAGING' } });
    const byRule = await h.open({ rule: rule({ notify: { slack: { channel: 'C0RULE123' } } }) });
    const byCluster = await h.open({ cluster: 'staging' });
    const byDefault = await h.open();
    const channelOf = async (id: string) =>
      (await h!.slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.args['blocks']).includes(id))).args[
        'channel'
      ];
    expect(await channelOf(byRule.id)).toBe('C0RULE123');
    expect(await channelOf(byCluster.id)).toBe('C0STAGING');
    expect(await channelOf(byDefault.id)).toBe(CHANNEL);
  });

  it('posts at most one message per second per channel', async () => {
    h = await startBotHarness();
    await Promise.all([h.open(), h.open(), h.open()]);
    await h.slack.waitFor('chat.postMessage', () => posts(h!).length >= 3, 10_000);
    const times = posts(h).map((c) => c.at);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(950);
  });

  it("honours Slack's 429 Retry-After before posting again", async () => {
    h = await startBotHarness();
    h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 2 });
    const review = await h.open();
    const posted = await h.slack.waitFor(
      'chat.postMessage',
      (c) => c !== h!.slack.callsTo('chat.postMessage')[0],
      10_000,
    );
    const first = h.slack.callsTo('chat.postMessage')[0]!;
    expect(posted.at - first.at).toBeGreaterThanOrEqual(1950);
    expect(JSON.stringify(posted.args['blocks'])).toContain(review.id);
    expect(h.slack.messages.size).toBe(1);
  });

  it('Slack down while posting: jobs retry with backoff, the card arrives later, nothing is lost', async () => {
    h = await startBotHarness();
    h.slack.down();
    const reviews = await Promise.all([h.open(), h.open()]);
    await h.slack.waitFor('chat.postMessage', () => posts(h!).length >= 4, 10_000); // each tried twice
    // The terminal approver works throughout.
    const decided = await h.store.decide(reviews[1]!.id, {
      approver: { id: 'bob', groups: [] },
      action: 'approve',
      via: 'api',
    });
    expect(decided.outcome).toBe('applied');
    h.slack.up();
    const cards = await waitForCards(
      h,
      reviews.map((r) => r.id),
    );
    expect(cards).toHaveLength(2);
    expect(h.slack.messages.size).toBe(2);
    // The card of the review approved during the outage shows the approval.
    const approved = [...h.slack.messages.values()].find((m) =>
      JSON.stringify(m.blocks).includes(reviews[1]!.id),
    )!;
    await until(() => JSON.stringify(approved.blocks).includes('Approved by *bob*'));
  });

  it('after the job gives up during a long outage, the sweep posts the card once Slack is back', async () => {
    h = await startBotHarness({}, { attempts: 1, backoffMs: 200 });
    h.slack.down();
    const review = await h.open();
    const job = await h.producers.queue(QUEUE_NAMES.notify).getJob(notifyJobId(review.id, 'created'));
    await until(async () => (await job!.isFailed()) === true);
    h.slack.up();
    await h.bot.sync.sweep();
    await waitForCards(h, [review.id]);
    expect([...h.slack.messages.values()].map((m) => m.channel)).toEqual([CHANNEL]);
  });
});

async function waitForCards(harness: BotHarness, ids: string[]): Promise<string[]> {
  await until(
    () =>
      ids.every((id) =>
        [...harness.slack.messages.values()].some((m) => JSON.stringify(m.blocks).includes(id)),
      ),
    15_000,
  );
  return ids;
}

async function until(test: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
