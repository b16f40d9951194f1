import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badGateway } from '../../src/errors.ts';
import type { CompiledMaskingPolicy } from '../masking/index.ts';
import type { Handler } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { UpstreamTimeoutError, upstreamFailure } from './errors.ts';
import { prepareMasking, relayResponse } from './relay-response.ts';
import { messageAnswer } from './upstream-exchange.ts';
import { openUpstreamRequest, upstreamTarget } from './upstream-request.ts';

/**
 * Terminal handler for upgrade requests whose stream needs no masking (exec, attach, port-forward
 * when nothing reads their frames; proxy; anything whose answer holds no values), for both
 * WebSocket and SPDY/3.1: the upgrade request goes upstream as the agent; a 101 answer is copied
 * back and the two sockets are joined byte for byte; any other answer (a Status, say) is relayed
 * as a normal response — through the response masker, exactly as `forward` relays it — so kubectl
 * sees the real error. When either side closes, both are torn down.
 *
 * Upgrades whose answer must be masked go to masked-upgrade.ts instead (upgrade-router.ts decides);
 * should one arrive here anyway, a 101 is refused (502), never joined unread.
 *
 * `onJoined`, when given, is called right after the sockets are joined (same tick, so it can add
 * its own `data` listeners without missing a byte): the recorder counts port-forward bytes there.
 */
export function relayUpgrade(
  identity: IdentityMapping,
  masking: CompiledMaskingPolicy,
  options: { onJoined?: (client: Duplex, upstream: Duplex) => void } = {},
): Handler {
  return async (ctx) => {
    const client = ctx.upgrade;
    if (!client) throw new Error('pipeline wiring: relayUpgrade without an upgrade socket');
    const { cluster, path, headers } = await upstreamTarget(ctx, identity, { upgrade: true });
    const plan = prepareMasking(ctx, masking, headers);
    const upstream = openUpstreamRequest(cluster, ctx.req.method ?? 'GET', path, headers);
    let timer: NodeJS.Timeout | undefined;
    // Raced, not left to destroy(): a request still queued for a pooled socket emits no 'error'
    // when destroyed, so it would wait forever (see forward.ts).
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new UpstreamTimeoutError()), cluster.upstreamTimeoutMs);
    });
    client.socket.once('close', () => upstream.destroy());

    type Answer =
      | { kind: 'upgrade'; res: IncomingMessage; socket: Duplex; head: Buffer }
      | { kind: 'response'; res: IncomingMessage };
    const answer = new Promise<Answer>((resolve, reject) => {
      upstream.once('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) =>
        resolve({ kind: 'upgrade', res, socket, head }),
      );
      upstream.once('response', (res: IncomingMessage) => resolve({ kind: 'response', res }));
      upstream.once('error', reject);
    });
    upstream.end();

    let result: Answer;
    try {
      result = await Promise.race([answer, timedOut]);
    } catch (error) {
      upstream.destroy();
      throw upstreamFailure(error, cluster.name);
    } finally {
      clearTimeout(timer);
    }

    if (result.kind === 'response') {
      await relayResponse(ctx, messageAnswer(result.res), plan);
      return;
    }
    if (plan) {
      result.socket.destroy();
      ctx.refusal = 'unmaskable upgrade';
      throw badGateway(
        'The cluster upgraded a connection whose answer the gateway must mask; it withholds it.',
      );
    }
    ctx.status = result.res.statusCode ?? 502;
    joinSockets(client.socket, client.head, result);
    options.onJoined?.(client.socket, result.socket);
  };
}

function joinSockets(
  client: Duplex,
  clientHead: Buffer,
  upstream: { res: IncomingMessage; socket: Duplex; head: Buffer },
): void {
  const lines = [`HTTP/1.1 101 ${upstream.res.statusMessage || 'Switching Protocols'}`];
  const raw = upstream.res.rawHeaders;
  // The 101's Connection/Upgrade headers are the handshake itself; keep them as upstream sent them.
  for (let i = 0; i < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  client.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (upstream.head.length > 0) client.write(upstream.head);
  if (clientHead.length > 0) upstream.socket.write(clientHead);

  const teardown = () => {
    client.destroy();
    upstream.socket.destroy();
  };
  for (const side of [client, upstream.socket]) {
    side.once('close', teardown);
    side.once('error', teardown);
  }
  upstream.socket.pipe(client);
  client.pipe(upstream.socket);
}
