import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { castFileName, collectStreams, renderCast } from './asciicast.ts';
import type { RecordedEvent } from './event.types.ts';

/**
 * The durable archive of closed sessions, on a directory every replica can write (a volume):
 *
 * ```
 * <dir>/<YYYY-MM-DD>/<session>.jsonl          one event per line, exactly as chained
 * <dir>/<YYYY-MM-DD>/<session>.<stream>.cast  one asciicast v2 file per exec/attach stream
 * ```
 *
 * The date is the session's start (UTC). Files are written to a temporary name and renamed, so a
 * reader never sees half a file and a retried archive job simply rewrites them. Files are 0600 and
 * directories 0700: the content is masked, but it is still an audit record.
 */

/** The date directory of a session that started at `startedAt` (epoch ms). */
export function archiveDate(startedAt: number): string {
  return new Date(startedAt).toISOString().slice(0, 10);
}

/** The archive path of a session's JSONL, relative to the recordings directory. */
export function archivePath(sessionId: string, startedAt: number): string {
  return join(archiveDate(startedAt), `${sessionId}.jsonl`);
}

async function writeAtomic(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content, { mode: 0o600 });
  await rename(temp, file);
}

/**
 * Writes a session's lines and its casts; returns the JSONL path relative to `dir` and the cast
 * file names. `events` are the parsed `lines`, in the same order.
 */
export async function writeArchive(
  dir: string,
  sessionId: string,
  startedAt: number,
  lines: readonly string[],
  events: readonly RecordedEvent[],
): Promise<{ path: string; casts: string[] }> {
  const path = archivePath(sessionId, startedAt);
  const folder = join(dir, archiveDate(startedAt));
  const casts: string[] = [];
  for (const stream of collectStreams(events)) {
    if (!stream.open.recorded || stream.open.kind === 'portforward') continue;
    const name = castFileName(sessionId, stream.open.stream);
    await writeAtomic(join(folder, name), renderCast(stream));
    casts.push(name);
  }
  await writeAtomic(join(dir, path), lines.length > 0 ? `${lines.join('\n')}\n` : '');
  return { path, casts };
}

/** The lines of an archived session (`path` relative to `dir`). */
export async function readArchiveLines(dir: string, path: string): Promise<string[]> {
  const text = await readFile(join(dir, path), 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Finds a session's archive by id when the index does not know it (newest date first). */
export async function findArchive(dir: string, sessionId: string): Promise<string | undefined> {
  let dates: string[];
  try {
    dates = (await readdir(dir))
      .filter((name) => /^\d{4}-\d\d-\d\d$/.test(name))
      .sort()
      .reverse();
  } catch {
    return undefined;
  }
  for (const date of dates) {
    const path = join(date, `${sessionId}.jsonl`);
    try {
      await access(join(dir, path));
      return path;
    } catch {
      // Not in this date's folder.
    }
  }
  return undefined;
}

/** Removes a session's archive files (retention). */
export async function removeArchive(dir: string, sessionId: string, path: string): Promise<void> {
  const folder = join(dir, dirname(path));
  const names = await readdir(folder).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter(
        (name) =>
          name === `${sessionId}.jsonl` || (name.startsWith(`${sessionId}.`) && name.endsWith('.cast')),
      )
      .map((name) => rm(join(folder, name), { force: true })),
  );
}

/** Throws when `dir` cannot be created or written (start-up and the periodic health probe). */
export async function probeWritable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await access(dir, constants.W_OK);
  const probe = join(dir, `.probe-${process.pid}`);
  await writeFile(probe, 'ok', { mode: 0o600 });
  await rm(probe, { force: true });
}
