import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../approvals-e2e/raw-https.ts';
import { type ApprovalsStack, startApprovalsStack } from '../approvals-e2e/support.ts';
import { type BotHarness, clickBody, postSigned, startBotHarness } from '../bot/harness.ts';
import { signIn } from '../support/people.ts';
import { PEOPLE_AUDIENCE, PEOPLE_CLIENT } from '../support/stack.ts';

/**
 * Vulnerability class: deciding as someone one is not, or deciding one's own request. Every
 * channel must refuse the same people for the same reasons: the approvals API (a person's token),
 * the CLI (signed in with `hoop-gateway login`) and the Slack bot (a verified click). Tokens must
 * not cross over: an agent's token cannot decide, a person's token cannot call a cluster, and a
 * token for the people audience issued to an agent's client cannot decide either.
 */
let stack: ApprovalsStack;
const SECRET_PATH = '/api/v1/namespaces/scratch/secrets/demo-token';

beforeAll(async () => {
  stack = await startApprovalsStack({
    policy: {
      default: 'deny',
      rules: [
        {
          name: 'secret-delete',
          action: 'review',
          match: { resources: ['secrets'], verbs: ['delete'] },
          review: { approvers: { users: ['alice', 'approver-1'], groups: ['platform'] } },
        },
      ],
    },
  });
});

afterAll(async () => {
  await stack?.close();
});

/** A token the issuer really signed, with the claims it gives a signed-in person. */
function personToken(id: string, email: string, groups: string[], extra: Record<string, unknown> = {}) {
  return stack.issuer.signToken({
    sub: id,
    email,
    groups,
    client_id: PEOPLE_CLIENT,
    aud: PEOPLE_AUDIENCE,
    ...extra,
  });
}

