import type { ReviewState } from '../approvals/review.types.ts';
import type { RedisConnection } from '../queues/connections.ts';
import type { RecordingKeys } from './scripts.ts';
import { entryLines } from './stream-entries.ts';

/**
 * The read side of the session index in Redis: one hash per session (its meta) and sorted sets
 * by start time, agent, cluster and outcome. The CLI (`sessions list|show`) and the chat bot
 * (`/hoop sessions`, `/hoop show`) read sessions through here; rows are shaped like the bot's
 * `SessionRow`, so {@link SessionIndex} can serve as its session directory as it is.
 */

export interface SessionReviewRef {
  id: string;
  state: ReviewState;
  verb: string;
  target: string;
  /** How the held call ended as the gateway saw it (`approved`, `pending`, `rejected`…). */
  outcome?: string;
}

export interface SessionMeta {
  id: string;
  state: 'open' | 'closed';
  kind: 'kubectl' | 'idle';
  /** The agent's subject. */
  agent: string;
  issuer: string;
  cluster: string;
  command?: string;
  startedAt: number;
  lastAt: number;
  closedAt?: number;
  /** Events recorded so far (the chain's tail sequence number). */
  seq: number;
  /** Hash of the last event appended. */
  hash: string;
  requests: number;
  denied: number;
  errors: number;
  reviews: SessionReviewRef[];
  /** Set once archived: the final hash and event count, the archive file (relative to the dir). */
  finalHash?: string;
  count?: number;
  archive?: string;
  archivedAt?: number;
  summary?: string;
  outcomes: string[];
  /** Namespaces the session's calls named (recorded since the console; absent before). */
  namespaces: string[];
  /** Whether an exec or attach was recorded (`exec` field; absent in older recordings). */
  hasExec: boolean;
}

export interface SessionQuery {
  /** Substring of the agent's subject (case-insensitive); an exact subject uses its index. */
  agent?: string;
  /** Exact cluster name. */
  cluster?: string;
  /** Only sessions that started at or after this epoch ms. */
  since?: number;
  /** `clean`, `denied`, `reviewed`, `error`. */
  outcome?: string;
  limit: number;
}

/** A page of the sessions list: newest first, continuing after `after` (the previous page's last). */
export interface SessionPageQuery extends SessionQuery {
  /** Only sessions that started at or before this epoch ms. */
  until?: number;
  /** Exact namespace one of the session's calls named. */
  namespace?: string;
  hasExec?: boolean;
  hadReview?: boolean;
  after?: { startedAt: number; id: string };
}

export interface SessionPage {
  items: SessionMeta[];
  /** Where the next page starts, when there may be more. */
  next?: { startedAt: number; id: string };
}

/** At most this many index entries are read per page, so a rare filter cannot scan everything. */
const MAX_SCANNED_PER_PAGE = 5000;

const REVIEW_STATES = new Set<string>(['pending', 'approved', 'rejected', 'expired', 'cancelled']);

