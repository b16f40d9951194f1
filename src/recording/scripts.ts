import type { RedisConnection } from '../queues/connections.ts';
import { luaScripts } from '../redis/lua-scripts.ts';

/**
 * The recorder's Lua scripts (scripts/*.lua; each file's header states its KEYS, ARGV and
 * result), loaded by the shared loader (redis/lua-scripts.ts); their replies have no record
 * tail, so callers read only the decoded `head`. Session resolution, appends and
 * closing each happen inside one script, so replicas sharing a session never interleave half an
 * update.
 */

const defineRecordingScripts = luaScripts(new URL('./scripts/', import.meta.url), [
  { name: 'hoopRecResolve', file: 'resolve.lua', keys: 4 },
  { name: 'hoopRecAppend', file: 'append.lua', keys: 3 },
  { name: 'hoopRecClose', file: 'close.lua', keys: 1 },
]);

/** A connection with the recording commands defined on it. */
export type RecordingRedis = ReturnType<typeof defineRecordingScripts>;

/** Defines the recording commands on `redis` (idempotent) and returns it typed with them. */
export function withRecordingScripts(redis: RedisConnection): RecordingRedis {
  return defineRecordingScripts(redis);
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
