import type WebSocket from 'ws';
import type { RequestContext } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { upstreamFailure } from './errors.ts';
import {
  acceptClient,
  CHANNEL,
  channelMessage,
  forwardClose,
  inBandStatus,
  offeredChannelProtocols,
} from './exec-accept-websocket.ts';
import { openUpstreamExec } from './exec-dial-websocket.ts';
import { type ExitSummary, exitStatus } from './exit-status.ts';
import { clientResponseHeaders } from './headers.ts';

/**
 * Exec and attach over WebSocket (`v5.channel.k8s.io`, or `v4`), terminated on both sides and
 * relayed message by message, so that what passes can be rewritten and watched by plug-ins that
 * know nothing of each other:
 *
 * - an **output filter** (masking) rewrites stdout and stderr before they reach the client; it may
 *   hold a partial line and emit it later, and is flushed before the exit Status is relayed, so
 *   output and Status keep their order;
 * - **observers** (recording) see every message as it was sent to the client, after filtering,
 *   and every message from the client as it was sent upstream; one may end the stream.
 *
 * Order of events: observers open first (a recording that cannot write its `stream-open` event
 * refuses the call with a Status before anything happens), then the upstream is opened, then the
 * client is accepted — always with a 101 once the call got this far (exec-accept-websocket.ts says
 * why). Messages keep their order in each direction; each side's close code is passed to the
 * other. Pings are answered by `ws` on each side. A sender whose peer is not keeping up is paused
 * (ws `pause`/`resume`), and so are both while an observer says it is behind (a recording whose
 * appends lag the relay), so memory stays bounded.
 *
 * Never throws once the client is accepted: after the 101, an error can only end the stream.
 */

/** Rewrites output payloads; calls the `emit` it was made with zero or more times per write. */
export interface ChannelOutputFilter {
  write(channel: number, payload: Buffer): void;
  /** Emits whatever is held. */
  flush(): void;
  /** Values replaced so far. */
  count(): number;
  dispose(): void;
}

/** How a stream ended, for observers. */
export interface ChannelStreamEnd {
  exit?: ExitSummary;
  closeCode?: number;
  /** Values the output filter replaced. */
  masked?: number;
}

export interface ChannelStreamObserver {
  /** Before anything else; a rejection refuses the call (the relay has not touched the client). */
  open?(): Promise<void>;
  /**
   * Called once the stream runs, with a function that ends it (both sides, close code 1011) and
   * one to hold the relay: after `flow.pause()` neither side is read until `flow.resume()`.
   */
  started?(stop: (reason: string) => void, flow: RelayFlow): void;
  /** A message sent to the client: its channel and payload, after filtering. */
  toClient?(channel: number, payload: Buffer): void;
  /** A message from the client as sent upstream: its channel, payload and size on the wire. */
  fromClient?(channel: number, payload: Buffer, wireBytes: number): void;
  /** The stream is over (or never started); resolves once the observer is done with it. */
  close?(end: ChannelStreamEnd): Promise<void>;
}

/** How an observer holds the relay while it catches up. */
export interface RelayFlow {
  pause(): void;
  resume(): void;
}

export interface ChannelRelayPlugins {
  /**
   * How an upstream that does not open the stream is reported. `in-band`: the client is accepted
   * and handed a Status on channel 3, as kube-apiserver reports a failed command — needed when the
   * gateway would refuse kubectl's SPDY retry (kubectl ≥ 1.30 retries over SPDY after any non-101
   * answer), so the agent sees the real cause. `http`: the upstream's answer (or the gateway's
   * 502/503/504 Status) is relayed as a plain HTTP response, exactly as the byte relay does.
   */
  refusals: 'in-band' | 'http';
  /** Makes the output filter, given the function that sends filtered output on. */
  outputFilter?: (emit: (channel: number, payload: Buffer) => void) => ChannelOutputFilter;
  observers: readonly ChannelStreamObserver[];
}

const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

