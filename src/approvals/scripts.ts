import type { RedisConnection } from '../queues/connections.ts';
import { luaScripts } from '../redis/lua-scripts.ts';

/**
 * The approvals engine's Lua scripts (scripts/*.lua; each file's header states its KEYS, ARGV
 * and result), loaded by the shared loader (redis/lua-scripts.ts). Their shared helpers live in
 * scripts/review-lib.lua, which the loader inlines where a script includes it. `head` is the
 * number of leading reply values before the review record's fields.
 *
 * Every state transition happens inside one of these scripts, so it is atomic: Redis runs a
 * script to completion before serving any other command.
 */

/** Where the scripts live, and each one's command name, file and shape (tests read these too). */
export const APPROVAL_SCRIPTS_DIR = new URL('./scripts/', import.meta.url);
export const APPROVAL_SCRIPTS = [
  { name: 'hoopApprovalsCreate', file: 'create.lua', keys: 5, head: 2 },
  { name: 'hoopApprovalsDecide', file: 'decide.lua', keys: 4, head: 2 },
  { name: 'hoopApprovalsConsume', file: 'consume.lua', keys: 2, head: 2 },
  { name: 'hoopApprovalsExpire', file: 'expire.lua', keys: 3, head: 1 },
  { name: 'hoopApprovalsCancel', file: 'cancel.lua', keys: 4, head: 1 },
] as const;

const defineApprovalScripts = luaScripts(APPROVAL_SCRIPTS_DIR, APPROVAL_SCRIPTS);

/** A connection with the approvals commands defined on it. */
export type ScriptedRedis = ReturnType<typeof defineApprovalScripts>;

/** Defines the approvals commands on `redis` (idempotent) and returns it typed with them. */
export function withApprovalScripts(redis: RedisConnection): ScriptedRedis {
  return defineApprovalScripts(redis);
}
