import type { Redis } from 'ioredis';
import { luaScripts } from '../redis/lua-scripts.ts';

/**
 * The approvals engine's Lua scripts (scripts/*.lua; each file's header states its KEYS, ARGV
 * and result), loaded by the shared loader (redis/lua-scripts.ts).
 *
 * Every state transition happens inside one of these scripts, so it is atomic: Redis runs a
 * script to completion before serving any other command.
 */

const defineApprovalScripts = luaScripts(new URL('./scripts/', import.meta.url), [
  { name: 'hoopApprovalsCreate', file: 'create.lua', keys: 4 },
  { name: 'hoopApprovalsDecide', file: 'decide.lua', keys: 2 },
  { name: 'hoopApprovalsConsume', file: 'consume.lua', keys: 1 },
  { name: 'hoopApprovalsExpire', file: 'expire.lua', keys: 2 },
  { name: 'hoopApprovalsCancel', file: 'cancel.lua', keys: 2 },
]);

/** A connection with the approvals commands defined on it. */
export type ScriptedRedis = ReturnType<typeof defineApprovalScripts>;

/** Defines the approvals commands on `redis` (idempotent) and returns it typed with them. */
export function withApprovalScripts(redis: Redis): ScriptedRedis {
  return defineApprovalScripts(redis);
}

/**
 * Splits a script reply: `head` leading strings (outcome, id …), then a flat HGETALL
 * `[field, value, …]` turned into a record. Throws on a reply of another shape, which would be
 * a bug in a script, not a runtime condition.
 */
export function splitReply(reply: unknown, head: number): { head: string[]; fields: Record<string, string> } {
  if (!Array.isArray(reply) || reply.length < head) {
    throw new TypeError(`approvals script returned ${typeof reply}, expected an array`);
  }
  const strings = reply.map((item: unknown) => (Buffer.isBuffer(item) ? item.toString('utf8') : item));
  if (!strings.every((item): item is string => typeof item === 'string')) {
    throw new TypeError('approvals script returned a non-string element');
  }
  const fields: Record<string, string> = {};
  for (let i = head; i + 1 < strings.length; i += 2) fields[strings[i]!] = strings[i + 1]!;
  return { head: strings.slice(0, head), fields };
}
