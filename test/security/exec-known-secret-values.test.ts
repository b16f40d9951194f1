/**
 * Issue 10, class 6: exec output masking must not be pattern-only.
 *
 * The log detectors find `NAME=value` shapes, so `env` is masked; but `printenv NAME`, `echo $NAME`
 * and anything else that prints a value bare got through. The gateway knows which values of the
 * pod are secret — the literal env values its masking rules hide in `get pod`, and the values of
 * the Secrets and masked ConfigMap keys the pod references — and must mask those exact values in
 * exec output whatever the command, with recording on (the recording holds no raw value either)
 * and off. Real kubectl against the sandbox, whose containers see literal env values and resolve
 * secretKeyRef/configMapKeyRef as a kubelet would.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareCreate } from '@hoop-gateway/sandbox/objects/admit';
import { resourceTypeNamed } from '@hoop-gateway/sandbox/resources';
import { SEED_VALUES } from '@hoop-gateway/sandbox/seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { E2E_POLICY } from '../e2e/policy.ts';
import { type RecordingStack, startRecordingStack } from '../recording/gateway-support.ts';
import { dumpKeys } from '../recording/support.ts';
import { runKubectl } from '../support/kubectl.ts';
import { type Stack, startStack } from '../support/stack.ts';

const MARKER = '**hoop-masked**';
const API_KEY = SEED_VALUES.ledgerApiKey; // literal env of payments/ledger-0
const DB_PASSWORD = SEED_VALUES.ledgerDbPassword; // ledger-0's DB_PASSWORD, a secretKeyRef
const WEB_DB_PASSWORD = SEED_VALUES.webDbPassword; // literal env of the default/web pods
// scratch/env-pod, created by the test:
const SHORT = 'abc'; // a literal env value under a secret-looking name, too short to mask
const SCRATCH_TOKEN = 'scratch-token-5e4d3c2b1a'; // literal API_TOKEN
const HOOK_URL = 'https://hooks.example/abc123def'; // configMapKeyRef app-config/HOOK_URL (masked key)
const PLAIN = 'plain-visible-value'; // configMapKeyRef app-config/PLAIN (no rule names it)
const APP_PASSWORD = 'app-secret-pw-1a2b3c'; // secretKeyRef app-secret/password
const RAW_VALUES = [API_KEY, DB_PASSWORD, WEB_DB_PASSWORD, SCRATCH_TOKEN, HOOK_URL, APP_PASSWORD];

const MASKING = {
  default: { configMaps: [{ namespace: 'scratch', name: 'app-config', keys: ['HOOK_URL'] }] },
};

function expectNoRawValue(text: string): void {
  for (const value of RAW_VALUES) expect(text).not.toContain(value);
}

type Case = [what: string, pod: 'ledger' | 'web' | 'scratch', command: string[], expected: string];

/** Hostile commands: each prints a known secret value in a shape the detectors do not know. */
const HOSTILE: Case[] = [
  ['printenv of a literal env value', 'ledger', ['printenv', 'API_KEY'], `${MARKER}\n`],
  ['echo $NAME', 'ledger', ['sh', '-c', 'echo $API_KEY'], `${MARKER}\n`],
  ['the value inside a word', 'ledger', ['sh', '-c', 'echo "<<$API_KEY>>"'], `<<${MARKER}>>\n`],
  ['the value on stderr', 'ledger', ['sh', '-c', 'echo $API_KEY >&2'], `${MARKER}\n`],
  ['twice on one line', 'ledger', ['sh', '-c', 'echo $API_KEY $API_KEY'], `${MARKER} ${MARKER}\n`],
  [
    'the value written in two pieces',
    'ledger',
    ['sh', '-c', `echo -n ${API_KEY.slice(0, 10)}; sleep 0.1; echo ${API_KEY.slice(10)}`],
    `${MARKER}\n`,
  ],
  ['printenv of a secretKeyRef (a Secret value)', 'ledger', ['printenv', 'DB_PASSWORD'], `${MARKER}\n`],
  ['printenv of a web pod literal', 'web', ['printenv', 'DB_PASSWORD'], `${MARKER}\n`],
  ['printenv of a literal in a pod created later', 'scratch', ['printenv', 'API_TOKEN'], `${MARKER}\n`],
  ['printenv of a masked ConfigMap key', 'scratch', ['printenv', 'HOOK_URL'], `${MARKER}\n`],
  ['echo of another referenced Secret', 'scratch', ['sh', '-c', 'echo pw=$APP_PASSWORD.'], `pw=${MARKER}.\n`],
];