function api(path: string, token: string | undefined, method = 'GET', body?: unknown) {
  return rawRequest({
    url: `${stack.gateway.url}${path}`,
    method,
    token: token ?? '',
    caPem: stack.gateway.caPem ?? '',
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
}

async function heldByCi() {
  const call = rawRequest({
    url: `${stack.clusterUrl()}${SECRET_PATH}`,
    method: 'DELETE',
    token: await stack.issuer.issueToken('ci-deployer'),
    caPem: stack.gateway.caPem ?? '',
  });
  const [review] = await stack.pending();
  return { call, review: review! };
}

describe('who may decide, through every channel', () => {
  it('the API refuses the owner (self-approval) and a non-approver; a group member approves', async () => {
    const { call, review } = await heldByCi();
    expect(review.owner).toBe('alice');

    const self = await api(
      `/hoop/v1/reviews/${review.id}/approve`,
      await personToken('alice', 'alice@example.com', ['sre']),
      'POST',
      {},
    );
    expect(self.status).toBe(403);
    expect(JSON.parse(self.body)).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      message: expect.stringContaining('alice@example.com requested this call (or owns the job that did)'),
    });
    const stranger = await api(
      `/hoop/v1/reviews/${review.id}/approve`,
      await personToken('mallory', 'mallory@example.com', []),
      'POST',
      {},
    );
    expect(stranger.status).toBe(403);
    expect(JSON.parse(stranger.body).message).toContain(
      'mallory@example.com is not an approver for rule "secret-delete"',
    );
    // Claiming a group in the request body is not a thing: groups come from the token only.
    const claimed = await api(
      `/hoop/v1/reviews/${review.id}/approve`,
      await personToken('mallory', 'mallory@example.com', []),
      'POST',
      { groups: ['platform'] },
    );
    expect(claimed.status).toBe(400);

    const carol = await api(
      `/hoop/v1/reviews/${review.id}/approve`,
      await personToken('carol', 'carol@example.com', ['platform']),
      'POST',
      { reason: 'ok' },
    );
    expect(carol.status).toBe(200);
    expect(JSON.parse(carol.body)).toMatchObject({ kind: 'ReviewDecision', outcome: 'applied' });
    expect((await call).status).toBe(200);

    const refusals = stack.logs().filter((l) => l['audit'] === 'decision' && l['outcome'] === 'not-allowed');
    expect(refusals.map((l) => l['approver']).sort()).toEqual(['alice@example.com', 'mallory@example.com']);
    const history = await stack.store.history(review.id);
    expect(history.map((e) => e.by).sort()).toEqual(['alice@example.com', 'mallory@example.com']);
    // The recorded decision names the person as the issuer authenticated them, signed by the gateway.
    const decided = await stack.store.get(review.id);
    expect(decided?.decisions[0]).toMatchObject({
      approver: 'carol@example.com',
      via: 'api',
      identity: {
        id: 'carol@example.com',
        subject: 'carol',
        email: 'carol@example.com',
        groups: ['platform'],
        issuer: stack.issuer.issuer,
      },
    });
  });

  it('tokens do not cross over between agents and people', async () => {
    const agent = await stack.issuer.issueToken('agent-1');
    const agentAtApi = await api('/hoop/v1/reviews', agent);
    expect(agentAtApi.status).toBe(401);
    expect(JSON.parse(agentAtApi.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });

    const person = await personToken('approver-1', 'approver-1@example.com', []);
    const personAtCluster = await rawRequest({
      method: 'GET',
      url: `${stack.clusterUrl()}/api/v1/namespaces`,
      token: person,
      caPem: stack.gateway.caPem ?? '',
    });
    expect(personAtCluster.status).toBe(401);

    const wrongClient = await personToken('approver-1', 'approver-1@example.com', [], {
      client_id: 'agent-1',
    });
    const viaAgentClient = await api('/hoop/v1/reviews', wrongClient);
    expect(viaAgentClient.status).toBe(401);
    expect(JSON.parse(viaAgentClient.body).message).toContain(
      `not issued to the sign-in client ${PEOPLE_CLIENT}`,
    );

    // The API is not reachable under /clusters/: there a person's token is an agent's, refused.
    const underCluster = await rawRequest({
      method: 'GET',
      url: `${stack.clusterUrl()}/hoop/v1/reviews`,
      token: person,
      caPem: stack.gateway.caPem ?? '',
    });
    expect(underCluster.status).toBe(401);
    expect((await api('/hoop/v1/reviews', undefined)).status).toBe(401);
    expect((await api('/hoop/v1/login', undefined)).status).toBe(200);
  });

  it('the CLI refuses the owner and a non-approver, as themselves after login', async () => {
    const { call, review } = await heldByCi();
    const alice = await signIn(stack, 'alice');
    const self = await alice.reviews('approve', review.id);
    expect(self.code).toBe(1);
    expect(self.err).toContain('error: you may not decide');
    expect(self.err).toContain('alice@example.com requested this call');
    const mallory = await signIn(stack, 'mallory');
    const stranger = await mallory.reviews('approve', review.id);
    expect(stranger.code).toBe(1);
    expect(stranger.err).toContain('mallory@example.com is not an approver');
    expect((await stack.store.get(review.id))?.state).toBe('pending');
    // Rejecting one's own request is always allowed: it only makes things safer.
    expect((await alice.reviews('reject', review.id, '--reason', 'not now')).code).toBe(0);
    expect((await call).status).toBe(403);
  });
});

describe('the Slack bot', () => {
  let h: BotHarness | undefined;
  afterAll(async () => {
    await h?.close();
  });

  it('refuses a non-approver and the owner; an approver’s click is signed with the bot key', async () => {
    h = await startBotHarness();
    const review = await h.open({ owner: 'alice' });
    await h.slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.args['blocks']).includes(review.id));
    await postSigned(
      h.eventsUrl,
      clickBody({ user: 'U0MALLORY', actionId: 'hoop_approve', value: review.id }),
    );
    const refused = await h.slack.waitFor('chat.postEphemeral', (c) => c.args['user'] === 'U0MALLORY');
    expect(String(refused.args['text'])).toContain('mallory@example.com is not an approver');
    await postSigned(h.eventsUrl, clickBody({ user: 'U0ALICE', actionId: 'hoop_approve', value: review.id }));
    const self = await h.slack.waitFor('chat.postEphemeral', (c) => c.args['user'] === 'U0ALICE');
    expect(String(self.args['text'])).toContain('does not allow self-approval');
    expect((await h.store.get(review.id))?.state).toBe('pending');

    await postSigned(h.eventsUrl, clickBody({ user: 'U0BOB', actionId: 'hoop_approve', value: review.id }));
    let decided = await h.store.get(review.id);
    for (let i = 0; i < 50 && decided?.state !== 'approved'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      decided = await h.store.get(review.id);
    }
    const decision = decided!.decisions[0]!;
    expect(decision).toMatchObject({ approver: 'bob', via: 'slack', proof: { keyId: h.botSigner.keyId } });
  });
});
