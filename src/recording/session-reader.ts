import { findArchive, readArchiveLines } from './archive.ts';
import type { RecordedEvent } from './event.types.ts';
import type { SessionIndex, SessionMeta } from './session-index.ts';

/**
 * Reading one recorded session, for everyone who shows sessions (the `sessions` CLI, the web
 * console): from its archive once closed and archived, from its live Redis stream while open, and
 * from the archive directory alone when the index no longer knows it (Redis lost, or a copy of the
 * archive on another machine).
 */
export interface LoadedSession {
  meta: SessionMeta | undefined;
  lines: string[];
  events: RecordedEvent[];
  /** `archive` (with its path relative to the recordings dir) or `live`. */
  from: { kind: 'archive'; path: string } | { kind: 'live' };
}

/** Shaped like a session id (`s-` and ten base32 characters): safe as a key and a file name. */
export function isSessionIdText(text: string): boolean {
  return /^s-[0-9a-hjkmnp-tv-z]{10}$/.test(text);
}

/** The session, or undefined when neither the index nor the archive has it. */
export async function readSession(
  index: SessionIndex | undefined,
  archiveDir: string,
  id: string,
): Promise<LoadedSession | undefined> {
  const meta = await index?.get(id);
  const path = meta?.archive ?? (await findArchive(archiveDir, id));
  if (path && (meta === undefined || meta.archivedAt !== undefined)) {
    const lines = await readArchiveLines(archiveDir, path);
    return { meta, lines, events: parseEventLines(lines), from: { kind: 'archive', path } };
  }
  if (meta && index) {
    const lines = await index.liveLines(id);
    return { meta, lines, events: parseEventLines(lines), from: { kind: 'live' } };
  }
  return undefined;
}

/** Parses stored lines; a line that is not JSON is skipped here (chain verification reports it). */
export function parseEventLines(lines: readonly string[]): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (const line of lines) {
    try {
      events.push(JSON.parse(line) as RecordedEvent);
    } catch {
      // Reported by verification.
    }
  }
  return events;
}
