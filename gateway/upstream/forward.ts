import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { CompiledMaskingPolicy } from '../masking/index.ts';
import type { Handler, RequestContext } from '../request-context.ts';
import type { GatewayCluster, IdentityMapping } from '../runtime.ts';
import { renewAfterRefusal } from './credential-refusal.ts';
import { UpstreamTimeoutError, upstreamFailure } from './errors.ts';
import { prepareMasking, relayResponse } from './relay-response.ts';
import { openUpstreamRequest, upstreamTarget } from './upstream-request.ts';

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
    let upstreamRes = await send(ctx, cluster, path, headers);
    // A cached upstream credential the cluster no longer takes (revoked, rotated early): renewed
    // and the request sent once more, when its body can be sent again (credential-refusal.ts).
    if (await renewAfterRefusal(ctx, cluster, headers, upstreamRes.statusCode)) {
      upstreamRes.resume();
      upstreamRes = await send(ctx, cluster, path, headers);
    }

    ctx.upstreamMs = Number(process.hrtime.bigint() - sentAt) / 1e6;
    ctx.upstreamResponse = upstreamRes;
    await relayResponse(ctx, upstreamRes, plan);
  };
}

/** Sends the request once and waits for the response headers (or a timeout, or the client going away). */
async function send(
  ctx: RequestContext,
  cluster: GatewayCluster,
  path: string,
  headers: OutgoingHttpHeaders,
): Promise<IncomingMessage> {
  const { req, res } = ctx;
  const upstream = openUpstreamRequest(cluster, req.method ?? 'GET', path, headers);

  let timer: NodeJS.Timeout | undefined;
  // Raced, not left to destroy(): a request still queued for a pooled socket (all of the agent's
  // maxSockets busy with watches) emits no 'error' when destroyed, so it would wait forever.
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new UpstreamTimeoutError()), cluster.upstreamTimeoutMs);
  });
  const clientGone = () => {
    if (!res.writableFinished) upstream.destroy();
  };
  res.once('close', clientGone);

  const response = new Promise<IncomingMessage>((resolve, reject) => {
    upstream.once('response', resolve);
    upstream.once('error', reject);
  });
  // The request body streams through; its failure surfaces as the upstream request's error.
  // A stage that had to read it (review) left the bytes in ctx.body: send exactly those.
  if (ctx.body) upstream.end(ctx.body);
  else if (req.readableEnded)
    upstream.end(); // sent again after a 401: a bodiless request
  else req.pipe(upstream);

  try {
    return await Promise.race([response, timedOut]);
  } catch (error) {
    res.off('close', clientGone);
    upstream.destroy();
    throw upstreamFailure(error, cluster.name);
  } finally {
    clearTimeout(timer);
  }
}
