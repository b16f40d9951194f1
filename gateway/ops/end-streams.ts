import type { RequestContext } from '../request-context.ts';
import { type OpenRequests, streamKindOf } from './open-requests.ts';

/** WebSocket close code 1001: "going away" (a server shutting down), per RFC 6455. */
export const GOING_AWAY = 1001;

/**
 * Shutdown's half of a long-lived request: ends every watch and stream the gateway holds, cleanly,
 * so clients see an orderly end they know how to resume from rather than a reset connection:
 * - a WebSocket the gateway terminates (exec/attach with masking or recording, masked watches and
 *   logs): a close frame with code 1001 and a reason;
 * - a chunked watch: the upstream response is detached and the client's response ended (the
 *   terminating chunk), which kubectl and informers treat as "watch closed, re-watch";
 * - a stream relayed byte for byte (its frames are never parsed, so no frame can be injected
 *   safely): its connection is closed with a FIN.
 * Ordinary requests are left to finish. Returns how many were ended.
 */
export function endStreams(open: OpenRequests, reason = 'hoop-gateway is shutting down'): number {
  let ended = 0;
  for (const ctx of open.all()) {
    const kind = streamKindOf(ctx);
    if (!kind) continue;
    ended++;
    if (ctx.clientWebSocket) ctx.clientWebSocket.close(GOING_AWAY, reason);
    else if (ctx.upgrade) ctx.upgrade.socket.end();
    else endChunkedWatch(ctx);
  }
  return ended;
}

function endChunkedWatch(ctx: RequestContext): void {
  const { res } = ctx;
  const upstream = ctx.upstream;
  // Whatever still writes to the response after it ends must not crash the process.
  res.on('error', () => undefined);
  if (upstream) {
    upstream.detach();
    res.once('finish', () => upstream.abort(new Error('the gateway is shutting down')));
  }
  if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/json' });
  res.end();
}
