import type { MaskingLimits, MaskingRules } from '../../src/masking/policy.ts';
import { DETECTOR_NAMES } from '../../src/masking/text-detectors.ts';
import { LineMasker } from './line-masker.ts';
import { TextBodyMasker } from './text-body.ts';

/**
 * Masking of exec/attach text, line by line with the masking module's text masker
 * (gateway/masking/text-body.ts), one masker per channel so lines of stdout and stderr never mix.
 *
 * - Output (stdout, stderr) is masked with the caller's `logs` detectors and the pod's known secret
 *   values (exact match, so `printenv NAME` is masked like `env`) before it is sent to the
 *   client — with recording on or off — so `kubectl exec -- env` shows no credential, and a
 *   recording holds what the client saw. A partial line (a prompt, a progress bar) is flushed after a short wait:
 *   `partialLineFlushMs` from the masking limits, 30 ms with a TTY, where every keystroke's echo
 *   is a partial line.
 * - Input (stdin) is masked only in the recording, with every detector: what the agent typed
 *   reaches the container unchanged, but a password piped into a client is not kept.
 *
 * `flush()` emits whatever is held: called before the exit Status is relayed, so output and the
 * Status keep their order.
 */

export interface ChannelMasks {
  write(channel: number, bytes: Buffer): void;
  flush(): void;
  /** Values replaced so far. */
  count(): number;
  dispose(): void;
}

const TTY_FLUSH_MS = 30;

function channelMasks(
  detectors: ReadonlySet<(typeof DETECTOR_NAMES)[number]>,
  limits: Pick<MaskingLimits, 'maxLineBytes' | 'partialLineFlushMs'>,
  flushMs: number,
  emit: (channel: number, bytes: Buffer) => void,
  literals: readonly string[] = [],
): ChannelMasks {
  const maskers = new Map<number, TextBodyMasker>();
  const maskerFor = (channel: number): TextBodyMasker => {
    let masker = maskers.get(channel);
    if (!masker) {
      masker = new TextBodyMasker({
        lineMasker: new LineMasker({ detectors, literals }),
        maxLineBytes: limits.maxLineBytes,
        partialLineFlushMs: flushMs,
        emit: (bytes) => {
          if (bytes.length > 0) emit(channel, bytes);
        },
      });
      maskers.set(channel, masker);
    }
    return masker;
  };
  return {
    write: (channel, bytes) => maskerFor(channel).write(bytes),
    flush: () => {
      for (const masker of maskers.values()) masker.end();
    },
    count: () => [...maskers.values()].reduce((sum, masker) => sum + masker.maskedCount(), 0),
    dispose: () => {
      for (const masker of maskers.values()) masker.dispose();
    },
  };
}

/**
 * The output filter for an exec/attach stream: the caller's `logs` detectors, plus the exact
 * values the gateway knows to be secret for the pod (`knownValues`: masking/known-values.ts —
 * values shorter than 4 characters are ignored by the line masker), one masker per channel;
 * undefined when there is nothing to mask (the relay then sends output as is).
 */
export function execOutputFilter(
  rules: MaskingRules,
  limits: MaskingLimits,
  tty: boolean,
  knownValues: readonly string[] = [],
): ((emit: (channel: number, bytes: Buffer) => void) => ChannelMasks) | undefined {
  if (rules.logs.detectors.size === 0 && knownValues.length === 0) return undefined;
  const flushMs = tty ? TTY_FLUSH_MS : Math.max(1, limits.partialLineFlushMs);
  return (emit) => channelMasks(rules.logs.detectors, limits, flushMs, emit, knownValues);
}

/** The recording-only mask for stdin: every detector. */
export function inputMask(
  limits: MaskingLimits,
  tty: boolean,
  emit: (channel: number, bytes: Buffer) => void,
): ChannelMasks {
  const flushMs = tty ? TTY_FLUSH_MS : Math.max(1, limits.partialLineFlushMs);
  return channelMasks(new Set(DETECTOR_NAMES), limits, flushMs, emit);
}
