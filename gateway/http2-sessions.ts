import {
  constants,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { ConnectionSettings } from '../src/config/connections.ts';

/**
 * Streams one HTTP/2 connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). Go's
 * client, kubectl's, opens another connection when it reaches the limit rather than queueing,
 * so a client-go agent with many watches spreads them over connections of 100. Every stream also
 * counts against `connections.maxConnectionsPerSource` (connection-limits.ts).
 */
export const HTTP2_MAX_STREAMS = 100;

/**
 * The HTTP/1.1 timeouts (`connections:`), carried over to HTTP/2, where Node has none of them:
 * - a session closes (GOAWAY, then the socket) when it has had no open stream for `idleTimeout`,
 *   or, before its first stream, for `headerTimeout`: an HTTP/2 connection that never sends a
 *   request holds its TLS state as long as an HTTP/1.1 one would;
 * - a stream whose request (headers and body) has not fully arrived `requestTimeout` after it
 *   began is reset: a slow body holds a stream as it would hold an HTTP/1.1 connection.
 * A watch or `logs -f` is an open stream with its request complete, so neither cuts it.
 */
export function limitHttp2Sessions(server: Http2SecureServer, settings: ConnectionSettings): Http2Sessions {
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    let streams = 0;
    let idle: NodeJS.Timeout | undefined = setTimeout(() => session.close(), settings.headerTimeoutMs);
    idle.unref();
    session.on('stream', (stream: ServerHttp2Stream) => {
      streams++;
      clearTimeout(idle);
      idle = undefined;
      stream.once('close', () => {
        streams--;
        if (streams > 0 || session.closed || session.destroyed) return;
        idle = setTimeout(() => session.close(), settings.idleTimeoutMs);
        idle.unref();
      });
    });
    session.once('close', () => {
      clearTimeout(idle);
      sessions.delete(session);
    });
  });
  return {
    limitRequest(req) {
      // A request without a body (its headers ended the stream) has fully arrived; `complete`
      // would stay false until someone reads its empty body, which nothing does for a GET.
      if (req.stream.endAfterHeaders || req.complete) return;
      const timer = setTimeout(() => {
        if (!req.complete) req.stream.close(constants.NGHTTP2_CANCEL);
      }, settings.requestTimeoutMs);
      timer.unref();
      req.stream.once('close', () => clearTimeout(timer));
      req.once('end', () => clearTimeout(timer));
    },
    destroyAll() {
      for (const session of sessions) session.destroy();
    },
  };
}

export interface Http2Sessions {
  /** Resets `req`'s stream if its request has not fully arrived within `requestTimeout`. */
  limitRequest(req: Http2ServerRequest): void;
  /** Ends every HTTP/2 connection at once (the end of a shutdown's grace period). */
  destroyAll(): void;
}
