import { describe, expect, it } from 'vitest';
import type { RequestRecording } from '../../gateway/recording/request-recording.ts';
import { StreamRecorder } from '../../gateway/recording/stream-recorder.ts';
import type { AppendableEvent } from '../../src/recording/event.types.ts';

/**
 * The stream recorder's side of appends in flight: at most two at a time, started in order with
 * what is ready, a failure reported once, and `close` resolving only once the last is done. The
 * recording is a stand-in whose appends settle when the test says.
 */

interface Call {
  types: string[];
  /** The first byte of each frame, read when the append was made (the copies are reused after). */
  firstBytes: number[];
  settle: (error?: Error) => void;
}

function standInRecording() {
  const calls: Call[] = [];
  const recording = {
    rid: 'r-1',
    append: async () => undefined,
    appendAll: (events: readonly AppendableEvent[]) =>
      new Promise<void>((resolve, reject) => {
        calls.push({
          types: events.map((event) => event.type),
          firstBytes: events.flatMap((event) =>
            'frames' in event ? event.frames.map((frame) => (frame[2] as Uint8Array)[0]!) : [],
          ),
          settle: (error) => (error ? reject(error) : resolve()),
        });
      }),
  };
  return { calls, recording: recording as unknown as RequestRecording };
}

const BATCH = 32 * 1024;
const tick = () => new Promise((resolve) => setImmediate(resolve));
const firstBytes = (call: Call) => call.firstBytes;

describe('the stream recorder', () => {
  it('keeps two appends in flight, in order, and closes once every one is done', async () => {
    const { calls, recording } = standInRecording();
    const failures: unknown[] = [];
    const recorder = new StreamRecorder(recording, (error) => failures.push(error));
    for (let i = 1; i <= 4; i++) recorder.frame(1, new Uint8Array(BATCH).fill(i));
    await tick();
    // A batch per frame: two went, the other two wait for one of them.
    expect(calls.map(firstBytes)).toEqual([[1], [2]]);

    let closed = false;
    const closing = recorder.close({}).then(() => {
      closed = true;
    });
    calls[0]!.settle();
    await tick();
    // What was ready goes together in the next append, the close event last.
    expect(calls.map(firstBytes)).toEqual([[1], [2], [3, 4]]);
    expect(calls[2]!.types).toEqual(['stream-data', 'stream-data', 'stream-close']);
    calls[1]!.settle(new Error('Redis went away'));
    await tick();
    expect(failures).toHaveLength(1);
    expect(closed).toBe(false);
    calls[2]!.settle(new Error('still away'));
    await closing;
    // Closed once the last append settled; the failure reported once.
    expect(closed).toBe(true);
    expect(failures).toHaveLength(1);
    expect(calls).toHaveLength(3);
  });
});
