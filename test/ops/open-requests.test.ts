/**
 * The list of requests in flight (gateway/ops/open-requests.ts): what shutdown walks and scrapes
 * count, in any order of arrival and departure, and an entry once removed links to nothing, so a
 * removed entry that lives on (in the old generation, awaiting a full collection) keeps no other
 * request alive, which is what a `Set` here did (docs/performance.md, ninth round).
 */
import { describe, expect, it } from 'vitest';
import { type OpenEntry, OpenRequests } from '../../gateway/ops/open-requests.ts';
import type { RequestContext } from '../../gateway/request-context.ts';

const request = (id: string, extra: Partial<RequestContext> = {}) =>
  ({ id, startedAt: process.hrtime.bigint(), ...extra }) as RequestContext;
const ids = (open: OpenRequests) => open.all().map((ctx) => ctx.id);

describe('OpenRequests', () => {
  it('keeps what is open, oldest first, whichever order requests end in', () => {
    const open = new OpenRequests();
    const entries = ['a', 'b', 'c', 'd', 'e'].map((id) => open.add(request(id)));
    expect(ids(open)).toEqual(['a', 'b', 'c', 'd', 'e']);
    open.delete(entries[2]!); // the middle
    open.delete(entries[4]!); // the newest
    open.delete(entries[0]!); // the oldest
    expect(ids(open)).toEqual(['b', 'd']);
    expect(open.size).toBe(2);
    open.add(request('f'));
    expect(ids(open)).toEqual(['b', 'd', 'f']);
  });

  it('a removed entry links to nothing, and removing it twice changes nothing', () => {
    const open = new OpenRequests();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => open.add(request(id))) as [OpenEntry, OpenEntry, OpenEntry];
    open.delete(b);
    expect([b.prev, b.next, b.open]).toEqual([null, null, false]);
    open.delete(b);
    expect(open.size).toBe(2);
    expect(ids(open)).toEqual(['a', 'c']);
    open.delete(a);
    open.delete(c);
    for (const entry of [a, c]) expect([entry.prev, entry.next]).toEqual([null, null]);
    expect(open.size).toBe(0);
    expect(open.all()).toEqual([]);
  });

  it('under churn holds exactly the requests still open', () => {
    const open = new OpenRequests();
    const live: OpenEntry[] = [];
    let next = 0;
    for (let step = 0; step < 10_000; step++) {
      // A pseudo-random mix of arrivals and departures from anywhere in the list.
      if (live.length < 3 || (step * 7919) % 5 < 3) live.push(open.add(request(String(next++))));
      else open.delete(live.splice((step * 104_729) % live.length, 1)[0]!);
    }
    expect(open.size).toBe(live.length);
    expect(new Set(ids(open))).toEqual(new Set(live.map((entry) => entry.ctx.id)));
  });

  it('counts the long-lived requests by kind', () => {
    const open = new OpenRequests();
    open.add(request('w', { info: { verb: 'watch' } as RequestContext['info'] }));
    open.add(request('g', { info: { verb: 'get' } as RequestContext['info'] }));
    open.add(
      request('x', {
        info: { verb: 'create', resource: 'pods', subresource: 'exec' } as RequestContext['info'],
        upgrade: {} as RequestContext['upgrade'],
      }),
    );
    expect(open.countStreams()).toEqual({ watch: 1, exec: 1, attach: 0, portforward: 0, other: 0 });
  });
});
