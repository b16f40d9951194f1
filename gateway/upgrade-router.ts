import { StatusError } from '../src/errors.ts';
import { maskingRulesFor } from '../src/masking/policy.ts';
import type { CompiledPolicy } from '../src/policy/policy.types.ts';
import { execOutputFilter } from './masking/exec-output.ts';
import { planMasking } from './masking/index.ts';
import { relayCounted } from './recording/counted-stream.ts';
import { recordChannelStream } from './recording/exec-recording.ts';
import { SPDY_MESSAGE, unrecordableMessage } from './recording/unrecordable-message.ts';
import { callerFrom, clusterFrom, type Handler, infoFrom, type RequestContext } from './request-context.ts';
import type { GatewayRuntime } from './runtime.ts';
import { relayUpgrade } from './upstream/byte-relay.ts';
import { offeredChannelProtocols } from './upstream/exec-accept-websocket.ts';
import { knownSecretValues } from './upstream/exec-known-values.ts';
import { type ChannelStreamObserver, relayChannelStream } from './upstream/exec-relay-websocket.ts';
import { relayMaskedUpgrade } from './upstream/masked-upgrade.ts';

/**
 * The terminal handler for upgrades: it picks how a stream is relayed, and plugs masking and
 * recording into the relay independently of each other.
 *
 * - exec/attach over WebSocket with a channel subprotocol (kubectl ≥ 1.30, or 1.29 with
 *   KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true): terminated and relayed frame by frame
 *   (upstream/exec-relay-websocket.ts) whenever something needs to see the frames: output masked
 *   with the caller's log detectors and the pod's known secret values — read as the agent first,
 *   upstream/exec-known-values.ts — (masking/exec-output.ts), and recorded when recording is on
 *   (recording/exec-recording.ts). With neither, it is joined byte for byte.
 * - exec/attach any other way (SPDY: kubectl < 1.30, or ≥ 1.30 falling back; a WebSocket without
 *   a channel subprotocol): its frames cannot be read, so with recording on it is refused with a
 *   403 that names what the client sent and how to get a recordable client —
 *   unless the policy sets `allowUnrecordedStreams` (at the top level, or on the rule that allowed
 *   the call), when it is relayed byte for byte and its open, close and byte counts are recorded;
 * - port-forward (SPDY, or SPDY inside WebSocket): relayed byte for byte; with recording on,
 *   open/close/bytes are recorded;
 * - anything whose answer must be masked (planMasking: a watch or get of Secrets, Pods,
 *   workloads, named ConfigMaps; `pods/log`), which kube-apiserver serves over WebSocket: the
 *   WebSocket is terminated and every message masked (upstream/masked-upgrade.ts); any other
 *   upgrade there is refused with a 400, since its stream could not be read;
 * - anything else (e.g. a WebSocket to a service proxy): relayed byte for byte; its request and
 *   response are recorded like any request. A non-101 answer goes through the response masker.
 *
 * The refusal runs after the policy: a call the policy denies gets the policy's message instead.
 */

/** The SPDY refusal (recording/unrecordable-message.ts has every case). */
export const UNRECORDABLE_MESSAGE = SPDY_MESSAGE;

/**
 * How long an exec/attach waits to learn its pod's secret values (upstream/exec-known-values.ts)
 * before it is relayed with what is known by then: the pod, then its Secrets and ConfigMaps.
 */
const KNOWN_VALUES_TIMEOUT_MS = 3000;

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
  const relay = relayUpgrade(identity, runtime.masking);
  const relayMasked = relayMaskedUpgrade(identity);
  return async (ctx: RequestContext) => {
    const kind = streamKindOf(ctx);
    if (!kind) {
      const plan = planMasking(infoFrom(ctx), callerFrom(ctx), runtime.masking, ctx.req.method ?? 'GET');
      return plan ? relayMasked(ctx, plan) : relay(ctx);
    }
    const recording = ctx.recording;
    if (kind === 'portforward') return recording ? relayCounted(ctx, recording, kind, identity) : relay(ctx);

    const upgrade = String(ctx.req.headers.upgrade ?? '').toLowerCase();
    const protocols = offeredChannelProtocols(ctx.req);
    if (upgrade.includes('websocket') && protocols.length > 0) {
      const tty = ['true', '1'].includes(new URLSearchParams(ctx.rawQuery ?? '').get('tty') ?? '');
      const limits = runtime.masking.limits;
      const rules = maskingRulesFor(runtime.masking, callerFrom(ctx));
      const timeoutMs = Math.min(KNOWN_VALUES_TIMEOUT_MS, clusterFrom(ctx).upstreamTimeoutMs);
      const known = await knownSecretValues(ctx, identity, rules, timeoutMs);
      const outputFilter = execOutputFilter(rules, limits, tty, known);
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
    throw new StatusError(403, 'Forbidden', `${kind} refused: ${unrecordableMessage(ctx.req)}`);
  };
}
