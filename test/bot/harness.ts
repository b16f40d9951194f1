import { createHmac, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { type RunningBot, startBot } from '../../bot/main.ts';
import type { Review } from '../../src/approvals/review.types.ts';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import type { OpenReviewInput } from '../../src/approvals/review-store.types.ts';
import type { DecisionSigner } from '../../src/approvals/signing/decision-keys.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { resolveSlack, type SlackSettings, slackSchema } from '../../src/config/slack.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { ReviewProducers } from '../../src/queues/review-producers.ts';
import { fp, freshPrefix, openInput } from '../approvals/helpers.ts';
import { testSigner } from '../support/decision-keys.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';

/**
 * One bot under test: the real bolt app in HTTP mode on a loopback port, the real notify worker
 * and card sync on a fresh Redis prefix, and the Slack stand-in. The "gateway side" is a second
 * ReviewStore + ReviewProducers on the same prefixes, as the gateway would hold them.
 *
 * Slack users in every harness: U0BOB (bob, approver), U0CAROL (carol, approver by e-mail via
 * users.info), U0MALLORY (not an approver), U0ALICE (alice: the CI job's owner, an approver).
 */
export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const CHANNEL = 'C0APPROVALS';

export interface BotHarness {
  slack: SlackStandIn;
  bot: RunningBot;
  settings: SlackSettings;
  /** The key the bot signs its decisions with. */
  botSigner: DecisionSigner;
  store: ReviewStore;
  producers: ReviewProducers;
  redis: RedisConnection;
  /** `http://127.0.0.1:<port>/slack/events`. */
  eventsUrl: string;
  /** Opens a review as the gateway does (record, then notify + expire jobs). */
  open(overrides?: Partial<OpenReviewInput>): Promise<Review>;
  close(): Promise<void>;
}

export async function startBotHarness(
  overrides: Record<string, unknown> = {},
  notify: { attempts?: number; backoffMs?: number } = { backoffMs: 200 },
  recording?: { redisUrl: string; storePrefix: string },
): Promise<BotHarness> {
  const slack = await startSlackStandIn();
  slack.users.set('U0BOB', { name: 'bob' });
  slack.users.set('U0ALICE', { name: 'alice' });
  slack.users.set('U0CAROL', { name: 'carol', email: 'carol@example.com' });
  slack.users.set('U0MALLORY', { name: 'mallory', email: 'mallory@example.com' });
  const base = freshPrefix('bot');
  const approvals = { redisUrl: REDIS_URL, storePrefix: `${base}:approvals`, queuePrefix: base };
  const settings = resolveSlack(
    slackSchema.parse({
      botToken: 'xoxb-test-token',
      signingSecret: SIGNING_SECRET,
      listen: { host: '127.0.0.1', port: 0 },
      channel: CHANNEL,
      apiUrl: slack.apiUrl,
      approvers: {
        users: { U0BOB: 'bob', U0ALICE: 'alice' },
        byEmail: true,
        groups: { 'carol@example.com': ['sre'] },
      },
      ...overrides,
    }),
  )!;
  const botSigner = testSigner('bot');
  const bot = await startBot({
    slack: settings,
    approvals,
    sweepMs: 60_000,
    notify,
    recording,
    signer: botSigner,
  });
  const redis = createRequestConnection({ url: REDIS_URL });
  const store = new ReviewStore({ connection: redis, prefix: approvals.storePrefix });
  const producers = new ReviewProducers({
    connection: redis,
    prefix: base,
    notify: { backoffMs: 200, ...notify },
  });
  return {
    slack,
    bot,
    settings,
    botSigner,
    store,
    producers,
    redis,
    eventsUrl: `http://127.0.0.1:${bot.port}/slack/events`,
    async open(input = {}) {
      const { review } = await store.findOrCreate(
        openInput({ fingerprint: fp(randomBytes(6).toString('hex')), ...input }),
      );
      await producers.ensureQueued(review);
      return review;
    },
    async close() {
      await bot.close();
      await producers.close();
      await store.close();
      await slack.close();
      await whenReady(redis, 5000);
      await deleteKeys(redis, `${base}:*`);
      redis.disconnect();
    },
  };
}

/** Slack's request signature: `v0=` HMAC-SHA256 of `v0:<timestamp>:<raw body>`. */
export function sign(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** POSTs a form body to the bot the way Slack does, signed unless told otherwise. */
export async function postSigned(
  url: string,
  body: string,
  options: { timestamp?: number; signature?: string } = {},
): Promise<Response> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? sign(body, timestamp),
    },
    body,
  });
}

