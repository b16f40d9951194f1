import type { IncomingMessage } from 'node:http';
import { CHANNEL_PROTOCOLS } from '../upstream/exec-accept-websocket.ts';

/**
 * Why an exec or attach the gateway cannot record was refused, naming what the client actually
 * sent, so an agent fixes the right thing. Only WebSocket with a channel subprotocol
 * (v5/v4.channel.k8s.io) can be recorded frame by frame; the refusal says which of the three
 * other cases this was: SPDY (kubectl < 1.30, or its fallback), a WebSocket offering other
 * subprotocols (the old `channel.k8s.io`, `base64.channel.k8s.io`) or none, or another upgrade.
 */

const RECORDED = CHANNEL_PROTOCOLS.join(' or ');

/** The refusal for SPDY: the common case, kubectl before 1.30. */
export const SPDY_MESSAGE =
  'this gateway records every exec and attach session, and this one arrived over SPDY, which cannot ' +
  `be recorded, so it was refused. Use kubectl 1.30 or later, which uses WebSockets (${RECORDED}, ` +
  'recorded), or with kubectl 1.29 set the environment variable KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true ' +
  'and run the command again.';

function offeredProtocols(req: Pick<IncomingMessage, 'headers'>): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.toLowerCase().startsWith('base64url.bearer.authorization.k8s.io.'));
}

/** The message (after "<kind> refused: ") for an exec/attach upgrade that cannot be recorded. */
export function unrecordableMessage(req: Pick<IncomingMessage, 'headers'>): string {
  const upgrade = String(req.headers.upgrade ?? '').trim();
  if (upgrade.toLowerCase().startsWith('spdy/')) return SPDY_MESSAGE;
  if (upgrade.toLowerCase() === 'websocket') {
    const offered = offeredProtocols(req);
    const what =
      offered.length === 0
        ? 'with no subprotocol'
        : `offering only the subprotocol${offered.length > 1 ? 's' : ''} ${offered
            .slice(0, 5)
            .map((p) => JSON.stringify(p.slice(0, 60)))
            .join(', ')}`;
    return (
      `this gateway records every exec and attach session, and this one arrived over WebSocket ${what}, ` +
      `which it cannot record frame by frame (it records ${RECORDED}), so it was refused. Offer ` +
      `${CHANNEL_PROTOCOLS[0]} in Sec-WebSocket-Protocol (kubectl 1.30 or later does) and run the command again.`
    );
  }
  return (
    `this gateway records every exec and attach session, and this one asked to upgrade to ${JSON.stringify(upgrade.slice(0, 60))}, ` +
    `which it cannot record, so it was refused. Use a WebSocket with ${RECORDED} (kubectl 1.30 or later does).`
  );
}