/** A meta hash (HGETALL) as a {@link SessionMeta}; undefined when the session does not exist. */
export function parseMeta(fields: Record<string, string>): SessionMeta | undefined {
  if (!fields['id'] || !fields['state']) return undefined;
  const num = (name: string): number => Number(fields[name] ?? 0) || 0;
  const reviews: SessionReviewRef[] = [];
  const namespaces: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (name.startsWith('ns:')) namespaces.push(name.slice(3));
    if (!name.startsWith('review:')) continue;
    try {
      const parsed = JSON.parse(value) as Omit<SessionReviewRef, 'id' | 'state'> & { state?: string };
      const state = (REVIEW_STATES.has(parsed.state ?? '') ? parsed.state : 'pending') as ReviewState;
      reviews.push({ ...parsed, id: name.slice('review:'.length), state });
    } catch {
      // A malformed entry is skipped; the archive still has the events.
    }
  }
  const meta: SessionMeta = {
    id: fields['id'],
    state: fields['state'] === 'closed' ? 'closed' : 'open',
    kind: fields['kind'] === 'kubectl' ? 'kubectl' : 'idle',
    agent: fields['subject'] ?? '',
    issuer: fields['issuer'] ?? '',
    cluster: fields['cluster'] ?? '',
    startedAt: num('startedAt'),
    lastAt: num('lastAt'),
    seq: num('seq'),
    hash: fields['hash'] ?? '',
    requests: num('requests'),
    denied: num('denied'),
    errors: num('errors'),
    reviews,
    outcomes: (fields['outcomes'] ?? '').split(',').filter(Boolean),
    namespaces: namespaces.sort(),
    hasExec: fields['exec'] === '1',
  };
  if (fields['command']) meta.command = fields['command'];
  if (fields['closedAt']) meta.closedAt = num('closedAt');
  if (fields['finalHash']) meta.finalHash = fields['finalHash'];
  if (fields['count']) meta.count = num('count');
  if (fields['archive']) meta.archive = fields['archive'];
  if (fields['archivedAt']) meta.archivedAt = num('archivedAt');
  if (fields['summary']) meta.summary = fields['summary'];
  return meta;
}

export class SessionIndex {
  readonly #redis: RedisConnection;
  readonly #keys: RecordingKeys;

