import { StatusError } from '../../src/errors.ts';
import { goQueryBool } from '../../src/request/query.ts';
import { type MaskPlan, upstreamAcceptFor } from '../masking/index.ts';
import { messageMaskerFor } from '../masking/websocket-messages.ts';
import { queryOf, type RequestContext } from '../request-context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { relayMessageStream } from './message-relay-websocket.ts';
import { relayResponse } from './relay-response.ts';
import { messageAnswer } from './upstream-exchange.ts';

/**
 * The terminal handler for an upgrade request whose answer must be masked (planMasking gave a
 * plan: a watch or get of Secrets, Pods, workloads, named ConfigMaps; `pods/log`). kube-apiserver
 * serves watches and logs over WebSocket, and answers an upgrade it does not perform (a get, a
 * list) as a plain response, so both must be masked as a plain request's answer would be:
 *
 * - `Upgrade: websocket`: the WebSocket is terminated on both sides and every upstream message is
 *   masked on its way (masking/websocket-messages.ts: watch events one by one, log chunks line by
 *   line); a non-101 answer goes through the response masker, exactly as `forward` relays it;
 *   upstream is asked for JSON, as for a plain request.
 * - any other upgrade (SPDY, h2c, …): its stream could not be read, so it is refused with a 400
 *   Status before anything goes upstream. kube-apiserver upgrades these paths to WebSocket only.
 *
 * Not here: exec/attach/port-forward (upgrade-router.ts) and proxy subresources, which are left
 * to the byte relay (and the policy).
 */

const BEARER_PROTOCOL = 'base64url.bearer.authorization.k8s.io.';
/** RFC 7230 token: what a subprotocol must be (ws refuses anything else). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Largest log message accepted from upstream (kube-apiserver sends chunks of a few KiB). */
const MAX_LOG_MESSAGE = 4 * 1024 * 1024;

/** The client's offered subprotocols, credentials removed; a 400 for a malformed header. */
function offeredProtocols(ctx: RequestContext): string[] {
  const header = ctx.req.headers['sec-websocket-protocol'];
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const offered = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (offered.some((p) => !TOKEN.test(p)))
    throw new StatusError(400, 'BadRequest', 'Sec-WebSocket-Protocol must list tokens separated by commas');
  return offered.filter((p) => !p.toLowerCase().startsWith(BEARER_PROTOCOL));
}

export function relayMaskedUpgrade(
  identity: IdentityMapping,
): (ctx: RequestContext, plan: MaskPlan) => Promise<void> {
  return async (ctx, plan) => {
    const upgrade = String(ctx.req.headers.upgrade ?? '').trim();
    if (upgrade.toLowerCase() !== 'websocket') {
      ctx.refusal = 'unmaskable upgrade';
      throw new StatusError(
        400,
        'BadRequest',
        `the gateway does not relay "Upgrade: ${upgrade.slice(0, 40)}" here: this answer can hold secret values, ` +
          'which the gateway must read to mask, and it can read them over WebSocket only. Send the request ' +
          'without Upgrade, or upgrade to websocket.',
      );
    }
    // Read as kube-apiserver reads it (`follow=1` follows too), as for a log over plain HTTP.
    const follow = goQueryBool(queryOf(ctx), 'follow');
    await relayMessageStream(ctx, identity, {
      protocols: offeredProtocols(ctx),
      adjustHeaders: (headers) => {
        headers['accept'] = upstreamAcceptFor(plan, ctx.req.headers.accept);
        headers['accept-encoding'] = 'gzip';
      },
      maxPayload: plan.mode === 'object' ? plan.limits.maxObjectBytes + 1 : MAX_LOG_MESSAGE,
      filterFor: (protocol, emit) => messageMaskerFor(plan, protocol, { follow })(emit),
      answer: (res) => relayResponse(ctx, messageAnswer(res), plan),
    });
  };
}
