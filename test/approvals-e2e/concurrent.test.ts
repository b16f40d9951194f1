import { Agent } from 'node:https';
import { prepareCreate } from '@hoop-gateway/sandbox/objects/admit';
import { resourceTypeNamed } from '@hoop-gateway/sandbox/resources';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from './raw-https.ts';
import { type ApprovalsStack, startApprovalsStack } from './support.ts';

/**
 * 200 held calls at once, each from its own identity (tokens the real issuer signed), each asking
 * to delete its own ConfigMap: 200 reviews, all approved, and every call reaches the sandbox
 * exactly once. One gateway, one Redis connection and one pub/sub subscriber serve them all.
 */
const CALLERS = 200;
let stack: ApprovalsStack | undefined;
let agent: Agent | undefined;

afterEach(async () => {
  agent?.destroy();
  await stack?.close();
  stack = undefined;
});

describe('many held calls', () => {
  it(`${CALLERS} concurrent held calls from different identities are all approved, each forwarded once`, async () => {
    stack = await startApprovalsStack({ approvals: { holdSeconds: 45 } });
    const s = stack;
    const configmaps = resourceTypeNamed('configmaps');
    const names = Array.from({ length: CALLERS }, (_, i) => `cm-${i}`);
    for (const name of names) {
      s.sandbox.store.create(
        'configmaps',
        prepareCreate(configmaps, 'scratch', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name },
          data: {},
        }),
      );
    }
    const tokens = await Promise.all(
      names.map((_, i) => s.issuer.signToken({ sub: `agent-${i}`, groups: ['ai-agents'] })),
    );
    agent = new Agent({ ca: s.gateway.caPem ?? '', maxSockets: CALLERS + 10, keepAlive: false });
    const path = (name: string) => `/api/v1/namespaces/scratch/configmaps/${name}`;

    const calls = names.map((name, i) =>
      rawRequest({
        url: `${s.clusterUrl()}${path(name)}`,
        method: 'DELETE',
        token: tokens[i]!,
        caPem: s.gateway.caPem ?? '',
        body: '{"propagationPolicy":"Background"}',
        agent: agent!,
      }),
    );
    const pending = await s.pending(CALLERS, 45_000);
    expect(new Set(pending.map((r) => r.caller.subject)).size).toBe(CALLERS);
    expect(s.sandbox.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);

    await Promise.all(pending.map((review) => s.decide(review.id, 'approve')));
    const responses = await Promise.all(calls);
    expect(responses.map((r) => r.status)).toEqual(names.map(() => 200));

    const deletes = s.sandbox.requests.filter((r) => r.method === 'DELETE');
    expect(deletes).toHaveLength(CALLERS);
    expect(new Set(deletes.map((r) => r.path))).toEqual(new Set(names.map(path)));
    const left = s.sandbox.store
      .list('configmaps', 'scratch')
      .map((o) => (o['metadata'] as { name?: string }).name);
    expect(left.filter((name) => name !== undefined && names.includes(name))).toEqual([]);
    const users = new Set(deletes.map((r) => r.headers.impersonateUser));
    expect(users.size).toBe(CALLERS);
  });
});
