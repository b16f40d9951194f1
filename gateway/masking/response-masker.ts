/**
 * The response side of masking: one Node `Transform` per masked response. Upstream bytes go in
 * exactly as they came off the wire (gzip, deflate or br is decoded inside); plain, masked bytes
 * come out. The proxy sends the output without Content-Encoding and Content-Length.
 *
 * Which masker reads the body: non-2xx responses of object plans are held whole and checked
 * (status-body.ts: a Status quoting a request value is withheld, anything else is masked); of
 * text plans they pass through; text plans (`pods/log`) go line by line; object plans must be JSON — a
 * protobuf, CBOR, YAML or unlabelled body for a Secret cannot be inspected and fails with a 502
 * before a byte is emitted — and go event by event for a watch, element by element for a list or
 * Table, whole for anything else.
 *
 * Errors: the transform is destroyed with a `StatusError` (502). Bytes already emitted belong to
 * complete, masked pieces (earlier list items or watch events); nothing of the failing piece is
 * ever emitted. A single object, the common case, is emitted only once fully read — so the proxy
 * can hold the response head until the first output byte and turn an early error into a Status.
 *
 * Backpressure: input is decoded one chunk at a time and the decoder is paused while the output
 * buffer is full, so a slow client slows the upstream read instead of growing memory.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { badGateway, StatusError } from '../../src/errors.ts';
import { type MaskedValueSink, MaskTally } from '../../src/masking/mask-core.ts';
import type { BodyMasker, Emit } from './body-masker.ts';
import { LineMasker } from './line-masker.ts';
import { ObjectBodyMasker } from './object-body.ts';
import type { MaskPlan } from './plan.ts';
import { StatusBodyMasker } from './status-body.ts';
import { TextBodyMasker } from './text-body.ts';
import { WatchBodyMasker } from './watch-body.ts';

export interface ResponseMaskerOptions {
  statusCode: number;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** The body is a watch stream; defaults to `plan.watch`. */
  isWatch?: boolean;
  /** `pods/log?follow=true`: flush partial lines after `limits.partialLineFlushMs`. */
  isFollowLog?: boolean;
  /** Text plans: exact values to mask, e.g. the Secret values seen in this session. */
  literals?: Iterable<string>;
  /** Object plans: receives every value masked (e.g. to add Secret values to the session's literals). */
  onMaskedValue?: MaskedValueSink;
  /** Values the request wrote into value fields: a Status quoting one is withheld (status-scrub.ts). */
  requestValues?: readonly string[];
  /** Parse every piece, never take the byte-level path for Secrets: the benchmark's "before". */
  parseOnly?: boolean;
}

/** A masking transform; `maskedCount()` is how many values it has replaced so far. */
export interface ResponseMasker extends Transform {
  maskedCount(): number;
}

/** Decoder output chunk size: zlib's 16 KiB default cuts more list elements in two. */
const DECODED_CHUNK_BYTES = 64 * 1024;

const PASS: BodyMasker = { write: () => {}, end: () => {}, maskedCount: () => 0, dispose: () => {} };

function decoderFor(encoding: string | undefined): Transform | null | undefined {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return null;
  if (name === 'gzip' || name === 'x-gzip') return createGunzip({ chunkSize: DECODED_CHUNK_BYTES });
  if (name === 'deflate') return createInflate({ chunkSize: DECODED_CHUNK_BYTES });
  if (name === 'br') return createBrotliDecompress({ chunkSize: DECODED_CHUNK_BYTES });
  return undefined;
}

/** Why a 2xx body of `contentType` cannot be masked as JSON, or undefined when it can. */
function notJson(contentType: string | undefined): StatusError | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json')))
    return undefined;
  return badGateway(
    `The cluster answered in ${type === '' ? 'an unlabelled format' : type} although the gateway asked for JSON. ` +
      'The gateway must read this response to mask secret values, so it withholds it. ' +
      'Ask for application/json, or report this: something between gateway and cluster rewrites Accept.',
  );
}

function toStatusError(error: unknown): StatusError {
  if (error instanceof StatusError) return error;
  return badGateway('The gateway failed while masking this response and withholds it.');
}

