import { resolve } from 'node:path';
import { z } from 'zod';
import type { ApprovalsSettings } from './approvals.ts';
import { keyPrefixField, redisUrlField } from './redis-fields.ts';

/**
 * The `recording:` section of `hoop.yaml`: session recording (src/recording, gateway/recording).
 * Kept beside, not inside, schema.ts so the section's defaults and their reasons live in one place.
 *
 * ```yaml
 * recording:
 *   required: true          # refuse requests (503) while the recording store is unavailable
 *   redisUrl: redis://redis:6379   # default: approvals.redisUrl, else $REDIS_URL, else local
 *   keyPrefix: hoop         # keys under hoop:rec:*, the session-close queue under BullMQ prefix hoop
 *   idleGap: 5m             # a session closes after this long without a request
 *   bodyCap: 65536          # bodies larger than this are stored as size + sha256 + head
 *   retention: 30d          # archives and index entries older than this are deleted
 *   dir: recordings         # relative to the config file; default <dataDir>/recordings
 *   worker: true            # this process archives closed sessions (every replica may)
 *   spool:                  # off unless given: while Redis is unreachable (past redis.failoverWait),
 *     dir: recording-spool  #   record to this local file (fsynced) and flush it in order later;
 *     maxBytes: 67108864    #   default <dataDir>/recording-spool, 64 MiB; full: refuse (503)
 * ```
 *
 * Recording is on when the section is present (unless `enabled: false`): it needs Redis, and a
 * gateway without the section never touches Redis for it. `required` defaults to true because an
 * audit trail with holes is worse than a refused request.
 */

const durationWithDays = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 90s, 5m, 12h or 30d');

export const recordingSchema = z.strictObject({
  enabled: z.boolean().default(true),
  required: z.boolean().default(true),
  redisUrl: redisUrlField.optional(),
  keyPrefix: keyPrefixField.optional(),
  idleGap: durationWithDays.default('5m'),
  bodyCap: z
    .number()
    .int()
    .min(256)
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
  retention: durationWithDays.default('30d'),
  dir: z.string().min(1).optional(),
  worker: z.boolean().default(true),
  /** Off unless given: while Redis is unreachable, record to a local file instead of refusing. */
  spool: z
    .strictObject({
      dir: z.string().min(1).optional(),
      maxBytes: z
        .number()
        .int()
        .min(4096)
        .max(1024 * 1024 * 1024)
        .default(64 * 1024 * 1024),
    })
    .optional(),
});

export type RecordingSection = z.infer<typeof recordingSchema>;

/** The recording settings with every default applied and the directory absolute. */
export interface RecordingSettings {
  /** False without a `recording:` section (or with `enabled: false`): nothing is recorded. */
  enabled: boolean;
  required: boolean;
  redisUrl: string;
  /** Live sessions, index and mapping keys live under `<keyPrefix>:rec`. */
  storePrefix: string;
  /** BullMQ prefix of the session-close queue. */
  queuePrefix: string;
  /** BullMQ prefix of the notify queue the summary is threaded through (the approvals one). */
  notifyPrefix: string;
  idleGapMs: number;
  bodyCap: number;
  retentionMs: number;
  /** Where closed sessions are archived: `<dir>/<YYYY-MM-DD>/<id>.jsonl` and `.cast` files. */
  dir: string;
  worker: boolean;
  /**
   * The local spool for events Redis cannot take (gateway/recording/spool.ts); undefined: none,
   * and a Redis outage refuses requests (with `required`).
   */
  spool?: { dir: string; maxBytes: number } | undefined;
}

/** Parses `90s`, `5m`, `12h`, `30d` (and `500ms`) into milliseconds. */
export function durationWithDaysMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms'];
  return Number(match[1]) * unit;
}

/** The settings for a parsed section (or its absence); `baseDir` resolves `dir`. */
export function resolveRecording(
  section: RecordingSection | undefined,
  dataDir: string,
  baseDir: string,
  approvals: ApprovalsSettings,
): RecordingSettings {
  const raw = section ?? recordingSchema.parse({});
  const keyPrefix = raw.keyPrefix ?? approvals.queuePrefix;
  return {
    enabled: section !== undefined && raw.enabled,
    required: raw.required,
    redisUrl: raw.redisUrl ?? approvals.redisUrl,
    storePrefix: `${keyPrefix}:rec`,
    queuePrefix: keyPrefix,
    notifyPrefix: approvals.queuePrefix,
    idleGapMs: durationWithDaysMs(raw.idleGap),
    bodyCap: raw.bodyCap,
    retentionMs: durationWithDaysMs(raw.retention),
    dir: raw.dir ? resolve(baseDir, raw.dir) : resolve(dataDir, 'recordings'),
    worker: raw.worker,
    spool: raw.spool
      ? {
          dir: resolve(raw.spool.dir ? baseDir : dataDir, raw.spool.dir ?? 'recording-spool'),
          maxBytes: raw.spool.maxBytes,
        }
      : undefined,
  };
}
