/**
 * The real kubectl 1.29, 1.31 and 1.33 through the gateway, with access tokens from the real
 * OpenID provider and the demo policy's agent rules (policy.ts): reads, writes in `scratch`, watch, logs, exec,
 * port-forward, and refusals. For every command the sandbox must have seen the agent's
 * impersonated identity and the gateway's own credential (never the agent's token); refused
 * commands must not have reached the sandbox at all.
 *
 * One stack per version (the sandbox's `/version` reports it, so the dispatcher would pick the
 * same binary); the versions run one after another.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { prepareCreate } from '@hoop-gateway/sandbox/objects/admit';
import { resourceTypeNamed } from '@hoop-gateway/sandbox/resources';
import type { RecordedRequest } from '@hoop-gateway/sandbox/server';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  describeEachKubectl,
  type KubectlResult,
  runKubectl,
  spawnKubectl,
  waitForOutput,
} from '../support/kubectl.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { eventually, expectForwardedAs, sandboxRequestsDuring, tokenOf } from './helpers.ts';
import { E2E_POLICY, NAMESPACE_DELETE_MESSAGE, PORT_FORWARD_PAYMENTS_MESSAGE } from './policy.ts';

const AGENT = 'agent-1';
const GROUPS = ['ai-agents'];

const VERSIONS: Array<[string, Record<string, string>]> = [
  // kubectl 1.29 speaks WebSocket exec only when asked; its port-forward is SPDY/3.1.
  ['1.29', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' }],
  ['1.31', {}],
  ['1.33', {}],
];

/** Data in a ConfigMap as the sandbox stores it. */
function configMapData(stack: Stack, name: string): Record<string, string> | undefined {
  const object = stack.sandbox.store.get('configmaps', 'scratch', name);
  return object ? ((object['data'] ?? {}) as Record<string, string>) : undefined;
}

