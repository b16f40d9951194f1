import { isIPv6, type Socket } from 'node:net';
import type { Server } from 'node:tls';
import type { Logger } from 'pino';
import type { ConnectionSettings } from '../src/config/connections.ts';

/**
 * Caps on open connections: `maxConnections` in total (Node's own `server.maxConnections`, which
 * closes any connection beyond it as it is accepted) and `maxConnectionsPerSource` from one
 * client address, so one misbehaving agent (or a crowd of slow clients from one host) cannot take
 * every connection the gateway has.
 *
 * A connection over a cap is closed as it is accepted, before the TLS handshake: answering it
 * with a Status would mean doing a handshake for every connection a flood opens. A client sees
 * the connection reset; the gateway logs a warning (at most one every 30 s per cap).
 *
 * An HTTP/2 connection carries many requests at once, so each of its open streams counts as one
 * more connection of its source and of the total: the caps bound concurrent requests whichever
 * protocol a client speaks. A stream over a cap is answered 429 (kubectl waits and retries).
 *
 * IPv6 sources are counted per /64, the block one host is normally given: otherwise a single
 * host could use a fresh address for every connection. IPv4-mapped IPv6 addresses count as IPv4.
 */
export function limitConnections(
  server: Server,
  settings: ConnectionSettings,
  logger?: Logger,
): StreamAdmission {
  server.maxConnections = settings.maxConnections;
  const open = new Map<string, number>();
  let total = 0;
  const warnTotal = throttled((_source: string) =>
    logger?.warn(
      { maxConnections: settings.maxConnections },
      'connection or HTTP/2 stream refused: the gateway holds connections.maxConnections open connections and streams',
    ),
  );
  const warnSource = throttled((source: string) =>
    logger?.warn(
      { source, maxConnectionsPerSource: settings.maxConnectionsPerSource },
      'connection or HTTP/2 stream refused: this source holds connections.maxConnectionsPerSource open connections and streams',
    ),
  );
  server.on('drop', () => warnTotal(''));

  server.on('connection', (socket: Socket) => {
    const source = sourceOf(socket.remoteAddress ?? '');
    const count = (open.get(source) ?? 0) + 1;
    if (count > settings.maxConnectionsPerSource) {
      warnSource(source);
      socket.destroy();
      return;
    }
    open.set(source, count);
    total++;
    socket.once('close', () => release(source));
  });

  const release = (source: string): void => {
    total--;
    const left = (open.get(source) ?? 1) - 1;
    if (left <= 0) open.delete(source);
    else open.set(source, left);
  };

  return (remoteAddress) => {
    const source = sourceOf(remoteAddress ?? '');
    const count = (open.get(source) ?? 0) + 1;
    if (count > settings.maxConnectionsPerSource) {
      warnSource(source);
      return undefined;
    }
    if (total + 1 > settings.maxConnections) {
      warnTotal('');
      return undefined;
    }
    open.set(source, count);
    total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release(source);
    };
  };
}

/**
 * Admits one HTTP/2 stream from `remoteAddress` under the caps: a release function to call when
 * the stream closes, or undefined when a cap is reached.
 */
export type StreamAdmission = (remoteAddress: string | undefined) => (() => void) | undefined;

/** The address a connection is counted under: IPv4 as is, IPv6 by its /64. */
export function sourceOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (without a zone), as lower-case hex. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]!.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  return [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right].map((g) =>
    g.includes('.') ? g : String(Number.parseInt(g, 16).toString(16)),
  );
}

function throttled<T extends unknown[]>(log: (...args: T) => void, periodMs = 30_000): (...args: T) => void {
  let last = 0;
  return (...args) => {
    const now = Date.now();
    if (now - last < periodMs) return;
    last = now;
    log(...args);
  };
}
