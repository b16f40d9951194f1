import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningBot, startBot } from '../../bot/main.ts';
import { VERBS } from '../../bot/render/teams/card.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { freshPrefix } from '../approvals/helpers.ts';
import { assertAdaptiveCard, cardTexts } from '../support/adaptive-card-schema.ts';
import { runKubectl } from '../support/kubectl.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { type Stack, startStack } from '../support/stack.ts';
import {
  CONNECTOR_TOKEN,
  type ConnectorStandIn,
  startConnectorStandIn,
} from '../support/teams-connector-stand-in.ts';
import { startTeamsSigner, type TeamsSigner } from '../support/teams-signer.ts';
import { invokeActivity, messageActivity, TEAMS_CHANNEL, teamsSection, USERS } from './teams-harness.ts';

/**
 * End to end with the real kubectl, the real gateway and the Teams bot, both started from one
 * config file: a held `kubectl delete namespace` produces a card on the connector stand-in; a
 * signed invoke from the requester and from a non-approver change nothing; a signed invoke from
 * an approver lets kubectl complete; the card is updated; the outcome and the session summary
 * are threaded under it; a second call rejected with a hostile reason reaches kubectl as 403 and
 * shows inert on the card; `hoop pending` answers.
 */
let stack: Stack | undefined;
let bot: RunningBot | undefined;
let connector: ConnectorStandIn | undefined;
let signer: TeamsSigner | undefined;
let prefix = '';

afterEach(async () => {
  await bot?.close();
  await stack?.close();
  await connector?.close();
  await signer?.close();
  const redis = createRequestConnection({ url: REDIS_URL });
  await whenReady(redis, 5000);
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
  bot = undefined;
  stack = undefined;
  connector = undefined;
  signer = undefined;
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
      // The requester `agent-1` is mapped to a Teams user too, to show self-approval is refused.
      review: { approvers: { users: ['bob', 'agent-1'] }, notify: { teams: { channel: TEAMS_CHANNEL } } },
    },
  ],
};

type InvokeAnswer = { statusCode: number; type: string; value: unknown };

