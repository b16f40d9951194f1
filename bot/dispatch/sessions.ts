import type { Review, ReviewState } from '../../src/approvals/review.types.ts';
import type { ReviewStore } from '../../src/approvals/review-store.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import type { RedisConnection } from '../../src/queues/connections.ts';
import type { SessionIndex } from '../../src/recording/session-index.ts';

/**
 * Where `/hoop sessions` and `/hoop show <session>` get their data. A session is one kubectl
 * invocation (its `Kubectl-Session` header); until the recorder lands, the only sessions the bot
 * knows are those that asked for a review, so {@link reviewSessions} groups recent reviews by
 * that header (a review without one is a session of its own). The recorder will provide another
 * {@link SessionDirectory} with every session, and the commands stay as they are.
 */
export interface SessionRow {
  id: string;
  agent: string;
  cluster: string;
  command?: string;
  startedAt: number;
  lastAt: number;
  reviews: Array<{ id: string; state: ReviewState; verb: string; target: string }>;
}

export interface SessionFilter {
  /** Substring of the agent's subject (case-insensitive). */
  agent?: string;
  /** Exact cluster name. */
  cluster?: string;
  limit: number;
}

export interface SessionDirectory {
  list(filter: SessionFilter): Promise<SessionRow[]>;
  get(id: string): Promise<SessionRow | undefined>;
}

/** How many recent reviews are grouped; older sessions are out of reach of chat commands. */
const SCAN = 200;

export function reviewSessions(store: Pick<ReviewStore, 'list'>): SessionDirectory {
  const all = async (): Promise<SessionRow[]> => group(await store.list({ limit: SCAN }));
  return {
    async list(filter) {
      const agent = filter.agent?.toLowerCase();
      return (await all())
        .filter((row) => (agent ? row.agent.toLowerCase().includes(agent) : true))
        .filter((row) => (filter.cluster ? row.cluster === filter.cluster : true))
        .slice(0, filter.limit);
    },
    async get(id) {
      return (await all()).find((row) => row.id === id);
    },
  };
}

/**
 * The recorder's index as the directory, where sessions have `s-…` ids. A card shows the
 * review's `Kubectl-Session` (kubectl's own UUID), so `get` also takes that UUID: the reviews
 * carrying it name the agent and cluster, and the recorded session that holds one of those
 * reviews is the answer. So every session id a card or a list shows works with `show`.
 */
export function recordedSessions(index: SessionIndex, store: Pick<ReviewStore, 'list'>): SessionDirectory {
  return {
    list: (filter) => index.list(filter),
    async get(id) {
      const direct = await index.get(id);
      if (direct) return direct;
      const reviews = (await store.list({ limit: SCAN })).filter((review) => review.headers.session === id);
      for (const review of reviews) {
        const candidates = await index.list({
          agent: review.caller.subject,
          cluster: review.cluster,
          limit: 50,
        });
        const found = candidates.find(
          (meta) =>
            meta.agent === review.caller.subject &&
            meta.issuer === review.caller.issuer &&
            meta.reviews.some((r) => r.id === review.id),
        );
        if (found) return found;
      }
      return undefined;
    },
  };
}

function group(reviews: Review[]): SessionRow[] {
  const rows = new Map<string, SessionRow>();
  for (const review of reviews) {
    const id = review.headers.session ?? review.id;
    let row = rows.get(id);
    if (!row) {
      row = {
        id,
        agent: review.caller.subject,
        cluster: review.cluster,
        startedAt: review.createdAt,
        lastAt: review.updatedAt,
        reviews: [],
        ...(review.headers.command ? { command: review.headers.command } : {}),
      };
      rows.set(id, row);
    }
    row.startedAt = Math.min(row.startedAt, review.createdAt);
    row.lastAt = Math.max(row.lastAt, review.updatedAt);
    const info = review.info;
    const target = [info.namespace, info.resource, info.name].filter(Boolean).join('/');
    row.reviews.push({ id: review.id, state: review.state, verb: info.verb, target });
  }
  return [...rows.values()].sort((a, b) => b.lastAt - a.lastAt);
}

/**
 * A directory on a fail-fast Redis connection (no offline queue): each call first waits, briefly,
 * for the connection to be ready, so a command right after start-up or a reconnect is answered
 * instead of failing with "stream isn't writeable".
 */
export function whenConnected(
  directory: SessionDirectory,
  redis: RedisConnection,
  timeoutMs = 1000,
): SessionDirectory {
  return {
    list: async (filter) => {
      await whenReady(redis, timeoutMs);
      return directory.list(filter);
    },
    get: async (id) => {
      await whenReady(redis, timeoutMs);
      return directory.get(id);
    },
  };
}
