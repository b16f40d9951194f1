/**
 * `hoop-gateway demo` connected to Slack by the environment alone, as a newcomer would connect it
 * to a real workspace: with SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_CHANNEL set (and the Web
 * API pointed at the local stand-in, which also speaks Socket Mode), the demo runs the bot, a held
 * `kubectl delete namespace` posts its card in that channel, the tokens never reach the written
 * hoop.yaml, and the approver named by SLACK_APPROVER can decide from the card.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.ts';

const BIN = new URL('../../bin/hoop-gateway.ts', import.meta.url).pathname;
const prefix = `hoop-demo-slack-${randomBytes(4).toString('hex')}`;
const BOT_TOKEN = `xoxb-demo-${randomBytes(6).toString('hex')}`;
const APP_TOKEN = `xapp-demo-${randomBytes(6).toString('hex')}`;
const CHANNEL = 'C0DEMO123';

let dir: string;
let demo: ChildProcess;
let output = '';
let slack: SlackStandIn;

describeWithKubectl(['1.33'], 'the demo with Slack from the environment', () => {
  beforeAll(async () => {
    slack = await startSlackStandIn();
    dir = await mkdtemp(join(tmpdir(), 'hoop-demo-slack-'));
    demo = spawn(process.execPath, [BIN, 'demo', '--dir', dir, '--port', '0', '--key-prefix', prefix], {
      env: {
        ...process.env,
        REDIS_URL,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_CHANNEL: CHANNEL,
        SLACK_APPROVER: 'U0BOB',
        SLACK_API_URL: slack.apiUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [demo.stdout, demo.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
    }
    const deadline = Date.now() + 30_000;
    while (!/Stop with Ctrl-C/.test(output)) {
      if (Date.now() > deadline || demo.exitCode !== null) throw new Error(`demo did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await slack.socket.connected();
  });

  afterAll(async () => {
    if (demo && demo.exitCode === null) {
      const exited = new Promise((resolve) => demo.once('exit', resolve));
      demo.kill('SIGTERM');
      await exited;
    }
    await slack?.close();
    const redis = createRequestConnection({ url: REDIS_URL });
    await whenReady(redis, 5000);
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('says so in the banner and keeps the tokens out of hoop.yaml', async () => {
    expect(output).toMatch(/Slack: Socket Mode, cards in C0DEMO123; U0BOB approves as demo-approver/);
    const written = await readFile(join(dir, 'hoop.yaml'), 'utf8');
    expect(written).toMatch(/botToken: \$\{SLACK_BOT_TOKEN\}/);
    expect(written).not.toContain(BOT_TOKEN);
    expect(written).not.toContain(APP_TOKEN);
  });

  it('posts the card of a held namespace delete in the channel', async () => {
    const kubectl = runKubectl({
      kubeconfig: join(dir, 'kubeconfig'),
      version: '1.33',
      args: ['delete', 'namespace', 'scratch', '--wait=false'],
      timeoutMs: 60_000,
    });
    const post = await slack.waitFor('chat.postMessage', (call) => call.args['channel'] === CHANNEL, 30_000);
    expect(JSON.stringify(post.args)).toMatch(/namespace/);
    expect(JSON.stringify(post.args)).toMatch(/scratch/);
    // Stop the demo so the held kubectl ends; it is not approved here.
    demo.kill('SIGTERM');
    const result = await kubectl;
    expect(result.code).not.toBe(0);
  });
});
