/**
 * The sandbox API server's streaming subresources: `pods/exec`, `pods/attach` and
 * `pods/portforward`, entered from the server's `'upgrade'` event once the caller is
 * authenticated and the pod found.
 *
 * What is served, by what kubectl sends:
 *
 * - exec/attach, `Upgrade: websocket`, subprotocol `v5.channel.k8s.io` (or v4): kubectl ≥ 1.30,
 *   and 1.29 with `KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true` → 101 and a session
 *   ({@link ./exec-session.ts});
 * - exec/attach, `Upgrade: SPDY/3.1`: kubectl 1.29, and the fallback of ≥ 1.30 after a refused
 *   WebSocket → 400 Status saying to use WebSockets;
 * - portforward, `Upgrade: websocket`, subprotocol `SPDY/3.1+portforward.k8s.io`: kubectl ≥ 1.31
 *   → 101, then SPDY/3.1 frames inside binary messages ({@link ./portforward.ts});
 * - portforward, `Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`: kubectl
 *   1.29 and 1.30 (and the fallback of ≥ 1.31) → 101, then SPDY/3.1 on the socket.
 *
 * Every refusal is an HTTP error with a JSON `Status` body, written before any upgrade, and the
 * socket is ended, so no client is left waiting. Exec/attach requests are validated before the
 * transport is considered, so the SPDY retry of a failed WebSocket exec reports the same error.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { kubeStatus, StatusError } from '../../../../src/errors.ts';
import { EXEC_SUBPROTOCOLS, negotiate } from './channel-protocol.ts';
import { runExecSession } from './exec-session.ts';
import { type EnvSourceLookup, parseExecTarget } from './exec-target.ts';
import { acceptSpdyUpgrade, headerValues, refuseUpgrade } from './http-reply.ts';
import { servePortForward } from './portforward.ts';

export { activeStreamCounts } from './active.ts';
export { echoServerConnections, echoServerPort } from './echo-server.ts';

/** The port-forward protocol kubelet speaks over SPDY. */
const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** Its WebSocket tunnel subprotocol (apiserver `streamtunnel.go`): SPDY frames in binary messages. */
const PORT_FORWARD_TUNNEL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

export interface StreamTarget {
  kind: 'exec' | 'attach' | 'portforward';
  namespace: string;
  /** The stored Pod object (metadata, spec.containers[].env[], status…). */
  pod: Record<string, unknown>;
  query: URLSearchParams;
  /** Resolves `secretKeyRef`/`configMapKeyRef` env values in the pod's namespace. */
  lookup?: EnvSourceLookup;
}

const execServer = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  handleProtocols: (offered) => negotiate([...offered], EXEC_SUBPROTOCOLS) ?? false,
});

/**
 * ws validates subprotocols as RFC 7230 tokens and answers 400 to `SPDY/3.1+portforward.k8s.io`
 * ('/' is a separator there; gorilla/websocket, which kubectl and kube-apiserver use, does not
 * care). So the tunnel's subprotocol is negotiated here: the header is taken off the request
 * before ws sees it, and the answer is added to ws's response headers.
 */
const tunnelServer = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
tunnelServer.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_TUNNEL}`));

/** Serves one streaming upgrade; never throws, never leaves the socket hanging. */
export function handleStreamUpgrade(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: StreamTarget,
): void {
  try {
    const upgrade = headerValues(req.headers.upgrade).map((v) => v.toLowerCase());
    const websocket = upgrade.includes('websocket');
    const spdy = upgrade.includes('spdy/3.1');
    if (target.kind === 'portforward') {
      upgradePortForward(req, socket, head, target, websocket, spdy);
      return;
    }
    const exec = parseExecTarget(target.kind, target.namespace, target.pod, target.query, target.lookup);
    if (websocket) {
      const offered = headerValues(req.headers['sec-websocket-protocol']);
      if (!negotiate(offered, EXEC_SUBPROTOCOLS)) {
        throw badRequest(
          `unable to upgrade: ${target.kind} needs one of the WebSocket subprotocols ` +
            `${EXEC_SUBPROTOCOLS.join(', ')}; the request offered [${offered.join(', ')}]`,
        );
      }
      execServer.handleUpgrade(req, socket, head, (ws) => void runExecSession(ws, exec));
    } else if (spdy) {
      throw badRequest(
        `${target.kind} over SPDY is not supported by this sandbox: use WebSockets. kubectl 1.30 and ` +
          'later do so by default; with kubectl 1.29 set KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true.',
      );
    } else {
      throw badRequest('Upgrade request required');
    }
  } catch (error) {
    const status =
      error instanceof StatusError
        ? error.toStatus()
        : kubeStatus(500, 'InternalError', `streaming ${target.kind} failed: ${String(error)}`);
    refuseUpgrade(socket, status);
  }
}

function upgradePortForward(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: StreamTarget,
  websocket: boolean,
  spdy: boolean,
): void {
  const metadata = target.pod['metadata'];
  const field = (name: string): string => {
    const value = typeof metadata === 'object' && metadata !== null ? Reflect.get(metadata, name) : undefined;
    return typeof value === 'string' ? value : '';
  };
  const forward = { namespace: target.namespace, pod: field('name'), uid: field('uid') };

  if (websocket) {
    const offered = headerValues(req.headers['sec-websocket-protocol']);
    if (!negotiate(offered, [PORT_FORWARD_TUNNEL])) {
      throw badRequest(
        `unable to upgrade: no tunneling spdy protocols provided (port-forward over WebSocket needs ` +
          `the subprotocol ${PORT_FORWARD_TUNNEL}; the request offered [${offered.join(', ')}])`,
      );
    }
    delete req.headers['sec-websocket-protocol'];
    tunnelServer.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', () => {});
      servePortForward(stream, forward);
    });
    return;
  }
  if (!spdy) throw badRequest('Upgrade request required');
  const offered = headerValues(req.headers['x-stream-protocol-version']);
  if (offered.length > 0 && !offered.includes(PORT_FORWARD_PROTOCOL)) {
    throw new StatusError(
      403,
      'Forbidden',
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(', ')}], ` +
        `server supports [${PORT_FORWARD_PROTOCOL}]`,
    );
  }
  acceptSpdyUpgrade(socket, PORT_FORWARD_PROTOCOL);
  if (head.length > 0) socket.unshift(head);
  servePortForward(socket, forward);
}

function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}
