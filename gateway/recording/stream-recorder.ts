import type {
  StreamCloseEvent,
  StreamDataBytesEvent,
  StreamFrameBytes,
  StreamOpenEvent,
} from '../../src/recording/event.types.ts';
import type { RelayFlow } from '../upstream/exec-relay-websocket.ts';
import { FrameCopies, type Slab } from './frame-copies.ts';
import type { RequestRecording } from './request-recording.ts';

/**
 * Records one stream (exec, attach, port-forward) into its request's session: a `stream-open`
 * event, the frames in batches (`stream-data`, at most every `flushMs` or every 32 KiB, so an
 * interactive session costs a few appends a second and a bulk `cat` does not cost one per
 * frame), and a `stream-close` event with the exit status and byte counts.
 *
 * Frames carry their time in milliseconds since the stream opened (so replays keep the pacing)
 * and their bytes in base64, exactly as relayed. Until its append is done a frame waits as a copy
 * of its bytes, outside the JavaScript heap (as base64 strings, the frames waiting behind an
 * append outlived the young generation and were promoted, and the garbage collector's time grew
 * with the backlog), in slabs reused from one append to the next (frame-copies.ts); the store
 * writes their base64 straight into the sealed line (src/recording/byte-frames.ts). Appends go
 * in order, at most `APPENDS_IN_FLIGHT` at a time (what gathered meanwhile goes together in the
 * next, one script call); the store sends the second behind the first without waiting for its
 * reply (session-store.ts). The first failed append calls `onFailure` once; the relay then ends
 * the stream when recording is required (a stream that can no longer be recorded must not go on).
 *
 * Appends are slower than a relay on loopback can be (each line is sealed, sent and stored), so
 * frames not yet in Redis are counted: past `BACKLOG_HIGH` bytes the recorder asks the relay to
 * stop reading (`throttle`), and lets it go on once the backlog is under `BACKLOG_LOW`. Without
 * that, a bulk `cat` or `kubectl cp` outran its recording and the gateway held the difference:
 * ~200 MB of heap for a 50 MB `cat` on the bench, more for a larger copy.
 */

// Larger batches cost more CPU per byte, not less: sealing and sending 256 KiB batches (~350 KB
// lines) took 2.5–3× the CPU per MB of 32 KiB ones (each line is copied, hashed and written
// several times, at that size no longer from the caches); appends are grouped per script call.
const MAX_BATCH_BYTES = 32 * 1024;
/** Frame bytes in one append at most (one script call; more only when a single batch is larger). */
const MAX_APPEND_BYTES = 256 * 1024;
/** Bytes of frames waiting for Redis above which the relay stops reading, and below which it reads again. */
export const BACKLOG_HIGH = 1024 * 1024;
export const BACKLOG_LOW = 512 * 1024;
/**
 * Appends of one stream in flight at once. With one, the relay stood paused about half of a bulk
 * copy while an append was sealed, sent and stored; with two, Redis stores one while the next is
 * sealed and sent (docs/performance.md, twenty-ninth round).
 */
const APPENDS_IN_FLIGHT = 2;

