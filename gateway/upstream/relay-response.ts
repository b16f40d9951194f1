import type { OutgoingHttpHeaders } from 'node:http';
import type { Transform } from 'node:stream';
import { goQueryBool } from '../../src/request/query.ts';
import {
  type CompiledMaskingPolicy,
  createResponseMasker,
  type MaskPlan,
  planMasking,
  upstreamAcceptFor,
} from '../masking/index.ts';
import { callerFrom, infoFrom, queryOf, type RequestContext } from '../request-context.ts';
import { statusFromError, writeStatus } from '../respond/status.ts';
import { clientResponseHeaders } from './headers.ts';
import { type UpstreamAnswer, type UpstreamBody, writeInto } from './upstream-exchange.ts';

/** The response's body is re-encoded by the masker: plain bytes of unknown length. */
const MASKED_DROPS = new Set(['content-encoding', 'content-length']);

/**
 * Decides whether this response must be masked and, if so, asks upstream for JSON (never
 * protobuf, which the masker cannot read) in gzip. Cheap: it runs on every request, and returns
 * null for everything that needs no masking, which then streams through untouched.
 */
export function prepareMasking(
  ctx: RequestContext,
  policy: CompiledMaskingPolicy,
  headers: OutgoingHttpHeaders,
): MaskPlan | null {
  const plan = planMasking(infoFrom(ctx), callerFrom(ctx), policy, ctx.req.method ?? 'GET');
  if (!plan) return null;
  headers['accept'] = upstreamAcceptFor(plan, ctx.req.headers.accept);
  headers['accept-encoding'] = 'gzip';
  return plan;
}

/**
 * Sends the upstream answer to the client: as is when there is no plan, else through the masker.
 * A chunked answer (watch, log follow) gets its head at once so the client sees it before the
 * first event. A masked single object's head waits for the masker's first byte, so a body it
 * cannot mask still becomes a 502 Status rather than a cut-off 200. Resolves when the client
 * response is closed.
 */
export function relayResponse(
  ctx: RequestContext,
  answer: UpstreamAnswer,
  plan: MaskPlan | null,
): Promise<void> {
  const { res } = ctx;
  const { body: exchange, head } = answer;
  const status = head.statusCode;
  ctx.status = status;
  const closed = new Promise<void>((resolve) => res.once('close', resolve));
  const streaming = head.headers['content-length'] === undefined;
  const writeHead = (drop?: Set<string>) => {
    if (res.headersSent) return;
    res.writeHead(status, clientResponseHeaders(head.headers, drop));
    if (streaming) {
      // Watches and log follows: small chunks must reach the client at once.
      res.socket?.setNoDelay(true);
      res.flushHeaders();
    }
  };

  if (!plan) {
    writeHead();
    // Failing mid-stream, the connection is cut: the client must not take a cut body as whole.
    exchange.sendBodyTo(writeInto(res, exchange, () => res.destroy()));
    return closed;
  }

  const follow = goQueryBool(queryOf(ctx), 'follow');
  const masker = createResponseMasker(plan, {
    statusCode: status,
    contentType: single(head.headers['content-type']),
    contentEncoding: single(head.headers['content-encoding']),
    isWatch: infoFrom(ctx).verb === 'watch',
    isFollowLog: follow,
    ...(ctx.writeValues ? { requestValues: ctx.writeValues } : {}),
  });
  if (plan.watch || follow) writeHead(MASKED_DROPS);
  pipeMasked(ctx, exchange, masker, () => writeHead(MASKED_DROPS));
  return closed.then(() => {
    ctx.masked = masker.maskedCount();
  });
}

/** A header the masker reads once: the first value if the cluster sent it twice. */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function pipeMasked(
  ctx: RequestContext,
  exchange: UpstreamBody,
  masker: Transform,
  writeHead: () => void,
): void {
  const { res } = ctx;
  masker.on('data', (chunk: Buffer) => {
    writeHead();
    if (!res.write(chunk)) masker.pause();
  });
  res.on('drain', () => masker.resume());
  masker.once('end', () => {
    writeHead();
    res.end();
  });
  masker.once('error', (error: unknown) => {
    exchange.abort(error instanceof Error ? error : new Error(String(error)));
    if (res.headersSent) {
      res.destroy(); // mid-stream: cut the connection, never pass an unmasked remainder
      return;
    }
    const { status, headers } = statusFromError(error);
    ctx.status = status.code;
    ctx.refusal = 'unmaskable response';
    writeStatus(res, status, headers);
  });
  exchange.sendBodyTo(writeInto(masker, exchange, (error) => masker.destroy(error)));
}
