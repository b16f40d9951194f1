/**
 * Masking of a watch or a log served over WebSocket, message by message, with the same maskers
 * as the plain HTTP answer (response-masker.ts) — so an upgrade is never a way around masking.
 *
 * kube-apiserver's framing (what the filter expects from upstream):
 * - watch (`WatchServer.HandleWS`): every message is one watch event, JSON (`{"type":…,"object":…}`,
 *   usually followed by a newline), in a text message — or a binary one, which is how it frames
 *   an encoding that is not text. The gateway asks for JSON, so every message must be JSON.
 *   Each message is masked on its own, as a watch event (or, for an answer that is not a watch,
 *   as one document); its framing (text or binary) is kept.
 * - `pods/log` (`wsstream.Reader`): the log bytes in chunks, binary messages for subprotocol
 *   `binary.k8s.io` or none, base64 text messages for `base64.binary.k8s.io`. The chunks are one
 *   stream of text, masked line by line with the log detectors, so a value cut across messages
 *   is still seen whole; output keeps the subprotocol's encoding.
 *
 * Fails closed: `write` throws a `StatusError` (502) for a message it cannot read (not JSON, an
 * event larger than `maxObjectBytes`, a stream cut inside an event) and emits nothing of it; the
 * relay then ends the stream. `forProtocol` throws for a log subprotocol it does not know, before
 * the client is accepted.
 */
import { badGateway } from '../../src/errors.ts';
import { MaskTally } from '../../src/masking/mask-core.ts';
import type { BodyMasker, Emit } from './body-masker.ts';
import { LineMasker } from './line-masker.ts';
import { ObjectBodyMasker } from './object-body.ts';
import type { MaskPlan } from './plan.ts';
import { TextBodyMasker } from './text-body.ts';
import { WatchBodyMasker } from './watch-body.ts';

/** Rewrites upstream messages; calls its `emit` zero or more times per write. */
export interface MessageMasker {
  /** Masks one upstream message. Throws a `StatusError` to fail closed. */
  write(data: Buffer, binary: boolean): void;
  /** Upstream ended: emits what is held (a partial log line). */
  end(): void;
  /** Values replaced so far. */
  count(): number;
  /** Releases timers. */
  dispose(): void;
}

export type EmitMessage = (data: Buffer, binary: boolean) => void;

/** The log subprotocols kube-apiserver's `wsstream.NewDefaultReaderProtocols` speaks. */
const LOG_PROTOCOLS: Readonly<Record<string, 'binary' | 'base64'>> = {
  '': 'binary',
  'binary.k8s.io': 'binary',
  'base64.binary.k8s.io': 'base64',
};

/** Each message masked as a complete watch event (or a complete document). */
function documentMessages(plan: MaskPlan, emit: EmitMessage): MessageMasker {
  const tally = new MaskTally();
  return {
    write: (data, binary) => {
      const out: Buffer[] = [];
      const options = {
        kindHint: plan.kind,
        rules: plan.rules,
        maxObjectBytes: plan.limits.maxObjectBytes,
        tally,
        emit: (bytes: Buffer) => void out.push(bytes),
      };
      const masker: BodyMasker = plan.watch ? new WatchBodyMasker(options) : new ObjectBodyMasker(options);
      masker.write(data);
      masker.end();
      emit(Buffer.concat(out), binary);
    },
    end: () => {},
    count: () => tally.count,
    dispose: () => {},
  };
}

/** Log chunks as one text stream, masked line by line; output framed as the subprotocol says. */
function logMessages(
  plan: MaskPlan,
  framing: 'binary' | 'base64',
  follow: boolean,
  emit: EmitMessage,
): MessageMasker {
  const toClient: Emit =
    framing === 'base64'
      ? (bytes) => emit(Buffer.from(bytes.toString('base64')), false)
      : (bytes) => emit(bytes, true);
  const text = new TextBodyMasker({
    lineMasker: new LineMasker({ detectors: plan.rules.logs.detectors }),
    maxLineBytes: plan.limits.maxLineBytes,
    partialLineFlushMs: follow ? plan.limits.partialLineFlushMs : 0,
    emit: (bytes) => {
      if (bytes.length > 0) toClient(bytes);
    },
  });
  return {
    write: (data) => text.write(framing === 'base64' ? Buffer.from(data.toString('latin1'), 'base64') : data),
    end: () => text.end(),
    count: () => text.maskedCount(),
    dispose: () => text.dispose(),
  };
}

/**
 * The message masker for a stream under `plan`, given the subprotocol upstream chose; throws a
 * `StatusError` (502) when that subprotocol's framing is unknown (the stream cannot be read).
 */
export function messageMaskerFor(
  plan: MaskPlan,
  protocol: string,
  options: { follow: boolean },
): (emit: EmitMessage) => MessageMasker {
  if (plan.mode === 'object') return (emit) => documentMessages(plan, emit);
  const framing = Object.hasOwn(LOG_PROTOCOLS, protocol) ? LOG_PROTOCOLS[protocol] : undefined;
  if (framing === undefined) {
    throw badGateway(
      `The cluster chose the WebSocket subprotocol "${protocol.slice(0, 60)}" for a log, which the gateway ` +
        'cannot read to mask; it withholds the stream. Use binary.k8s.io or base64.binary.k8s.io.',
    );
  }
  return (emit) => logMessages(plan, framing, options.follow, emit);
}
