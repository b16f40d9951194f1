import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * The approvals engine's Lua scripts (scripts/*.lua; each file's header states its KEYS, ARGV
 * and result), registered on a connection with ioredis `defineCommand`, which sends EVALSHA and
 * falls back to EVAL once after a Redis restart flushed the script cache.
 *
 * Every state transition happens inside one of these scripts, so it is atomic: Redis runs a
 * script to completion before serving any other command.
 */

type ScriptArg = string | number;
type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

/** A connection with the approvals commands defined on it. */
export interface ScriptedRedis {
  hoopApprovalsCreate: ScriptFn;
  hoopApprovalsDecide: ScriptFn;
  hoopApprovalsConsume: ScriptFn;
  hoopApprovalsExpire: ScriptFn;
  hoopApprovalsCancel: ScriptFn;
}

const SCRIPTS: ReadonlyArray<{ name: keyof ScriptedRedis; file: string; keys: number }> = [
  { name: 'hoopApprovalsCreate', file: 'create.lua', keys: 4 },
  { name: 'hoopApprovalsDecide', file: 'decide.lua', keys: 2 },
  { name: 'hoopApprovalsConsume', file: 'consume.lua', keys: 1 },
  { name: 'hoopApprovalsExpire', file: 'expire.lua', keys: 2 },
  { name: 'hoopApprovalsCancel', file: 'cancel.lua', keys: 2 },
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

/**
 * Defines the approvals commands on `redis` (idempotent: defining them again replaces the same
 * script) and returns the connection typed with them. The cast is the one place the dynamic
 * methods `defineCommand` adds meet the type system.
 */
export function withApprovalScripts(redis: Redis): ScriptedRedis {
  for (const script of SCRIPTS) {
    redis.defineCommand(script.name, { lua: source(script.file), numberOfKeys: script.keys });
  }
  return redis as unknown as ScriptedRedis;
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
