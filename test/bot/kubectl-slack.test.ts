import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningBot, startBot } from '../../bot/main.ts';
import { loadBotSigner } from '../../src/approvals/signing/load-signing.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { freshPrefix } from '../approvals/helpers.ts';
import { runKubectl } from '../support/kubectl.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { blocksText, CHANNEL, clickBody, postSigned, SIGNING_SECRET } from './harness.ts';

/**
 * End to end with the real kubectl, the real gateway (started from a config file) and the real
 * bolt bot: `kubectl delete namespace scratch` is held, its card is posted on the Slack stand-in,
 * a signed Approve click lets it through, the card is updated, the outcome is threaded, and when
 * the recorded session closes its summary is threaded under the card too.
 */
let stack: Stack | undefined;
let bot: RunningBot | undefined;
let slack: SlackStandIn | undefined;
let prefix = '';

afterEach(async () => {
  await bot?.close();
  await stack?.close();
  await slack?.close();
  const redis = createRequestConnection({ url: REDIS_URL });
  await whenReady(redis, 5000);
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
  bot = undefined;
  stack = undefined;
  slack = undefined;
});

const policy = {
  default: 'deny',
  rules: [
    { name: 'agents-read', action: 'allow', match: { verbs: ['get', 'list', 'watch'] } },
    {
      name: 'namespace-delete',
      action: 'review',
      message: 'Deleting a namespace deletes everything in it.',
      match: { resources: ['namespaces'], verbs: ['delete'] },
      review: { approvers: { users: ['bob'] } },
    },
  ],
};

describe('kubectl → gateway → Slack card → signed click → kubectl completes', () => {
  it('approves a held namespace deletion from Slack', async () => {
    slack = await startSlackStandIn();
    prefix = freshPrefix('e2e-slack');
    stack = await startStack({
      policy,
      config: {
        approvals: { redisUrl: REDIS_URL, keyPrefix: prefix, holdSeconds: 20, retryAfterSeconds: 1 },
        // The session closes 1 s after kubectl's last request; its summary is threaded too.
        recording: { redisUrl: REDIS_URL, keyPrefix: prefix, idleGap: '1s' },
        slack: {
          botToken: 'xoxb-test-token',
          signingSecret: SIGNING_SECRET,
          listen: { host: '127.0.0.1', port: 0 },
          channel: CHANNEL,
          apiUrl: slack.apiUrl,
          approvers: { users: { U0BOB: 'bob' } },
        },
      },
    });
    const config = await loadConfigFile(join(stack.dir, 'hoop.yaml'));
    bot = await startBot({
      slack: config.slack!,
      approvals: config.approvals,
      signer: (await loadBotSigner(config.approvals.signing))!,
    });
    const eventsUrl = `http://127.0.0.1:${bot.port}/slack/events`;

    const kubeconfig = await stack.kubeconfigFor('agent-1');
    const deletion = runKubectl({ kubeconfig, args: ['delete', 'namespace', 'scratch'], timeoutMs: 60_000 });

    const post = await slack.waitFor(
      'chat.postMessage',
      (c) => JSON.stringify(c.args['blocks']).includes('scratch'),
      30_000,
    );
    const card = blocksText(post.args['blocks']);
    expect(card).toContain('*delete* `scratch`');
    expect(card).toContain('`kubectl delete`');
    expect(card).toContain('`agent-1`');
    const reviewId = /r-[a-z0-9]{6}/.exec(card)![0];

    const click = await postSigned(
      eventsUrl,
      clickBody({ user: 'U0BOB', actionId: 'hoop_approve', value: reviewId }),
    );
    expect(click.status).toBe(200);

    const result = await deletion;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('namespace "scratch" deleted');
    expect(
      stack.sandbox.requests.filter((r) => r.method === 'DELETE' && r.path === '/api/v1/namespaces/scratch'),
    ).toHaveLength(1);

    const update = await slack.waitFor('chat.update', (c) =>
      blocksText(c.args['blocks']).includes('Approved by *bob*'),
    );
    expect(update.args['channel']).toBe(CHANNEL);
    const ts = [...slack.messages.values()].find((m) => !m.threadTs)!.ts;
    const thread = await slack.waitFor('chat.postMessage', (c) => c.args['thread_ts'] === ts, 15_000);
    expect(String(thread.args['text'])).toMatch(/Completed: 200 OK in \d/);

    // Once the kubectl session goes idle, the recorder closes it and its summary joins the thread.
    const summary = await slack.waitFor(
      'chat.postMessage',
      (c) => c.args['thread_ts'] === ts && JSON.stringify(c.args).includes('kubectl delete'),
      30_000,
    );
    const text = JSON.stringify(summary.args);
    expect(text).toContain('agent-1');
    expect(text).toMatch(/1 held, 1 approved, 0 rejected/);
  });
});