/** Legitimate output stays as it is. */
const LEGITIMATE: Case[] = [
  ['a value no rule masks', 'web', ['printenv', 'DB_HOST'], 'postgres.payments.svc.cluster.local\n'],
  ['a ConfigMap key no rule masks', 'scratch', ['printenv', 'PLAIN'], `${PLAIN}\n`],
  [
    'a secret-named value shorter than 4 characters (noise)',
    'scratch',
    ['printenv', 'PIN_KEY'],
    `${SHORT}\n`,
  ],
  ['ordinary output', 'ledger', ['echo', 'hello', 'world'], 'hello world\n'],
];

/** scratch/env-pod with literal, ConfigMap and Secret env values, and what it references. */
function createScratchObjects(stack: Stack): void {
  const create = (resource: string, object: Record<string, unknown>): void => {
    const name = (object['metadata'] as { name: string }).name;
    if (stack.sandbox.store.get(resource, 'scratch', name)) return;
    stack.sandbox.store.create(resource, prepareCreate(resourceTypeNamed(resource), 'scratch', object));
  };
  create('configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app-config', namespace: 'scratch' },
    data: { HOOK_URL, PLAIN },
  });
  create('secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'app-secret', namespace: 'scratch' },
    data: { password: Buffer.from(APP_PASSWORD).toString('base64') },
  });
  const ref = (kind: string, name: string, key: string) => ({ valueFrom: { [kind]: { name, key } } });
  create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'env-pod', namespace: 'scratch' },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          env: [
            { name: 'PIN_KEY', value: SHORT },
            { name: 'API_TOKEN', value: SCRATCH_TOKEN },
            { name: 'HOOK_URL', ...ref('configMapKeyRef', 'app-config', 'HOOK_URL') },
            { name: 'PLAIN', ...ref('configMapKeyRef', 'app-config', 'PLAIN') },
            { name: 'APP_PASSWORD', ...ref('secretKeyRef', 'app-secret', 'password') },
          ],
        },
      ],
    },
  });
}

function target(stack: Stack, pod: Case[1]): string[] {
  if (pod === 'ledger') return ['-n', 'payments', 'ledger-0'];
  if (pod === 'scratch') return ['-n', 'scratch', 'env-pod'];
  const web = stack.sandbox.store
    .list('pods', 'default')
    .map((p) => (p['metadata'] as { name: string }).name)
    .find((n) => n.startsWith('web-'));
  return ['-n', 'default', web ?? 'web-missing'];
}

async function kubectlExec(stack: Stack, kubeconfig: string, pod: Case[1], command: string[]) {
  const [flag, namespace, name] = target(stack, pod);
  return runKubectl({
    kubeconfig,
    version: '1.33',
    args: ['exec', flag!, namespace!, name!, '--', ...command],
    timeoutMs: 30_000,
  });
}

/**
 * Exec over WebSocket with a TTY (kubectl needs a terminal for that): the output of channel 1
 * until the exit Status. With a TTY the gateway flushes a partial line after 30 ms.
 */
