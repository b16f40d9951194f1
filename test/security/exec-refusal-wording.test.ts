/**
 * The refusal of an exec the gateway cannot record names the real cause. With recording on, an
 * exec or attach is relayed only over WebSocket with a channel subprotocol (v4/v5.channel.k8s.io),
 * frame by frame; anything else is refused with a 403 an agent acts on. A WebSocket exec offering
 * only an unrecordable subprotocol (the old `channel.k8s.io`, `base64.channel.k8s.io`, or none)
 * was told it "arrived over SPDY", which sends the agent looking for the wrong fix. Each refusal
 * must name what was actually sent; the recordable exec still works.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { expectStatus, gatewayRequest, sandboxRequestsDuring } from '../e2e/helpers.ts';
import { E2E_POLICY } from '../e2e/policy.ts';
import { type Stack, startStack } from '../support/stack.ts';

const EXEC = '/clusters/sandbox/api/v1/namespaces/payments/pods/ledger-0/exec?command=env&stdout=true';

let stack: Stack;
let token: string;
beforeAll(async () => {
  stack = await startStack({ policy: E2E_POLICY, config: { recording: {} } });
  token = await stack.issuer.issueToken('agent-1');
});
afterAll(async () => {
  await stack?.close();
});

function websocket(protocol: string | undefined): OutgoingHttpHeaders {
  return {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-key': Buffer.from(randomUUID().slice(0, 16)).toString('base64'),
    'sec-websocket-version': '13',
    ...(protocol ? { 'sec-websocket-protocol': protocol } : {}),
  };
}

describe('an exec the gateway cannot record', () => {
  const cases: Array<[string, string, OutgoingHttpHeaders, RegExp, RegExp]> = [
    [
      'WebSocket with the old channel.k8s.io subprotocol',
      'GET',
      websocket('channel.k8s.io'),
      /WebSocket/,
      /"channel\.k8s\.io"/,
    ],
    [
      'WebSocket with base64.channel.k8s.io',
      'GET',
      websocket('base64.channel.k8s.io'),
      /WebSocket/,
      /"base64\.channel\.k8s\.io"/,
    ],
    ['WebSocket with no subprotocol', 'GET', websocket(undefined), /WebSocket/, /no subprotocol/],
    [
      'SPDY/3.1',
      'POST',
      { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' },
      /SPDY/,
      /kubectl 1\.30/,
    ],
  ];

  it.each(cases)('%s → 403 naming that cause', async (what, method, headers, cause, detail) => {
    const { result, requests } = await sandboxRequestsDuring(stack, () =>
      gatewayRequest(stack, { method, path: EXEC, token, headers }),
    );
    const status = expectStatus(result, 403, 'Forbidden');
    expect(status.message).toMatch(cause);
    expect(status.message).toMatch(detail);
    if (what.startsWith('WebSocket')) expect(status.message).not.toMatch(/SPDY/);
    expect(status.message).toMatch(/v5\.channel\.k8s\.io/); // what would be recorded
    expect(requests).toEqual([]);
  });

  it('control: a WebSocket exec with v5.channel.k8s.io runs (and is recorded)', async () => {
    const url = `${stack.clusterUrl().replace(/^https/, 'wss')}/api/v1/namespaces/payments/pods/ledger-0/exec?command=echo&command=hi&stdout=true`;
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
      ca: stack.gateway.caPem,
      headers: { Authorization: `Bearer ${token}` },
    });
    const output: Buffer[] = [];
    ws.on('message', (data: Buffer) => {
      if (data[0] === 1) output.push(data.subarray(1));
    });
    await once(ws, 'close');
    expect(Buffer.concat(output).toString()).toBe('hi\n');
  });
});
