import { afterEach, describe, expect, it } from 'vitest';
import { type BotHarness, blocksText, CHANNEL, startBotHarness } from './harness.ts';

let h: BotHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * Socket Mode with the real bolt SocketModeReceiver: the bot opens the WebSocket the stand-in's
 * `apps.connections.open` hands out (with the app-level token), and Slack's envelopes arrive over
 * it instead of signed HTTP posts. The same dispatch answers.
 */
describe('Socket Mode', () => {
  it('connects with the app token, answers /hoop in the ack and applies a button click', async () => {
    h = await startBotHarness({ mode: 'socket', appToken: 'xapp-test-app-token', signingSecret: undefined });
    await h.slack.socket.connected();
    const open = h.slack.callsTo('apps.connections.open')[0]!;
    expect(open.token).toBe('xapp-test-app-token');

    const ack = await h.slack.socket.send('slash_commands', {
      token: 'x',
      team_id: 'T0STANDIN',
      channel_id: CHANNEL,
      user_id: 'U0BOB',
      user_name: 'bob',
      command: '/hoop',
      text: 'help',
      api_app_id: 'A0HOOP',
      response_url: `${h.slack.url}/respond/1`,
      trigger_id: 't',
    });
    expect(blocksText((ack.payload as { blocks: unknown[] }).blocks)).toContain('/hoop pending');

    const review = await h.open();
    await h.slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.args['blocks']).includes(review.id));
    await h.slack.socket.send('interactive', {
      type: 'block_actions',
      team: { id: 'T0STANDIN', domain: 'standin' },
      user: { id: 'U0BOB', username: 'bob', name: 'bob', team_id: 'T0STANDIN' },
      api_app_id: 'A0HOOP',
      token: 'x',
      container: { type: 'message', message_ts: '1.1', channel_id: CHANNEL },
      trigger_id: 't2',
      channel: { id: CHANNEL, name: 'approvals' },
      response_url: `${h.slack.url}/respond/2`,
      actions: [
        { type: 'button', action_id: 'hoop_approve', block_id: 'b', value: review.id, action_ts: '1' },
      ],
    });
    await h.slack.waitFor('chat.update', (c) => blocksText(c.args['blocks']).includes('Approved by *bob*'));
    expect((await h.store.get(review.id))?.state).toBe('approved');
  });
});
