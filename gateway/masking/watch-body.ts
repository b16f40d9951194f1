/**
 * Masks a watch stream: a sequence of JSON events `{"type":…,"object":…}`, one per line as
 * kube-apiserver writes them, for as long as the watch lasts. Each event is held only until its
 * closing brace, then masked and emitted at once — together with the newline after it, as soon as
 * that arrives — so a watch never stalls waiting for the next event.
 *
 * Events are cut by structure (json-scanner.ts), not by newlines, so an event split across chunks
 * or several events in one chunk are all handled. `ERROR` events carry a Status and `BOOKMARK`
 * events bare metadata: both go through the same masking, which leaves them untouched.
 *
 * Memory: one event (≤ maxObjectBytes) at a time. A stream that ends inside an event throws, and
 * that event's bytes are never emitted.
 */

import {
  type BodyMasker,
  ByteSection,
  joinParts,
  parseUpstreamJson,
  skipWhitespace,
  unreadable,
} from './body-masker.ts';
import { watchEventProblem } from './document-shape.ts';
import { hasDuplicateKeys } from './duplicate-keys.ts';
import { CLOSE_OBJECT, JsonScanner, OPEN_OBJECT } from './json-scanner.ts';
import { maskWatchEvent } from './mask-object.ts';
import { type DocumentMaskerOptions, REPEATED_KEY } from './object-body.ts';
import { maskSecretEventBytes } from './secret-bytes.ts';

export class WatchBodyMasker implements BodyMasker {
  readonly #o: DocumentMaskerOptions;
  readonly #scanner = new JsonScanner();
  readonly #section: ByteSection;
  #inEvent = false;

  constructor(options: DocumentMaskerOptions) {
    this.#o = options;
    this.#section = new ByteSection(options.maxObjectBytes, `a ${options.kindHint} watch event`);
  }

  maskedCount(): number {
    return this.#o.tally.count;
  }

  dispose(): void {}

  write(chunk: Buffer): void {
    let start = 0;
    // Outside an event every token matters; inside one, only the brace that closes it.
    const scanner = this.#scanner;
    for (
      let t = scanner.next(chunk, 0, this.#inEvent ? 0 : 1);
      t !== -1;
      t = scanner.next(chunk, t + 1, this.#inEvent ? 0 : 1)
    ) {
      const { token, depth } = this.#scanner;
      if (!this.#inEvent) {
        if (token !== OPEN_OBJECT || depth !== 1) throw notAnEvent();
        this.#gap(chunk.subarray(start, t));
        start = t;
        this.#inEvent = true;
      } else if (token === CLOSE_OBJECT && depth === 0) {
        this.#event(joinParts(this.#section.take(chunk.subarray(start, t + 1))));
        start = t + 1;
        this.#inEvent = false;
      }
    }
    if (this.#inEvent) this.#section.push(chunk.subarray(start));
    else this.#gap(chunk.subarray(start));
  }

  end(): void {
    if (this.#inEvent) throw unreadable('a watch stream', 'it ended inside an event');
  }

  #event(bytes: Buffer): void {
    if (this.#o.kindHint === 'Secret' && this.#o.rules.secrets && !this.#o.parseOnly) {
      const masked = maskSecretEventBytes(bytes, this.#o.tally);
      if (masked !== undefined) {
        this.#scanner.lossyNumbers = false;
        this.#o.emit(masked);
        return;
      }
    }
    const event = parseUpstreamJson(bytes.toString('utf8'), 'a watch event', this.#scanner.lossyNumbers);
    this.#scanner.lossyNumbers = false;
    if (hasDuplicateKeys(bytes)) throw unreadable('a watch stream', REPEATED_KEY);
    const { kindHint, rules, tally } = this.#o;
    const problem = watchEventProblem(event, kindHint);
    if (problem !== undefined) throw unreadable('a watch stream', problem);
    const before = tally.count;
    maskWatchEvent(event, kindHint, rules, tally);
    this.#o.emit(tally.count === before ? bytes : Buffer.from(JSON.stringify(event)));
  }

  /** Bytes between events: whitespace (the newline after each event), emitted right away. */
  #gap(bytes: Buffer): void {
    if (skipWhitespace(bytes, 0) !== bytes.length) throw notAnEvent();
    if (bytes.length > 0) this.#o.emit(bytes);
  }
}

function notAnEvent(): ReturnType<typeof unreadable> {
  return unreadable('a watch stream', 'an event that is not a JSON object');
}
