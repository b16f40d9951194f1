/**
 * kubelet's port-forward protocol (kubelet `cri/streaming/portforward/httpstream.go`, client-go
 * `tools/portforward/portforward.go`) on top of a {@link SpdySession}:
 *
 * - per forwarded connection the client opens two streams carrying `streamtype: error|data`,
 *   `port` and `requestid` (older clients omit `requestid`; then the ids pair up as error = n,
 *   data = n + 2, kubelet's best-effort rule); a pair not complete within 30 s is dropped;
 * - the client half-closes the error stream at once and reads it to EOF: empty means success,
 *   any text is an error kubectl prints (and on which kubectl ≥ 1.31 ends the whole forward);
 * - the data stream is spliced to a TCP connection to the sandbox echo server (every pod port
 *   maps to it). Client FIN → TCP FIN; TCP FIN → stream FIN; then kubectl resets the data
 *   stream, and the server ends the error stream, which is what completes the client's wait.
 *
 * Everything is torn down when either side goes: a reset or lost session destroys the TCP
 * connection, a TCP failure is reported on the error stream and resets the data stream.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { trackActive } from './active.ts';
import { echoServerPort } from './echo-server.ts';
import { SpdySession } from './spdy-session.ts';
import type { SpdyStream } from './spdy-stream.ts';

/** How long the second stream of a pair may lag behind the first (kubelet's default). */
const STREAM_PAIR_TIMEOUT_MS = 30_000;

export interface PortForwardTarget {
  namespace: string;
  pod: string;
  uid: string;
}

interface PendingPair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** Serves port-forward on `transport` until it closes. */
export function servePortForward(transport: Duplex, target: PortForwardTarget): void {
  const release = trackActive('portforwardSession');
  const pending = new Map<string, PendingPair>();

  const expire = (requestId: string): void => {
    const pair = pending.get(requestId);
    pending.delete(requestId);
    pair?.error?.end(`timed out waiting for the streams of port-forward request ${requestId}`);
    pair?.data?.destroy();
  };

  const accept = (stream: SpdyStream): void => {
    stream.on('error', () => {}); // failures surface as 'close', handled below
    const type = stream.header('streamtype');
    if (type !== 'error' && type !== 'data') {
      stream.destroy();
      return;
    }
    const requestId = stream.header('requestid') ?? String(type === 'error' ? stream.id : stream.id - 2);
    let pair = pending.get(requestId);
    if (!pair) {
      pair = { timer: setTimeout(() => expire(requestId), STREAM_PAIR_TIMEOUT_MS).unref() };
      pending.set(requestId, pair);
    }
    if (pair[type]) {
      stream.destroy(); // a second stream of the same type for one request
      return;
    }
    pair[type] = stream;
    if (type === 'error') stream.resume(); // nothing is ever read from it; let its FIN through
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      pending.delete(requestId);
      forward(pair.error, pair.data, target);
    }
  };

  new SpdySession(transport, accept, () => {
    for (const pair of pending.values()) clearTimeout(pair.timer);
    pending.clear();
    release();
  });
}

/** Splices one data stream to a new echo-server connection; reports failures on `errorStream`. */
function forward(errorStream: SpdyStream, dataStream: SpdyStream, target: PortForwardTarget): void {
  const release = trackActive('portforwardConnection');
  let finished = false;
  const finish = (message?: string): void => {
    if (finished) return;
    finished = true;
    if (errorStream.writable) {
      if (message) errorStream.end(message);
      else errorStream.end();
    }
    if (message) dataStream.destroy();
    release();
  };

  const portHeader = dataStream.header('port') ?? '';
  const port = Number(portHeader);
  const invalid =
    portHeader === ''
      ? '"port" header is required'
      : !/^[0-9]+$/.test(portHeader) || port > 65535
        ? `unable to parse "${portHeader}" as a port`
        : port < 1
          ? `port "${portHeader}" must be > 0`
          : undefined;
  if (invalid) {
    finish(invalid);
    return;
  }

  echoServerPort().then(
    (echoPort) => {
      if (dataStream.destroyed) return finish();
      const socket = net.connect({ host: '127.0.0.1', port: echoPort, allowHalfOpen: true });
      socket.on('error', (error) => {
        finish(`error forwarding port ${port} to pod ${target.pod}, uid ${target.uid}: ${error.message}`);
      });
      dataStream.on('close', () => {
        socket.destroy();
        finish();
      });
      dataStream.pipe(socket);
      socket.pipe(dataStream);
    },
    (error: Error) => finish(`error forwarding port ${port} to pod ${target.pod}: ${error.message}`),
  );
}