/**
 * Sends request targets that are no path (`//`, and `//:99999` before the endpoint's own path) to
 * the listener behind `url`, byte for byte (fetch would normalise them), each with an empty JSON
 * body; returns each request line with the status line it got.
 */
export async function answersToNonPathTargets(url: string): Promise<Array<[string, string]>> {
  const { hostname, port, pathname } = new URL(url);
  const requests = ['POST //', 'GET //', `POST //:99999${pathname}`];
  return Promise.all(
    requests.map(async (request): Promise<[string, string]> => {
      const socket = connect(Number(port), hostname);
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString();
      });
      socket.write(`${request} HTTP/1.1\r\nHost: bot\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
      await new Promise((resolve) => socket.once('close', resolve));
      return [request, answer.split('\r\n')[0] ?? ''];
    }),
  );
}

/** What every interaction payload says about where it comes from: the stand-in team and app, and `user`. */
function interactionFrom(user: string) {
  return {
    team: { id: 'T0STANDIN', domain: 'standin' },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0STANDIN' },
    api_app_id: 'A0HOOP',
    token: 'legacy-verification-token',
  };
}

/** A `block_actions` payload for a click on a card button. */
export function clickBody(input: {
  user: string;
  actionId: string;
  value: string;
  channel?: string;
  ts?: string;
}): string {
  const channel = input.channel ?? CHANNEL;
  const payload = {
    type: 'block_actions',
    ...interactionFrom(input.user),
    container: {
      type: 'message',
      message_ts: input.ts ?? '1.000001',
      channel_id: channel,
      is_ephemeral: false,
    },
    trigger_id: `trigger-${randomBytes(4).toString('hex')}`,
    channel: { id: channel, name: 'approvals' },
    message: { type: 'message', ts: input.ts ?? '1.000001', text: 'card' },
    response_url: 'https://hooks.slack.test/actions/x',
    actions: [
      {
        type: 'button',
        action_id: input.actionId,
        block_id: 'b',
        value: input.value,
        action_ts: String(Date.now() / 1000),
        text: { type: 'plain_text', text: 'x' },
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** A `view_submission` payload for the reject modal. */
export function rejectSubmitBody(input: {
  user: string;
  reviewId: string;
  reason: string;
  channel?: string;
}): string {
  const payload = {
    type: 'view_submission',
    ...interactionFrom(input.user),
    trigger_id: 'trigger-view',
    view: {
      id: 'V0REJECT',
      type: 'modal',
      callback_id: 'hoop_reject_reason',
      private_metadata: JSON.stringify({ reviewId: input.reviewId, channel: input.channel ?? CHANNEL }),
      state: { values: { reason: { reason_input: { type: 'plain_text_input', value: input.reason } } } },
      hash: 'h',
      team_id: 'T0STANDIN',
      app_id: 'A0HOOP',
      bot_id: 'B0HOOPBOT',
    },
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** A `/hoop` slash command body. */
export function commandBody(
  user: string,
  text: string,
  responseUrl = 'https://hooks.slack.test/commands/x',
): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0STANDIN',
    team_domain: 'standin',
    channel_id: CHANNEL,
    channel_name: 'approvals',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/hoop',
    text,
    api_app_id: 'A0HOOP',
    response_url: responseUrl,
    trigger_id: 'trigger-cmd',
  }).toString();
}

/** The visible text of a Slack message's blocks (mrkdwn and plain_text, fields included). */
export function blocksText(blocks: unknown): string {
  return JSON.stringify(blocks)
    .match(/"text":"((?:[^"\\]|\\.)*)"/g)!
    .map((m) => JSON.parse(m.slice(7)) as string)
    .join('\n');
}
