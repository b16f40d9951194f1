/**
 * The streaming seam at the wire level, with a plain WebSocket client and raw upgrade requests
 * against the real sandbox server: subprotocol negotiation (v5 and v4), the v5 close signal,
 * the initial empty message, the status-then-close ending, and that every refusal is a JSON
 * Status followed by the socket closing (never a hang).
 */
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type SandboxFixture, startSandboxFixture } from './sandbox-fixture.ts';

let fixture: SandboxFixture;
beforeAll(async () => {
  fixture = await startSandboxFixture();
});
afterAll(async () => {
  await fixture?.close();
});

const EXEC = '/api/v1/namespaces/payments/pods/ledger-0/exec';
const PORT_FORWARD = '/api/v1/namespaces/payments/pods/ledger-0/portforward';

interface Session {
  protocol: string;
  messages: Buffer[];
  closeCode: number;
}

/** Opens a WebSocket exec, sends `input` messages once open, collects everything until close. */
function wsExec(query: string, protocols: string[], input: Buffer[] = []): Promise<Session> {
  const ws = new WebSocket(`${fixture.sandbox.url}${EXEC}?${query}`, protocols, {
    ca: fixture.sandbox.caPem,
    headers: { Authorization: `Bearer ${fixture.sandbox.token}` },
  });
  const messages: Buffer[] = [];
  ws.on('open', () => {
    for (const message of input) ws.send(message);
  });
  ws.on('message', (data: Buffer) => messages.push(data));
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('close', (closeCode) => resolve({ protocol: ws.protocol, messages, closeCode }));
  });
}

/** Sends a raw upgrade request and resolves with the refusal (status code and parsed body). */
function refusedUpgrade(
  path: string,
  headers: Record<string, string>,
): Promise<{ code: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${fixture.sandbox.url}${path}`, {
      method: 'POST',
      ca: fixture.sandbox.caPem,
      headers: { Authorization: `Bearer ${fixture.sandbox.token}`, Connection: 'Upgrade', ...headers },
    });
    req.on('upgrade', () => reject(new Error('unexpected 101')));
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('WebSocket exec wire protocol', () => {
  it('v5: empty hello on stdout, output, Success on channel 3, then close 1000', async () => {
    const session = await wsExec('command=echo&command=hi&stdout=true&stderr=true', ['v5.channel.k8s.io']);
    expect(session.protocol).toBe('v5.channel.k8s.io');
    expect(session.messages.map((m) => [m[0], m.subarray(1).toString()])).toEqual([
      [1, ''],
      [1, 'hi\n'],
      [3, '{"metadata":{},"status":"Success"}'],
    ]);
    expect(session.closeCode).toBe(1000);
  });

  it('v5: [255, 0] closes stdin, so cat ends; resize messages are accepted', async () => {
    const input = [
      Buffer.from([4, ...Buffer.from('{"Width":80,"Height":24}')]),
      Buffer.from([0, ...Buffer.from('abc')]),
    ];
    input.push(Buffer.from([255, 0]));
    const session = await wsExec('command=cat&stdin=true&stdout=true', ['v5.channel.k8s.io'], input);
    expect(
      Buffer.concat(session.messages.filter((m) => m[0] === 1).map((m) => m.subarray(1))).toString(),
    ).toBe('abc');
    expect(session.messages.at(-1)?.subarray(1).toString()).toBe('{"metadata":{},"status":"Success"}');
  });

  it('v4 is accepted when v5 is not offered; exit codes travel as NonZeroExitCode', async () => {
    const session = await wsExec('command=false&stdout=true', ['v4.channel.k8s.io', 'channel.k8s.io']);
    expect(session.protocol).toBe('v4.channel.k8s.io');
    const status = JSON.parse(session.messages.at(-1)?.subarray(1).toString() ?? '{}');
    expect(session.messages.at(-1)?.[0]).toBe(3);
    expect(status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '1' }] },
    });
  });
});

describe('refused upgrades answer with a Status and close', () => {
  const ws = {
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  };
  it.each([
    [
      'exec, no supported subprotocol',
      `${EXEC}?command=env&stdout=true`,
      { ...ws, 'Sec-WebSocket-Protocol': 'channel.k8s.io' },
      400,
    ],
    [
      'exec without a command',
      `${EXEC}?stdout=true`,
      { ...ws, 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' },
      400,
    ],
    [
      'exec with no stream',
      `${EXEC}?command=env`,
      { ...ws, 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' },
      400,
    ],
    ['exec over SPDY', `${EXEC}?command=env&stdout=true`, { Upgrade: 'SPDY/3.1' }, 400],
    ['exec, unknown upgrade', `${EXEC}?command=env&stdout=true`, { Upgrade: 'h2c' }, 400],
    [
      'port-forward WebSocket without the tunnel',
      PORT_FORWARD,
      { ...ws, 'Sec-WebSocket-Protocol': 'v4.channel.k8s.io' },
      400,
    ],
    [
      'port-forward SPDY, unknown protocol',
      PORT_FORWARD,
      { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.v9' },
      403,
    ],
  ])('%s', async (_name, path, headers, code) => {
    const refusal = await refusedUpgrade(path, headers);
    expect(refusal.code).toBe(code);
    expect(refusal.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code });
  });
});
