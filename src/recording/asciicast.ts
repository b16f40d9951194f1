import { StringDecoder } from 'node:string_decoder';
import type {
  EventHead,
  RecordedEvent,
  StreamCloseEvent,
  StreamFrame,
  StreamOpenEvent,
} from './event.types.ts';

/**
 * Exec and attach streams as asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), so
 * `asciinema play x.cast` replays what the agent saw: a header line, then one JSON array per
 * event, `[seconds, code, data]` — `o` output (stdout and stderr, as a terminal shows both), `i`
 * input (stdin), `r` resize (`"WIDTHxHEIGHT"`).
 *
 * The recording's own events keep every byte (base64, channel by channel); the cast is derived
 * from them, so it can always be rebuilt and `sessions verify` checks that it was not edited.
 * Bytes are decoded as UTF-8 per channel with a streaming decoder, so a character split across
 * two frames is not mangled.
 */

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** One recorded stream: its open event, its frames in order, and its close event if any. */
export interface RecordedStream {
  open: StreamOpenEvent & EventHead;
  frames: StreamFrame[];
  close?: StreamCloseEvent;
}

/** The streams of a session, in the order they opened. */
export function collectStreams(events: readonly RecordedEvent[]): RecordedStream[] {
  const streams = new Map<string, RecordedStream>();
  for (const event of events) {
    if (event.type === 'stream-open') streams.set(event.stream, { open: event, frames: [] });
    else if (event.type === 'stream-data') streams.get(event.stream)?.frames.push(...event.frames);
    else if (event.type === 'stream-close') {
      const stream = streams.get(event.stream);
      if (stream) stream.close = event;
    }
  }
  return [...streams.values()];
}

/** The `WIDTHxHEIGHT` of a resize payload (`{"Width":w,"Height":h}`), or undefined. */
export function resizeOf(payload: Buffer): { width: number; height: number } | undefined {
  try {
    const size = JSON.parse(payload.toString('utf8')) as { Width?: unknown; Height?: unknown };
    if (typeof size.Width === 'number' && typeof size.Height === 'number') {
      return { width: size.Width, height: size.Height };
    }
  } catch {
    // Not a resize message; ignored.
  }
  return undefined;
}

/** The `.cast` file of one recorded exec/attach stream. */
export function renderCast(stream: RecordedStream): string {
  const firstResize = stream.frames.find(([, channel]) => channel === CHANNEL.resize);
  const size = firstResize ? resizeOf(Buffer.from(firstResize[2], 'base64')) : undefined;
  const open = stream.open;
  const header: Record<string, unknown> = {
    version: 2,
    width: size?.width ?? 80,
    height: size?.height ?? 24,
    timestamp: Math.floor(open.ts / 1000),
    title: castTitle(open),
    env: { TERM: 'xterm-256color', SHELL: '/bin/sh' },
  };
  if (stream.close) header['duration'] = round(stream.close.durationMs / 1000);
  const lines = [JSON.stringify(header)];
  const decoders = new Map<number, StringDecoder>();
  const decode = (channel: number, bytes: Buffer): string => {
    let decoder = decoders.get(channel);
    if (!decoder) {
      decoder = new StringDecoder('utf8');
      decoders.set(channel, decoder);
    }
    return decoder.write(bytes);
  };
  for (const [ms, channel, data] of stream.frames) {
    const bytes = Buffer.from(data, 'base64');
    const at = round(ms / 1000);
    if (channel === CHANNEL.stdout || channel === CHANNEL.stderr) {
      const text = decode(channel, bytes);
      if (text) lines.push(JSON.stringify([at, 'o', text]));
    } else if (channel === CHANNEL.stdin) {
      const text = decode(channel, bytes);
      if (text) lines.push(JSON.stringify([at, 'i', text]));
    } else if (channel === CHANNEL.resize) {
      const resize = resizeOf(bytes);
      if (resize) lines.push(JSON.stringify([at, 'r', `${resize.width}x${resize.height}`]));
    }
  }
  return `${lines.join('\n')}\n`;
}

function castTitle(open: StreamOpenEvent): string {
  const where = [open.namespace, open.pod].filter(Boolean).join('/');
  const what = open.kind === 'exec' ? (open.command ?? []).join(' ') : open.kind;
  return `${what}${where ? ` in ${where}` : ''}${open.container ? ` (${open.container})` : ''}`;
}

function round(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}

/** The `.cast` file name of a stream: `<session>.<stream>.cast`. */
export function castFileName(sessionId: string, stream: string): string {
  return `${sessionId}.${stream}.cast`;
}
