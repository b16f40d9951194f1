/**
 * pods/exec and pods/attach with the real kubectl against the real sandbox server: WebSocket
 * `v5.channel.k8s.io` at 1.29 (opted in), 1.31 and 1.33; stdin close, exit codes, env, errors
 * that must read the same on the SPDY retry, and teardown when the client dies mid-command.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  describeEachKubectl,
  describeWithKubectl,
  runKubectl,
  spawnKubectl,
} from '../../../../test/support/kubectl.ts';
import { SEED_VALUES } from '../../src/server.ts';
import { activeStreamCounts } from '../../src/streams/index.ts';
import {
  type SandboxFixture,
  startSandboxFixture,
  streamRequestMethods,
  waitForNoActiveStreams,
} from './sandbox-fixture.ts';

let fixture: SandboxFixture;
beforeAll(async () => {
  fixture = await startSandboxFixture();
});
afterAll(async () => {
  await fixture?.close();
});
beforeEach(() => {
  fixture.sandbox.requests.length = 0;
});

const POD = ['-n', 'payments', 'ledger-0'];

const VERSIONS: Array<[string, Record<string, string>]> = [
  ['1.29', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' }],
  ['1.31', {}],
  ['1.33', {}],
];

describeEachKubectl(VERSIONS, 'kubectl %s exec over WebSocket', (version, env) => {
  const kubectl = (args: string[], stdin?: string) =>
    runKubectl({
      kubeconfig: fixture.kubeconfig,
      version,
      env,
      args,
      ...(stdin === undefined ? {} : { stdin }),
    });

  it('exec -i cat echoes stdin and ends when stdin closes', async () => {
    const input = 'first line\nsecond line\n'.repeat(200);
    const result = await kubectl(['exec', '-i', ...POD, '--', 'cat'], input);
    expect(result).toMatchObject({ code: 0, stdout: input, stderr: '' });
    // One GET: the WebSocket upgrade, with no SPDY (POST) retry.
    expect(streamRequestMethods(fixture.sandbox, 'exec')).toEqual(['GET']);
  });

  it("exec sh -c 'exit 3' exits 3, stdout and stderr kept apart", async () => {
    const result = await kubectl(['exec', ...POD, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\ncommand terminated with exit code 3\n');
  });

  it('exec env prints HOSTNAME, the literal env and the secretKeyRef value, resolved', async () => {
    const result = await kubectl(['exec', ...POD, '--', 'env']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      `HOSTNAME=ledger-0\nAPI_KEY=${SEED_VALUES.ledgerApiKey}\nDB_PASSWORD=${SEED_VALUES.ledgerDbPassword}\n`,
    );
  });
});

describeWithKubectl(['1.29', '1.33'], 'kubectl exec and attach, other paths', () => {
  it('kubectl 1.29 over SPDY is refused with a Status that says how to use WebSockets', async () => {
    const result = await runKubectl({
      kubeconfig: fixture.kubeconfig,
      version: '1.29',
      args: ['exec', ...POD, '--', 'env'],
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error from server \(BadRequest\): exec over SPDY is not supported/);
    expect(result.stderr).toContain('KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true');
    expect(streamRequestMethods(fixture.sandbox, 'exec')).toEqual(['POST']);
  });

  it('a bad container fails the same way on the WebSocket try and the SPDY retry', async () => {
    const result = await runKubectl({
      kubeconfig: fixture.kubeconfig,
      version: '1.33',
      args: ['exec', ...POD, '-c', 'nope', '--', 'env'],
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error from server (BadRequest): container nope is not valid for pod ledger-0\n',
    );
    expect(streamRequestMethods(fixture.sandbox, 'exec')).toEqual(['GET', 'POST']);
  });

  it('an unknown command exits 127 with sh: X: not found', async () => {
    const result = await runKubectl({
      kubeconfig: fixture.kubeconfig,
      version: '1.33',
      args: ['exec', ...POD, '--', 'nosuch'],
    });
    expect(result).toMatchObject({
      code: 127,
      stderr: 'sh: nosuch: not found\ncommand terminated with exit code 127\n',
    });
  });

  it('attach -i prints the greeting and echoes stdin until it closes', async () => {
    const result = await runKubectl({
      kubeconfig: fixture.kubeconfig,
      version: '1.33',
      args: ['attach', '-i', ...POD],
      stdin: 'ping\n',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'Attached to container ledger of pod payments/ledger-0: its main process echoes what you send.\nping\n',
    );
  });

  it('killing kubectl mid-command aborts the command and frees the session', async () => {
    const child = spawnKubectl({
      kubeconfig: fixture.kubeconfig,
      version: '1.33',
      args: ['exec', ...POD, '--', 'sleep', '60'],
    });
    const deadline = Date.now() + 10_000;
    while (activeStreamCounts().exec === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(activeStreamCounts().exec).toBe(1);
    child.kill('SIGKILL');
    await waitForNoActiveStreams();
  });
});
