import type { ReviewState } from '../approvals/review.types.ts';
import type { RedisConnection } from '../queues/connections.ts';
import type { RecordingKeys } from './scripts.ts';

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

const REVIEW_STATES = new Set<string>(['pending', 'approved', 'rejected', 'expired', 'cancelled']);

/** A meta hash (HGETALL) as a {@link SessionMeta}; undefined when the session does not exist. */
export function parseMeta(fields: Record<string, string>): SessionMeta | undefined {
  if (!fields['id'] || !fields['state']) return undefined;
  const num = (name: string): number => Number(fields[name] ?? 0) || 0;
  const reviews: SessionReviewRef[] = [];
  for (const [name, value] of Object.entries(fields)) {
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

  /** The session's stored event lines, from its live stream (empty once archived). */
  async liveLines(id: string): Promise<string[]> {
    const lines: string[] = [];
    let start = '-';
    for (;;) {
      const page = await this.#redis.xrange(this.#keys.events(id), start, '+', 'COUNT', 1000);
      for (const [, fields] of page) {
        const at = fields.indexOf('e');
        if (at !== -1 && fields[at + 1] !== undefined) lines.push(fields[at + 1]!);
      }
      if (page.length < 1000) return lines;
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
}