describe('kubectl → gateway → Teams card → signed invoke → kubectl completes', () => {
  it('approves a held namespace deletion from Teams, threads outcome and summary, and rejects another', async () => {
    connector = await startConnectorStandIn();
    signer = await startTeamsSigner();
    prefix = freshPrefix('e2e-teams');
    const teams = teamsSection(connector, signer, {
      channel: undefined,
      approvers: { users: { [USERS.bob]: 'bob', [USERS.alice]: 'agent-1' }, byUpn: false, groups: {} },
    });
    stack = await startStack({
      policy,
      config: {
        approvals: { redisUrl: REDIS_URL, keyPrefix: prefix, holdSeconds: 20, retryAfterSeconds: 1 },
        recording: { redisUrl: REDIS_URL, keyPrefix: prefix, idleGap: '1s' },
        teams: JSON.parse(JSON.stringify(teams)),
      },
    });
    const config = await loadConfigFile(join(stack.dir, 'hoop.yaml'));
    expect(config.slack).toBeUndefined();
    bot = await startBot({
      teams: config.teams!,
      approvals: config.approvals,
      // The stack's gateway trusts this key's decisions (approvals.signing.botPrivateKey).
      signer: stack.botSigner,
      teamsAuth: { token: async () => CONNECTOR_TOKEN },
    });
    const endpoint = `http://127.0.0.1:${bot.teamsPort}/api/messages`;
    const post = async (activity: Record<string, unknown>, signed = true) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (signed) {
        const token = await signer!.sign({ appId: teams.appId, serviceUrl: connector!.serviceUrl });
        headers['authorization'] = `Bearer ${token}`;
      }
      return fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(activity) });
    };
    const invoke = async (user: string, verb: string, data: Record<string, unknown>) => {
      const res = await post(invokeActivity(connector!.serviceUrl, user, verb, data));
      expect(res.status).toBe(200);
      return (await res.json()) as InvokeAnswer;
    };

    const kubeconfig = await stack.kubeconfigFor('agent-1');
    const deletion = runKubectl({ kubeconfig, args: ['delete', 'namespace', 'scratch'], timeoutMs: 60_000 });

    const created = await connector.waitFor(
      'create-conversation',
      (c) => JSON.stringify(c.body).includes('scratch'),
      30_000,
    );
    const card = connector.cardOf(created.body['activity'] as Record<string, unknown>)!;
    assertAdaptiveCard(card);
    const runs = cardTexts(card).runs;
    expect(runs).toContain('scratch');
    expect(runs).toContain('kubectl delete');
    expect(runs).toContain('agent-1');
    expect(runs).toContain('/api/v1/namespaces/scratch');
    const reviewId = runs.find((r) => /^r-[a-z0-9]{6}$/.test(r))!;
    const root = [...connector.activities.values()].find((a) => !a.replyToId)!;

    // `hoop pending` lists it.
    const pending = messageActivity(connector.serviceUrl, USERS.bob, 'pending');
    await post(pending);
    const list = await connector.waitFor('reply', (c) => c.body['replyToId'] === pending['id']);
    expect(cardTexts(connector.cardOf(list.body)).runs).toContain(reviewId);

    // Unsigned: 401, nothing decided. The requester itself and a stranger: refused, only to them.
    expect(
      (await post(invokeActivity(connector.serviceUrl, USERS.bob, VERBS.approve, { reviewId }), false))
        .status,
    ).toBe(401);
    const self = await invoke(USERS.alice, VERBS.approve, { reviewId });
    expect(cardTexts(self.value).runs.join('')).toMatch(/self-approval/);
    const stranger = await invoke(USERS.mallory, VERBS.approve, { reviewId });
    expect(cardTexts(stranger.value).runs.join('')).toContain('not mapped to an approver identity');

    const approved = await invoke(USERS.bob, VERBS.approve, { reviewId });
    assertAdaptiveCard(approved.value);
    expect(cardTexts(approved.value).blocks[0]).toBe('✅ Approved');

    const result = await deletion;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('namespace "scratch" deleted');
    expect(
      stack.sandbox.requests.filter((r) => r.method === 'DELETE' && r.path === '/api/v1/namespaces/scratch'),
    ).toHaveLength(1);

    const update = await connector.waitFor(
      'update',
      (c) => c.activityId === root.id && JSON.stringify(c.body).includes('✅ Approved'),
    );
    assertAdaptiveCard(connector.cardOf(update.body));
    const outcome = await connector.waitFor(
      'reply',
      (c) => c.body['replyToId'] === root.id && JSON.stringify(c.body).includes('Completed'),
      15_000,
    );
    assertAdaptiveCard(connector.cardOf(outcome.body));
    expect(cardTexts(connector.cardOf(outcome.body)).runs.join('')).toMatch(/200 OK/);
    const summary = await connector.waitFor(
      'reply',
      (c) => c.body['replyToId'] === root.id && JSON.stringify(c.body).includes('Session summary'),
      30_000,
    );
    assertAdaptiveCard(connector.cardOf(summary.body));
    expect(cardTexts(connector.cardOf(summary.body)).runs.join('\n')).toMatch(
      /1 held, 1 approved, 0 rejected/,
    );

    // A second deletion, rejected with a hostile reason: kubectl hears it, the card shows it inert.
    const second = runKubectl({ kubeconfig, args: ['delete', 'namespace', 'other'], timeoutMs: 60_000 });
    const secondPost = await connector.waitFor(
      'create-conversation',
      (c) => JSON.stringify(c.body).includes('"other"'),
      30_000,
    );
    const secondRuns = cardTexts(
      connector.cardOf(secondPost.body['activity'] as Record<string, unknown>),
    ).runs;
    const secondId = secondRuns.find((r) => /^r-[a-z0-9]{6}$/.test(r))!;
    const hostile = '**no** [docs](https://evil.example) <at>everyone</at>';
    const rejected = await invoke(USERS.bob, VERBS.reject, { reviewId: secondId, reason: hostile });
    assertAdaptiveCard(rejected.value);
    const shown = cardTexts(rejected.value);
    expect(shown.blocks[0]).toBe('⛔ Rejected');
    expect(shown.runs).toContain(hostile);
    expect(shown.blocks.join('\n')).not.toContain('evil');
    const refused = await second;
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Forbidden/);
    expect(refused.stderr).toContain('rejected by bob');
  });
});
