import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { RequestContext } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { UpstreamTimeoutError } from './errors.ts';
import { upstreamTarget } from './upstream-request.ts';

/**
 * The upstream half of a recorded exec/attach: a `ws` client to the cluster's exec URL, sent as
 * the agent (impersonation headers, the gateway's credential and TLS agent — the same headers
 * forward and upgrade send), offering the subprotocols the client offered that the relay speaks.
 *
 * The answer is one of: open (101 with a subprotocol), refused (any other HTTP answer, whose
 * headers and Status body are kept so the relay can hand them to kubectl), or failed (network
 * error, TLS failure, timeout). The relay decides what the client sees; nothing here writes to it.
 */

export type UpstreamAnswer =
  | { kind: 'open'; ws: WebSocket }
  | { kind: 'refused'; status: number; rawHeaders: string[]; body: Buffer }
  | { kind: 'failed'; error: Error };

/** Headers `ws` writes for its own handshake; the client's copies must not be sent twice. */
const HANDSHAKE_HEADERS = [
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
];

const MAX_REFUSAL_BODY = 64 * 1024;

export async function openUpstreamExec(
  ctx: RequestContext,
  identity: IdentityMapping,
  protocols: string[],
): Promise<UpstreamAnswer> {
  const { cluster, path, headers } = await upstreamTarget(ctx, identity, { upgrade: true });
  for (const name of HANDSHAKE_HEADERS) delete headers[name];
  const url = new URL(path, cluster.target.baseUrl);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';

  return new Promise<UpstreamAnswer>((resolve) => {
    const ws = new WebSocket(url, protocols, {
      headers: headers as Record<string, string>,
      agent: cluster.target.agent,
      perMessageDeflate: false,
      followRedirects: false,
    });
    // Our own timer rather than ws's handshakeTimeout, so that a silent cluster is reported as a
    // timeout (504), like every other request the gateway forwards.
    const timer = setTimeout(() => {
      settle({ kind: 'failed', error: new UpstreamTimeoutError() });
      ws.terminate();
    }, cluster.upstreamTimeoutMs);
    const settle = (answer: UpstreamAnswer): void => {
      clearTimeout(timer);
      ws.off('open', onOpen);
      ws.off('error', onError);
      ws.off('unexpected-response', onUnexpected);
      resolve(answer);
    };
    const onOpen = (): void => settle({ kind: 'open', ws });
    const onError = (error: Error): void => settle({ kind: 'failed', error });
    const onUnexpected = (request: { destroy(): void }, res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_REFUSAL_BODY) chunks.push(chunk);
        size += chunk.length;
      });
      const done = (): void => {
        request.destroy();
        settle({
          kind: 'refused',
          status: res.statusCode ?? 502,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks),
        });
      };
      res.once('end', done);
      res.once('error', done);
    };
    ws.once('open', onOpen);
    ws.once('error', onError);
    ws.once('unexpected-response', onUnexpected);
    // Errors after the answer (a reset mid-stream) are handled by the relay's own listeners.
    ws.on('error', () => undefined);
  });
}
