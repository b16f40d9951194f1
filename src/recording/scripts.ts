import type { RedisConnection } from '../queues/connections.ts';
import { luaScripts } from '../redis/lua-scripts.ts';

/**
 * The recorder's Lua scripts (scripts/*.lua; each file's header states its KEYS, ARGV and
 * result), loaded by the shared loader (redis/lua-scripts.ts); their replies have no record
 * tail, so callers read only the decoded `head`. Opening a session, appends and closing each
 * happen inside one script, so replicas sharing a session never interleave half an update; the
 * identity → session mapping is changed only by compare-and-set (claim/touch/release), so two
 * replicas opening a session for one kubectl invocation agree on one. Every key a script touches
 * is in its KEYS.
 */

/** Where the scripts live, and each one's command name, file and number of KEYS (tests read these too). */
export const RECORDING_SCRIPTS_DIR = new URL('./scripts/', import.meta.url);
export const RECORDING_SCRIPTS = [
  { name: 'hoopRecOpen', file: 'open.lua', keys: 2 },
  { name: 'hoopRecClaimMapping', file: 'claim-mapping.lua', keys: 1 },
  { name: 'hoopRecTouchMapping', file: 'touch-mapping.lua', keys: 1 },
  { name: 'hoopRecReleaseMapping', file: 'release-mapping.lua', keys: 1 },
  { name: 'hoopRecAppend', file: 'append.lua', keys: 4 },
  { name: 'hoopRecClose', file: 'close.lua', keys: 1 },
  { name: 'hoopRecFinalize', file: 'finalize.lua', keys: 3 },
] as const;

const defineRecordingScripts = luaScripts(RECORDING_SCRIPTS_DIR, RECORDING_SCRIPTS);

/** A connection with the recording commands defined on it. */
export type RecordingRedis = ReturnType<typeof defineRecordingScripts>;

/** Defines the recording commands on `redis` (idempotent) and returns it typed with them. */
export function withRecordingScripts(redis: RedisConnection): RecordingRedis {
  return defineRecordingScripts(redis);
}

/**
 * Redis key names under the recording prefix. `hashTag` (a Redis Cluster) puts each session's meta
 * and stream under the session id's tag (`<p>:s:{<id>}`), so the scripts that touch both stay on
 * one node while sessions spread over the cluster; the identity mappings and the indexes are
 * single keys, each written on its own. Without it (one Redis, Sentinel) the names are the ones
 * deployments already have.
 */
export function recordingKeys(prefix: string, options: { hashTag?: boolean } = {}) {
  const session = options.hashTag ? (id: string) => `{${id}}` : (id: string) => id;
  return {
    mapping: (identityKey: string) => `${prefix}:map:${identityKey}`,
    meta: (id: string) => `${prefix}:s:${session(id)}`,
    events: (id: string) => `${prefix}:s:${session(id)}:events`,
    /** Which replica appends next to a session two are racing on (append.lua). */
    turn: (id: string) => `${prefix}:s:${session(id)}:turn`,
    /** Large event lines (a stream's frames), by their hash; the stream holds the hash (append.lua). */
    lines: (id: string) => `${prefix}:s:${session(id)}:lines`,
    byTime: `${prefix}:idx:time`,
    byAgent: (subject: string) => `${prefix}:idx:agent:${subject}`,
    byCluster: (cluster: string) => `${prefix}:idx:cluster:${cluster}`,
    byOutcome: (outcome: string) => `${prefix}:idx:outcome:${outcome}`,
  };
}

export type RecordingKeys = ReturnType<typeof recordingKeys>;
