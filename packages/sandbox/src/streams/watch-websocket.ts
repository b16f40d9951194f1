/**
 * Watch over WebSocket, as kube-apiserver serves it (`WatchServer.HandleWS`): a `GET …?watch=1`
 * with `Upgrade: websocket` on any watchable resource is answered 101, then every watch event
 * is one WebSocket message — JSON, so a text frame — holding `{"type":…,"object":…}\n`, exactly
 * the line the chunked HTTP watch would have written. The events are the same ones
 * (handlers/watch.ts: initial ADDED events, resourceVersion replay, selectors, Tables,
 * `timeoutSeconds`). The server closes with 1000 when the watch ends (timeout, 410 Expired);
 * the client closing ends the watch.
 *
 * A subprotocol the client offers is echoed (the first one), as golang.org/x/net/websocket does
 * for the single protocol browsers send; none is required.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { streamWatchEvents } from '../handlers/watch.ts';
import type { HandlerContext } from '../http/context.ts';

const watchServer = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  handleProtocols: (offered) => offered.values().next().value ?? false,
});

/** Completes the WebSocket handshake on `socket` and streams the watch `ctx` asks for into it. */
export function serveWatchWebSocket(
  ctx: Omit<HandlerContext, 'res'>,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  watchServer.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', () => ws.terminate());
    let over = false;
    const stops: Array<() => void> = [];
    const finish = (): void => {
      if (over) return;
      over = true;
      for (const stop of stops) stop();
    };
    ws.once('close', finish);
    streamWatchEvents(ctx, {
      write: (line) => ws.send(line),
      end: () => {
        finish();
        ws.close(1000);
      },
      ended: () => over,
      onEnd: (stop) => {
        if (over) stop();
        else stops.push(stop);
      },
    });
  });
}
