import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import type { RequestContext } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { UpstreamTimeoutError } from './errors.ts';
import { upstreamTarget } from './upstream-request.ts';

/**
 * The upstream half of every WebSocket the gateway terminates (exec/attach, watches, logs): a
 * `ws` client to the request's own URL on the cluster, sent as the agent (impersonation headers,
 * the gateway's credential and TLS agent — the same headers forward and the byte relay send),
 * offering the subprotocols given.
 *
 * The answer is one of: open (101), response (any other HTTP answer: its `IncomingMessage`, still
 * unread, for the caller to relay — masked when it must be — and a function that releases the
 * request once it is done), or failed (network error, TLS failure, timeout). Nothing here writes
 * to the client.
 */

export type DialAnswer =
  | { kind: 'open'; ws: WebSocket }
  | { kind: 'response'; res: IncomingMessage; release: () => void }
  | { kind: 'failed'; error: Error };

export interface DialOptions {
  /** Subprotocols to offer upstream, in order. */
  protocols: string[];
  /** Adjusts the headers before the handshake (e.g. masking's JSON Accept). */
  adjustHeaders?: (headers: OutgoingHttpHeaders) => void;
  /** Largest upstream message accepted; a larger one closes the connection with 1009. */
  maxPayload?: number;
}

/** Headers `ws` writes for its own handshake; the client's copies must not be sent twice. */
const HANDSHAKE_HEADERS = [
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
];

export async function dialUpstreamWebSocket(
  ctx: RequestContext,
  identity: IdentityMapping,
  options: DialOptions,
): Promise<DialAnswer> {
  const { cluster, path, headers } = await upstreamTarget(ctx, identity, { upgrade: true });
  for (const name of HANDSHAKE_HEADERS) delete headers[name];
  options.adjustHeaders?.(headers);
  const url = new URL(path, cluster.target.baseUrl);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';

  return new Promise<DialAnswer>((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, options.protocols, {
        headers: headers as Record<string, string>,
        agent: cluster.target.agent,
        perMessageDeflate: false,
        followRedirects: false,
        ...(options.maxPayload ? { maxPayload: options.maxPayload } : {}),
      });
    } catch (error) {
      // ws refuses a subprotocol that is not an RFC 7230 token before sending anything.
      resolve({ kind: 'failed', error: error instanceof Error ? error : new Error(String(error)) });
      return;
    }
    // Our own timer rather than ws's handshakeTimeout, so that a silent cluster is reported as a
    // timeout (504), like every other request the gateway forwards.
    const timer = setTimeout(() => {
      settle({ kind: 'failed', error: new UpstreamTimeoutError() });
      ws.terminate();
    }, cluster.upstreamTimeoutMs);
    const settle = (answer: DialAnswer): void => {
      clearTimeout(timer);
      ws.off('open', onOpen);
      ws.off('error', onError);
      ws.off('unexpected-response', onUnexpected);
      resolve(answer);
    };
    const onOpen = (): void => settle({ kind: 'open', ws });
    const onError = (error: Error): void => settle({ kind: 'failed', error });
    const onUnexpected = (request: ClientRequest, res: IncomingMessage): void =>
      settle({ kind: 'response', res, release: () => request.destroy() });
    ws.once('open', onOpen);
    ws.once('error', onError);
    ws.once('unexpected-response', onUnexpected);
    // Errors after the answer (a reset mid-stream) are handled by the relay's own listeners.
    ws.on('error', () => undefined);
  });
}
