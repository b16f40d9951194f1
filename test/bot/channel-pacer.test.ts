import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelPacer } from '../../bot/workers/channel-pacer.ts';
import { createSlackPoster } from '../../bot/workers/slack-poster.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { freshPrefix } from '../approvals/helpers.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { startSlackStandIn } from '../support/slack-stand-in.ts';

/** Message updates are paced per workspace (Slack's chat.update: Tier 3, ~50/min per workspace). */
const redis = createRequestConnection({ url: REDIS_URL });
const prefix = freshPrefix('pacer');
let pacer: ChannelPacer;

beforeAll(async () => {
  await whenReady(redis, 5000);
  pacer = new ChannelPacer({ redis, prefix, intervalMs: 1000, updateIntervalMs: 5000 });
});
afterAll(async () => {
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

describe('ChannelPacer update slots', () => {
  it('keys updates by workspace, not by channel', () => {
    expect(pacer.updateKey('slack', 'T0STANDIN')).toBe(`${prefix}:pace:slack:workspace:T0STANDIN:update`);
  });

  it('one workspace shares one update slot across channels; another workspace has its own', async () => {
    expect(await pacer.takeUpdate('slack', 'T0ONE')).toBe(0);
    const wait = await pacer.takeUpdate('slack', 'T0ONE');
    expect(wait).toBeGreaterThan(4000);
    expect(await redis.exists(pacer.updateKey('slack', 'T0ONE'))).toBe(1);
    expect(await pacer.takeUpdate('slack', 'T0TWO')).toBe(0);
    // Posting to a channel is paced apart from updates.
    expect(await pacer.take('slack', 'C0APPROVALS')).toBe(0);
  });

  it("the Slack poster's update workspace is the bot token's team (auth.test)", async () => {
    const slack = await startSlackStandIn();
    try {
      const client = new webApi.WebClient('xoxb-test', {
        slackApiUrl: slack.apiUrl,
        retryConfig: { retries: 0 },
      });
      const poster = createSlackPoster(client, {
        defaultChannel: 'C0APPROVALS',
        clusterChannels: {},
        sessionsChannel: undefined,
      });
      expect(await poster.updateWorkspace?.()).toBe('T0STANDIN');
      expect(await poster.updateWorkspace?.()).toBe('T0STANDIN');
      expect(slack.callsTo('auth.test')).toHaveLength(1);
    } finally {
      await slack.close();
    }
  });
});