export async function relayChannelStream(
  ctx: RequestContext,
  identity: IdentityMapping,
  plugins: ChannelRelayPlugins,
): Promise<void> {
  const protocols = offeredChannelProtocols(ctx.req);
  const observers = plugins.observers;
  for (const observer of observers) await observer.open?.();
  const closeAll = (end: ChannelStreamEnd): Promise<unknown> =>
    Promise.all(observers.map((observer) => observer.close?.(end)));

  const answer = await openUpstreamExec(ctx, identity, protocols);
  if (answer.kind !== 'open' && plugins.refusals === 'http') {
    await closeAll({});
    if (answer.kind === 'failed') throw upstreamFailure(answer.error, ctx.cluster?.name ?? '');
    ctx.status = answer.status;
    ctx.res.writeHead(answer.status, clientResponseHeaders(answer.headers));
    ctx.res.end(answer.body);
    return;
  }
  const client = await acceptClient(ctx, answer.kind === 'open' ? answer.ws.protocol : (protocols[0] ?? ''));
  if (!client) {
    // kubectl went away (or sent a broken handshake) while the upstream was being opened.
    if (answer.kind === 'open') answer.ws.terminate();
    ctx.status = 499;
    await closeAll({});
    return;
  }
  if (answer.kind !== 'open') {
    ctx.status = answer.kind === 'refused' ? answer.status : 502;
    const status = inBandStatus(answer, ctx.cluster?.name ?? '');
    for (const observer of observers) observer.toClient?.(CHANNEL.error, status);
    client.send(channelMessage(CHANNEL.error, status), () => client.close(1000));
    await new Promise((resolve) => client.once('close', resolve));
    await closeAll({ exit: exitStatus(status), closeCode: 1000 });
    return;
  }
  ctx.status = 101;
  const upstream = answer.ws;
  const end: ChannelStreamEnd = {};

  // Observers holding the relay; a side is read again only when none does and its peer drained.
  let held = 0;
  const mayRead = (source: WebSocket, target: WebSocket): void => {
    if (source.isPaused && held === 0 && target.bufferedAmount < LOW_WATER) source.resume();
  };
  const send = (target: WebSocket, source: WebSocket, message: Buffer, binary = true): void => {
    target.send(message, { binary }, () => mayRead(source, target));
    if (target.bufferedAmount > HIGH_WATER && !source.isPaused) source.pause();
  };
  const toClient = (channel: number, payload: Buffer): void => {
    for (const observer of observers) observer.toClient?.(channel, payload);
    send(client, upstream, channelMessage(channel, payload));
  };
  const filter = plugins.outputFilter?.(toClient);

  upstream.on('message', (data: Buffer, isBinary: boolean) => {
    const channel = data[0];
    if (client.readyState !== client.OPEN) {
      // See `readAfterClose`; the exit status still belongs in the recording's stream-close.
      if (isBinary && channel === CHANNEL.error) end.exit = exitStatus(data.subarray(1));
      return;
    }
    if (!isBinary || channel === undefined) return void send(client, upstream, data, isBinary);
    const payload = data.subarray(1);
    const output = channel === CHANNEL.stdout || channel === CHANNEL.stderr;
    // The empty "stream established" message must reach kubectl at once, unfiltered.
    if (output && filter && payload.length > 0) return void filter.write(channel, payload);
    if (channel === CHANNEL.error) {
      filter?.flush();
      end.exit = exitStatus(payload);
    }
    toClient(channel, payload);
  });
  client.on('message', (data: Buffer, isBinary: boolean) => {
    if (upstream.readyState !== upstream.OPEN) return; // see `readAfterClose`
    send(upstream, client, data, isBinary);
    const channel = data[0];
    const payload = isBinary && channel !== undefined ? data.subarray(1) : data;
    for (const observer of observers)
      observer.fromClient?.(isBinary ? (channel ?? -1) : -1, payload, data.length);
  });

  const closed = Promise.all([
    new Promise<void>((resolve) => upstream.once('close', () => resolve())),
    new Promise<void>((resolve) => client.once('close', () => resolve())),
  ]);
  // Once one side is closing, what the other still sends reaches no one: it is dropped (neither
  // relayed nor recorded), and that side is read again so that its close frame is seen. Left
  // paused behind the backlog it had built (stdin poured into a command that then exited), it
  // kept its close frame unread and the handshake waited out ws's 30 s timeout.
  const readAfterClose = (side: WebSocket): void => {
    if (side.isPaused) side.resume();
  };
  upstream.on('close', (code: number, reason: Buffer) => {
    filter?.flush();
    end.closeCode = code;
    forwardClose(client, code, reason);
    readAfterClose(client);
  });
  client.on('close', (code: number, reason: Buffer) => {
    end.closeCode ??= code;
    forwardClose(upstream, code, reason);
    readAfterClose(upstream);
  });
  upstream.on('error', () => upstream.terminate());
  client.on('error', () => client.terminate());
  const stop = (reason: string): void => {
    const status = Buffer.from(
      JSON.stringify({ status: 'Failure', reason: 'ServiceUnavailable', message: reason }),
    );
    if (client.readyState === client.OPEN) client.send(channelMessage(CHANNEL.error, status));
    client.close(1011, reason);
    upstream.close(1011, reason);
  };
  for (const observer of observers) {
    let holding = false;
    observer.started?.(stop, {
      pause: () => {
        if (holding) return;
        holding = true;
        held += 1;
        if (!upstream.isPaused) upstream.pause();
        if (!client.isPaused) client.pause();
      },
      resume: () => {
        if (!holding) return;
        holding = false;
        held -= 1;
        mayRead(upstream, client);
        mayRead(client, upstream);
      },
    });
  }

  await closed;
  if (filter) {
    const masked = filter.count();
    if (masked > 0) end.masked = masked;
    filter.dispose();
  }
  await closeAll(end);
}
