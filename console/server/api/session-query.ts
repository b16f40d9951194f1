import { badRequest } from '../../../src/errors.ts';
import type { SessionPageQuery } from '../../../src/recording/session-index.ts';

/**
 * `GET /api/v1/sessions` query parameters → an index query (console/api.types.ts
 * `SessionListQuery`). Every mistake is a 400 that names the parameter; unknown ones too, so a
 * typo never silently widens a filter.
 */
const KNOWN = new Set([
  'agent',
  'cluster',
  'namespace',
  'since',
  'until',
  'outcome',
  'hasExec',
  'hadReview',
  'limit',
  'cursor',
]);
const OUTCOMES = ['clean', 'denied', 'reviewed', 'error'];

export function parseSessionQuery(params: URLSearchParams): SessionPageQuery {
  for (const key of params.keys()) {
    if (!KNOWN.has(key))
      throw badRequest(`unknown query parameter "${key.slice(0, 40)}"; known: ${[...KNOWN].join(', ')}`);
  }
  const text = (name: string, max = 253): string | undefined => {
    const value = params.get(name);
    if (value === null || value === '') return undefined;
    if (value.length > max) throw badRequest(`${name} is longer than ${max} characters`);
    return value;
  };
  const limitText = text('limit') ?? '50';
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw badRequest('limit must be a whole number from 1 to 200');
  const query: SessionPageQuery = { limit };
  const agent = text('agent');
  if (agent) query.agent = agent;
  const cluster = text('cluster');
  if (cluster) query.cluster = cluster;
  const namespace = text('namespace');
  if (namespace) query.namespace = namespace;
  const outcome = text('outcome');
  if (outcome) {
    if (!OUTCOMES.includes(outcome)) throw badRequest(`outcome must be one of ${OUTCOMES.join(', ')}`);
    query.outcome = outcome;
  }
  const since = time('since', text('since'));
  if (since !== undefined) query.since = since;
  const until = time('until', text('until'));
  if (until !== undefined) query.until = until;
  const hasExec = flag('hasExec', text('hasExec'));
  if (hasExec !== undefined) query.hasExec = hasExec;
  const hadReview = flag('hadReview', text('hadReview'));
  if (hadReview !== undefined) query.hadReview = hadReview;
  const cursor = text('cursor', 200);
  if (cursor) query.after = decodeCursor(cursor);
  return query;
}

function time(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const at = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(at)) throw badRequest(`${name} must be epoch milliseconds or an ISO 8601 date`);
  return at;
}

function flag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw badRequest(`${name} must be true or false`);
}

export function encodeCursor(after: { startedAt: number; id: string }): string {
  return Buffer.from(JSON.stringify([after.startedAt, after.id])).toString('base64url');
}

function decodeCursor(cursor: string): { startedAt: number; id: string } {
  try {
    const [startedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (
      typeof startedAt === 'number' &&
      Number.isFinite(startedAt) &&
      typeof id === 'string' &&
      id.length <= 64
    )
      return { startedAt, id };
  } catch {
    // Reported below.
  }
  throw badRequest('cursor is not one this console gave out; start from the first page');
}
