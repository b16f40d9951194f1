import type { IncomingMessage } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { kubeStatus } from '../../src/errors.ts';
import { type RequestContext, upgradeRequest } from '../request-context.ts';
import type { UpstreamAnswer } from './exec-dial-websocket.ts';

/**
 * The client half of a recorded exec/attach: completes kubectl's WebSocket handshake with the
 * `ws` server (`handleUpgrade` on the socket the gateway already holds) and the subprotocol the
 * upstream chose. kubectl ≥ 1.30 retries an exec over SPDY after any non-101 answer, and the
 * gateway refuses SPDY exec; so once a call is allowed the client is always accepted, and an
 * upstream that refused or failed is reported in-band, the way kube-apiserver reports a failed
 * command: a Status on channel 3, then a normal close. kubectl prints its message and exits.
 */

/** Remote-command subprotocols relayed frame by frame (binary channel framing, v5 has close). */
export const CHANNEL_PROTOCOLS: readonly string[] = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** The subprotocol each pending handshake must answer with. */
const chosen = new WeakMap<IncomingMessage, string>();

const server = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  handleProtocols: (offered, req) => {
    const protocol = chosen.get(req);
    return protocol !== undefined && offered.has(protocol) ? protocol : false;
  },
});

/** The channel-protocol subprotocols the client offered, in its order. */
export function offeredChannelProtocols(req: Pick<IncomingMessage, 'headers'>): string[] {
  const header = req.headers['sec-websocket-protocol'];
  const values = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim());
  return values.filter((p) => CHANNEL_PROTOCOLS.includes(p));
}

/**
 * Completes the client's handshake with `protocol`; undefined when the client is gone first (or
 * its handshake was invalid: `ws` then answers 400 itself and closes the socket).
 */
export function acceptClient(ctx: RequestContext, protocol: string): Promise<WebSocket | undefined> {
  const upgrade = ctx.upgrade;
  if (!upgrade) throw new Error('pipeline wiring: acceptClient without an upgrade socket');
  if (upgrade.socket.destroyed) return Promise.resolve(undefined);
  const req = upgradeRequest(ctx);
  chosen.set(req, protocol);
  return new Promise((resolve) => {
    const gone = (): void => resolve(undefined);
    upgrade.socket.once('close', gone);
    server.handleUpgrade(req, upgrade.socket, upgrade.head, (ws) => {
      upgrade.socket.off('close', gone);
      ws.on('error', () => undefined);
      ctx.clientWebSocket = ws;
      resolve(ws);
    });
  });
}

/** One channel message: the channel byte, then the payload. */
export function channelMessage(channel: number, payload: Uint8Array): Buffer {
  const message = Buffer.allocUnsafe(payload.length + 1);
  message[0] = channel;
  message.set(payload, 1);
  return message;
}

/** The Status to hand the client in-band for an upstream that did not open the stream. */
export function inBandStatus(answer: Exclude<UpstreamAnswer, { kind: 'open' }>, cluster: string): Buffer {
  if (answer.kind === 'refused') {
    try {
      const body = JSON.parse(answer.body.toString('utf8')) as { kind?: unknown; message?: unknown };
      if (body.kind === 'Status' && typeof body.message === 'string') return answer.body;
    } catch {
      // Not a Status: described below.
    }
    const text = answer.body.toString('utf8').slice(0, 500).trim();
    return Buffer.from(
      JSON.stringify(
        kubeStatus(
          answer.status,
          'InternalError',
          `cluster ${cluster} answered ${answer.status}${text ? `: ${text}` : ''}`,
        ),
      ),
    );
  }
  return Buffer.from(
    JSON.stringify(
      kubeStatus(
        502,
        'InternalError',
        `the gateway could not open the stream on cluster ${cluster} (${answer.error.message}); retry, and ` +
          'if it persists the platform team should check the cluster is reachable from the gateway',
      ),
    ),
  );
}

/** Closes `target` the way `code` closed the other side (codes that cannot be sent become 1011). */
export function forwardClose(target: WebSocket, code: number, reason: Buffer | string): void {
  if (target.readyState === WebSocket.CLOSING || target.readyState === WebSocket.CLOSED) return;
  if (code === 1005) target.close();
  else if (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  ) {
    target.close(code, reason);
  } else target.close(1011, 'the other side of the stream went away');
}
