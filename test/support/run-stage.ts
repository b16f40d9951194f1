import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Handler, RequestContext, Stage } from '../../gateway/request-context.ts';
import { statusFromError, writeStatus } from '../../gateway/respond/status.ts';
import type { KubeStatus } from '../../src/errors.ts';

/**
 * Runs one pipeline stage on its own, over a real loopback HTTP exchange: the stage gets a real
 * `IncomingMessage` and `ServerResponse` (an upgrade request gets its response bound to the raw
 * socket, as gateway/server.ts does), the context fields earlier stages would have left, and a
 * `next` that records the call. What comes back is what the client read.
 *
 * A stage below `requestLog` answers a refusal by throwing; the chain turns that into a Status
 * in `requestLog`. The helper does the same with the same module (respond/status.ts), so a row
 * sees the Status kubectl would print, and `thrown` keeps the error. Unlike `requestLog` it
 * leaves the context alone, so `ctx.refusal` and `ctx.status` are only what the stage set.
 */

/** What earlier stages would have left in the context (not the request, response or socket). */
export type ContextFields = Omit<Partial<RequestContext>, 'req' | 'res' | 'upgrade' | 'startedAt'>;

export interface StageInput {
  /** Default `GET`. */
  method?: string;
  /** The request target as sent, e.g. `/clusters/prod/api/v1/pods?limit=5`; default `/`. */
  url?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Sent as a WebSocket upgrade request: the stage sees `ctx.upgrade` with the raw socket. */
  upgrade?: boolean;
  /** Fields set before the stage runs. */
  ctx?: ContextFields;
  /**
   * What happens once the stage calls next (after the call is recorded). Default: answer 200 with
   * an empty ConfigMapList ({@link OK_BODY}), standing in for the rest of the chain.
   */
  next?: Handler;
  /** The client hangs up when this aborts. */
  signal?: AbortSignal;
}

export interface StageRun {
  /** Status code the client read; undefined when the client hung up or the exchange was cut. */
  status: number | undefined;
  headers: IncomingHttpHeaders;
  body: string;
  /** True when the response arrived whole (not cut mid-body). */
  complete: boolean;
  /** The body as a Kubernetes Status, when it is one. */
  kubeStatus: KubeStatus | undefined;
  /** How often the stage called next, and a copy of the context as next first received it. */
  next: { calls: number; ctx: RequestContext | undefined };
  /** The context once the stage finished. */
  ctx: RequestContext;
  /** What the stage threw, when it threw. */
  thrown: unknown;
}

/**
 * What the default `next` answers: a real Kubernetes shape (the recorder withholds bodies that
 * declare no kind), and one no masking rule touches.
 */
export const OK_BODY = { kind: 'ConfigMapList', apiVersion: 'v1', metadata: {}, items: [] };

/** The default `next`: what the rest of the chain would do for an allowed request. */
export const answerOk: Handler = async (ctx) => {
  ctx.res.writeHead(200, { 'content-type': 'application/json' });
  ctx.res.end(JSON.stringify(OK_BODY));
};

export async function runStage(stage: Stage, input: StageInput = {}): Promise<StageRun> {
  const next: StageRun['next'] = { calls: 0, ctx: undefined };
  const recordingNext: Handler = async (ctx) => {
    next.calls++;
    next.ctx ??= { ...ctx };
    await (input.next ?? answerOk)(ctx);
  };
  const handler = stage(recordingNext);
  let handled: Promise<{ ctx: RequestContext; thrown: unknown }> | undefined;
  const run = (ctx: RequestContext): void => {
    // A stage may refuse by throwing synchronously (request-context.ts: Handler).
    handled = new Promise<void>((resolve) => resolve(handler(ctx))).then(
      () => ({ ctx, thrown: undefined }),
      (thrown: unknown) => {
        const { status, headers } = statusFromError(thrown);
        writeStatus(ctx.res, status, headers);
        return { ctx, thrown };
      },
    );
    // A stage that returns without answering would leave a real client waiting: cut it instead.
    void handled.then(({ ctx }) => {
      if (!ctx.res.writableEnded) ctx.res.destroy();
    });
  };
  const context = (req: IncomingMessage, res: ServerResponse): RequestContext => ({
    ...input.ctx,
    id: input.ctx?.id ?? 'test-request-id',
    req,
    res,
    startedAt: process.hrtime.bigint(),
  });

  const server = createServer();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => run(context(req, res)));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    res.once('finish', () => socket.end());
    socket.on('error', () => socket.destroy());
    run({ ...context(req, res), upgrade: { socket, head } });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const client = await exchange((server.address() as AddressInfo).port, input);
    if (!handled) throw new Error('runStage: the request never reached the stage');
    const { ctx, thrown } = await handled;
    return { ...client, kubeStatus: asStatus(client), next, ctx, thrown };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

type ClientView = Pick<StageRun, 'status' | 'headers' | 'body' | 'complete'>;

/** Sends the request and reads the answer, whatever happens to the connection. */
function exchange(port: number, input: StageInput): Promise<ClientView> {
  return new Promise((resolve) => {
    const headers: Record<string, string | string[]> = { ...input.headers };
    // Node's client sends a DELETE or GET body unframed unless told its length; kubectl frames it.
    if (input.body !== undefined && !headers['content-length'] && !headers['transfer-encoding'])
      headers['content-length'] = String(Buffer.byteLength(input.body));
    if (input.upgrade) {
      headers['connection'] = 'Upgrade';
      headers['upgrade'] = 'websocket';
      headers['sec-websocket-version'] = '13';
      headers['sec-websocket-key'] = 'dGhlIHNhbXBsZSBub25jZQ==';
    }
    const req = request({
      host: '127.0.0.1',
      port,
      method: input.method ?? 'GET',
      path: input.url ?? '/',
      headers,
      agent: false,
      ...(input.signal ? { signal: input.signal } : {}),
    });
    let view: ClientView = { status: undefined, headers: {}, body: '', complete: false };
    req.on('error', () => resolve(view));
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode, headers: res.headers, body: '', complete: true });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      view = { status: res.statusCode, headers: res.headers, body: '', complete: false };
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ ...view, body: Buffer.concat(chunks).toString(), complete: true }));
      res.on('error', () => resolve({ ...view, body: Buffer.concat(chunks).toString() }));
      res.on('close', () => resolve({ ...view, body: Buffer.concat(chunks).toString() }));
    });
    req.end(input.body);
  });
}

function asStatus(view: ClientView): KubeStatus | undefined {
  if (!view.headers['content-type']?.startsWith('application/json')) return undefined;
  try {
    const parsed = JSON.parse(view.body) as { kind?: unknown };
    return parsed.kind === 'Status' ? (parsed as KubeStatus) : undefined;
  } catch {
    return undefined;
  }
}
