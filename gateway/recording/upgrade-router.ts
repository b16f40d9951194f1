import { StatusError } from '../../src/errors.ts';
import type { CompiledPolicy } from '../../src/policy/policy.types.ts';
import { type Handler, infoFrom, type RequestContext } from '../pipeline/context.ts';
import type { IdentityMapping } from '../runtime.ts';
import { relayUpgrade } from '../upstream/upgrade.ts';
import { countJoinedBytes, relayCounted } from './byte-relay.ts';
import { offeredChannelProtocols } from './exec-accept.ts';
import { relayRecordedExec } from './exec-relay.ts';
import { recordingOf } from './record-stage.ts';
import type { RecordingRuntime } from './start.ts';
import { SPDY_MESSAGE, unrecordableMessage } from './unrecordable-message.ts';

/**
 * The terminal handler for upgrades when recording is on: it picks how a stream is relayed.
 *
 * - exec/attach over WebSocket with a channel subprotocol (kubectl ≥ 1.30, or 1.29 with
 *   KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true): terminated and recorded frame by frame (exec-relay.ts);
 * - exec/attach any other way (SPDY: kubectl < 1.30, or ≥ 1.30 falling back; a WebSocket without
 *   a channel subprotocol): cannot be recorded, so refused with a 403 that names what the client
 *   sent and how to get a recordable client (unrecordable-message.ts) — unless the policy sets
 *   `allowUnrecordedStreams` (at the top level, or on the rule that allowed the call), when it is
 *   relayed byte for byte and its open, close and byte counts are recorded;
 * - port-forward (SPDY, or SPDY inside WebSocket): relayed byte for byte, open/close/bytes recorded;
 * - anything else (e.g. a WebSocket to a service proxy): relayed as before; its request and
 *   response are recorded like any request.
 *
 * The refusal runs after the policy: a call the policy denies gets the policy's message instead.
 */

/** The SPDY refusal (unrecordable-message.ts has every case). */
export const UNRECORDABLE_MESSAGE = SPDY_MESSAGE;

/** Whether the policy lets an allowed exec/attach pass unrecorded (top level, or the deciding rule). */
export function allowsUnrecordedStreams(policy: CompiledPolicy, ruleName: string | undefined): boolean {
  if (policy.allowUnrecordedStreams) return true;
  return policy.rules.some((rule) => rule.name === ruleName && rule.allowUnrecordedStreams === true);
}

export function recordedUpgrade(identity: IdentityMapping, runtime: RecordingRuntime | undefined): Handler {
  const relay = relayUpgrade(identity, { onJoined: countJoinedBytes });
  if (!runtime) return relay;
  return async (ctx: RequestContext) => {
    const recording = recordingOf(ctx);
    const info = infoFrom(ctx);
    const kind = info.isResourceRequest && info.resource === 'pods' ? info.subresource : '';
    if (!recording || (kind !== 'exec' && kind !== 'attach' && kind !== 'portforward')) return relay(ctx);
    if (kind === 'portforward') return relayCounted(ctx, recording, 'portforward', relay);
    const upgrade = String(ctx.req.headers.upgrade ?? '').toLowerCase();
    if (upgrade.includes('websocket') && offeredChannelProtocols(ctx.req).length > 0) {
      return relayRecordedExec(ctx, identity, recording, kind);
    }
    if (allowsUnrecordedStreams(runtime.policy, ctx.decision?.rule))
      return relayCounted(ctx, recording, kind, relay);
    ctx.refusal = 'unrecordable stream';
    throw new StatusError(403, 'Forbidden', `${kind} refused: ${unrecordableMessage(ctx.req)}`);
  };
}
