import type { IncomingHttpHeaders } from 'node:http';
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect as connectHttp2,
  constants,
} from 'node:http2';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { ClusterTls } from './connection-pool.ts';

/**
 * Watches to one cluster over HTTP/2: every watch a stream on a few shared connections instead of
 * an HTTPS connection each (1,000 idle watches: 157 → ~80 KB of gateway RSS each,
 * docs/performance.md). Built on Node's `http2` client because undici's joins repeated request
 * fields into one (`Impersonate-Group: a, b`, which kube-apiserver reads as one group); Node
 * sends each value of an array as a field of its own.
 *
 * It takes the same dispatch handler as the undici pool (upstream-exchange.ts), so the relay,
 * masking, backpressure, shutdown and timeouts are the same code. A cluster that does not offer
 * `h2` in ALPN gets its watches through `fallback` (the pool) from then on. A session takes at
 * most the server's `maxConcurrentStreams` (at most 100) streams, a session the server sent
 * GOAWAY takes none. A session left without streams closes at once when another one has room for
 * the next watch (what a burst of watches opened does not outlive it), else after `idleMs`.
 */
export interface WatchDispatch {
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
}

export interface WatchDispatcher {
  dispatch(options: WatchDispatch, handler: Dispatcher.DispatchHandler): void;
  close(): void;
}

/** Request fields HTTP/2 forbids (RFC 9113 §8.2.2) or carries as a pseudo-header (`host`). */
const NOT_SENT = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
]);
const MAX_STREAMS = 100;

interface SessionState {
  session: ClientHttp2Session;
  /** Streams open or promised to a request about to open one. */
  streams: number;
  maxStreams: number;
  idle: NodeJS.Timeout | undefined;
}

export function watchSessions(
  origin: URL,
  tls: ClusterTls,
  fallback: Pick<Dispatcher, 'dispatch'>,
  options: { connectTimeoutMs: number; idleMs: number },
): WatchDispatcher {
  const sessions: SessionState[] = [];
  let http2: 'unknown' | 'yes' | 'no' = 'unknown';
  let connecting: Promise<SessionState | undefined> | undefined;
  let closed = false;

  // Node closes a session that received GOAWAY: its open streams finish, no new one starts on it.
  const usable = (s: SessionState) => !s.session.closed && !s.session.destroyed && s.streams < s.maxStreams;
  const reserve = (s: SessionState) => {
    s.streams++;
    clearTimeout(s.idle);
    return s;
  };

  /**
   * A session with a stream reserved for the caller (counted at once, so a burst of watches does
   * not overrun a session's limit); undefined sends the watch through the fallback: the cluster
   * does not speak h2, the dispatcher closed, or a new session has no room (a server allowing no
   * stream at all must not make it open connection after connection).
   */
  const reserveStream = async (): Promise<SessionState | undefined> => {
    const open = sessions.find(usable);
    if (open) return reserve(open);
    const fresh = connecting === undefined;
    connecting ??= openSession().finally(() => {
      connecting = undefined;
    });
    const state = await connecting;
    if (!state || closed) return undefined;
    if (usable(state)) return reserve(state);
    return fresh ? undefined : reserveStream();
  };

  const openSession = async (): Promise<SessionState | undefined> => {
    const socket = await tlsWithAlpn(origin, tls, options.connectTimeoutMs);
    if (socket.alpnProtocol !== 'h2') {
      socket.destroy();
      http2 = 'no';
      return undefined;
    }
    http2 = 'yes';
    const session = connectHttp2(origin, { createConnection: () => socket, settings: { enablePush: false } });
    const state: SessionState = {
      session,
      streams: 0,
      maxStreams: MAX_STREAMS,
      idle: undefined,
    };
    session.on('remoteSettings', (settings) => {
      state.maxStreams = Math.min(settings.maxConcurrentStreams ?? MAX_STREAMS, MAX_STREAMS);
    });
    session.once('close', () => {
      clearTimeout(state.idle);
      const at = sessions.indexOf(state);
      if (at >= 0) sessions.splice(at, 1);
    });
    session.on('error', () => undefined); // each open stream reports it to its own request
    sessions.push(state);
    armIdle(state);
    if (closed) session.destroy();
    return state;
  };

  /** A stream of `state` ended: a session left without any is kept only if no other has room. */
  const release = (state: SessionState) => {
    state.streams--;
    if (state.streams === 0 && sessions.some((other) => other !== state && usable(other))) {
      clearTimeout(state.idle);
      state.session.close();
    } else armIdle(state);
  };

  const armIdle = (state: SessionState) => {
    clearTimeout(state.idle);
    state.idle =
      state.streams === 0 ? setTimeout(() => state.session.close(), options.idleMs).unref() : undefined;
  };

  return {
    dispatch(request, handler) {
      if (closed || http2 === 'no') {
        fallback.dispatch(request, handler);
        return;
      }
      reserveStream().then(
        (state) => {
          if (!state) fallback.dispatch(request, handler);
          else startStream(state.session, origin, request, handler, () => release(state));
        },
        (error: Error) => {
          const controller = new StreamController(handler);
          handler.onRequestStart?.(controller, {});
          controller.fail(error);
        },
      );
    },
    close() {
      closed = true;
      for (const state of sessions.splice(0)) {
        clearTimeout(state.idle);
        state.session.destroy();
      }
    },
  };
}

