/**
 * With recording on, `/hoop sessions` and `/hoop show` answer from the recorder's session index —
 * every recorded kubectl invocation, not only those that asked for a review.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdentity } from '../../gateway/recording/session-identity.ts';
import { CALLER, type RecordingHarness, recordingHarness } from '../recording/support.ts';
import { REDIS_URL } from '../support/redis.ts';
import { type BotHarness, blocksText, commandBody, postSigned, startBotHarness } from './harness.ts';

let rec: RecordingHarness;
let h: BotHarness;
let sessionId: string;
let identityKey: string;

beforeAll(async () => {
  rec = await recordingHarness('bot-sessions');
  const identity = sessionIdentity(CALLER, 'prod', {
    'kubectl-session': 'aaaaaaaa-bbbb-cccc',
    'kubectl-command': 'kubectl rollout restart',
  });
  const session = await rec.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
  sessionId = session.id;
  identityKey = identity.key;
  await rec.store.append(
    session.id,
    identity.key,
    {
      type: 'request',
      rid: 'r-1',
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/web/deployments/web',
      headers: {},
    },
    { incr: { requests: 1, inflight: 1 } },
  );
  await rec.store.append(
    session.id,
    identity.key,
    { type: 'response', rid: 'r-1', status: 200, durationMs: 3 },
    { incr: { inflight: -1 } },
  );
  h = await startBotHarness(
    {},
    { backoffMs: 200 },
    { redisUrl: REDIS_URL, storePrefix: `${rec.prefix}:rec` },
  );
});
afterAll(async () => {
  await h?.close();
  await rec?.cleanup();
});

async function hoop(text: string): Promise<string> {
  const response = await postSigned(h.eventsUrl, commandBody('U0BOB', text));
  expect(response.status).toBe(200);
  return blocksText(((await response.json()) as { blocks: unknown[] }).blocks);
}

describe('/hoop with the recorder', () => {
  it('sessions lists a recorded session that never asked for a review', async () => {
    const shown = await hoop('sessions --cluster prod');
    expect(shown).toContain(sessionId);
    expect(shown).toContain('kubectl rollout restart');
  });

  it('show <session id> answers from the index', async () => {
    const shown = await hoop(`show ${sessionId}`);
    expect(shown).toContain(sessionId);
    expect(shown).toContain('prod');
  });
});

describe('/hoop show with the id a card shows', () => {
  it('resolves the Kubectl-Session UUID on a card to the recorded s-… session', async () => {
    const review = await h.open({
      headers: { command: 'kubectl rollout restart', session: 'aaaaaaaa-bbbb-cccc' },
    });
    await rec.store.append(
      sessionId,
      identityKey,
      { type: 'response', rid: 'r-2', status: 200, durationMs: 3 },
      {
        set: { [`review:${review.id}`]: JSON.stringify({ state: 'pending', verb: 'patch', target: 'web' }) },
      },
    );
    const card = await h.slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.args).includes(review.id));
    expect(blocksText(card.args['blocks'])).toContain('aaaaaaaa-bbbb-cccc');
    const shown = await hoop('show aaaaaaaa-bbbb-cccc');
    expect(shown).toContain(sessionId);
    expect(shown).toContain(review.id);
  });

  it('does not resolve a UUID no review carries', async () => {
    expect(await hoop('show 00000000-1111-2222')).toContain('No review or session');
  });
});