async function ttyExec(stack: Stack, token: string, script: string): Promise<string> {
  const query = new URLSearchParams([
    ['command', 'sh'],
    ['command', '-c'],
    ['command', script],
    ['stdout', 'true'],
    ['tty', 'true'],
  ]);
  const url = `${stack.gateway.url.replace('https:', 'wss:')}/clusters/sandbox/api/v1/namespaces/payments/pods/ledger-0/exec?${query}`;
  const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
    ca: stack.gateway.caPem,
    headers: { authorization: `Bearer ${token}` },
  });
  const out: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit status: ${Buffer.concat(out)}`)), 10_000);
    ws.on('message', (data: Buffer) => {
      if (data[0] === 1) out.push(data.subarray(1));
      if (data[0] === 3) {
        clearTimeout(timer);
        ws.close();
        resolve(Buffer.concat(out).toString());
      }
    });
    ws.on('error', reject);
  });
}

describe('with recording on', () => {
  let rs: RecordingStack;
  let kubeconfig: string;
  let token: string;
  const since = Date.now();
  beforeAll(async () => {
    rs = await startRecordingStack({ policy: E2E_POLICY, config: { masking: MASKING } });
    createScratchObjects(rs.stack);
    kubeconfig = await rs.stack.kubeconfigFor('agent-1');
    token = await rs.stack.issuer.issueToken('agent-1');
  });
  afterAll(async () => {
    await rs?.close();
  });

  it.each(HOSTILE)('%s is masked', async (_what, pod, command, expected) => {
    const run = await kubectlExec(rs.stack, kubeconfig, pod, command);
    expect(run.code, run.stderr).toBe(0);
    expectNoRawValue(run.stdout + run.stderr);
    expect(run.stdout + run.stderr).toBe(expected);
  });

  it.each(LEGITIMATE)('%s still shows', async (_what, pod, command, expected) => {
    const run = await kubectlExec(rs.stack, kubeconfig, pod, command);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(expected);
  });

  it('env is still masked', async () => {
    const run = await kubectlExec(rs.stack, kubeconfig, 'ledger', ['env']);
    expect(run.code, run.stderr).toBe(0);
    expectNoRawValue(run.stdout);
    expect(run.stdout).toContain(`API_KEY=${MARKER}`);
  });

  it('with a TTY, a value written in pieces slower than the partial-line flush is masked', async () => {
    const script = `echo -n ${API_KEY.slice(0, 6)}; sleep 0.1; echo -n ${API_KEY.slice(6, 14)}; sleep 0.1; echo ${API_KEY.slice(14)}`;
    const output = await ttyExec(rs.stack, token, script);
    expectNoRawValue(output);
    expect(output.replace(/\r/g, '')).toBe(`${MARKER}\n`);
  });

  it('the recording (Redis and archive) holds no raw value', async () => {
    const sessions = await rs.sessionsSince(since);
    expect(sessions.length).toBeGreaterThan(0);
    for (const session of sessions) await rs.waitForArchived(session.id, 20_000);
    expectNoRawValue(await dumpKeys(rs.redis, `${rs.prefix}:*`));
    const dir = join(rs.stack.dir, 'data');
    const files = await readdir(dir, { recursive: true, withFileTypes: true });
    const texts = await Promise.all(
      files.filter((f) => f.isFile()).map((f) => readFile(join(f.parentPath, f.name), 'utf8')),
    );
    expect(texts.join('\n')).toContain(MARKER);
    expectNoRawValue(texts.join('\n'));
  }, 60_000);
});

describe('with recording off', () => {
  let stack: Stack;
  let kubeconfig: string;
  beforeAll(async () => {
    stack = await startStack({ policy: E2E_POLICY, config: { masking: MASKING } });
    createScratchObjects(stack);
    kubeconfig = await stack.kubeconfigFor('agent-1');
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each(HOSTILE.slice(0, 3))('%s is masked', async (_what, pod, command, expected) => {
    const run = await kubectlExec(stack, kubeconfig, pod, command);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(expected);
  });

  it.each(LEGITIMATE.slice(0, 2))('%s still shows', async (_what, pod, command, expected) => {
    const run = await kubectlExec(stack, kubeconfig, pod, command);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(expected);
  });
});
