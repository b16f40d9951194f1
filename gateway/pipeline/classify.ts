import { classifyRequest } from '../../src/request/request-info.ts';
import type { Stage } from '../request-context.ts';

/**
 * Computes the request info exactly as kube-apiserver would (verb, group, resource, namespace,
 * name…). A path that cannot be classified with certainty is refused there with a 400, so policy
 * never evaluates a guess.
 */
export function classify(): Stage {
  return (next) => (ctx) => {
    ctx.info = classifyRequest(
      ctx.req.method ?? 'GET',
      ctx.clusterPath ?? '/',
      // The raw query, so it is read with Go's rules (and refused where Go and WHATWG disagree,
      // e.g. `?watch=1;x`); a pre-parsed URLSearchParams would skip that check.
      ctx.rawQuery ?? '',
    );
    // An upgrade through a proxy subresource (nodes/proxy, pods/proxy, services/proxy) reaches
    // kubelet's or a pod's streaming endpoints: `GET nodes/<n>/proxy/exec/…` is an exec into any
    // pod on that node. kube-apiserver authorizes it as `get` (the long-known nodes/proxy
    // escalation); the gateway counts it as `create`, like exec itself, so a read rule never
    // lets it through. (The legacy `/proxy/` verb path keeps verb `proxy`: the policy denies it
    // whatever the rules say, src/policy/proxy-subresources.ts.)
    const info = ctx.info;
    if (ctx.upgrade && info.subresource === 'proxy') {
      ctx.info = { ...info, verb: 'create' };
    }
    return next(ctx);
  };
}
