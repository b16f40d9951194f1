import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type WebSocket from 'ws';
import { StatusError } from '../../src/errors.ts';
import type { RequestContext } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { dialUpstreamWebSocket } from './dial-websocket.ts';
import { upstreamFailure } from './errors.ts';
import { acceptClient, forwardClose } from './exec-accept-websocket.ts';

/**
 * A WebSocket terminated on both sides and relayed message by message through a filter that
 * rewrites what upstream sends (masking of watches and logs over WebSocket). What the client sends
 * goes upstream unchanged.
 *
 * Order: the upstream is dialled first, as the agent, offering the client's subprotocols. Then:
 * - a non-101 answer is handed to `answer` (which relays it as a plain response, masked), and the
 *   client never gets a 101;
 * - a 101 makes the filter for the subprotocol upstream chose; a filter that cannot be made (a
 *   framing it cannot read) is a 502 Status, still before the client gets a 101;
 * - then the client is accepted with that subprotocol and messages flow.
 *
 * Fail closed: a message the filter cannot read is not relayed — neither it nor anything after it:
 * both sides are closed with 1011 and the reason. Each side's close code is passed to the other,
 * after the filter has emitted what it held. A sender whose peer is not keeping up is paused, so
 * memory stays bounded. Never throws once the client is accepted.
 */

/** Rewrites upstream messages; `write` throws to fail closed. */
export interface MessageFilter {
  write(data: Buffer, binary: boolean): void;
  end(): void;
  count(): number;
  dispose(): void;
}

export interface MessageRelayOptions {
  /** Subprotocols to offer upstream (the client's, minus credentials). */
  protocols: string[];
  /** Adjusts the upstream handshake headers (masking's JSON Accept). */
  adjustHeaders: (headers: OutgoingHttpHeaders) => void;
  /** Largest upstream message accepted. */
  maxPayload: number;
  /** Makes the filter for the chosen subprotocol; throws a StatusError when it cannot. */
  filterFor: (protocol: string, emit: (data: Buffer, binary: boolean) => void) => MessageFilter;
  /** Relays a non-101 answer; resolves when the client response is done. */
  answer: (res: IncomingMessage) => Promise<void>;
}

/** The close reason the client gets (a close reason holds at most 123 bytes). */
const FAILED_REASON =
  'the gateway could not read a message of this stream to mask it, and withholds the rest';

const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

export async function relayMessageStream(
  ctx: RequestContext,
  identity: IdentityMapping,
  options: MessageRelayOptions,
): Promise<void> {
  const dialled = await dialUpstreamWebSocket(ctx, identity, {
    protocols: options.protocols,
    adjustHeaders: options.adjustHeaders,
    maxPayload: options.maxPayload,
  });
  if (dialled.kind === 'failed') throw upstreamFailure(dialled.error, ctx.cluster?.name ?? '');
  if (dialled.kind === 'response') {
    try {
      await options.answer(dialled.res);
    } finally {
      dialled.release();
    }
    return;
  }
  const upstream = dialled.ws;
  let client: WebSocket | undefined;
  const send = (target: WebSocket, source: WebSocket, data: Buffer, binary: boolean): void => {
    if (target.readyState !== target.OPEN) return;
    target.send(data, { binary }, () => {
      if (source.isPaused && target.bufferedAmount < LOW_WATER) source.resume();
    });
    if (target.bufferedAmount > HIGH_WATER && !source.isPaused) source.pause();
  };
  let filter: MessageFilter;
  try {
    filter = options.filterFor(upstream.protocol, (data, binary) => {
      if (client) send(client, upstream, data, binary);
    });
  } catch (error) {
    upstream.terminate();
    ctx.refusal = 'unmaskable response';
    throw error instanceof StatusError ? error : upstreamFailure(error, ctx.cluster?.name ?? '');
  }

  client = await acceptClient(ctx, upstream.protocol);
  if (!client) {
    upstream.terminate();
    filter.dispose();
    ctx.status = 499;
    return;
  }
  const accepted = client;
  ctx.status = 101;

  let failed = false;
  const fail = (): void => {
    if (failed) return;
    failed = true;
    ctx.refusal = 'unmaskable response';
    accepted.close(1011, FAILED_REASON);
    upstream.terminate();
  };

  upstream.on('message', (data: Buffer, binary: boolean) => {
    if (failed) return;
    try {
      filter.write(data, binary);
    } catch {
      fail();
    }
  });
  accepted.on('message', (data: Buffer, binary: boolean) => send(upstream, accepted, data, binary));

  const closed = Promise.all([
    new Promise<void>((resolve) => upstream.once('close', () => resolve())),
    new Promise<void>((resolve) => accepted.once('close', () => resolve())),
  ]);
  upstream.on('close', (code: number, reason: Buffer) => {
    if (failed) return;
    try {
      filter.end();
    } catch {
      fail();
      return;
    }
    forwardClose(accepted, code, reason);
  });
  accepted.on('close', (code: number, reason: Buffer) => forwardClose(upstream, code, reason));
  upstream.on('error', () => upstream.terminate());
  accepted.on('error', () => accepted.terminate());

  await closed;
  ctx.masked = filter.count();
  filter.dispose();
}
