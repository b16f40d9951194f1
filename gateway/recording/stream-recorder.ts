import type { StreamCloseEvent, StreamFrame, StreamOpenEvent } from '../../src/recording/event.types.ts';
import type { RequestRecording } from './request-recording.ts';

/**
 * Records one stream (exec, attach, port-forward) into its request's session: a `stream-open`
 * event, the frames in batches (`stream-data`, at most every `flushMs` or every 32 KiB, so an
 * interactive session costs a few appends a second and a bulk `cat` does not cost one per
 * frame), and a `stream-close` event with the exit status and byte counts.
 *
 * Frames carry their time in milliseconds since the stream opened (so replays keep the pacing)
 * and their bytes in base64, exactly as relayed. Appends go through the session's queue in
 * order. The first failed append calls `onFailure` once; the relay then ends the stream when
 * recording is required (a stream that can no longer be recorded must not go on).
 */

// Larger batches cost more CPU per byte, not less: sealing and sending 256 KiB batches (~350 KB
// lines) took 2.5–3× the CPU per MB of 32 KiB ones (each line is copied, hashed and written
// several times, at that size no longer from the caches); appends are grouped per script call.
const MAX_BATCH_BYTES = 32 * 1024;

export class StreamRecorder {
  readonly stream: string;
  readonly bytes = { fromClient: 0, toClient: 0 };
  readonly #recording: RequestRecording;
  readonly #onFailure: (error: unknown) => void;
  readonly #flushMs: number;
  readonly #opened = performance.now();
  #frames: StreamFrame[] = [];
  #batchBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #pending: Promise<void> = Promise.resolve();
  #failed = false;

  constructor(recording: RequestRecording, onFailure: (error: unknown) => void, flushMs = 50) {
    this.#recording = recording;
    this.stream = recording.rid;
    this.#onFailure = onFailure;
    this.#flushMs = flushMs;
  }

  /** Writes the `stream-open` event; awaited before the stream starts (it fails closed). */
  async open(details: Omit<StreamOpenEvent, 'type' | 'rid' | 'stream'>): Promise<void> {
    await this.#recording.append(
      {
        type: 'stream-open',
        rid: this.#recording.rid,
        stream: this.stream,
        ...details,
      },
      // The meta says the session had an exec or attach, so the console can filter on it.
      details.kind === 'portforward' ? {} : { set: { exec: '1' } },
    );
  }

  /** Milliseconds since the stream opened. */
  elapsed(): number {
    return Math.round((performance.now() - this.#opened) * 1000) / 1000;
  }

  /** Records one frame (its channel and payload) as relayed. */
  frame(channel: number, payload: Uint8Array): void {
    const bytes = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    this.#frames.push([this.elapsed(), channel, bytes.toString('base64')]);
    this.#batchBytes += payload.length;
    if (this.#batchBytes >= MAX_BATCH_BYTES) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
  }

  /** Appends the frames gathered so far. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#frames.length === 0) return;
    const frames = this.#frames;
    this.#frames = [];
    this.#batchBytes = 0;
    this.#enqueue(() => this.#recording.append({ type: 'stream-data', stream: this.stream, frames }));
  }

  /** Flushes and writes the `stream-close` event; resolves once everything is appended. */
  async close(details: Omit<StreamCloseEvent, 'type' | 'stream' | 'durationMs' | 'bytes'>): Promise<void> {
    this.flush();
    const event: StreamCloseEvent = {
      type: 'stream-close',
      stream: this.stream,
      durationMs: Math.round(this.elapsed()),
      bytes: { ...this.bytes },
      ...details,
    };
    this.#enqueue(() => this.#recording.append(event));
    await this.#pending;
  }

  #enqueue(append: () => Promise<void>): void {
    this.#pending = this.#pending.then(append).catch((error: unknown) => {
      if (this.#failed) return;
      this.#failed = true;
      this.#onFailure(error);
    });
  }
}
