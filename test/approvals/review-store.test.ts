import { afterEach, describe, expect, it } from 'vitest';
import { isReviewId } from '../../src/approvals/keys.ts';
import { CALLER, fp, type Harness, harness, openInput, rule } from './helpers.ts';

let h: Harness;
afterEach(async () => h?.cleanup());

describe('findOrCreate', () => {
  it('creates a pending review with a short typeable id, deadline and indexes', async () => {
    h = await harness('create');
    const now = 1_700_000_000_000;
    const { review, created } = await h.store.findOrCreate(openInput({ now }));
    expect(created).toBe(true);
    expect(isReviewId(review.id)).toBe(true);
    expect(review).toMatchObject({
      state: 'pending',
      fingerprint: fp(),
      cluster: 'prod',
      owner: 'alice',
      deadline: now + 900_000,
      createdAt: now,
      decisions: [],
      headers: { command: 'kubectl delete', session: '6f1c' },
      rule: { name: 'prod-deletes', minApprovals: 1, allowSelfApproval: false, grant: { kind: 'once' } },
    });
    expect(review.caller).toMatchObject({ issuer: CALLER.issuer, subject: 'agent-1', groups: ['agents'] });
    expect(await h.store.get(review.id)).toEqual(review);
    expect(await h.redis.zscore(h.store.keys.pending, review.id)).toBe(String(now + 900_000));
    expect(await h.redis.get(h.store.keys.fingerprint(fp()))).toBe(review.id);
  });

  it('joins a retried request to the same review; a changed body opens another', async () => {
    h = await harness('join');
    const first = await h.store.findOrCreate(openInput());
    const retry = await h.store.findOrCreate(openInput());
    expect(retry).toMatchObject({ created: false, review: { id: first.review.id } });
    const other = await h.store.findOrCreate(openInput({ fingerprint: fp('changed body') }));
    expect(other.created).toBe(true);
    expect(other.review.id).not.toBe(first.review.id);
  });

  it('gives 30 concurrent callers with one fingerprint one review', async () => {
    h = await harness('race-create');
    const results = await Promise.all(Array.from({ length: 30 }, () => h.store.findOrCreate(openInput())));
    expect(new Set(results.map((r) => r.review.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await h.store.list({ state: 'pending' })).toHaveLength(1);
  });

  it('stores only allowlisted claims, never a token-like claim', async () => {
    h = await harness('claims', { claimAllowlist: ['actor', 'repository', 'missing'] });
    const { review } = await h.store.findOrCreate(openInput());
    expect(review.caller.claims).toEqual({ actor: 'alice', repository: 'org/repo' });
    const raw = await h.redis.hgetall(h.store.keys.review(review.id));
    expect(JSON.stringify(raw)).not.toContain('sekret-token-value');
    expect(JSON.stringify(raw)).not.toContain('access_token');
  });

  it('expires a past-deadline review it finds, and opens a new one once the verdict lingered', async () => {
    h = await harness('late', { verdictLingerSeconds: 1 });
    const t0 = Date.now();
    const { review } = await h.store.findOrCreate(openInput({ now: t0, rule: rule({ timeoutSeconds: 1 }) }));
    const late = await h.store.findOrCreate(openInput({ now: t0 + 1500 }));
    expect(late).toMatchObject({ created: false, review: { id: review.id, state: 'expired' } });
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the index lingers for 1 s of real time
    const fresh = await h.store.findOrCreate(openInput({ now: t0 + 3000 }));
    expect(fresh.created).toBe(true);
  });
});

describe('get, list, cancel', () => {
  it('refuses ids of the wrong shape without touching Redis', async () => {
    h = await harness('get');
    expect(await h.store.get('r-000000')).toBeUndefined();
    expect(await h.store.get('../etc')).toBeUndefined();
    expect((await h.store.cancel('nope')).outcome).toBe('not-found');
  });

  it('lists pending by deadline and others newest first, filtered by state', async () => {
    h = await harness('list');
    const now = Date.now();
    const a = await h.store.findOrCreate(
      openInput({ fingerprint: fp('a'), now, rule: rule({ timeoutSeconds: 600 }) }),
    );
    const b = await h.store.findOrCreate(
      openInput({ fingerprint: fp('b'), now: now + 1, rule: rule({ timeoutSeconds: 60 }) }),
    );
    const c = await h.store.findOrCreate(openInput({ fingerprint: fp('c'), now: now + 2 }));
    expect((await h.store.cancel(c.review.id, { by: 'bob' })).outcome).toBe('cancelled');
    expect((await h.store.list({ state: 'pending' })).map((r) => r.id)).toEqual([b.review.id, a.review.id]);
    expect((await h.store.list()).map((r) => r.id)).toEqual([c.review.id, b.review.id, a.review.id]);
    expect((await h.store.list({ state: 'cancelled' })).map((r) => r.id)).toEqual([c.review.id]);
    expect((await h.store.list({ limit: 1 })).map((r) => r.id)).toEqual([c.review.id]);
  });

  it('cancel is final: a second cancel and a late decision change nothing', async () => {
    h = await harness('cancel');
    const { review } = await h.store.findOrCreate(openInput());
    const cancelled = await h.store.cancel(review.id, { by: 'carol' });
    expect(cancelled).toMatchObject({
      outcome: 'cancelled',
      review: { state: 'cancelled', decidedBy: 'carol' },
    });
    expect((await h.store.cancel(review.id)).outcome).toBe('not-cancellable');
    const late = await h.store.decide(review.id, {
      approver: { id: 'bob', groups: [] },
      action: 'approve',
      via: 'slack',
    });
    expect(late).toMatchObject({
      outcome: 'already-decided',
      decidedBy: 'carol',
      review: { state: 'cancelled' },
    });
  });
});
