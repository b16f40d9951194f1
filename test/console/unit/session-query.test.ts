import { describe, expect, it } from 'vitest';
import { encodeCursor, parseSessionQuery } from '../../../console/server/api/session-query.ts';

const parse = (query: string) => parseSessionQuery(new URLSearchParams(query));

describe('sessions list query', () => {
  it('reads every filter', () => {
    const cursor = encodeCursor({ startedAt: 1_750_000_000_000, id: 's-7k2m9xq4ad' });
    expect(
      parse(
        `agent=agent&cluster=prod&namespace=payments&since=2026-12-01T00:00:00Z&until=1800000000000&outcome=denied&hasExec=true&hadReview=false&limit=10&cursor=${cursor}`,
      ),
    ).toEqual({
      agent: 'agent',
      cluster: 'prod',
      namespace: 'payments',
      since: Date.parse('2026-12-01T00:00:00Z'),
      until: 1_800_000_000_000,
      outcome: 'denied',
      hasExec: true,
      hadReview: false,
      limit: 10,
      after: { startedAt: 1_750_000_000_000, id: 's-7k2m9xq4ad' },
    });
    expect(parse('')).toEqual({ limit: 50 });
  });

  it.each([
    ['limit=0', 'limit must be a whole number from 1 to 200'],
    ['limit=201', 'limit must be a whole number from 1 to 200'],
    ['limit=1.5', 'limit must be a whole number from 1 to 200'],
    ['outcome=great', 'outcome must be one of clean, denied, reviewed, error'],
    ['since=yesterday', 'since must be epoch milliseconds or an ISO 8601 date'],
    ['hadReview=1', 'hadReview must be true or false'],
    ['cursor=bm90LWEtY3Vyc29y', 'cursor is not one this console gave out; start from the first page'],
    ['sort=asc', 'unknown query parameter "sort"'],
    [`agent=${'a'.repeat(300)}`, 'agent is longer than 253 characters'],
  ])('refuses %s with a message naming the parameter', (query, message) => {
    expect(() => parse(query)).toThrow(message);
  });
});
