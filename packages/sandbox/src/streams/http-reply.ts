/**
 * HTTP answers written straight to an upgrade socket, where there is no `ServerResponse`: the
 * refusal (a JSON `Status`, then the socket ends, so a client never waits on a dead upgrade) and
 * the SPDY/3.1 `101 Switching Protocols`.
 *
 * client-go decodes a refused upgrade's body as a `Status` (spdy/roundtripper.go and the
 * WebSocket dialer both do), so kubectl prints `Error from server (<Reason>): <message>` for it.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KubeStatus } from '../../../../src/errors.ts';

/** How long a refused socket may linger if the peer does not close its side. */
const LINGER_MS = 5_000;

/** Writes `status` as the HTTP response and ends the socket. */
export function refuseUpgrade(socket: Duplex, status: KubeStatus): void {
  const body = JSON.stringify(status);
  const head = [
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-cache, private',
    'Connection: close',
  ];
  socket.on('error', () => {});
  if (socket.writable) socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  // Ending our side is not enough when the peer keeps its side open; do not keep the fd.
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * Accepts a direct SPDY/3.1 upgrade: the headers client-go's SPDY round tripper checks
 * (`Connection: Upgrade`, `Upgrade: SPDY/3.1`) and the negotiated `X-Stream-Protocol-Version`,
 * without which kubectl port-forward gives up ("unable to negotiate protocol").
 */
export function acceptSpdyUpgrade(socket: Duplex, protocol: string): void {
  socket.write(
    [
      'HTTP/1.1 101 Switching Protocols',
      'Connection: Upgrade',
      'Upgrade: SPDY/3.1',
      `X-Stream-Protocol-Version: ${protocol}`,
      '',
      '',
    ].join('\r\n'),
  );
}

/** All values of a request header that may be repeated or comma-joined, trimmed, in order. */
export function headerValues(value: string | string[] | undefined): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