  constructor(redis: RedisConnection, keys: RecordingKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async get(id: string): Promise<SessionMeta | undefined> {
    return parseMeta(await this.#redis.hgetall(this.#keys.meta(id)));
  }

  /**
   * What the live stream holds right now, in one short string (its length and first and last entry
   * ids): entries cannot be edited in place, so any change to the stream changes it.
   */
  async streamMark(id: string): Promise<string> {
    const key = this.#keys.events(id);
    const replies =
      (await this.#redis
        .pipeline()
        .xlen(key)
        .xrange(key, '-', '+', 'COUNT', 1)
        .xrevrange(key, '+', '-', 'COUNT', 1)
        .exec()) ?? [];
    const [length, first, last] = replies.map(([, value]) => value) as [
      number,
      Array<[string]>,
      Array<[string]>,
    ];
    return `${length}:${first?.[0]?.[0] ?? ''}:${last?.[0]?.[0] ?? ''}`;
  }

  /** The session's stored event lines, from its live stream (empty once archived). */
  async liveLines(id: string): Promise<string[]> {
    const lines: string[] = [];
    for (const { line } of await this.liveEntries(id)) if (line !== undefined) lines.push(line);
    return lines;
  }

  /**
   * The entries of the session's live stream, oldest first: each one's id (what a live view
   * resumes from) and event line (stream-entries.ts: `undefined` where it is missing).
   */
  async liveEntries(id: string): Promise<Array<{ id: string; line: string | undefined }>> {
    const entries: Array<{ id: string; line: string | undefined }> = [];
    let start = '-';
    for (;;) {
      const page = await this.#redis.xrange(this.#keys.events(id), start, '+', 'COUNT', 1000);
      const lines = await entryLines(this.#redis, this.#keys.lines(id), page);
      for (const [i, [entryId]] of page.entries()) entries.push({ id: entryId, line: lines[i] });
      if (page.length < 1000) return entries;
      start = `(${page[page.length - 1]![0]}`;
    }
  }

  /** Newest first. Filters by the most specific index, then by the remaining criteria. */
  async list(query: SessionQuery): Promise<SessionMeta[]> {
    const exactAgent = query.agent && (await this.#redis.exists(this.#keys.byAgent(query.agent)));
    const key = query.outcome
      ? this.#keys.byOutcome(query.outcome)
      : query.cluster
        ? this.#keys.byCluster(query.cluster)
        : exactAgent
          ? this.#keys.byAgent(query.agent ?? '')
          : this.#keys.byTime;
    const since = query.since ?? 0;
    const agent = query.agent?.toLowerCase();
    const out: SessionMeta[] = [];
    const page = Math.max(query.limit * 2, 50);
    for (let offset = 0; out.length < query.limit; offset += page) {
      const ids = await this.#redis.zrevrangebyscore(key, '+inf', since, 'LIMIT', offset, page);
      if (ids.length === 0) break;
      // One command per session, sent together: on a Redis Cluster the sessions live on
      // different nodes, which one pipeline cannot span.
      const replies = await Promise.all(ids.map((id) => this.#redis.hgetall(this.#keys.meta(id))));
      for (const fields of replies) {
        const meta = parseMeta(fields);
        if (!meta) continue;
        if (agent && !meta.agent.toLowerCase().includes(agent)) continue;
        if (query.cluster && meta.cluster !== query.cluster) continue;
        out.push(meta);
        if (out.length >= query.limit) break;
      }
      if (ids.length < page) break;
    }
    return out;
  }

  /**
   * One page, newest first, by the most specific index; a page may come back short (with `next`)
   * when the filters are rare, since at most {@link MAX_SCANNED_PER_PAGE} entries are read.
   */
  async page(query: SessionPageQuery): Promise<SessionPage> {
    const exactAgent = query.agent && (await this.#redis.exists(this.#keys.byAgent(query.agent)));
    const key = query.outcome
      ? this.#keys.byOutcome(query.outcome)
      : query.cluster
        ? this.#keys.byCluster(query.cluster)
        : exactAgent
          ? this.#keys.byAgent(query.agent ?? '')
          : this.#keys.byTime;
    const max = Math.min(
      query.after?.startedAt ?? Number.POSITIVE_INFINITY,
      query.until ?? Number.POSITIVE_INFINITY,
    );
    const min = query.since ?? 0;
    const agent = query.agent?.toLowerCase();
    const items: SessionMeta[] = [];
    const batch = Math.max(query.limit * 2, 50);
    let last: { startedAt: number; id: string } | undefined;
    for (let offset = 0; offset < MAX_SCANNED_PER_PAGE; offset += batch) {
      const flat = await this.#redis.zrevrangebyscore(
        key,
        Number.isFinite(max) ? max : '+inf',
        min,
        'WITHSCORES',
        'LIMIT',
        offset,
        batch,
      );
      const entries: Array<{ id: string; score: number }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ id: flat[i]!, score: Number(flat[i + 1]) });
      const after = query.after;
      // Same start time as the cursor: only the ids the previous page had not reached yet.
      const fresh = after
        ? entries.filter((e) => e.score < after.startedAt || (e.score === after.startedAt && e.id < after.id))
        : entries;
      const pipeline = this.#redis.pipeline();
      for (const entry of fresh) pipeline.hgetall(this.#keys.meta(entry.id));
      const replies = fresh.length > 0 ? ((await pipeline.exec()) ?? []) : [];
      for (const [index, [, fields]] of replies.entries()) {
        const entry = fresh[index]!;
        last = { startedAt: entry.score, id: entry.id };
        const meta = parseMeta((fields ?? {}) as Record<string, string>);
        if (meta && matches(meta, query, agent)) items.push(meta);
        if (items.length >= query.limit) return { items, next: last };
      }
      if (entries.length < batch) return { items };
    }
    return last ? { items, next: last } : { items };
  }
}

function matches(meta: SessionMeta, query: SessionPageQuery, agent: string | undefined): boolean {
  if (agent && !meta.agent.toLowerCase().includes(agent)) return false;
  if (query.cluster && meta.cluster !== query.cluster) return false;
  if (query.namespace && !meta.namespaces.includes(query.namespace)) return false;
  if (query.hasExec !== undefined && meta.hasExec !== query.hasExec) return false;
  if (query.hadReview !== undefined && meta.reviews.length > 0 !== query.hadReview) return false;
  if (query.outcome && meta.state === 'closed' && !meta.outcomes.includes(query.outcome)) return false;
  return true;
}
