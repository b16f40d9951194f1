import type WebSocket from 'ws';
import type { RequestContext } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { dialUpstreamWebSocket } from './dial-websocket.ts';

/**
 * The upstream half of a recorded exec/attach: a WebSocket to the cluster's exec URL
 * (dial-websocket.ts), offering the subprotocols the client offered that the relay speaks.
 *
 * The answer is one of: open (101 with a subprotocol), refused (any other HTTP answer, whose
 * headers and Status body are kept so the relay can hand them to kubectl), or failed (network
 * error, TLS failure, timeout). The relay decides what the client sees; nothing here writes to it.
 */

export type UpstreamAnswer =
  | { kind: 'open'; ws: WebSocket }
  | { kind: 'refused'; status: number; headers: NodeJS.Dict<string[]>; body: Buffer }
  | { kind: 'failed'; error: Error };

const MAX_REFUSAL_BODY = 64 * 1024;

export async function openUpstreamExec(
  ctx: RequestContext,
  identity: IdentityMapping,
  protocols: string[],
): Promise<UpstreamAnswer> {
  const answer = await dialUpstreamWebSocket(ctx, identity, { protocols });
  if (answer.kind !== 'response') return answer;
  const { res, release } = answer;
  return new Promise<UpstreamAnswer>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      if (size < MAX_REFUSAL_BODY) chunks.push(chunk);
      size += chunk.length;
    });
    const done = (): void => {
      release();
      resolve({
        kind: 'refused',
        status: res.statusCode ?? 502,
        headers: res.headersDistinct,
        body: Buffer.concat(chunks),
      });
    };
    res.once('end', done);
    res.once('error', done);
  });
}