function configMapYaml(name: string, data: Record<string, string>): string {
  const lines = Object.entries(data).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: scratch\ndata:\n${lines.join('\n')}\n`;
}

/** Sends `payload` through a local port, half-closes, resolves with all that came back. */
function roundTrip(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.end(payload));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.kill('SIGKILL');
  });
}

describeEachKubectl(VERSIONS, 'kubectl %s through the gateway', (version, versionEnv) => {
  let stack: Stack;
  let kubeconfig: string;
  let token: string;
  let children: ChildProcess[] = [];

  beforeAll(async () => {
    stack = await startStack({ kubeVersion: version, policy: E2E_POLICY });
    kubeconfig = await stack.kubeconfigFor(AGENT);
    token = await tokenOf(kubeconfig);
  });
  afterAll(async () => {
    await stack?.close();
  });
  afterEach(async () => {
    await Promise.all(children.map(stopped));
    children = [];
  });

  /** Runs kubectl to completion and returns its result with the sandbox requests it caused. */
  const kubectl = (
    args: string[],
    stdin?: string,
  ): Promise<{ result: KubectlResult; requests: RecordedRequest[] }> =>
    sandboxRequestsDuring(stack, () =>
      runKubectl({ kubeconfig, version, env: versionEnv, args, ...(stdin === undefined ? {} : { stdin }) }),
    );
  const spawn = (args: string[]): ChildProcess => {
    const child = spawnKubectl({ kubeconfig, version, env: versionEnv, args, timeoutMs: 30_000 });
    children.push(child);
    return child;
  };
  /** Asserts success and that every request it caused reached the sandbox as the agent. */
  const expectOk = (run: { result: KubectlResult; requests: RecordedRequest[] }): string => {
    expect(run.result.stderr).toBe('');
    expect(run.result.code).toBe(0);
    expectForwardedAs(run.requests, AGENT, GROUPS, token);
    return run.result.stdout;
  };

  it('the sandbox reports the version under test', async () => {
    const run = await kubectl(['version', '-o', 'json']);
    const out = JSON.parse(expectOk(run)) as {
      clientVersion: { minor: string };
      serverVersion: { minor: string };
    };
    expect(out.clientVersion.minor).toBe(version.split('.')[1]);
    expect(out.serverVersion.minor).toBe(version.split('.')[1]);
  });

  it('get: one object and a table', async () => {
    const one = await kubectl(['get', 'pod', 'ledger-0', '-n', 'payments', '-o', 'json']);
    const pod = JSON.parse(expectOk(one)) as { metadata: { name: string; namespace: string } };
    expect(pod.metadata).toMatchObject({ name: 'ledger-0', namespace: 'payments' });
    expect(one.requests.map((r) => `${r.method} ${r.path}`)).toContain(
      'GET /api/v1/namespaces/payments/pods/ledger-0',
    );

    const table = expectOk(await kubectl(['get', 'pods', '-n', 'payments']));
    expect(table).toMatch(/^NAME\s+READY\s+STATUS/);
    expect(table).toMatch(/^ledger-0\s+1\/1\s+Running/m);
  });

  it('list with a label selector returns exactly the matching pods', async () => {
    const webPods = stack.sandbox.store
      .list('pods', 'default')
      .map((p) => `pod/${(p['metadata'] as { name: string }).name}`)
      .filter((n) => n.startsWith('pod/web-'));
    expect(webPods).toHaveLength(2);

    const run = await kubectl(['get', 'pods', '-A', '-l', 'app=web', '-o', 'name']);
    expect(expectOk(run).trim().split('\n').sort()).toEqual(webPods.sort());
    const list = run.requests.find((r) => r.path === '/api/v1/pods');
    expect(new URLSearchParams(list?.query).get('labelSelector')).toBe('app=web');

    const none = await kubectl(['get', 'pods', '-A', '-l', 'app=nothing-has-this']);
    expect(none.result).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found\n' });
    expectForwardedAs(none.requests, AGENT, GROUPS, token);
  });

  it('describe', async () => {
    const out = expectOk(await kubectl(['describe', 'pod', 'ledger-0', '-n', 'payments']));
    expect(out).toMatch(/^Name:\s+ledger-0$/m);
    expect(out).toMatch(/^Namespace:\s+payments$/m);
    expect(out).toMatch(/Image:\s+ghcr\.io\/example\/ledger:2\.4\.1/);
  });

  it('create -f, apply (client-side, then server-side), patch and delete in scratch', async () => {
    const created = `e2e-created-${version.replace('.', '-')}`;
    const applied = `e2e-applied-${version.replace('.', '-')}`;
    const file = (name: string) => join(stack.dir, `${name}.yaml`);

    await writeFile(file(created), configMapYaml(created, { step: 'created' }));
    expect(expectOk(await kubectl(['create', '-f', file(created)]))).toBe(`configmap/${created} created\n`);
    expect(configMapData(stack, created)).toEqual({ step: 'created' });

    await writeFile(file(applied), configMapYaml(applied, { step: 'applied-1' }));
    expect(expectOk(await kubectl(['apply', '-f', file(applied)]))).toBe(`configmap/${applied} created\n`);
    await writeFile(file(applied), configMapYaml(applied, { step: 'applied-2' }));
    expect(expectOk(await kubectl(['apply', '-f', file(applied)]))).toBe(`configmap/${applied} configured\n`);
    expect(configMapData(stack, applied)).toEqual({ step: 'applied-2' });

    await writeFile(file(applied), configMapYaml(applied, { step: 'server-side' }));
    const ssa = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', file(applied)]);
    expect(expectOk(ssa)).toBe(`configmap/${applied} serverside-applied\n`);
    expect(
      ssa.requests.some(
        (r) => r.method === 'PATCH' && r.headers.contentType === 'application/apply-patch+yaml',
      ),
    ).toBe(true);
    expect(configMapData(stack, applied)).toEqual({ step: 'server-side' });

    const patch = await kubectl([
      'patch',
      'configmap',
      created,
      '-n',
      'scratch',
      '-p',
      '{"data":{"step":"patched"}}',
    ]);
    expect(expectOk(patch)).toBe(`configmap/${created} patched\n`);
    expect(configMapData(stack, created)).toEqual({ step: 'patched' });

    const del = await kubectl(['delete', 'configmap', created, applied, '-n', 'scratch']);
    expect(expectOk(del)).toBe(`configmap "${created}" deleted\nconfigmap "${applied}" deleted\n`);
    expect(configMapData(stack, created)).toBeUndefined();
    expect(configMapData(stack, applied)).toBeUndefined();
  });

  it('get -w streams an event written after the watch started', async () => {
    const name = `e2e-watched-${version.replace('.', '-')}`;
    const before = stack.sandbox.requests.length;
    const child = spawn(['get', 'configmaps', '-n', 'scratch', '-w']);
    await waitForOutput(child, /^notes\s/m);
    // The watch is open; an object created now must arrive on it while kubectl keeps running.
    stack.sandbox.store.create(
      'configmaps',
      prepareCreate(resourceTypeNamed('configmaps'), 'scratch', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'scratch' },
        data: { via: 'store' },
      }),
    );
    await waitForOutput(child, new RegExp(`^${name}\\s`, 'm'));
    expect(child.exitCode).toBeNull();
    const requests = stack.sandbox.requests.slice(before);
    expect(requests.some((r) => new URLSearchParams(r.query).get('watch') === 'true')).toBe(true);
    expectForwardedAs(requests, AGENT, GROUPS, token);
    await stopped(child);
    stack.sandbox.store.delete('configmaps', 'scratch', name);
  });

  it('logs prints the container log', async () => {
    const out = expectOk(await kubectl(['logs', 'ledger-0', '-n', 'payments']));
    expect(out).toBe(
      'ledger: booting settlement engine 2.4.1\nledger: loaded 1,204 pending transfers\n' +
        'ledger: settlement window 24h, currency EUR\nledger: listening on :9090\n',
    );
  });

  it('logs -f delivers new lines while the stream is open', async () => {
    const before = stack.sandbox.requests.length;
    const child = spawn(['logs', '-f', 'ledger-0', '-n', 'payments']);
    await waitForOutput(child, /ledger: listening on :9090\n/);
    // Heartbeats are written by the sandbox one by one after the initial lines; two of them
    // arriving while kubectl still runs means the gateway did not hold the body back.
    await waitForOutput(child, /heartbeat 2, all systems nominal\n/);
    expect(child.exitCode).toBeNull();
    const requests = stack.sandbox.requests.slice(before);
    expect(requests.some((r) => r.path === '/api/v1/namespaces/payments/pods/ledger-0/log')).toBe(true);
    expectForwardedAs(requests, AGENT, GROUPS, token);
  });

  it('exec -i cat echoes stdin; exit codes come back', async () => {
    const input = 'hello through the gateway\n'.repeat(50);
    const cat = await kubectl(['exec', '-i', '-n', 'payments', 'ledger-0', '--', 'cat'], input);
    expect(expectOk(cat)).toBe(input);
    // WebSocket (GET) only: no refused attempt and no SPDY retry.
    expect(cat.requests.filter((r) => r.path.endsWith('/exec')).map((r) => r.method)).toEqual(['GET']);

    const exit = await kubectl(['exec', '-n', 'payments', 'ledger-0', '--', 'sh', '-c', 'exit 3']);
    expect(exit.result.code).toBe(3);
    expect(exit.result.stderr).toBe('command terminated with exit code 3\n');
    expectForwardedAs(exit.requests, AGENT, GROUPS, token);
  });

  it('an upgrade the cluster refuses is relayed as the cluster’s Status', async () => {
    // Unknown container: the sandbox answers the WebSocket attempt (and kubectl's SPDY retry)
    // with a 400 Status instead of 101; the gateway must pass that answer through unchanged.
    const run = await kubectl(['exec', '-n', 'payments', 'ledger-0', '-c', 'nope', '--', 'env']);
    expect(run.result).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error from server (BadRequest): container nope is not valid for pod ledger-0\n',
    });
    expect(run.requests.filter((r) => r.path.endsWith('/exec')).length).toBeGreaterThan(0);
    expectForwardedAs(run.requests, AGENT, GROUPS, token);
  });

  it.runIf(version === '1.29')('exec over SPDY (1.29 default) gets the sandbox’s own refusal', async () => {
    const run = await sandboxRequestsDuring(stack, () =>
      runKubectl({ kubeconfig, version, args: ['exec', '-n', 'payments', 'ledger-0', '--', 'env'] }),
    );
    expect(run.result.code).toBe(1);
    expect(run.result.stderr).toMatch(/^Error from server \(BadRequest\): exec over SPDY is not supported/);
    expect(run.requests.filter((r) => r.path.endsWith('/exec')).map((r) => r.method)).toEqual(['POST']);
    expectForwardedAs(run.requests, AGENT, GROUPS, token);
  });

  it('port-forward round-trips to the pod (default namespace)', async () => {
    const pod = stack.sandbox.store
      .list('pods', 'default')
      .map((p) => (p['metadata'] as { name: string }).name)
      .find((n) => n.startsWith('web-'));
    expect(pod).toBeDefined();
    const before = stack.sandbox.requests.length;
    const child = spawn(['port-forward', '-n', 'default', `pod/${pod}`, ':8080']);
    const printed = await waitForOutput(child, /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
    const port = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(printed)?.[1]);
    expect(await roundTrip(port, 'ping via gateway')).toBe('ping via gateway');
    expect(await roundTrip(port, 'second connection')).toBe('second connection');
    const requests = stack.sandbox.requests.slice(before);
    // kubectl 1.29 speaks SPDY/3.1 (POST upgrade); 1.31 and later tunnel it in a WebSocket (GET).
    expect(requests.filter((r) => r.path.endsWith('/portforward')).map((r) => r.method)).toEqual([
      version === '1.29' ? 'POST' : 'GET',
    ]);
    expectForwardedAs(requests, AGENT, GROUPS, token);
  });

  it('delete namespace scratch is refused with the rule message and never reaches the sandbox', async () => {
    const run = await kubectl(['delete', 'namespace', 'scratch']);
    expect(run.result.code).toBe(1);
    expect(run.result.stdout).toBe('');
    expect(run.result.stderr).toMatch(
      /^Error from server \(Forbidden\): hoop-gateway policy rule "no-namespace-delete" denies "delete" on namespaces "scratch"/,
    );
    expect(run.result.stderr).toContain(NAMESPACE_DELETE_MESSAGE);
    expect(run.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(stack.sandbox.store.get('namespaces', '', 'scratch')).toBeDefined();
  });

  it('port-forward in payments is refused with the rule message and never reaches the sandbox', async () => {
    const run = await kubectl(['port-forward', '-n', 'payments', 'pod/ledger-0', ':9090']);
    expect(run.result.code).toBe(1);
    // kubectl words a refused upgrade this way whatever the server (kube-apiserver's RBAC
    // refusals read `error: error upgrading connection: pods "x" is forbidden: …`).
    expect(run.result.stderr).toMatch(
      /^error: error upgrading connection: hoop-gateway policy rule "no-port-forward-in-payments" denies "create" on pods\/portforward "ledger-0"/,
    );
    expect(run.result.stderr).toContain(PORT_FORWARD_PAYMENTS_MESSAGE);
    expect(run.requests.filter((r) => r.path.endsWith('/portforward'))).toEqual([]);
    // The gateway answered each attempt (WebSocket, then the SPDY fallback) with a 403.
    // The log line is written when the refused socket closes, which may be just after kubectl exits.
    const refusals = () =>
      stack.logLines
        .map(
          (l) => JSON.parse(l) as { resource?: string; namespace?: string; status?: number; rule?: string },
        )
        .filter((l) => l.resource === 'pods/portforward' && l.namespace === 'payments');
    await eventually(() => refusals().length > 0, 'a log line for the refused port-forward');
    for (const line of refusals())
      expect(line).toMatchObject({ status: 403, rule: 'no-port-forward-in-payments' });
  });

  it('a change outside scratch is refused (default deny) and never reaches the sandbox', async () => {
    const run = await kubectl(['-n', 'payments', 'delete', 'configmap', 'ledger-config']);
    expect(run.result.code).toBe(1);
    expect(run.result.stderr).toMatch(
      /^Error from server \(Forbidden\): hoop-gateway policy denies "delete" on configmaps "ledger-config" in namespace "payments"/,
    );
    expect(run.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(stack.sandbox.store.get('configmaps', 'payments', 'ledger-config')).toBeDefined();
  });

  it('the agent token appears neither in the gateway log nor in anything the sandbox recorded', () => {
    expect(stack.logLines.length).toBeGreaterThan(10);
    for (const line of stack.logLines) expect(line).not.toContain(token);
    expect(JSON.stringify(stack.sandbox.requests)).not.toContain(token);
    // And the log does know who acted: the agent, as the issuer asserted it.
    expect(stack.logLines.some((l) => l.includes(`"subject":"${AGENT}"`))).toBe(true);
  });
});
