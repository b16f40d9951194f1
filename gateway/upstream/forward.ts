import type { IncomingMessage } from 'node:http';
import { callerFrom, clusterFrom, type Handler } from '../pipeline/context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { UpstreamTimeoutError, upstreamFailure } from './errors.ts';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import { openUpstreamRequest, upstreamPath } from './upstream-request.ts';

/**
 * Terminal handler for ordinary requests: sends the request to the cluster as the agent
 * (impersonation) with the gateway's credential and streams the answer back chunk by chunk, so
 * watches and `logs -f` are never buffered. Teardown goes both ways: a client that goes away
 * aborts the upstream request, and an upstream that fails mid-stream cuts the client response.
 * Failures before the response starts become 502/503/504 Status objects.
 */
export function forward(identity: IdentityMapping): Handler {
  return async (ctx) => {
    const cluster = clusterFrom(ctx);
    const { req, res } = ctx;
    const headers = upstreamRequestHeaders(
      req,
      callerFrom(ctx),
      identity,
      await cluster.target.authorization(),
      { upgrade: false },
    );
    const path = upstreamPath(cluster, ctx.clusterPath ?? '/', ctx.rawQuery ?? '');
    const upstream = openUpstreamRequest(cluster, req.method ?? 'GET', path, headers);

    const timer = setTimeout(() => upstream.destroy(new UpstreamTimeoutError()), cluster.upstreamTimeoutMs);
    const clientGone = () => {
      if (!res.writableFinished) upstream.destroy();
    };
    res.once('close', clientGone);

    const response = new Promise<IncomingMessage>((resolve, reject) => {
      upstream.once('response', resolve);
      upstream.once('error', reject);
    });
    // The request body streams through; its failure surfaces as the upstream request's error.
    req.pipe(upstream);

    let upstreamRes: IncomingMessage;
    try {
      upstreamRes = await response;
    } catch (error) {
      res.off('close', clientGone);
      throw upstreamFailure(error, cluster.name);
    } finally {
      clearTimeout(timer);
    }

    ctx.status = upstreamRes.statusCode ?? 502;
    res.writeHead(ctx.status, clientResponseHeaders(upstreamRes.rawHeaders));
    if (upstreamRes.headers['content-length'] === undefined) {
      // A chunked answer may be a watch or a log follow: its small chunks must reach the client at
      // once, and the client must see the headers before the first event, however long that takes.
      res.socket?.setNoDelay(true);
      res.flushHeaders();
    }
    // Plain pipe rather than stream.pipeline: pipeline allocates an AbortController (and a
    // DOMException) per request, which showed up in the proxy benchmark's profile.
    const closed = new Promise<void>((resolve) => res.once('close', resolve));
    upstreamRes.once('error', () => res.destroy());
    upstreamRes.pipe(res);
    await closed;
  };
}
