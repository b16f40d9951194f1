/**
 * The vocabulary every masking module shares: parsed-JSON types, the marker a masked value
 * becomes, and the tally that counts replacements.
 *
 * Masking functions take objects freshly parsed from an upstream response and rewrite them in
 * place: the object is owned by the caller that parsed it, so copying would only double memory.
 */

/** A value as `JSON.parse` returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The property `key` of `value` when both exist and it is an object. */
export function objectAt(value: unknown, key: string): JsonObject | undefined {
  if (!isJsonObject(value)) return undefined;
  const child = value[key];
  return isJsonObject(child) ? child : undefined;
}

/** The string property `key` of `value`, or undefined. */
export function stringAt(value: unknown, key: string): string | undefined {
  if (!isJsonObject(value)) return undefined;
  const child = value[key];
  return typeof child === 'string' ? child : undefined;
}

/**
 * What a masked value becomes where plain text is expected (Secret `stringData`, env values,
 * ConfigMap `data`, log lines). Recognisable to a person and an agent, and never a plausible value.
 */
export const MASK_MARKER = '**hoop-masked**';

/**
 * What a masked value becomes where base64 is expected (Secret `data`, ConfigMap `binaryData`):
 * the marker, base64-encoded, so a script that decodes the value still decodes (to the marker).
 */
export const MASKED_BASE64 = Buffer.from(MASK_MARKER, 'utf8').toString('base64');

/**
 * Receives each original value a masking pass replaced: `plain` is the value as an application
 * would see it (base64 decoded to UTF-8 where the field is base64), `asWritten` the JSON string
 * that was in the object. The gateway uses it to learn the Secret values of a session, so it can
 * mask them in logs and exec output later.
 */
export type MaskedValueSink = (plain: string, asWritten: string) => void;

/**
 * Counts the values a masking pass replaced and forwards the originals to the sinks listening.
 * Decoding base64 costs something, so it only happens when a sink is there to receive it.
 */
export class MaskTally {
  count = 0;
  readonly #sinks: MaskedValueSink[] = [];

  constructor(sink?: MaskedValueSink) {
    if (sink !== undefined) this.#sinks.push(sink);
  }

  /** Whether anyone receives the replaced values (so they are worth decoding). */
  get listening(): boolean {
    return this.#sinks.length > 0;
  }

  /** Records one replaced value; `encoding` says how `asWritten` encodes the plain value. */
  replaced(asWritten: JsonValue, encoding: 'base64' | 'text'): void {
    this.count += 1;
    if (this.#sinks.length === 0 || typeof asWritten !== 'string') return;
    const plain = encoding === 'base64' ? Buffer.from(asWritten, 'base64').toString('utf8') : asWritten;
    for (const sink of this.#sinks) sink(plain, asWritten);
  }

  /** Records a replacement that carries no single value (e.g. a dropped annotation). */
  dropped(): void {
    this.count += 1;
  }

  /** Runs `fn` while `watcher` also receives every replaced value (e.g. to scrub Table cells). */
  watching<T>(watcher: MaskedValueSink, fn: () => T): T {
    this.#sinks.push(watcher);
    try {
      return fn();
    } finally {
      this.#sinks.pop();
    }
  }
}
