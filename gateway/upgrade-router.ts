import { StatusError } from '../src/errors.ts';
import { maskingRulesFor } from '../src/masking/policy.ts';
import type { CompiledPolicy } from '../src/policy/policy.types.ts';
import { execOutputFilter } from './masking/exec-output.ts';
import { relayCounted } from './recording/counted-stream.ts';
import { recordChannelStream } from './recording/exec-recording.ts';
import { callerFrom, type Handler, infoFrom, type RequestContext } from './request-context.ts';
import type { GatewayRuntime } from './runtime.ts';
import { relayUpgrade } from './upstream/byte-relay.ts';
import { offeredChannelProtocols } from './upstream/exec-accept-websocket.ts';
import { type ChannelStreamObserver, relayChannelStream } from './upstream/exec-relay-websocket.ts';

/**
 * The terminal handler for upgrades: it picks how a stream is relayed, and plugs masking and
 * recording into the relay independently of each other.
 *
 * - exec/attach over WebSocket with a channel subprotocol (kubectl ≥ 1.30, or 1.29 with
 *   KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true): terminated and relayed frame by frame
 *   (upstream/exec-relay-websocket.ts) whenever something needs to see the frames: output masked
 *   with the caller's log detectors (masking/exec-output.ts), and recorded when recording is on
 *   (recording/exec-recording.ts). With neither, it is joined byte for byte.
 * - exec/attach any other way (SPDY: kubectl < 1.30, or ≥ 1.30 falling back): its frames cannot be
 *   read, so with recording on it is refused with a 403 that says how to get a recordable client —
 *   unless the policy sets `allowUnrecordedStreams` (at the top level, or on the rule that allowed
 *   the call), when it is relayed byte for byte and its open, close and byte counts are recorded;
 * - port-forward (SPDY, or SPDY inside WebSocket): relayed byte for byte; with recording on,
 *   open/close/bytes are recorded;
 * - a proxy subresource (e.g. a WebSocket to a service or pod proxy): relayed byte for byte; its
 *   request and response are recorded like any request;
 * - anything else is refused with a 400: kube-apiserver also serves watch (and a kubelet, logs)
 *   over WebSocket, and answers a plain GET that carries an Upgrade header with the object itself;
 *   relayed byte for byte, either would skip masking. kubectl never asks for them.
 *
 * The refusal runs after the policy: a call the policy denies gets the policy's message instead.
 */

export const UNRECORDABLE_MESSAGE =
  'this gateway records every exec and attach session, and this one arrived over SPDY, which cannot ' +
  'be recorded, so it was refused. Use kubectl 1.30 or later, which uses WebSockets (recorded), or with ' +
  'kubectl 1.29 set the environment variable KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true and run the ' +
  'command again.';

export const UNMASKABLE_UPGRADE_MESSAGE =
  'hoop-gateway relays connection upgrades (WebSocket, SPDY) only for exec, attach, port-forward and ' +
  'proxy subresources. A watch, log stream or read over WebSocket would reach you unmasked, so it is ' +
  'refused: send the same request without the Upgrade header (a plain HTTP watch, as kubectl does).';

/** Whether the policy lets an allowed exec/attach pass unrecorded (top level, or the deciding rule). */
export function allowsUnrecordedStreams(policy: CompiledPolicy, ruleName: string | undefined): boolean {
  if (policy.allowUnrecordedStreams) return true;
  return policy.rules.some((rule) => rule.name === ruleName && rule.allowUnrecordedStreams === true);
}

type StreamKind = 'exec' | 'attach' | 'portforward';

function streamKindOf(ctx: RequestContext): StreamKind | undefined {
  const info = infoFrom(ctx);
  if (!info.isResourceRequest || info.resource !== 'pods') return undefined;
  const sub = info.subresource;
  return sub === 'exec' || sub === 'attach' || sub === 'portforward' ? sub : undefined;
}

export function routeUpgrade(runtime: GatewayRuntime): Handler {
  const identity = runtime.identity;
  const relay = relayUpgrade(identity);
  return async (ctx: RequestContext) => {
    const kind = streamKindOf(ctx);
    if (!kind) {
      if (infoFrom(ctx).subresource === 'proxy') return relay(ctx);
      ctx.refusal = 'unmaskable upgrade';
      throw new StatusError(400, 'BadRequest', UNMASKABLE_UPGRADE_MESSAGE);
    }
    const recording = ctx.recording;
    if (kind === 'portforward') return recording ? relayCounted(ctx, recording, kind, identity) : relay(ctx);

    const upgrade = String(ctx.req.headers.upgrade ?? '').toLowerCase();
    const protocols = offeredChannelProtocols(ctx.req);
    if (upgrade.includes('websocket') && protocols.length > 0) {
      const tty = ['true', '1'].includes(new URLSearchParams(ctx.rawQuery ?? '').get('tty') ?? '');
      const limits = runtime.masking.limits;
      const outputFilter = execOutputFilter(maskingRulesFor(runtime.masking, callerFrom(ctx)), limits, tty);
      const observers: ChannelStreamObserver[] = recording
        ? [recordChannelStream(ctx, recording, { kind, protocol: protocols[0] ?? '', limits })]
        : [];
      if (!outputFilter && observers.length === 0) return relay(ctx);
      // With recording on, kubectl's SPDY retry would be refused: report refusals in-band.
      const refusals = recording ? 'in-band' : 'http';
      return relayChannelStream(ctx, identity, {
        refusals,
        observers,
        ...(outputFilter ? { outputFilter } : {}),
      });
    }
    if (!recording) return relay(ctx);
    if (allowsUnrecordedStreams(recording.runtime.policy, ctx.decision?.rule))
      return relayCounted(ctx, recording, kind, identity);
    ctx.refusal = 'unrecordable stream';
    throw new StatusError(403, 'Forbidden', `${kind} refused: ${UNRECORDABLE_MESSAGE}`);
  };
}
