import type { ServerResponse } from 'node:http';
import { badRequest, StatusError, serviceUnavailable } from '../../../src/errors.ts';
import { collectStreams, renderCast } from '../../../src/recording/asciicast.ts';
import { verifyChain } from '../../../src/recording/hash-chain.ts';
import type { SessionIndex, SessionMeta } from '../../../src/recording/session-index.ts';
import { isSessionIdText, type LoadedSession, readSession } from '../../../src/recording/session-reader.ts';
import type {
  CallDetail,
  CallPage,
  ChainVerification,
  SessionDetail,
  SessionList,
  SessionSummary,
} from '../../api.types.ts';
import { notFound } from '../http.ts';
import { encodeCursor, parseSessionQuery } from './session-query.ts';
import { sessionSummary } from './session-summary.ts';
import { buildTimeline, type Timeline } from './timeline.ts';

/**
 * The sessions part of the API, read from the recorder's index (Redis) and archive: the list,
 * one session (counts, streams, the hash chain checked now), its calls a page at a time, one
 * call's masked bodies, and the asciicast of an exec. A closed session's archive never changes,
 * and a live one is unchanged while its tail sequence number is, so parsed sessions are kept (a
 * few, least recently used first out): paging through 10,000 events reads and parses them once.
 */
export interface SessionsApiOptions {
  index: SessionIndex;
  archiveDir: string;
  /** Closed sessions kept parsed; default 16. */
  cacheSize?: number;
}

interface SessionView {
  loaded: LoadedSession;
  /** For a live session: the stream's mark when it was read (SessionIndex.streamMark). */
  mark?: string;
  timeline: Timeline;
  chain: ChainVerification;
}

const MAX_CALLS_PAGE = 500;

export class SessionsApi {
  readonly #options: SessionsApiOptions;
  readonly #cache = new Map<string, SessionView>();
  readonly #loading = new Map<string, Promise<SessionView>>();

  constructor(options: SessionsApiOptions) {
    this.#options = options;
  }

