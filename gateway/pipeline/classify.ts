import { classifyRequest } from '../../src/request/request-info.ts';
import type { Stage } from './context.ts';

/**
 * Computes the request info exactly as kube-apiserver would (verb, group, resource, namespace,
 * name…). A path that cannot be classified with certainty is refused there with a 400, so policy
 * never evaluates a guess.
 */
export function classify(): Stage {
  return (next) => async (ctx) => {
    ctx.info = classifyRequest(
      ctx.req.method ?? 'GET',
      ctx.clusterPath ?? '/',
      ctx.query ?? new URLSearchParams(),
    );
    await next(ctx);
  };
}
