import type { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { startExpireWorker } from '../../gateway/approvals/expire-worker.ts';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import { publishCallOutcome, publishSessionSummary } from '../../src/queues/chat-thread.ts';
import { createWorkerConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { rule } from '../approvals/helpers.ts';
import { REDIS_URL } from '../support/redis.ts';
import { type BotHarness, blocksText, clickBody, postSigned, startBotHarness } from './harness.ts';

let h: BotHarness | undefined;
let expireWorker: Worker | undefined;
let workerConnection: RedisConnection | undefined;
afterEach(async () => {
  await expireWorker?.close();
  workerConnection?.disconnect();
  await h?.close();
  h = undefined;
  expireWorker = undefined;
  workerConnection = undefined;
});

/** Waits for the review's card on the stand-in; returns a getter for its current content. */
async function cardOf(harness: BotHarness, id: string) {
  const find = () =>
    [...harness.slack.messages.values()].find((m) => !m.threadTs && JSON.stringify(m.blocks).includes(id));
  await until(() => find() !== undefined, 15_000);
  return () => find()!;
}

async function until(test: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the card follows the review, wherever it changes', () => {
  it('a decision in the terminal updates the Slack card', async () => {
    h = await startBotHarness();
    const review = await h.open();
    const card = await cardOf(h, review.id);
    await h.store.decide(review.id, {
      approver: { id: 'dave', groups: [] },
      action: 'reject',
      via: 'api',
      reason: 'use the runbook',
    });
    await until(() => blocksText(card().blocks).includes('Rejected by *dave*'));
    expect(blocksText(card().blocks)).toContain('via api');
    expect(blocksText(card().blocks)).toContain('`use the runbook`');
  });

  it('expiry (the real expire worker at the deadline) updates the card', async () => {
    h = await startBotHarness();
    workerConnection = createWorkerConnection({ url: REDIS_URL });
    expireWorker = startExpireWorker({
      connection: workerConnection,
      store: h.store,
      prefix: h.producers.prefix,
    });
    const review = await h.open({ rule: rule({ timeoutSeconds: 1 }) });
    const card = await cardOf(h, review.id);
    await until(() => blocksText(card().blocks).includes('Nobody decided before'), 15_000);
    expect(JSON.stringify(card().blocks)).not.toContain('hoop_approve');
  });

  it('with two approvals needed, the card shows the count, then the approval', async () => {
    h = await startBotHarness();
    const review = await h.open({ rule: rule({ minApprovals: 2 }) });
    const card = await cardOf(h, review.id);
    expect(blocksText(card().blocks)).toContain('0 of 2 approvals');
    await postSigned(h.eventsUrl, clickBody({ user: 'U0BOB', actionId: 'hoop_approve', value: review.id }));
    await until(() => blocksText(card().blocks).includes('1 of 2 approvals'));
    const counted = await h.slack.waitFor('chat.postEphemeral', (c) => c.args['user'] === 'U0BOB');
    expect(String(counted.args['text'])).toContain('counted: 1 of 2');
    await postSigned(h.eventsUrl, clickBody({ user: 'U0CAROL', actionId: 'hoop_approve', value: review.id }));
    await until(() => blocksText(card().blocks).includes('Approved by *carol@example.com*'));
  });

  it('a state change whose event was lost is caught by the sweep', async () => {
    h = await startBotHarness();
    const review = await h.open();
    const card = await cardOf(h, review.id);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the post's own re-read is done
    // A store publishing on another channel: the bot hears nothing of this decision.
    const deaf = new ReviewStore({
      connection: h.redis,
      prefix: `${h.producers.prefix}:approvals`,
      channel: 'elsewhere',
    });
    await deaf.decide(review.id, { approver: { id: 'bob', groups: [] }, action: 'approve', via: 'api' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(blocksText(card().blocks)).not.toContain('Approved');
    await h.bot.sync.sweep();
    await until(() => blocksText(card().blocks).includes('Approved by *bob*'));
    await deaf.close();
  });

  it('threads the held call’s outcome and the session summary under the card', async () => {
    h = await startBotHarness();
    const review = await h.open();
    const card = await cardOf(h, review.id);
    await h.store.decide(review.id, {
      approver: { id: 'bob', groups: [] },
      action: 'approve',
      via: 'api',
    });
    const now = Date.now();
    // Published twice (a retried request): threaded once.
    await publishCallOutcome(h.producers, review.id, { status: 200, durationMs: 412, completedAt: now });
    await publishCallOutcome(h.producers, review.id, { status: 200, durationMs: 412, completedAt: now });
    const outcome = await h.slack.waitFor('chat.postMessage', (c) => c.args['thread_ts'] === card().ts);
    expect(outcome.args['channel']).toBe(card().channel);
    expect(String(outcome.args['text'])).toContain('Completed: 200 OK in 0.4 s');

    await publishSessionSummary(h.producers, {
      sessionId: '6f1c',
      reviewIds: [review.id],
      text: 'kubectl delete namespace scratch → 200\n<!channel> 3 requests, 0 denied',
    });
    const summary = await h.slack.waitFor(
      'chat.postMessage',
      (c) => c.args['thread_ts'] === card().ts && String(c.args['text']).includes('Session summary'),
    );
    expect(JSON.stringify(summary.args['blocks'])).toContain('&lt;!channel&gt; 3 requests');
    expect(JSON.stringify(summary.args['blocks'])).not.toContain('<!channel>');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.slack.callsTo('chat.postMessage').filter((c) => c.args['thread_ts'])).toHaveLength(2);
  });

  it('an outcome published before the card exists waits for the card', async () => {
    h = await startBotHarness();
    h.slack.down();
    const review = await h.open();
    await publishCallOutcome(h.producers, review.id, { status: 403, durationMs: 5, completedAt: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 500));
    h.slack.up();
    const card = await cardOf(h, review.id);
    const reply = await h.slack.waitFor('chat.postMessage', (c) => c.args['thread_ts'] === card().ts, 15_000);
    expect(String(reply.args['text'])).toContain('Finished with an error: 403 Forbidden');
  });
});
