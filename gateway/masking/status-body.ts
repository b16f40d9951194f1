/**
 * The body of an error answer (non-2xx) to a request whose response is masked. These are Status
 * objects, which hold no values of their own — but their message can quote the request
 * (status-scrub.ts), and nothing stops a broken or hostile upstream from answering an error with
 * an object full of values. So the body is held whole (up to `maxObjectBytes`) and then:
 * a Status is scrubbed of the request's values; any other JSON object is masked like a success
 * body; text that is not JSON passes unless it quotes a request value, in which case a short
 * generic text replaces it.
 */
import { isJsonObject, type MaskTally, stringAt } from '../../src/masking/mask-core.ts';
import type { MaskingRules } from '../../src/masking/policy.ts';
import { type BodyMasker, ByteSection, type Emit, joinParts } from './body-masker.ts';
import { maskDocument } from './mask-object.ts';
import { scrubStatus } from './status-scrub.ts';

export interface StatusBodyOptions {
  kindHint: string;
  rules: MaskingRules;
  maxObjectBytes: number;
  tally: MaskTally;
  requestValues: readonly string[];
  emit: Emit;
}

export class StatusBodyMasker implements BodyMasker {
  readonly #o: StatusBodyOptions;
  readonly #section: ByteSection;

  constructor(options: StatusBodyOptions) {
    this.#o = options;
    this.#section = new ByteSection(options.maxObjectBytes, 'an error response');
  }

  write(chunk: Buffer): void {
    this.#section.push(chunk);
  }

  end(): void {
    const bytes = joinParts(this.#section.take());
    if (bytes.length === 0) return;
    const text = bytes.toString('utf8');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      const { requestValues } = this.#o;
      const quotes = requestValues.some((value) => text.includes(value));
      this.#o.emit(
        quotes ? Buffer.from('error message withheld by hoop-gateway: it quoted a masked value\n') : bytes,
      );
      return;
    }
    if (!isJsonObject(doc)) {
      this.#o.emit(bytes);
      return;
    }
    const { tally } = this.#o;
    const before = tally.count;
    if (stringAt(doc, 'kind') === 'Status') {
      if (scrubStatus(doc, this.#o.requestValues)) tally.dropped();
    } else {
      maskDocument(doc, this.#o.kindHint, this.#o.rules, tally);
    }
    this.#o.emit(tally.count === before ? bytes : Buffer.from(JSON.stringify(doc)));
  }

  maskedCount(): number {
    return this.#o.tally.count;
  }

  dispose(): void {}
}
