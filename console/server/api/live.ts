import type { IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { StatusError } from '../../../src/errors.ts';
import type { RedisConnection } from '../../../src/queues/connections.ts';
import { CHANNEL } from '../../../src/recording/asciicast.ts';
import type { RecordedEvent } from '../../../src/recording/event.types.ts';
import type { RecordingKeys } from '../../../src/recording/scripts.ts';
import type { SessionIndex } from '../../../src/recording/session-index.ts';
import { isSessionIdText, parseEventLines } from '../../../src/recording/session-reader.ts';
import { entryLines, type StreamEntry } from '../../../src/recording/stream-entries.ts';
import type { LiveEventMap, LiveOutput, StreamSummary } from '../../api.types.ts';
import { notFound } from '../http.ts';
import type { SessionsApi } from './sessions.ts';
import { applyEvent, type Timeline } from './timeline.ts';

/**
 * `GET /api/v1/sessions/{id}/live`: Server-Sent Events of a running session, read from its Redis
 * stream as the recorder appends: each viewer gets its own connection blocking in XREAD (so one
 * slow viewer never holds up another), and the number of viewers is bounded (429 past it). A
 * comment every `heartbeatMs` keeps proxies from closing an idle stream; when the session closes
 * the viewer gets `end` and the stream ends. Event ids are the Redis entry ids, so a browser that
 * reconnects with Last-Event-ID gets only what it missed.
 */
export interface LiveViewsOptions {
  redis: RedisConnection;
  /** A new connection without a command timeout, for one viewer's blocking reads. */
  openReader: () => RedisConnection;
  keys: RecordingKeys;
  index: SessionIndex;
  sessions: SessionsApi;
  maxViewers: number;
  /** Default 15 000 ms. */
  heartbeatMs?: number;
}

export class LiveViews {
  readonly #options: LiveViewsOptions;
  readonly #open = new Set<() => void>();

  constructor(options: LiveViewsOptions) {
    this.#options = options;
  }

  get viewers(): number {
    return this.#open.size;
  }

  /** Ends every live view (shutdown). */
  closeAll(): void {
    for (const stop of [...this.#open]) stop();
  }

  async serve(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const { index, keys, sessions, redis } = this.#options;
    if (!isSessionIdText(id)) throw notFound(`"${id.slice(0, 40)}" is not a session id`);
    if (this.#open.size >= this.#options.maxViewers)
      throw new StatusError(429, 'TooManyRequests', 'too many live views are open; try again in a minute', {
        headers: { 'retry-after': '30' },
      });
    const meta = await index.get(id);
    if (!meta) throw notFound(`no recorded session ${id}`);
    const resumeFrom = lastEventId(req.headers['last-event-id']);
    const entries = await index.liveEntries(id);
    const lines = entries.flatMap(({ line }) => (line === undefined ? [] : [line]));
    const { detail, timeline } = sessions.snapshot({
      meta,
      lines,
      events: parseEventLines(lines),
      from: { kind: 'live' },
    });

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    const send = <K extends keyof LiveEventMap>(event: K, data: LiveEventMap[K], entryId?: string): void => {
      res.write(`${entryId ? `id: ${entryId}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const feed = new LiveFeed(id, timeline);
    let last = entries.at(-1)?.id ?? '0-0';
    if (resumeFrom) {
      for (const entry of entries) {
        if (compareIds(entry.id, resumeFrom) > 0) feed.emit(entry.line, entry.id, send, false);
      }
    } else {
      send('snapshot', detail, last);
    }
    if (meta.state === 'closed') {
      send('end', { state: 'closed', session: id });
      res.end();
      return;
    }

    const reader = this.#options.openReader();
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      this.#open.delete(stop);
      reader.disconnect();
      if (!res.writableEnded) res.end();
    };
    this.#open.add(stop);
    res.on('close', stop);
    try {
      while (!stopped) {
        const reply = (await reader.xread(
          'COUNT',
          500,
          'BLOCK',
          this.#options.heartbeatMs ?? 15_000,
          'STREAMS',
          keys.events(id),
          last,
        )) as Array<[string, StreamEntry[]]> | null;
        if (stopped) break;
        const batch = reply?.[0]?.[1] ?? [];
        const batchLines = await entryLines(redis, keys.lines(id), batch);
        if (stopped) break;
        batch.forEach(([entryId], i) => {
          feed.emit(batchLines[i], entryId, send, true);
          last = entryId;
        });
        if (batch.length === 0) {
          res.write(': ping\n\n');
          const now = await index.get(id);
          if (!now || now.state === 'closed') {
            send('end', { state: now ? 'closed' : 'gone', session: id });
            break;
          }
        }
      }
    } catch {
      // The viewer left (the connection was closed under XREAD) or Redis failed: end the stream.
    } finally {
      stop();
    }
  }
}

/** Turns appended events into `call`, `stream` and `output` messages, continuing a timeline. */
class LiveFeed {
  readonly #id: string;
  readonly #timeline: Timeline;
  readonly #streams = new Map<string, StreamSummary>();
  readonly #decoders = new Map<string, StringDecoder>();

  constructor(id: string, timeline: Timeline) {
    this.#id = id;
    this.#timeline = timeline;
    for (const stream of timeline.streams) this.#streams.set(stream.stream, stream);
  }

  emit(
    line: string | undefined,
    entryId: string,
    send: <K extends keyof LiveEventMap>(event: K, data: LiveEventMap[K], entryId?: string) => void,
    apply: boolean,
  ): void {
    if (line === undefined) return;
    const event = parseEventLines([line])[0];
    if (!event) return;
    if (event.type === 'stream-data') {
      const output = this.#output(event);
      if (output.frames.length > 0) send('output', output, entryId);
      return;
    }
    const changed = apply
      ? applyEvent(this.#timeline, this.#streams, this.#id, event)
      : this.#existing(event);
    if (changed.stream) send('stream', changed.stream, entryId);
    if (changed.call) send('call', changed.call, entryId);
  }

  /** On resume the timeline already holds the event: look its rows up instead of adding them. */
  #existing(event: RecordedEvent): ReturnType<typeof applyEvent> {
    if (event.type === 'request' || event.type === 'response') {
      const call = this.#timeline.byRid.get(event.rid)?.row;
      return call ? { call } : {};
    }
    if (event.type === 'stream-open' || event.type === 'stream-close') {
      const stream = this.#streams.get(event.stream);
      return stream ? { stream } : {};
    }
    return {};
  }

  #output(event: Extract<RecordedEvent, { type: 'stream-data' }>): LiveOutput {
    const frames: LiveOutput['frames'] = [];
    for (const [ms, channel, data] of event.frames) {
      const code =
        channel === CHANNEL.stdin
          ? 'i'
          : channel === CHANNEL.stdout || channel === CHANNEL.stderr
            ? 'o'
            : undefined;
      if (!code) continue;
      const key = `${event.stream}:${channel}`;
      let decoder = this.#decoders.get(key);
      if (!decoder) {
        decoder = new StringDecoder('utf8');
        this.#decoders.set(key, decoder);
      }
      const text = decoder.write(Buffer.from(data, 'base64'));
      if (text) frames.push([Math.round(ms) / 1000, code, text]);
    }
    return { stream: event.stream, frames };
  }
}

function lastEventId(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^\d{1,20}-\d{1,20}$/.test(value) ? value : undefined;
}

function compareIds(a: string, b: string): number {
  const [ams, aseq] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bms, bseq] = b.split('-').map(BigInt) as [bigint, bigint];
  return ams === bms ? (aseq === bseq ? 0 : aseq < bseq ? -1 : 1) : ams < bms ? -1 : 1;
}