export class StreamRecorder {
  readonly stream: string;
  readonly bytes = { fromClient: 0, toClient: 0 };
  readonly #recording: RequestRecording;
  readonly #onFailure: (error: unknown) => void;
  readonly #flushMs: number;
  readonly #opened = performance.now();
  #frames: StreamFrameBytes[] = [];
  /** The slab of each frame in `#frames`, released once its append is done. */
  #slabs: Array<Slab | undefined> = [];
  readonly #copies = new FrameCopies();
  #batchBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  /** In order: frames (a `stream-data` event to be) or the `stream-close` event, with frame bytes. */
  #ready: Array<{
    event: StreamFrameBytes[] | StreamCloseEvent;
    frameBytes: number;
    slabs: Array<Slab | undefined>;
  }> = [];
  #inFlight = 0;
  /** Callers of `close` waiting until nothing is ready or in flight. */
  #idleWaiters: Array<() => void> = [];
  #failed = false;
  /** Frame bytes recorded and not yet appended (or given up on). */
  #backlog = 0;
  #flow: RelayFlow | undefined;
  #paused = false;

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

  /** Lets the recorder pause the relay while its backlog is over `BACKLOG_HIGH`. */
  throttle(flow: RelayFlow): void {
    this.#flow = flow;
  }

  /** Records one frame (its channel and payload) as relayed. */
  frame(channel: number, payload: Uint8Array): void {
    // A copy: the relay's buffers are not this recorder's to keep.
    const { bytes, slab } = this.#copies.copy(payload);
    this.#frames.push([this.elapsed(), channel, bytes]);
    this.#slabs.push(slab);
    this.#batchBytes += payload.length;
    this.#backlog += payload.length;
    if (this.#batchBytes >= MAX_BATCH_BYTES) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
    if (!this.#paused && this.#backlog > BACKLOG_HIGH && this.#flow) {
      this.#paused = true;
      this.#flow.pause();
    }
  }

  /** Appends the frames gathered so far. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#frames.length === 0) return;
    const frames = this.#frames;
    const slabs = this.#slabs;
    const bytes = this.#batchBytes;
    this.#frames = [];
    this.#slabs = [];
    this.#batchBytes = 0;
    this.#enqueue(frames, bytes, slabs);
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
    this.#enqueue(event, 0, []);
    if (this.#ready.length === 0 && this.#inFlight === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #enqueue(
    event: StreamFrameBytes[] | StreamCloseEvent,
    frameBytes: number,
    slabs: Array<Slab | undefined>,
  ): void {
    this.#ready.push({ event, frameBytes, slabs });
    this.#send();
  }

  /**
   * Starts appends, in order, while fewer than `APPENDS_IN_FLIGHT` are in flight; each takes what
   * is ready, up to `MAX_APPEND_BYTES` of frames in one script call. Bounded so the relay keeps
   * going while appends are in flight (the backlog has room for the next), rather than stopping
   * for one large append after another.
   */
  #send(): void {
    while (this.#ready.length > 0 && this.#inFlight < APPENDS_IN_FLIGHT) {
      let n = 1;
      let frameBytes = this.#ready[0]!.frameBytes;
      for (; n < this.#ready.length; n++) {
        if (frameBytes + this.#ready[n]!.frameBytes > MAX_APPEND_BYTES) break;
        frameBytes += this.#ready[n]!.frameBytes;
      }
      const sent = this.#ready.splice(0, n);
      const events = sent.map(({ event }) => (Array.isArray(event) ? this.#data(event) : event));
      this.#inFlight += 1;
      // The store keeps the order of these calls, whichever settles first.
      this.#recording.appendAll(events).then(
        () => this.#settled(sent, frameBytes),
        (error: unknown) => {
          if (!this.#failed) {
            this.#failed = true;
            this.#onFailure(error);
          }
          this.#settled(sent, frameBytes);
        },
      );
    }
  }

  /** An append settled either way: the store has copied the frames into its line (or the spool's JSON). */
  #settled(sent: ReadonlyArray<{ slabs: Array<Slab | undefined> }>, frameBytes: number): void {
    this.#inFlight -= 1;
    for (const { slabs } of sent) for (const slab of slabs) this.#copies.release(slab);
    this.#release(frameBytes);
    this.#send();
    if (this.#ready.length === 0 && this.#inFlight === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /** The `stream-data` event of `frames`: they become base64 as the store writes its line. */
  #data(frames: StreamFrameBytes[]): StreamDataBytesEvent {
    return { type: 'stream-data', stream: this.stream, frames };
  }

  /** Frames appended (or given up on): the relay may read again once the backlog is low. */
  #release(frameBytes: number): void {
    this.#backlog -= frameBytes;
    if (this.#paused && this.#backlog < BACKLOG_LOW) {
      this.#paused = false;
      this.#flow?.resume();
    }
  }
}
