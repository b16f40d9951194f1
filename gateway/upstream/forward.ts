import type { OutgoingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import type { CompiledMaskingPolicy } from '../masking/index.ts';
import type { Handler, RequestContext } from '../request-context.ts';
import type { GatewayCluster, IdentityMapping } from '../runtime.ts';
import { renewAfterRefusal } from './credential-refusal.ts';
import { UpstreamTimeoutError, upstreamFailure } from './errors.ts';
import { prepareMasking, relayResponse } from './relay-response.ts';
import { NOWHERE, type UpstreamAnswer, UpstreamExchange } from './upstream-exchange.ts';
import { upstreamTarget } from './upstream-request.ts';

/**
 * Terminal handler for ordinary requests: sends the request to the cluster as the agent
 * (impersonation) with the gateway's credential and streams the answer back chunk by chunk, so
 * watches and `logs -f` are never buffered. Teardown goes both ways: a client that goes away
 * aborts the upstream request, and an upstream that fails mid-stream cuts the client response.
 * Failures before the response starts become 502/503/504 Status objects. Responses that may carry
 * secret values (Secrets, pod env, logs…) go through the masker (relay-response.ts).
 */
export function forward(identity: IdentityMapping, masking: CompiledMaskingPolicy): Handler {
  return async (ctx) => {
    const { req } = ctx;
    const { cluster, path, headers } = await upstreamTarget(ctx, identity, { upgrade: false });
    if (ctx.body && (ctx.body.length > 0 || req.headers['content-length'] !== undefined))
      headers['content-length'] = String(ctx.body.length);
    const plan = prepareMasking(ctx, masking, headers);
    headers['audit-id'] = ctx.id; // kube-apiserver's audit log then carries the gateway's request id
    const sentAt = process.hrtime.bigint();
    let answer = await send(ctx, cluster, path, headers);
    // A cached upstream credential the cluster no longer takes (revoked, rotated early): renewed
    // and the request sent once more, when its body can be sent again (credential-refusal.ts).
    if (await renewAfterRefusal(ctx, cluster, headers, answer.head.statusCode)) {
      answer.body.sendBodyTo(NOWHERE); // read to its end, so its connection is reused
      answer = await send(ctx, cluster, path, headers);
    }

    ctx.upstreamMs = Number(process.hrtime.bigint() - sentAt) / 1e6;
    ctx.upstream = answer.body;
    await relayResponse(ctx, answer, plan);
  };
}

/**
 * Sends the request once and waits for the response headers (or the cluster's upstream timeout,
 * or the client going away, which also ends the exchange later on).
 */
async function send(
  ctx: RequestContext,
  cluster: GatewayCluster,
  path: string,
  headers: OutgoingHttpHeaders,
): Promise<UpstreamAnswer> {
  const { res } = ctx;
  const exchange = new UpstreamExchange();
  // Covers connecting too: a request waiting for a new connection has no controller to time out yet.
  const timer = setTimeout(() => exchange.abort(new UpstreamTimeoutError()), cluster.upstreamTimeoutMs);
  // writableEnded, not writableFinished: an HTTP/2 response whose stream the client reset
  // reads as finished (its stream's writable side is done), though the gateway never ended it.
  const clientGone = () => {
    if (!res.writableEnded) exchange.abort(new Error('the client went away'));
  };
  res.once('close', clientGone);
  const method = ctx.req.method ?? 'GET';
  const body = requestBody(ctx);
  const request = { path, method, headers: headers as Record<string, string | string[]> };
  // A watch holds its connection for minutes: on HTTP/2 it is a stream on a shared one.
  if (ctx.info?.verb === 'watch' && method === 'GET' && body === null) {
    cluster.target.watches.dispatch(request, exchange);
  } else {
    cluster.target.requests.dispatch({ ...request, body }, exchange);
  }
  try {
    return { body: exchange, head: await exchange.head };
  } catch (error) {
    res.off('close', clientGone);
    throw upstreamFailure(error, cluster.name);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What to send as the request body. A stage that had to read it (review) left the bytes in
 * ctx.body: exactly those. A bodiless request (no Content-Length, not chunked) or one sent again
 * after a 401: none. Else the client's body streams through a PassThrough: undici destroys a body
 * stream it gives up on (a timeout mid-upload), and the client's request must outlive that, with
 * its socket, until the 504 is written and logged.
 */
function requestBody(ctx: RequestContext): Buffer | PassThrough | null {
  const { req } = ctx;
  if (ctx.body) return ctx.body;
  if (req.readableEnded) return null;
  const length = req.headers['content-length'];
  if (length === '0' || (length === undefined && req.headers['transfer-encoding'] === undefined)) return null;
  return req.pipe(new PassThrough());
}
