import { readFile } from 'node:fs/promises';
import { SEED_VALUES } from '@hoop-gateway/sandbox/seed';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CallPage, SessionDetail, SessionList } from '../../console/api.types.ts';
import { DEMO_POLICY, type RecordingStack, startRecordingStack } from '../recording/gateway-support.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { secretValues } from '../support/secret-scan.ts';
import { AGENTS } from '../support/stack.ts';

/**
 * Secret values reaching the browser through the console. An agent reads Secrets, a pod spec with
 * a literal key, and runs `env` in a pod whose environment holds secret values; the console serves
 * only what the recorder stored, which is masked. Every answer the console gives about that session
 * (list, detail, each page of calls, each call's bodies and headers, the casts) is searched for
 * every Secret value the cluster holds, raw and base64, and for the agent's bearer token.
 */
let rs: RecordingStack;
let alice: ConsoleClient;

beforeAll(async () => {
  rs = await startRecordingStack({ policy: DEMO_POLICY, console: {} });
  alice = new ConsoleClient(rs.stack.console!);
  await alice.signIn(rs.stack.issuer, 'alice');
});

afterAll(async () => {
  await rs?.close();
});

describeWithKubectl(['1.33'], 'secrets and the console', () => {
  it('serves no secret value and no token, whatever the agent read', async () => {
    const kubeconfig = await rs.stack.kubeconfigFor(AGENTS.agent.clientId);
    const since = Date.now();
    const runs = [
      ['get', 'secrets', '-A', '-o', 'json'],
      ['get', 'secret', 'demo-token', '-n', 'scratch', '-o', 'yaml'],
      ['get', 'pod', 'ledger-0', '-n', 'payments', '-o', 'json'],
      ['exec', '-n', 'payments', 'ledger-0', '--', 'env'],
    ];
    for (const args of runs) {
      const result = await runKubectl({ kubeconfig, version: '1.33', args });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    }
    const sessions = await rs.sessionsSince(since);
    expect(sessions).toHaveLength(runs.length);
    for (const session of sessions) await rs.waitForArchived(session.id);

    const answers: string[] = [];
    const fetch = async (path: string): Promise<string> => {
      const answer = await alice.get(path);
      expect(answer.status, path).toBe(200);
      answers.push(answer.body);
      return answer.body;
    };
    const list = JSON.parse(await fetch(`/api/v1/sessions?since=${since}`)) as SessionList;
    expect(list.items).toHaveLength(runs.length);
    let bodies = 0;
    for (const { id } of list.items) {
      const detail = JSON.parse(await fetch(`/api/v1/sessions/${id}`)) as SessionDetail;
      expect(detail.chain.state).toBe('verified');
      const calls = JSON.parse(await fetch(`/api/v1/sessions/${id}/calls?limit=500`)) as CallPage;
      for (const call of calls.items) {
        const body = await fetch(`/api/v1/sessions/${id}/calls/${call.rid}`);
        if (body.includes('"responseBody"')) bodies += 1;
      }
      for (const stream of detail.streams) if (stream.castUrl) await fetch(stream.castUrl);
    }
    expect(bodies).toBeGreaterThan(0);
    const everything = answers.join('\n');
    // The masked shapes are there: the console shows what was read, without the values.
    expect(everything).toContain('demo-token');
    expect(everything).toContain('API_KEY');

    const secrets = new Set<string>([
      SEED_VALUES.ledgerApiKey,
      SEED_VALUES.ledgerDbPassword,
      SEED_VALUES.demoToken,
    ]);
    for (const secret of rs.stack.sandbox.store.list('secrets'))
      for (const value of secretValues(secret)) secrets.add(value);
    const token = await rs.stack.issuer.issueToken('agent-1');
    const kubeconfigToken = /token: (\S+)/.exec(await readFile(kubeconfig, 'utf8'))?.[1];
    for (const value of [...secrets].filter((v) => v.length >= 6)) {
      expect(everything, 'a secret value').not.toContain(value);
      expect(everything, 'a base64 secret value').not.toContain(Buffer.from(value).toString('base64'));
    }
    for (const value of [token, kubeconfigToken]) {
      if (!value) continue;
      for (const part of value.split('.'))
        if (part.length > 20) expect(everything, 'a token').not.toContain(part);
    }
  });
});