class MaskingTransform extends Transform implements ResponseMasker {
  readonly #body: BodyMasker;
  readonly #decoder: Transform | null;
  /** Set when the body cannot be masked at all; thrown at its first byte. */
  readonly #refusal: StatusError | undefined;

  constructor(plan: MaskPlan, options: ResponseMaskerOptions) {
    super();
    const emit: Emit = (bytes) => {
      if (!this.push(bytes)) this.#decoder?.pause();
    };
    const decoder = decoderFor(options.contentEncoding);
    this.#decoder = decoder ?? null;
    const ok = options.statusCode >= 200 && options.statusCode < 300;
    this.#refusal =
      decoder === undefined
        ? badGateway(
            `The cluster answered with Content-Encoding "${String(options.contentEncoding).slice(0, 40)}", which the gateway cannot decode; it withholds the response.`,
          )
        : ok && plan.mode === 'object'
          ? notJson(options.contentType)
          : undefined;
    this.#body = ok
      ? createBodyMasker(plan, options, emit)
      : plan.mode === 'object'
        ? new StatusBodyMasker({
            kindHint: plan.kind,
            rules: plan.rules,
            maxObjectBytes: plan.limits.maxObjectBytes,
            tally: new MaskTally(options.onMaskedValue),
            requestValues: options.requestValues ?? [],
            emit,
          })
        : passThrough(emit);
    if (this.#decoder !== null) {
      this.#decoder.on('data', (chunk: Buffer) => {
        const error = this.#feed(chunk);
        if (error !== undefined) this.destroy(error);
      });
      this.#decoder.on('error', () => {
        this.destroy(
          badGateway(`The cluster's ${options.contentEncoding} response body could not be decoded.`),
        );
      });
    }
  }

  maskedCount(): number {
    return this.#body.maskedCount();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#decoder === null) {
      callback(this.#feed(chunk));
      return;
    }
    // Called after the decoder consumed the chunk: that is the backpressure towards upstream.
    this.#decoder.write(chunk, () => callback());
  }

  override _flush(callback: TransformCallback): void {
    const finish = (): void => {
      try {
        this.#body.end();
        callback();
      } catch (error) {
        callback(toStatusError(error));
      }
    };
    if (this.#decoder === null) {
      finish();
      return;
    }
    this.#decoder.once('end', finish);
    this.#decoder.end();
  }

  override _read(size: number): void {
    this.#decoder?.resume();
    super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#body.dispose();
    this.#decoder?.destroy();
    callback(error);
  }

  #feed(chunk: Buffer): StatusError | undefined {
    if (chunk.length === 0) return undefined;
    if (this.#refusal !== undefined) return this.#refusal;
    try {
      this.#body.write(chunk);
      return undefined;
    } catch (error) {
      return toStatusError(error);
    }
  }
}

function passThrough(emit: Emit): BodyMasker {
  return { ...PASS, write: emit };
}

function createBodyMasker(plan: MaskPlan, options: ResponseMaskerOptions, emit: Emit): BodyMasker {
  const { rules, limits } = plan;
  if (plan.mode === 'text') {
    const lineMasker = new LineMasker({
      detectors: rules.logs.detectors,
      literals: rules.logs.secretValues ? (options.literals ?? []) : [],
    });
    const partialLineFlushMs = options.isFollowLog ? limits.partialLineFlushMs : 0;
    return new TextBodyMasker({ lineMasker, maxLineBytes: limits.maxLineBytes, partialLineFlushMs, emit });
  }
  const documentOptions = {
    kindHint: plan.kind,
    rules,
    maxObjectBytes: limits.maxObjectBytes,
    tally: new MaskTally(options.onMaskedValue),
    requestValues: options.requestValues ?? [],
    emit,
    parseOnly: options.parseOnly === true,
  };
  return (options.isWatch ?? plan.watch)
    ? new WatchBodyMasker(documentOptions)
    : new ObjectBodyMasker(documentOptions);
}

/** Creates the transform that masks one upstream response under `plan`. */
export function createResponseMasker(plan: MaskPlan, options: ResponseMaskerOptions): ResponseMasker {
  return new MaskingTransform(plan, options);
}
