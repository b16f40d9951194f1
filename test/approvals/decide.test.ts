import { afterEach, describe, expect, it } from 'vitest';
import type { Approver } from '../../src/approvals/review.types.ts';
import { type Harness, harness, openInput, rule } from './helpers.ts';

let h: Harness;
afterEach(async () => h?.cleanup());

const approver = (id: string, groups: string[] = []): Approver => ({ id, groups });

describe('decide', () => {
  it('approves, records the decision and the once grant, and publishes the change', async () => {
    h = await harness('approve');
    const events: string[] = [];
    await h.store.subscribe((event) => events.push(`${event.id}:${event.state}`));
    const now = Date.now();
    const { review } = await h.store.findOrCreate(openInput({ now }));
    const result = await h.store.decide(review.id, {
      approver: approver('bob'),
      action: 'approve',
      via: 'slack',
      reason: 'looks fine',
      now: now + 10,
    });
    expect(result).toMatchObject({ outcome: 'applied', decidedBy: 'bob', review: { state: 'approved' } });
    expect(result.review?.decisions).toEqual([
      {
        approver: 'bob',
        action: 'approve',
        at: now + 10,
        via: 'slack',
        reason: 'looks fine',
        identity: { id: 'bob', groups: [] },
      },
    ]);
    expect(result.review?.grant).toEqual({ kind: 'once', expiresAt: now + 10 + 600_000 });
    expect(await h.redis.zscore(h.store.keys.pending, review.id)).toBeNull();
    await expect.poll(() => events).toEqual([`${review.id}:pending`, `${review.id}:approved`]);
  });

  it('lets exactly one of 40 concurrent approve/reject clicks win; the rest learn who decided', async () => {
    h = await harness('race-decide');
    const { review } = await h.store.findOrCreate(openInput());
    const ids = Array.from({ length: 40 }, (_, i) => `sre-${i}`);
    const results = await Promise.all(
      ids.map((id, i) =>
        h.store.decide(review.id, {
          approver: approver(id, ['sre']),
          action: i % 2 === 0 ? 'approve' : 'reject',
          via: 'teams',
        }),
      ),
    );
    const applied = results.filter((r) => r.outcome === 'applied');
    expect(applied).toHaveLength(1);
    const winner = applied[0]!.decidedBy!;
    const others = results.filter((r) => r.outcome !== 'applied');
    expect(others.every((r) => r.outcome === 'already-decided' && r.decidedBy === winner)).toBe(true);
    const final = await h.store.get(review.id);
    expect(final?.decisions).toHaveLength(1);
    expect(final?.decidedBy).toBe(winner);
  });

  it('a repeated decision changes nothing and names the first decider', async () => {
    h = await harness('repeat');
    const { review } = await h.store.findOrCreate(openInput());
    await h.store.decide(review.id, {
      approver: approver('bob'),
      action: 'reject',
      via: 'slack',
      reason: 'no',
    });
    const again = await h.store.decide(review.id, {
      approver: approver('carol'),
      action: 'approve',
      via: 'slack',
    });
    expect(again).toMatchObject({
      outcome: 'already-decided',
      decidedBy: 'bob',
      review: { state: 'rejected' },
    });
    expect(again.review?.decisions).toHaveLength(1);
  });

  it('refuses non-approvers and self-approval with a reason; the requester may still reject', async () => {
    h = await harness('authz');
    const { review } = await h.store.findOrCreate(openInput());
    const stranger = await h.store.decide(review.id, {
      approver: approver('mallory', ['dev']),
      action: 'approve',
      via: 'slack',
    });
    expect(stranger).toMatchObject({
      outcome: 'not-allowed',
      reason: expect.stringContaining('not an approver'),
    });
    // alice is listed as an approver but owns the job (owner claim `actor`).
    const self = await h.store.decide(review.id, {
      approver: approver('Alice'),
      action: 'approve',
      via: 'slack',
    });
    expect(self).toMatchObject({ outcome: 'not-allowed', reason: expect.stringContaining('self-approval') });
    expect((await h.store.get(review.id))?.state).toBe('pending');
    const reject = await h.store.decide(review.id, {
      approver: approver('alice'),
      action: 'reject',
      via: 'api',
    });
    expect(reject).toMatchObject({ outcome: 'applied', review: { state: 'rejected' } });
  });

  it('allows self-approval when the rule says so, and a group member as approver', async () => {
    h = await harness('self-ok');
    const { review } = await h.store.findOrCreate(openInput({ rule: rule({ allowSelfApproval: true }) }));
    const self = await h.store.decide(review.id, {
      approver: approver('alice'),
      action: 'approve',
      via: 'slack',
    });
    expect(self.outcome).toBe('applied');
    const second = await h.store.findOrCreate(openInput({ rule: rule(), fingerprint: '0'.repeat(64) }));
    const member = await h.store.decide(second.review.id, {
      approver: approver('zed', ['sre']),
      action: 'approve',
      via: 'slack',
    });
    expect(member.outcome).toBe('applied');
  });

  it('with minApprovals 2: the same approver twice stays pending; two distinct approve', async () => {
    h = await harness('min2');
    const { review } = await h.store.findOrCreate(openInput({ rule: rule({ minApprovals: 2 }) }));
    const first = await h.store.decide(review.id, {
      approver: approver('bob'),
      action: 'approve',
      via: 'slack',
    });
    const twice = await h.store.decide(review.id, {
      approver: approver('BOB'),
      action: 'approve',
      via: 'teams',
    });
    expect(first).toMatchObject({ outcome: 'counted', review: { state: 'pending' } });
    expect(twice).toMatchObject({ outcome: 'counted', review: { state: 'pending' } });
    expect(twice.review?.decisions).toHaveLength(1);
    const second = await h.store.decide(review.id, {
      approver: approver('carol'),
      action: 'approve',
      via: 'slack',
    });
    expect(second).toMatchObject({ outcome: 'applied', decidedBy: 'carol', review: { state: 'approved' } });
    expect(second.review?.decisions.map((d) => d.approver)).toEqual(['bob', 'carol']);
  });

  it('with minApprovals 2 and 10 concurrent distinct approvers: one applies, one counts', async () => {
    h = await harness('min2-race');
    const { review } = await h.store.findOrCreate(openInput({ rule: rule({ minApprovals: 2 }) }));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.store.decide(review.id, {
          approver: approver(`sre-${i}`, ['sre']),
          action: 'approve',
          via: 'slack',
        }),
      ),
    );
    const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
    expect([count('applied'), count('counted'), count('already-decided')]).toEqual([1, 1, 8]);
  });

  it('answers expired after the deadline and expires the review', async () => {
    h = await harness('decide-late');
    const now = Date.now();
    const { review } = await h.store.findOrCreate(openInput({ now, rule: rule({ timeoutSeconds: 60 }) }));
    const late = await h.store.decide(review.id, {
      approver: approver('bob'),
      action: 'approve',
      via: 'slack',
      now: now + 61_000,
    });
    expect(late).toMatchObject({ outcome: 'expired', review: { state: 'expired' } });
    expect(
      (await h.store.decide(review.id, { approver: approver('bob'), action: 'approve', via: 'slack' }))
        .outcome,
    ).toBe('expired');
    expect(
      (await h.store.decide('r-zzzzzz', { approver: approver('bob'), action: 'approve', via: 'slack' }))
        .outcome,
    ).toBe('not-found');
  });

  it('refuses a window on a once-only rule and a window above the rule maximum', async () => {
    h = await harness('window-authz');
    const once = await h.store.findOrCreate(openInput());
    const r1 = await h.store.decide(once.review.id, {
      approver: approver('bob'),
      action: 'approve',
      via: 'slack',
      windowSeconds: 60,
    });
    expect(r1).toMatchObject({ outcome: 'not-allowed', reason: expect.stringContaining('single call') });
    const windowed = await h.store.findOrCreate(
      openInput({ fingerprint: '1'.repeat(64), rule: rule({ grant: { kind: 'window', maxSeconds: 600 } }) }),
    );
    const r2 = await h.store.decide(windowed.review.id, {
      approver: approver('bob'),
      action: 'approve',
      via: 'slack',
      windowSeconds: 3600,
    });
    expect(r2).toMatchObject({ outcome: 'not-allowed', reason: expect.stringContaining('at most 600') });
  });
});
