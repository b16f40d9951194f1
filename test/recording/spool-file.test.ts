/**
 * The recording spool's file as the flush and a restarted gateway read it (real files in a
 * temporary directory; the flush target collects what would go to Redis):
 * - a flush reads the file between writes, and a line no write finished (part of one, no newline)
 *   is not an event: it does not condemn the lines before it;
 * - a write the process died in (an unterminated last line) was never acknowledged: it is dropped
 *   and cut off, and the events before it are flushed, not set aside with it;
 * - a file that holds fewer events than this process wrote (cut while it ran) is set aside, and
 *   the flush ends instead of going round for events that are not there.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingSpool, type SpoolEntry, type SpoolTarget } from '../../gateway/recording/spool.ts';

let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function spoolDir(): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'hoop-spool-file-'));
  return dir;
}

/** A stream's frames, as an exec spools them, named `r<i>`. */
function entry(i: number): SpoolEntry {
  return {
    identity: { key: 'a'.repeat(40), kind: 'idle' },
    caller: { issuer: 'https://issuer.test', subject: 'agent', groups: [], claims: {} },
    cluster: 'sandbox',
    body: { type: 'stream-data', stream: `r${i}`, frames: [[i, 1, 'x'.repeat(200)]] },
    updates: {},
  };
}

/** Collects the flushed entries, in order, as the Redis store would take them. */
function collectingTarget(): SpoolTarget & { streams: string[] } {
  const streams: string[] = [];
  return {
    streams,
    resolve: async () => 'session-1',
    append: async (_id, flushed) => {
      if (flushed.body.type === 'stream-data') streams.push(flushed.body.stream);
      return 'ok';
    },
  };
}

/** A spool in a fresh directory with events r0, r1 and r2 written; `file` is its events file. */
async function spoolOfThree(): Promise<{ path: string; file: string; spool: RecordingSpool }> {
  const path = await spoolDir();
  const spool = new RecordingSpool({ dir: path, maxBytes: 1 << 20 });
  for (let i = 0; i < 3; i++) await spool.write(entry(i));
  return { path, file: join(path, 'events.jsonl'), spool };
}

/** Flushes `spool` into a collecting target: what it took, and why the spool was set aside if it was. */
async function flushCollected(spool: RecordingSpool): Promise<{ streams: string[]; rejected: string[] }> {
  const target = collectingTarget();
  const rejected: string[] = [];
  await spool.flush(target, (why) => rejected.push(why));
  return { streams: target.streams, rejected };
}

describe('the recording spool file', () => {
  it('a line half written when the flush reads the file does not condemn the lines before it', async () => {
    const { file, spool } = await spoolOfThree();
    const complete = await readFile(file, 'utf8');
    // What a reader sees while a large write is on its way into the file: part of a line.
    await writeFile(file, `${complete}{"n":4,"prev":"`);

    expect(await flushCollected(spool)).toEqual({ streams: ['r0', 'r1', 'r2'], rejected: [] });
    expect(spool.pending).toBe(false);
  });

  it('a write the process died in is dropped and cut off; the events before it are flushed', async () => {
    const { path, file } = await spoolOfThree();
    const complete = await readFile(file, 'utf8');
    // The process died in the middle of its fourth write: part of a line, no newline.
    const fourth = complete.split('\n')[2]!.replace('"r2"', '"r3"');
    await writeFile(file, complete + fourth.slice(0, 120));

    const after = new RecordingSpool({ dir: path, maxBytes: 1 << 20 });
    await after.open();
    expect(after.pending).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(complete);
    await after.write(entry(4));
    expect(await flushCollected(after)).toEqual({ streams: ['r0', 'r1', 'r2', 'r4'], rejected: [] });
    expect(after.pending).toBe(false);
  });

  it('a file cut while the gateway runs is set aside, and the flush ends', async () => {
    const { path, file, spool } = await spoolOfThree();
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    await writeFile(file, `${lines.slice(0, 2).join('\n')}\n`);

    expect(await flushCollected(spool)).toEqual({
      streams: [],
      rejected: ['the file holds 2 events where 3 were written'],
    });
    expect((await readdir(path)).some((name) => name.startsWith('events.jsonl.rejected-'))).toBe(true);
    expect(spool.pending).toBe(false);
  });
});
