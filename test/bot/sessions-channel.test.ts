/**
 * `slack.sessionsChannel`: the summary of a recorded session without a review (published by the
 * recorder's close worker as a `session-summary` notify job) is posted there once, escaped, with
 * the same pacing and 429 handling as cards; without the setting the job completes unposted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { publishNoReviewSummary } from '../../src/queues/chat-thread.ts';
import { QUEUE_NAMES, sessionSummaryJobId } from '../../src/queues/names.ts';
import { type BotHarness, startBotHarness } from './harness.ts';

const SESSIONS = 'C0SESSIONS';

let h: BotHarness | undefined;

/** A harness whose producers' connection is ready (it queues no commands while connecting). */
async function harness(overrides: Record<string, unknown> = {}): Promise<BotHarness> {
  const started = await startBotHarness(overrides);
  await whenReady(started.redis, 5000);
  return started;
}

afterEach(async () => {
  await h?.close();
  h = undefined;
});

const sessionPosts = (harness: BotHarness) =>
  harness.slack.callsTo('chat.postMessage').filter((c) => c.args['channel'] === SESSIONS);

/** Resolves with the job's final state and return value once the worker has finished it. */
async function finished(harness: BotHarness, sessionId: string): Promise<{ state: string; value: unknown }> {
  const queue = harness.producers.queue(QUEUE_NAMES.notify);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const job = await queue.getJob(sessionSummaryJobId(sessionId));
    const state = job ? await job.getState() : 'missing';
    if (state === 'completed' || state === 'failed') {
      // Read the job again: the copy fetched before it finished has no return value yet.
      const done = await queue.getJob(sessionSummaryJobId(sessionId));
      return { state, value: done?.returnvalue };
    }
    if (Date.now() > deadline) throw new Error(`session-summary job still ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('no-review session summaries', () => {
  it('posts once to sessionsChannel, escaped, however often it is published', async () => {
    h = await harness({ sessionsChannel: SESSIONS });
    const input = {
      sessionId: 'sess-7f3a',
      cluster: 'prod',
      text: 'kubectl get pods → 200\n<!channel> 2 requests, 0 denied',
    };
    // The recorder's close job retried: published twice, posted once.
    await publishNoReviewSummary(h.producers, input);
    await publishNoReviewSummary(h.producers, input);
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args['channel'] === SESSIONS);
    expect(post.args['thread_ts']).toBeUndefined();
    const shown = JSON.stringify(post.args);
    expect(shown).toContain('sess-7f3a');
    expect(shown).toContain('prod');
    expect(shown).toContain('&lt;!channel&gt; 2 requests');
    expect(shown).not.toContain('<!channel>');
    expect((await finished(h, input.sessionId)).state).toBe('completed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sessionPosts(h)).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it("honours Slack's 429 Retry-After for the sessions channel", async () => {
    h = await harness({ sessionsChannel: SESSIONS });
    h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await publishNoReviewSummary(h.producers, { sessionId: 'sess-429', cluster: 'prod', text: 'x' });
    await h.slack.waitFor('chat.postMessage', () => sessionPosts(h!).length >= 2, 10_000);
    const [first, second] = sessionPosts(h);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect((await finished(h, 'sess-429')).state).toBe('completed');
  });

  it('without sessionsChannel posts nothing and completes the job', async () => {
    h = await harness();
    await publishNoReviewSummary(h.producers, { sessionId: 'sess-quiet', cluster: 'prod', text: 'hello' });
    const done = await finished(h, 'sess-quiet');
    expect(done).toEqual({ state: 'completed', value: 'slack:no-channel' });
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });
});
