/**
 * The `hoop-gateway sessions` CLI against what a real gateway recorded (run as a separate process
 * with the gateway's config file): list and show, tampering caught by verify, audit export, two
 * replicas sharing one kubectl session, and the summary of a reviewed session queued for the
 * thread under its approval card (of an unreviewed one, for the sessions channel).
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../gateway/main.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { notifyJobId, sessionSummaryJobId } from '../../src/queues/names.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { REDIS_URL } from '../support/redis.ts';
import { AGENTS } from '../support/stack.ts';
import { DEMO_POLICY, type RecordingStack, startRecordingStack } from './gateway-support.ts';

const REVIEWED = {
  name: 'configmap-deletes-reviewed',
  action: 'review',
  match: { resources: ['configmaps'], verbs: ['delete'], namespaces: ['scratch'] },
  review: { autoApprove: { groups: ['ai-agents'] } },
};

let rs: RecordingStack;
let kubeconfig: string;
const started = Date.now();
beforeAll(async () => {
  const demo = DEMO_POLICY as { rules: unknown[] };
  const policy = { ...demo, rules: [...demo.rules, REVIEWED] };
  // Approvals share the stack's fresh prefix, so the summary lands in this test's notify queue.
  rs = await startRecordingStack({ policy, approvals: true });
  kubeconfig = await rs.stack.kubeconfigFor(AGENTS.agent.clientId);
});
afterAll(async () => rs?.close());

async function kubectlSession(args: string[], stdin?: string): Promise<string> {
  const since = Date.now();
  const result = await runKubectl({ kubeconfig, version: '1.33', args, ...(stdin ? { stdin } : {}) });
  expect(result.code, result.stderr).toBe(0);
  const sessions = await rs.sessionsSince(since);
  expect(sessions).toHaveLength(1);
  await rs.waitForArchived(sessions[0]!.id);
  return sessions[0]!.id;
}

describeWithKubectl('1.33', 'sessions list, show and export', () => {
  it('lists sessions by agent, cluster and time, and shows every request of a command', async () => {
    const id = await kubectlSession(['get', 'pods,deploy,cm', '-n', 'default']);
    const list = await rs.cli([
      'sessions',
      'list',
      '--agent',
      'agent-1',
      '--cluster',
      'sandbox',
      '--since',
      '10m',
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s.*agent-1\\s+sandbox\\s+kubectl get`));
    const none = await rs.cli(['sessions', 'list', '--agent', 'nobody-else']);
    expect(none.stdout).not.toContain(id);

    const show = await rs.cli(['sessions', 'show', id]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('Commands: kubectl get');
    for (const path of [
      '/api/v1/namespaces/default/pods',
      '/apis/apps/v1/namespaces/default/deployments',
      '/api/v1/namespaces/default/configmaps',
    ]) {
      expect(show.stdout).toContain(`GET ${path}`);
    }
    expect(show.stdout).toMatch(/← 200 in/);

    const exported = await rs.cli(['sessions', 'export', id, '--format', 'audit']);
    const events = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.length).toBeGreaterThan(3);
    for (const event of events)
      expect(event).toMatchObject({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        stage: 'ResponseComplete',
      });
    expect(events.some((e) => e['requestURI'] === '/api/v1/namespaces/default/pods?limit=500')).toBe(true);
  });
});

describeWithKubectl('1.33', 'sessions verify', () => {
  it('passes an untouched recording and says where a changed byte is', async () => {
    const id = await kubectlSession(['exec', '-i', '-n', 'payments', 'ledger-0', '--', 'cat'], 'tamper me\n');
    expect(await rs.cli(['sessions', 'verify', id])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^ok: \d+ events/),
    });
    const meta = await rs.index.get(id);
    const file = join(rs.stack.dir, 'data', 'recordings', meta?.archive ?? '');
    const original = await readFile(file, 'utf8');
    const lines = original.split('\n');
    const at = lines.findIndex((line) => line.includes('"status":101'));
    lines[at] = lines[at]!.replace('"status":101', '"status":102');
    await writeFile(file, lines.join('\n'));
    const tampered = await rs.cli(['sessions', 'verify', id]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`line ${at + 1} (event ${at + 1}): content does not match its hash`);

    await writeFile(file, original);
    const folder = dirname(file);
    const castName = (await readdir(folder)).find((n) => n.startsWith(`${id}.`) && n.endsWith('.cast')) ?? '';
    const castText = await readFile(join(folder, castName), 'utf8');
    await writeFile(join(folder, castName), castText.replace('tamper me', 'tamper us'));
    const castTampered = await rs.cli(['sessions', 'verify', id]);
    expect(castTampered).toMatchObject({ code: 1, stdout: expect.stringContaining(`${castName} differs`) });
  });
});

describeWithKubectl('1.33', 'replicas and summaries', () => {
  let second: RunningGateway | undefined;
  afterAll(async () => second?.close());

  it('records one ordered session when two gateways serve one kubectl invocation', async () => {
    second = await startGateway(await loadConfigFile(rs.config), pino({ level: 'silent' }));
    const token = await rs.stack.issuer.issueToken(AGENTS.agent.clientId);
    const session = randomUUID();
    const since = Date.now();
    for (let i = 0; i < 6; i++) {
      const base = i % 2 === 0 ? rs.stack.gateway.url : second.url;
      const status = await get(
        `${base}/clusters/sandbox/api/v1/namespaces/default/pods?n=${i}`,
        rs.stack.gateway.caPem ?? '',
        {
          authorization: `Bearer ${token}`,
          'kubectl-session': session,
          'kubectl-command': 'kubectl get',
        },
      );
      expect(status).toBe(200);
    }
    const sessions = await rs.sessionsSince(since);
    expect(sessions).toHaveLength(1);
    const id = sessions[0]!.id;
    await rs.waitForArchived(id);
    const verify = await rs.cli(['sessions', 'verify', id]);
    expect(verify).toMatchObject({ code: 0, stdout: expect.stringContaining('ok: 13 events') });
    const show = await rs.cli(['sessions', 'show', id, '--output', 'json']);
    const { events } = JSON.parse(show.stdout) as {
      events: Array<{ type: string; query?: string; by: string }>;
    };
    expect(events.filter((e) => e.type === 'request').map((e) => e.query)).toEqual(
      [0, 1, 2, 3, 4, 5].map((n) => `n=${n}`),
    );
    expect(new Set(events.map((e) => e.by)).size).toBe(2);
  });

  it('queues the summary of a reviewed session for the thread under its card', async () => {
    const unreviewed = await kubectlSession([
      'create',
      'configmap',
      'reviewed-cm',
      '-n',
      'scratch',
      '--from-literal=a=b',
    ]);
    const id = await kubectlSession(['delete', 'configmap', 'reviewed-cm', '-n', 'scratch']);
    const meta = await rs.index.get(id);
    expect(meta?.outcomes).toEqual(['reviewed']);
    expect(meta?.summary).toContain('Reviews: 1 held, 1 approved, 0 rejected');
    const reviewId = meta?.reviews[0]?.id ?? '';
    const queue = new Queue('notify', { connection: { url: REDIS_URL }, prefix: rs.prefix });
    try {
      const job = await queue.getJob(notifyJobId(reviewId, 'summary', id));
      expect(job?.data).toMatchObject({ reviewId, event: 'summary', summary: { sessionId: id } });
      expect(job?.data.summary.text).toContain('Commands: kubectl delete');
      // A session without a review queues its summary for `slack.sessionsChannel` instead (once).
      const noReview = await queue.getJob(sessionSummaryJobId(unreviewed));
      expect(noReview?.data).toMatchObject({
        event: 'session-summary',
        sessionId: unreviewed,
        cluster: 'sandbox',
      });
      expect(noReview?.data.text).toContain('Commands: kubectl create');
      expect(await queue.getJob(sessionSummaryJobId(id))).toBeUndefined();
      const reviewed = await rs.cli([
        'sessions',
        'list',
        '--outcome',
        'reviewed',
        '--since',
        `${new Date(started).toISOString()}`,
      ]);
      expect(reviewed.stdout).toContain(id);
    } finally {
      await queue.close();
    }
  });
});

async function get(url: string, ca: string, headers: Record<string, string>): Promise<number> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
