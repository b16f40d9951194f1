import type { Duplex } from 'node:stream';
import type { StreamKind } from '../../src/recording/event.types.ts';
import { infoFrom, type RequestContext } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { relayUpgrade } from '../upstream/byte-relay.ts';
import { WsClientFrames } from './client-frames-websocket.ts';
import { SpdyPortSniffer } from './port-sniffer-spdy.ts';
import type { RequestRecording } from './request-recording.ts';
import { StreamRecorder } from './stream-recorder.ts';

/**
 * Streams the gateway relays byte for byte and cannot record frame by frame: port-forward (SPDY,
 * or SPDY tunnelled in WebSocket messages — the `ws` package refuses that subprotocol, and the
 * bytes are the forwarded application's, not a terminal's) and exec/attach over SPDY when the
 * policy allows unrecorded streams. What is recorded: a `stream-open` event (with the ports when
 * the query names them), a `stream-close` event with its duration, the byte counts in each
 * direction and, for port-forward, the ports read from kubectl's SPDY headers as they pass
 * (port-sniffer-spdy.ts; inside WebSocket frames for the tunnel), and around them the request and
 * response events as for every request.
 *
 * The byte relay (upstream/byte-relay.ts) joins the sockets; its `onJoined` hook adds the counting
 * listeners in the same tick as the join, so no byte is missed.
 */

interface Counted {
  recorder: StreamRecorder;
  sniffer?: SpdyPortSniffer;
  /** Feeds client→upstream bytes to the sniffer (through the WebSocket frame reader if tunnelled). */
  sniff?: (bytes: Buffer) => void;
}

/** Counts (and sniffs) the bytes of a joined stream. */
function countJoinedBytes(counted: Counted, ctx: RequestContext, client: Duplex, upstream: Duplex): void {
  const { recorder, sniff } = counted;
  const head = ctx.upgrade?.head;
  recorder.bytes.fromClient += head?.length ?? 0;
  if (head && head.length > 0) sniff?.(head);
  client.on('data', (chunk: Buffer) => {
    recorder.bytes.fromClient += chunk.length;
    sniff?.(chunk);
  });
  upstream.on('data', (chunk: Buffer) => {
    recorder.bytes.toClient += chunk.length;
  });
}

/** Ports named in the query (`ports=8080,9090` or repeated), as the WebSocket v4 protocol sends them. */
export function portsFromQuery(rawQuery: string): number[] {
  const ports = new URLSearchParams(rawQuery)
    .getAll('ports')
    .flatMap((value) => value.split(','))
    .map((value) => Number(value.trim()))
    .filter((port) => Number.isInteger(port) && port > 0 && port < 65536);
  return [...new Set(ports)];
}

/** Relays the stream byte for byte and records its open, close and byte counts. */
export async function relayCounted(
  ctx: RequestContext,
  recording: RequestRecording,
  kind: StreamKind,
  identity: IdentityMapping,
): Promise<void> {
  const runtime = recording.runtime;
  const recorder = new StreamRecorder(recording, (error) =>
    runtime.logger.error(
      { err: error, session: recording.sessionId },
      'recording: a stream could not be recorded',
    ),
  );
  const info = infoFrom(ctx);
  const upgrade = String(ctx.req.headers.upgrade ?? '').toLowerCase();
  const ports = portsFromQuery(ctx.rawQuery ?? '');
  await recorder.open({
    kind,
    protocol: upgrade.includes('websocket')
      ? String(ctx.req.headers['sec-websocket-protocol'] ?? 'websocket')
      : upgrade,
    recorded: false,
    pod: info.name,
    namespace: info.namespace,
    ...(ports.length > 0 ? { ports } : {}),
  });
  const counted: Counted = { recorder };
  if (kind === 'portforward') {
    const sniffer = new SpdyPortSniffer();
    const frames = upgrade.includes('websocket')
      ? new WsClientFrames((bytes, mask) => sniffer.write(bytes, mask))
      : undefined;
    counted.sniffer = sniffer;
    counted.sniff = frames ? (bytes) => frames.write(bytes) : (bytes) => sniffer.write(bytes);
  }
  const relay = relayUpgrade(identity, recording.runtime.masking, {
    onJoined: (client, upstream) => countJoinedBytes(counted, ctx, client, upstream),
  });
  await relay(ctx);
  const socket = ctx.upgrade?.socket;
  if (ctx.status === 101 && socket && !socket.destroyed) {
    await new Promise((resolve) => socket.once('close', resolve));
  }
  const seen = counted.sniffer?.ports() ?? [];
  await recorder.close(seen.length > 0 ? { ports: seen } : {});
}
