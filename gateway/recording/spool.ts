import { mkdir, open, readFile, rename, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallerSnapshot } from '../../src/approvals/review.types.ts';
import type { EventBody } from '../../src/recording/event.types.ts';
import { canonicalJson, sha256Hex } from '../../src/recording/hash-chain.ts';
import type { SessionIdentity } from './session-identity.ts';
import type { MetaUpdates } from './session-store.ts';
import { RecordingUnavailableError } from './unavailable-error.ts';

/**
 * The recording spool (`recording.spool`, off unless configured): where recording events go while
 * Redis cannot take them, so allowed calls go on being served and recorded through an outage
 * longer than `redis.failoverWait`.
 *
 * - **Durable before forwarding.** {@link RecordingSpool.write} appends the event to
 *   `<dir>/events.jsonl` and fsyncs the file before it resolves; the request goes upstream only
 *   after that, exactly as it would after a Redis write.
 * - **Bounded.** Past `maxBytes` a write fails with `RecordingUnavailableError`: the request is
 *   refused (503), as without a spool. The spool never grows without limit.
 * - **Chained.** Each line carries the hash of the line before it (its own small chain, from a
 *   fixed genesis), so a line edited, removed or reordered on disk is detected before flushing;
 *   such a file is not flushed but set aside (`events.jsonl.rejected-<time>`) for investigation,
 *   as is one holding fewer events than this process wrote (lines cut off the end). A last line
 *   without its newline is a write the process died in (never fsynced, never acknowledged): it is
 *   cut off on start, not taken for a damaged file.
 * - **Flushed in order.** Once Redis answers, {@link RecordingSpool.flush} replays the lines in the
 *   order they were written, through the same store calls a live request uses (resolve the
 *   session, append the event), so every session's hash chain in Redis is built in that order.
 *   Progress is written to `<dir>/flushed` after every event, so a gateway that dies mid-flush
 *   resumes where it stopped instead of recording events twice. While anything is unflushed,
 *   new events are spooled too: nothing overtakes what is waiting.
 *
 * One gateway process per spool directory (each replica has its own data directory).
 */
export interface SpoolEntry {
  identity: SessionIdentity;
  caller: CallerSnapshot;
  cluster: string;
  userAgent?: string;
  body: EventBody;
  updates: MetaUpdates;
}

interface SpoolLine {
  n: number;
  prev: string;
  hash: string;
  entry: SpoolEntry;
}

/** Where flushed entries go: the store calls a live request makes. */
export interface SpoolTarget {
  /** Opens (or finds) the session for an identity; returns its id. */
  resolve(entry: SpoolEntry): Promise<string>;
  /** Appends to the session; `closed` when it closed meanwhile (resolve again). */
  append(sessionId: string, entry: SpoolEntry): Promise<'ok' | 'closed'>;
}

const GENESIS = sha256Hex('hoop-gateway recording spool');
const FILE = 'events.jsonl';
const PROGRESS = 'flushed';

export class RecordingSpool {
  readonly dir: string;
  readonly maxBytes: number;
  #bytes = 0;
  #count = 0;
  #tail = GENESIS;
  #ready: Promise<void> | undefined;
  /** Serialises writes (and the final truncate of a flush) on the file. */
  #queue: Promise<unknown> = Promise.resolve();
  #flushing: Promise<void> | undefined;

