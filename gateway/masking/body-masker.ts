/**
 * What the three body maskers (object/list, watch, text) share: the interface the response
 * masker drives, and `ByteSection`, the bounded buffer each uses to hold one piece of a body (an
 * object, a list element, a watch event, a line) until it is complete.
 *
 * A body masker emits bytes only for pieces it has completely read and masked. When it throws
 * (a `StatusError` 502), nothing of the failing piece has been emitted: that is the fail-closed
 * guarantee the proxy relies on.
 */
import { badGateway, type StatusError } from '../../src/errors.ts';
import type { JsonValue } from '../../src/masking/mask-core.ts';

/** Where a body masker sends the bytes it lets through. */
export type Emit = (bytes: Buffer) => void;

export interface BodyMasker {
  /** Consumes the next decoded chunk of the body. Throws a `StatusError` to fail closed. */
  write(chunk: Buffer): void;
  /** The body ended: emits what is still held, or throws when the body was cut short. */
  end(): void;
  /** Values masked so far. */
  maskedCount(): number;
  /** Releases timers; called when the response is torn down. */
  dispose(): void;
}

/**
 * Holds the slices of one piece of a body, without copying until the piece is complete. Fails
 * closed past `maxBytes`: a piece the gateway cannot hold is a piece it cannot mask.
 */
export class ByteSection {
  #parts: Buffer[] = [];
  #bytes = 0;
  readonly #maxBytes: number;
  readonly #what: string;

  constructor(maxBytes: number, what: string) {
    this.#maxBytes = maxBytes;
    this.#what = what;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Appends a slice (kept by reference). */
  push(slice: Buffer): void {
    if (slice.length === 0) return;
    this.#bytes += slice.length;
    if (this.#bytes > this.#maxBytes) throw tooLarge(this.#what, this.#maxBytes);
    this.#parts.push(slice);
  }

  /** Takes the held slices (plus an optional last one) and empties the section. */
  take(last?: Buffer): Buffer[] {
    if (last !== undefined) this.push(last);
    const parts = this.#parts;
    this.#parts = [];
    this.#bytes = 0;
    return parts;
  }
}

/** The index of the first byte of `bytes` at or after `from` that is not JSON whitespace. */
export function skipWhitespace(bytes: Buffer, from: number): number {
  let i = from;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
    i += 1;
  }
  return i;
}

/** One buffer of `parts`, copying only when there is more than one. */
export function joinParts(parts: readonly Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function tooLarge(what: string, maxBytes: number): StatusError {
  return badGateway(
    `The cluster answered with ${what} larger than the gateway's masking limit of ${maxBytes} bytes ` +
      '(masking.limits.maxObjectBytes), so it cannot check it for secret values and withholds it. ' +
      'Ask for less (a label or field selector, or ?limit= to page a list), or raise the limit.',
  );
}

/** The error for a body the gateway cannot read as the JSON it asked for. */
export function unreadable(what: string, detail: string): StatusError {
  return badGateway(
    `The cluster answered with ${what} the gateway could not read (${detail}), so it cannot mask ` +
      'its secret values and withholds it. Retry; if it persists, the API server or something ' +
      'between it and the gateway is corrupting responses.',
  );
}

/**
 * Parses one piece of an upstream JSON body (an object, a list element, a watch event) that the
 * gateway must read to mask; `what` names it for the error ("a watch event"). A piece that does
 * not parse is a 502: the gateway never lets through bytes it could not inspect.
 *
 * `exactNumbers` (the scanner saw a number with 16+ digits or an exponent in this piece): parse
 * with a reviver that keeps such numbers' source text (`JSON.rawJSON`, V8 ≥ 11.4), so an int64
 * beyond 2^53 is written back verbatim if the masked piece is re-serialised, instead of rounded.
 */
export function parseUpstreamJson(text: string, what: string, exactNumbers = false): JsonValue {
  try {
    if (exactNumbers)
      return JSON.parse(text, keepNumberSource as (key: string, value: unknown) => unknown) as JsonValue;
    return JSON.parse(text) as JsonValue;
  } catch {
    // V8's message quotes the input around the error, which may be a secret: never pass it on.
    throw unreadable(what, 'not valid JSON');
  }
}

/** `JSON.rawJSON` and the reviver's source context are in V8 but not yet in TypeScript's lib. */
interface JsonWithRaw {
  rawJSON(text: string): unknown;
}
type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

const keepNumberSource: Reviver = (_key, value, context) => {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  return String(value) === context.source ? value : (JSON as unknown as JsonWithRaw).rawJSON(context.source);
};