  async list(params: URLSearchParams): Promise<SessionList> {
    const query = parseSessionQuery(params);
    const page = await this.#read(() => this.#options.index.page(query));
    return {
      kind: 'SessionList',
      items: page.items.map(sessionSummary),
      ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}),
    };
  }

  async detail(id: string): Promise<SessionDetail> {
    return this.#detail(id, await this.#view(id));
  }

  /** The detail of a live session from lines the caller read itself (the live view's snapshot). */
  snapshot(loaded: LoadedSession & { meta: SessionMeta }): { detail: SessionDetail; timeline: Timeline } {
    const view = viewOf(loaded.meta.id, loaded);
    return { detail: this.#detail(loaded.meta.id, view), timeline: view.timeline };
  }

  #detail(id: string, view: SessionView): SessionDetail {
    const detail: SessionDetail = {
      kind: 'Session',
      session: this.#summary(id, view),
      source: view.loaded.from.kind,
      callCount: view.timeline.calls.length,
      streams: view.timeline.streams,
      chain: view.chain,
    };
    if (view.timeline.caller) detail.caller = view.timeline.caller;
    if (view.timeline.userAgent) detail.userAgent = view.timeline.userAgent;
    return detail;
  }

  async calls(id: string, params: URLSearchParams): Promise<CallPage> {
    const offset = whole(params.get('offset') ?? '0', 'offset', 0, Number.MAX_SAFE_INTEGER);
    const limit = whole(params.get('limit') ?? '100', 'limit', 1, MAX_CALLS_PAGE);
    const { calls } = (await this.#view(id)).timeline;
    const items = calls.slice(offset, offset + limit);
    const next = offset + items.length;
    return {
      kind: 'CallPage',
      offset,
      total: calls.length,
      items,
      ...(next < calls.length ? { nextOffset: next } : {}),
    };
  }

  async call(id: string, rid: string): Promise<CallDetail> {
    const entry = (await this.#view(id)).timeline.byRid.get(rid);
    if (!entry) throw notFound(`session ${id} has no call ${rid.slice(0, 40)}`);
    const detail: CallDetail = { kind: 'Call', call: entry.row, requestHeaders: entry.request.headers };
    if (entry.request.body) detail.requestBody = entry.request.body;
    if (entry.response?.body) detail.responseBody = entry.response.body;
    return detail;
  }

  /** Writes the asciicast v2 document of a recorded exec or attach. */
  async cast(id: string, streamId: string, res: ServerResponse): Promise<void> {
    const view = await this.#view(id);
    const stream = collectStreams(view.loaded.events).find((s) => s.open.stream === streamId);
    if (!stream) throw notFound(`session ${id} has no stream ${streamId.slice(0, 20)}`);
    if (!stream.open.recorded || stream.open.kind === 'portforward')
      throw notFound(`stream ${streamId} was relayed byte for byte: there is nothing to replay`);
    const body = renderCast(stream);
    res.writeHead(200, {
      'content-type': 'application/x-asciicast; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(body);
  }

  #summary(id: string, view: SessionView): SessionSummary {
    if (view.loaded.meta) return sessionSummary(view.loaded.meta);
    // Archive only (the index forgot it): what the events themselves say.
    const events = view.loaded.events;
    const first = events[0];
    const last = events[events.length - 1];
    const calls = view.timeline.calls;
    return {
      id,
      state: 'closed',
      live: false,
      kind: first?.type === 'session' ? first.kind : 'kubectl',
      agent: view.timeline.caller?.subject ?? '',
      issuer: view.timeline.caller?.issuer ?? '',
      cluster: first?.type === 'session' ? first.cluster : '',
      startedAt: first?.ts ?? 0,
      lastAt: last?.ts ?? 0,
      events: events.length,
      calls: calls.length,
      denials: calls.filter((c) => c.decision?.action === 'deny').length,
      reviews: calls.filter((c) => c.review).length,
      errors: calls.filter((c) => (c.status ?? 0) >= 500).length,
      outcomes: [],
      hasExec: view.timeline.streams.some((s) => s.kind !== 'portforward'),
    };
  }

  async #view(id: string): Promise<SessionView> {
    if (!isSessionIdText(id))
      throw notFound(`"${id.slice(0, 40)}" is not a session id (they look like s-7k2m9xq4ad)`);
    const cached = this.#cache.get(id);
    const index = this.#options.index;
    // A live session is reused only while its stream is exactly as it was read: nothing appended,
    // nothing rewritten (a changed event must show as a broken chain at once).
    const fresh =
      cached &&
      (cached.loaded.from.kind === 'archive' ||
        (cached.mark === (await this.#read(() => index.streamMark(id))) &&
          unchanged(cached, await this.#read(() => index.get(id)))));
    if (cached && fresh) {
      this.#cache.delete(id);
      this.#cache.set(id, cached);
      return cached;
    }
    // A page asks for a session's detail and its first calls at once: one read serves both.
    const inFlight = this.#loading.get(id);
    if (inFlight) return inFlight;
    const loading = this.#load(id).finally(() => this.#loading.delete(id));
    this.#loading.set(id, loading);
    return loading;
  }

  async #load(id: string): Promise<SessionView> {
    const index = this.#options.index;
    const markBefore = await this.#read(() => index.streamMark(id));
    const loaded = await this.#read(() => readSession(index, this.#options.archiveDir, id));
    if (!loaded) throw notFound(`no recorded session ${id}`);
    const view = viewOf(id, loaded);
    // Read before the lines: if the stream moved meanwhile, the next request reads it again.
    if (loaded.from.kind === 'live') view.mark = markBefore;
    this.#cache.set(id, view);
    while (this.#cache.size > (this.#options.cacheSize ?? 16))
      this.#cache.delete(this.#cache.keys().next().value!);
    return view;
  }

  async #read<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof StatusError) throw error;
      throw serviceUnavailable(
        'recordings cannot be read right now (Redis or the archive); try again shortly',
      );
    }
  }
}

/** Parses and checks a loaded session; a live one is checked without the index's moving tail. */
function viewOf(id: string, loaded: LoadedSession): SessionView {
  const meta = loaded.meta;
  const expected =
    meta && loaded.from.kind === 'archive'
      ? { count: meta.count ?? meta.seq, finalHash: meta.finalHash ?? meta.hash }
      : undefined;
  return {
    loaded,
    timeline: buildTimeline(id, loaded.events),
    chain: chainOf(verifyChain(id, loaded.lines, expected), expected !== undefined),
  };
}

function unchanged(cached: SessionView, meta: SessionMeta | undefined): boolean {
  const before = cached.loaded.meta;
  return (
    meta !== undefined &&
    before !== undefined &&
    meta.seq === before.seq &&
    meta.state === before.state &&
    meta.archivedAt === before.archivedAt
  );
}

function chainOf(result: ReturnType<typeof verifyChain>, withIndex: boolean): ChainVerification {
  if (result.ok)
    return { state: 'verified', events: result.count, finalHash: result.finalHash, matchesIndex: withIndex };
  return {
    state: 'broken',
    line: result.line,
    reason: result.reason,
    ...(result.seq !== undefined ? { atEvent: result.seq } : {}),
  };
}

function whole(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max)
    throw badRequest(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}
