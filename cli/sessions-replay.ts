import type { Writable } from 'node:stream';
import { CHANNEL, collectStreams } from '../src/recording/asciicast.ts';
import type { RecordedEvent } from '../src/recording/event.types.ts';

/**
 * `sessions replay`: plays a session's exec and attach streams back with their timing — stdout to
 * stdout and stderr to stderr, byte for byte as the gateway relayed them to kubectl (masked where
 * masking applied), so the terminal shows what the agent saw. `speed` divides every pause (2 =
 * twice as fast); `idleLimitMs` caps a pause, as asciinema's `--idle-time-limit` does. After a
 * stream that ended with a non-zero exit code the line kubectl prints for it is written too.
 *
 * Port-forward and unrecorded (SPDY) streams have no frames and are skipped.
 */

export interface ReplayOptions {
  speed: number;
  /** Only the stream with this id (its request id, shown by `sessions show`). */
  stream?: string;
  idleLimitMs?: number;
  stdout: Writable;
  stderr: Writable;
}

function write(target: Writable, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    target.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Replays; resolves with the number of streams played. */
export async function replayStreams(
  events: readonly RecordedEvent[],
  options: ReplayOptions,
): Promise<number> {
  const streams = collectStreams(events).filter(
    (s) =>
      s.open.recorded &&
      s.open.kind !== 'portforward' &&
      (!options.stream || s.open.stream === options.stream),
  );
  for (const stream of streams) {
    let last = 0;
    let owed = 0;
    for (const [ms, channel, data] of stream.frames) {
      if (channel !== CHANNEL.stdout && channel !== CHANNEL.stderr) continue;
      let pause = (ms - last) / options.speed;
      if (options.idleLimitMs !== undefined) pause = Math.min(pause, options.idleLimitMs);
      last = ms;
      owed += pause;
      if (owed >= 1) {
        await sleep(owed);
        owed = 0;
      }
      const bytes = Buffer.from(data, 'base64');
      if (bytes.length > 0) await write(channel === CHANNEL.stdout ? options.stdout : options.stderr, bytes);
    }
    const exit = stream.close?.exitCode;
    if (exit !== undefined && exit !== 0) {
      await write(options.stderr, Buffer.from(`command terminated with exit code ${exit}\n`));
    }
  }
  return streams.length;
}
