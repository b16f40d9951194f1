import { afterEach, describe, expect, it } from 'vitest';
import { CALLER, fp, type Harness, harness, openInput, rule } from './helpers.ts';

let h: Harness;
afterEach(async () => h?.cleanup());

const bob = { id: 'bob', groups: [] };
const windowRule = () => rule({ grant: { kind: 'window', maxSeconds: 1800 } });

describe('consume', () => {
  it('lets exactly one of 50 concurrent identical requests through on a once grant', async () => {
    h = await harness('consume-race');
    const { review } = await h.store.findOrCreate(openInput());
    expect((await h.store.consume(fp())).outcome).toBe('not-approved');
    await h.store.decide(review.id, { approver: bob, action: 'approve', via: 'slack' });
    const results = await Promise.all(Array.from({ length: 50 }, () => h.store.consume(fp())));
    const winners = results.filter((r) => r.outcome === 'consumed');
    expect(winners).toHaveLength(1);
    expect(winners[0]?.review?.grant).toMatchObject({ kind: 'once', consumedAt: expect.any(Number) });
    expect(results.filter((r) => r.outcome === 'none')).toHaveLength(49);
    // The next identical request asks again: a new review.
    const next = await h.store.findOrCreate(openInput());
    expect(next.created).toBe(true);
    expect(next.review.id).not.toBe(review.id);
  });

  it('joins a retry to an approved review until it is consumed', async () => {
    h = await harness('consume-join');
    const { review } = await h.store.findOrCreate(openInput());
    await h.store.decide(review.id, { approver: bob, action: 'approve', via: 'slack' });
    expect(await h.store.findOrCreate(openInput())).toMatchObject({
      created: false,
      review: { state: 'approved' },
    });
  });

  it('does not let a once grant outlive onceGrantSeconds', async () => {
    h = await harness('consume-stale', { onceGrantSeconds: 30 });
    const now = Date.now();
    const { review } = await h.store.findOrCreate(openInput({ now }));
    await h.store.decide(review.id, { approver: bob, action: 'approve', via: 'slack', now });
    expect((await h.store.consume(fp(), now + 31_000)).outcome).toBe('none');
    expect((await h.store.consume(fp(), now + 29_000)).outcome).toBe('consumed');
  });

  it('a cancelled approval cannot be consumed', async () => {
    h = await harness('consume-cancel');
    const { review } = await h.store.findOrCreate(openInput());
    await h.store.decide(review.id, { approver: bob, action: 'approve', via: 'slack' });
    expect((await h.store.cancel(review.id, { by: 'carol' })).outcome).toBe('cancelled');
    expect((await h.store.consume(fp())).outcome).toBe('not-approved');
  });
});

describe('window grants', () => {
  it('are valid for the fingerprint and for the same identity+cluster+rule until the window ends', async () => {
    h = await harness('window');
    const now = Date.now();
    const { review } = await h.store.findOrCreate(openInput({ now, rule: windowRule() }));
    const decided = await h.store.decide(review.id, {
      approver: bob,
      action: 'approve',
      via: 'slack',
      windowSeconds: 600,
      now,
    });
    expect(decided.review?.grant).toEqual({ kind: 'window', windowSeconds: 600, windowEnd: now + 600_000 });
    // Never consumed: the same request goes through again and again inside the window.
    for (let i = 0; i < 3; i++)
      expect((await h.store.consume(fp(), now + 1000)).outcome).toBe('window-valid');
    // Another request of the same identity under the same rule is covered...
    const identity = { issuer: CALLER.issuer, subject: CALLER.subject };
    expect((await h.store.findWindowGrant(identity, 'prod', 'prod-deletes', now + 599_000))?.id).toBe(
      review.id,
    );
    // ...but not after the end, nor for another rule, cluster or identity.
    expect(await h.store.findWindowGrant(identity, 'prod', 'prod-deletes', now + 600_000)).toBeUndefined();
    expect((await h.store.consume(fp(), now + 600_000)).outcome).toBe('none');
    expect(await h.store.findWindowGrant(identity, 'prod', 'other-rule', now)).toBeUndefined();
    expect(await h.store.findWindowGrant(identity, 'staging', 'prod-deletes', now)).toBeUndefined();
    expect(
      await h.store.findWindowGrant({ ...identity, subject: 'agent-2' }, 'prod', 'prod-deletes', now),
    ).toBeUndefined();
  });

  it('take the shortest window when several approvers are needed, and once if any chose once', async () => {
    h = await harness('window-min');
    const now = Date.now();
    const two = rule({ minApprovals: 2, grant: { kind: 'window', maxSeconds: 1800 } });
    const a = await h.store.findOrCreate(openInput({ now, rule: two }));
    await h.store.decide(a.review.id, {
      approver: bob,
      action: 'approve',
      via: 'slack',
      windowSeconds: 900,
      now,
    });
    const r = await h.store.decide(a.review.id, {
      approver: { id: 'carol', groups: [] },
      action: 'approve',
      via: 'slack',
      windowSeconds: 300,
      now,
    });
    expect(r.review?.grant).toEqual({ kind: 'window', windowSeconds: 300, windowEnd: now + 300_000 });
    const b = await h.store.findOrCreate(openInput({ now, rule: two, fingerprint: fp('other') }));
    await h.store.decide(b.review.id, {
      approver: bob,
      action: 'approve',
      via: 'slack',
      windowSeconds: 900,
      now,
    });
    const once = await h.store.decide(b.review.id, {
      approver: { id: 'carol', groups: [] },
      action: 'approve',
      via: 'slack',
      now,
    });
    expect(once.review?.grant).toMatchObject({ kind: 'once' });
  });

  it('is revoked by cancel', async () => {
    h = await harness('window-cancel');
    const { review } = await h.store.findOrCreate(openInput({ rule: windowRule() }));
    await h.store.decide(review.id, { approver: bob, action: 'approve', via: 'slack', windowSeconds: 60 });
    const identity = { issuer: CALLER.issuer, subject: CALLER.subject };
    expect(await h.store.findWindowGrant(identity, 'prod', 'prod-deletes')).toBeDefined();
    await h.store.cancel(review.id);
    expect(await h.store.findWindowGrant(identity, 'prod', 'prod-deletes')).toBeUndefined();
    expect((await h.store.consume(fp())).outcome).toBe('not-approved');
  });
});
