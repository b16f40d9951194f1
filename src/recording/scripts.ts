import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * The recorder's Lua scripts (scripts/*.lua; each file's header states its KEYS, ARGV and
 * result), registered with ioredis `defineCommand` (EVALSHA, falling back to EVAL once after a
 * Redis restart flushed the script cache). Session resolution, appends and closing each happen
 * inside one script, so replicas sharing a session never interleave half an update.
 */

type ScriptArg = string | number;
type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

/** A connection with the recording commands defined on it. */
export interface RecordingRedis {
  hoopRecResolve: ScriptFn;
  hoopRecAppend: ScriptFn;
  hoopRecClose: ScriptFn;
}

const SCRIPTS: ReadonlyArray<{ name: keyof RecordingRedis; file: string; keys: number }> = [
  { name: 'hoopRecResolve', file: 'resolve.lua', keys: 4 },
  { name: 'hoopRecAppend', file: 'append.lua', keys: 3 },
  { name: 'hoopRecClose', file: 'close.lua', keys: 1 },
];

const sources = new Map<string, string>();

function source(file: string): string {
  let lua = sources.get(file);
  if (lua === undefined) {
    lua = readFileSync(new URL(`./scripts/${file}`, import.meta.url), 'utf8');
    sources.set(file, lua);
  }
  return lua;
}

/** Defines the recording commands on `redis` (idempotent) and returns it typed with them. */
export function withRecordingScripts(redis: Redis): RecordingRedis {
  for (const script of SCRIPTS) {
    redis.defineCommand(script.name, { lua: source(script.file), numberOfKeys: script.keys });
  }
  return redis as unknown as RecordingRedis;
}

/** A script reply as strings; throws on another shape (a bug in a script, not a condition). */
export function replyStrings(reply: unknown): string[] {
  if (!Array.isArray(reply))
    throw new TypeError(`recording script returned ${typeof reply}, expected an array`);
  return reply.map((item: unknown) => {
    if (Buffer.isBuffer(item)) return item.toString('utf8');
    if (typeof item === 'string') return item;
    if (typeof item === 'number') return String(item);
    throw new TypeError('recording script returned a non-string element');
  });
}

/** Redis key names under the recording prefix. */
export function recordingKeys(prefix: string) {
  return {
    mapping: (identityKey: string) => `${prefix}:map:${identityKey}`,
    metaPrefix: `${prefix}:s:`,
    meta: (id: string) => `${prefix}:s:${id}`,
    events: (id: string) => `${prefix}:s:${id}:events`,
    byTime: `${prefix}:idx:time`,
    byAgent: (subject: string) => `${prefix}:idx:agent:${subject}`,
    byCluster: (cluster: string) => `${prefix}:idx:cluster:${cluster}`,
    byOutcome: (outcome: string) => `${prefix}:idx:outcome:${outcome}`,
  };
}

export type RecordingKeys = ReturnType<typeof recordingKeys>;
