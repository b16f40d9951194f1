import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { closeSession } from '../../gateway/recording/close-session.ts';
import { pruneExpired } from '../../gateway/recording/retention.ts';
import { sessionIdentity } from '../../gateway/recording/session-identity.ts';
import { BY_REFERENCE_BYTES } from '../../gateway/recording/session-store.ts';
import { readArchiveLines } from '../../src/recording/archive.ts';
import type { StreamDataBytesEvent, StreamDataEvent } from '../../src/recording/event.types.ts';
import { canonicalJson, verifyChain } from '../../src/recording/hash-chain.ts';
import { withRecordingScripts } from '../../src/recording/scripts.ts';
import { SessionIndex } from '../../src/recording/session-index.ts';
import { CALLER, type RecordingHarness, recordingHarness } from './support.ts';

/**
 * A stream's large batches of frames reach Redis beside the append script (their line in the
 * session's lines hash, the stream's entry holding its hash), not through it. What must hold:
 * every reader gets the line back as it was sealed, the chain still catches a changed line, an
 * append whose line is not there adds nothing, and the lines go with the session's other keys.
 */

const identity = sessionIdentity(CALLER, 'prod', {
  'kubectl-session': '44444444-5555-6666',
  'kubectl-command': 'kubectl exec',
});
const data = (bytes: Buffer, at = 1): StreamDataBytesEvent => ({
  type: 'stream-data',
  stream: 'x1',
  frames: [[at, 1, bytes]],
});

let h: RecordingHarness;
afterEach(async () => h?.cleanup());

/** The session's stream entries' fields, oldest first. */
async function entryFields(id: string): Promise<string[][]> {
  return (await h.redis.xrange(h.keys.events(id), '-', '+')).map(([, fields]) => fields);
}

describe('large stream lines stored by reference', () => {
  it('keeps a large batch out of the script and gives every reader its line back', async () => {
    h = await recordingHarness('by-ref');
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const large = randomBytes(BY_REFERENCE_BYTES);
    const small = randomBytes(BY_REFERENCE_BYTES - 1);
    await h.store.appendAll(id, identity.key, [data(large, 1), data(small, 2)]);

    const [, byReference, inline] = await entryFields(id);
    const index = new SessionIndex(h.redis, h.keys);
    const lines = await index.liveLines(id);
    const meta = await index.get(id);
    // The large one's entry names its line by the event's hash; the small one's holds its line.
    const largeEvent = JSON.parse(lines[1]!) as StreamDataEvent & { hash: string };
    expect(byReference).toEqual(['r', largeEvent.hash]);
    expect(await h.redis.hget(h.keys.lines(id), largeEvent.hash)).toBe(lines[1]);
    expect(inline).toEqual(['e', lines[2]]);
    expect(await h.redis.hlen(h.keys.lines(id))).toBe(1);

    expect(verifyChain(id, lines, { count: meta?.seq, finalHash: meta?.hash })).toMatchObject({
      ok: true,
      count: 3,
    });
    expect(Buffer.from(largeEvent.frames[0]![2], 'base64')).toEqual(large);
    expect(Buffer.from((JSON.parse(lines[2]!) as StreamDataEvent).frames[0]![2], 'base64')).toEqual(small);
  });

  it('shows a line changed in the lines hash as a broken chain', async () => {
    h = await recordingHarness('by-ref-tamper');
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    await h.store.appendAll(id, identity.key, [data(randomBytes(BY_REFERENCE_BYTES * 2))]);
    const [, [, hash]] = (await entryFields(id)) as [string[], [string, string]];
    const stored = JSON.parse((await h.redis.hget(h.keys.lines(id), hash))!) as StreamDataEvent;
    const other = randomBytes(BY_REFERENCE_BYTES * 2).toString('base64');
    const forged = canonicalJson({ ...stored, frames: [[stored.frames[0]![0], 1, other]] });
    await h.redis.hset(h.keys.lines(id), hash, forged);

    const lines = await new SessionIndex(h.redis, h.keys).liveLines(id);
    expect(lines[1]).toBe(forged);
    expect(verifyChain(id, lines)).toMatchObject({ ok: false, line: 2 });
  });

  it('adds nothing when a referenced line is not there, even the events beside it', async () => {
    h = await recordingHarness('by-ref-missing');
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const before = await h.redis.hmget(h.keys.meta(id), 'seq', 'hash');
    const scripts = withRecordingScripts(h.redis);
    const keys = [h.keys.meta(id), h.keys.events(id), h.keys.turn(id), h.keys.lines(id)];
    const inline = '{"type":"stream-close"}';
    const { head } = await scripts.hoopRecAppend(
      ...keys,
      before[0]!,
      Date.now(),
      '',
      'replica-a',
      200,
      before[1]!,
      inline,
      'a'.repeat(64),
      '',
      'b'.repeat(64),
    );
    expect(head).toEqual(['missing', 'b'.repeat(64)]);
    expect(await h.redis.xlen(h.keys.events(id))).toBe(1);
    expect(await h.redis.hmget(h.keys.meta(id), 'seq', 'hash')).toEqual(before);
  });

  it('archives the lines and deletes them with the stream; retention deletes them too', async () => {
    h = await recordingHarness('by-ref-close', 10);
    const deps = { redis: h.redis, keys: h.keys, dir: h.dir, idleGapMs: 10 };
    const first = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const bytes = randomBytes(BY_REFERENCE_BYTES);
    await h.store.appendAll(first.id, identity.key, [data(bytes)]);
    const closed = await closeSession(deps, first.id, Date.now() + 100);
    if (closed.kind !== 'archived') throw new Error(`not archived: ${closed.kind}`);
    const archived = await readArchiveLines(h.dir, closed.path);
    expect(verifyChain(first.id, archived)).toMatchObject({ ok: true, count: 2 });
    expect(Buffer.from((JSON.parse(archived[1]!) as StreamDataEvent).frames[0]![2], 'base64')).toEqual(bytes);
    expect(await h.redis.exists(h.keys.events(first.id), h.keys.lines(first.id))).toBe(0);

    // A session retention removes before any archive (its close job lost): its lines go too.
    const other = sessionIdentity(CALLER, 'prod', { 'kubectl-session': '77777777-8888-9999' });
    const second = await h.store.resolve({ identity: other, caller: CALLER, cluster: 'prod' });
    await h.store.appendAll(second.id, other.key, [data(bytes)]);
    expect(await h.redis.exists(h.keys.lines(second.id))).toBe(1);
    const pruned = await pruneExpired({ ...deps, retentionMs: 1 }, Date.now() + 1000);
    expect(pruned).toContain(second.id);
    expect(await h.redis.exists(h.keys.meta(second.id), h.keys.lines(second.id))).toBe(0);
  });
});