/** Opens the request's stream on `session` (a stream reserved for it; `onClose` gives it back). */
function startStream(
  session: ClientHttp2Session,
  origin: URL,
  request: WatchDispatch,
  handler: Dispatcher.DispatchHandler,
  onClose: () => void,
): void {
  const controller = new StreamController(handler);
  handler.onRequestStart?.(controller, {});
  if (controller.aborted) {
    onClose();
    return;
  }
  const headers: Record<string, string | string[]> = {
    ':method': request.method,
    ':path': request.path,
    ':scheme': 'https',
    ':authority': origin.host,
  };
  for (const [name, value] of Object.entries(request.headers)) {
    if (!NOT_SENT.has(name.toLowerCase())) headers[name] = value;
  }
  let stream: ClientHttp2Stream;
  try {
    stream = session.request(headers, { endStream: true });
  } catch (error) {
    onClose();
    controller.fail(error as Error);
    return;
  }
  controller.attach(stream);
  stream.on('response', (head) => {
    const status = Number(head[':status']);
    const fields: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(head)) {
      if (!name.startsWith(':')) fields[name] = value as string | string[];
    }
    if (!controller.finished) handler.onResponseStart?.(controller, status, fields);
  });
  stream.on('data', (chunk: Buffer) => {
    if (!controller.finished) handler.onResponseData?.(controller, chunk);
  });
  stream.once('end', () => controller.end());
  stream.once('error', (error) => controller.fail(error));
  stream.once('close', () => {
    onClose();
    controller.fail(new Error(`the cluster ended the HTTP/2 stream (code ${stream.rstCode ?? 0})`));
  });
}

/** A TLS connection offering h2 and http/1.1, so a server without h2 still completes the handshake. */
function tlsWithAlpn(origin: URL, tls: ClusterTls, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const host = origin.hostname.replace(/^\[|\]$/g, '');
    const socket = connectTls({
      host,
      port: Number(origin.port || 443),
      ...tls,
      servername: tls.servername ?? (/^[\d.:]+$/.test(host) ? undefined : host),
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    const timer = setTimeout(
      () => socket.destroy(new Error('connecting to the cluster timed out')),
      timeoutMs,
    );
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** undici's dispatch controller, over one HTTP/2 stream: pause, resume, abort; one end or failure. */
class StreamController implements Dispatcher.DispatchController {
  readonly #handler: Dispatcher.DispatchHandler;
  #stream: ClientHttp2Stream | undefined;
  #aborted = false;
  #paused = false;
  #reason: Error | null = null;
  finished = false;

  constructor(handler: Dispatcher.DispatchHandler) {
    this.#handler = handler;
  }

  get aborted(): boolean {
    return this.#aborted;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get reason(): Error | null {
    return this.#reason;
  }

  attach(stream: ClientHttp2Stream): void {
    this.#stream = stream;
    if (this.#paused) stream.pause();
  }

  abort(reason: Error): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#stream?.close(constants.NGHTTP2_CANCEL);
    this.fail(reason);
  }

  pause(): void {
    this.#paused = true;
    this.#stream?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#stream?.resume();
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.#handler.onResponseEnd?.(this, {});
  }

  fail(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.#handler.onResponseError?.(this, error);
  }
}