  constructor(options: { dir: string; maxBytes: number }) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
  }

  /** Whether events are waiting to be flushed (new events must then be spooled too). */
  get pending(): boolean {
    return this.#count > 0;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Appends one event and fsyncs; rejects with RecordingUnavailableError when full or unwritable. */
  write(entry: SpoolEntry): Promise<void> {
    const run = this.#queue.then(() => this.#write(entry));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #write(entry: SpoolEntry): Promise<void> {
    await this.#load();
    // As it will read back from the file (no undefined fields), so the hash checks out then.
    entry = JSON.parse(JSON.stringify(entry)) as SpoolEntry;
    const n = this.#count + 1;
    const hash = sha256Hex(`${this.#tail}\n${canonicalJson(entry)}`);
    const line = `${JSON.stringify({ n, prev: this.#tail, hash, entry } satisfies SpoolLine)}\n`;
    const size = Buffer.byteLength(line);
    if (this.#bytes + size > this.maxBytes) {
      throw new RecordingUnavailableError(
        `Redis cannot be reached and the local recording spool is full (${this.maxBytes} bytes)`,
      );
    }
    try {
      const handle = await open(join(this.dir, FILE), 'a', 0o600);
      try {
        await handle.write(line);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw new RecordingUnavailableError(
        'Redis cannot be reached and the local recording spool cannot be written',
        {
          cause: error,
        },
      );
    }
    this.#bytes += size;
    this.#count = n;
    this.#tail = hash;
  }

  /** Reads what an earlier process left (a crash while Redis was away); `pending` tells. */
  open(): Promise<void> {
    return this.#load();
  }

  #load(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const { lines, bytes, unfinished } = await this.#read();
      // The write an earlier process died in: never fsynced, so never acknowledged (its request
      // did not go upstream). Cut off, or the next line would be appended onto it.
      if (unfinished) await truncate(join(this.dir, FILE), bytes);
      const last = lines[lines.length - 1];
      this.#count = last?.n ?? 0;
      this.#tail = last?.hash ?? GENESIS;
      this.#bytes = bytes;
    })();
    return this.#ready;
  }

  /**
   * Replays every unflushed event into `target`, in order, then empties the spool. Resolves
   * early (keeping the rest) when `target` fails: the next flush continues from there. A spool
   * whose chain does not verify is set aside, not flushed. Concurrent calls share one flush.
   */
  flush(target: SpoolTarget, onRejected?: (why: string, file: string) => void): Promise<void> {
    this.#flushing ??= this.#flush(target, onRejected).finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #flush(target: SpoolTarget, onRejected?: (why: string, file: string) => void): Promise<void> {
    await this.#load();
    const sessions = new Map<string, string>();
    for (;;) {
      // Read between writes: a write under way would show as part of a line.
      const { lines, written } = await this.#exclusive(async () => ({
        ...(await this.#read()),
        written: this.#count,
      }));
      const broken =
        verifySpool(lines) ??
        (lines.length === written
          ? undefined
          : `the file holds ${lines.length} events where ${written} were written`);
      if (broken) {
        const aside = join(this.dir, `${FILE}.rejected-${Date.now()}`);
        await this.#exclusive(async () => {
          await rename(join(this.dir, FILE), aside);
          await writeFile(join(this.dir, PROGRESS), '0');
          this.#reset();
        });
        onRejected?.(broken, aside);
        return;
      }
      let done = await this.#progress();
      for (const line of lines.slice(done)) {
        const entry = line.entry;
        let id = sessions.get(entry.identity.key) ?? (await target.resolve(entry));
        if ((await target.append(id, entry)) === 'closed') {
          id = await target.resolve(entry);
          if ((await target.append(id, entry)) === 'closed')
            throw new RecordingUnavailableError('the session closed twice while flushing the spool');
        }
        sessions.set(entry.identity.key, id);
        done = line.n;
        await writeFile(join(this.dir, PROGRESS), String(done));
      }
      // Empty the file only if nothing was written meanwhile; else go round for the newcomers.
      const emptied = await this.#exclusive(async () => {
        if (this.#count !== done) return false;
        await writeFile(join(this.dir, FILE), '', { mode: 0o600 });
        await writeFile(join(this.dir, PROGRESS), '0');
        this.#reset();
        return true;
      });
      if (emptied) return;
    }
  }

  #reset(): void {
    this.#bytes = 0;
    this.#count = 0;
    this.#tail = GENESIS;
  }

  /** Runs `work` between writes, so no event is appended while the file is swapped. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #progress(): Promise<number> {
    const text = await readFile(join(this.dir, PROGRESS), 'utf8').catch(() => '0');
    return Number.parseInt(text, 10) || 0;
  }

  /**
   * The file's finished lines, their size in bytes, and whether something follows them that no
   * write finished (part of a line, no newline: a process that died mid-write).
   */
  async #read(): Promise<{ lines: SpoolLine[]; bytes: number; unfinished: boolean }> {
    const file = await readFile(join(this.dir, FILE)).catch(() => Buffer.alloc(0));
    const bytes = file.lastIndexOf(0x0a) + 1;
    const lines = file
      .toString('utf8', 0, bytes)
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => {
        try {
          return JSON.parse(line) as SpoolLine;
        } catch {
          return { n: -1, prev: '', hash: '', entry: undefined as unknown as SpoolEntry };
        }
      });
    return { lines, bytes, unfinished: bytes < file.length };
  }
}

/** Why the spool's own chain does not verify, or undefined when it does. */
export function verifySpool(lines: readonly SpoolLine[]): string | undefined {
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.n !== i + 1) return `line ${i + 1}: number ${line.n} where ${i + 1} was expected`;
    if (line.prev !== prev) return `line ${i + 1}: does not point at the line before it`;
    if (sha256Hex(`${prev}\n${canonicalJson(line.entry)}`) !== line.hash)
      return `line ${i + 1}: content does not match its hash`;
    prev = line.hash;
  }
  return undefined;
}
