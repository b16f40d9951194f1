import type { OutgoingHttpHeaders } from 'node:http';
import { callerFrom, type RequestContext } from '../request-context.ts';
import type { GatewayCluster } from '../runtime.ts';

/** Methods whose requests kubectl sends without a body. */
const BODILESS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

/**
 * After the cluster answered 401 to the gateway's own credential: tells the credential source
 * (exec plugin, EKS token), which drops it if cached, and — when the request can be sent again,
 * i.e. its body was read into `ctx.body` or it has none — puts a fresh credential into `headers`
 * and says so (true). Once per request: the caller sends it again at most once, so a cluster
 * that refuses every credential costs one extra round trip, not a loop.
 *
 * A 401 is only ever about the gateway's credential here: the agent's own token never goes
 * upstream (it was verified by the gateway and replaced).
 */
export async function renewAfterRefusal(
  ctx: RequestContext,
  cluster: GatewayCluster,
  headers: OutgoingHttpHeaders,
  status: number | undefined,
): Promise<boolean> {
  const target = cluster.target;
  if (status !== 401 || !target.rejected || typeof headers['authorization'] !== 'string') return false;
  const caller = callerFrom(ctx);
  target.rejected(headers['authorization'], caller);
  const req = ctx.req;
  const replayable =
    ctx.body !== undefined ||
    (BODILESS.has(req.method ?? 'GET') &&
      req.headers['content-length'] === undefined &&
      req.headers['transfer-encoding'] === undefined);
  if (!replayable) return false;
  const fresh = await target.authorization(caller);
  if (!fresh || fresh === headers['authorization']) return false;
  headers['authorization'] = fresh;
  return true;
}
