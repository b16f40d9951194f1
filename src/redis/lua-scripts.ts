import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * Loading a module's Lua scripts onto a Redis connection, for every module that keeps state in
 * Redis (approvals, recording). Each module declares only its scripts — the command name, the
 * `.lua` file (whose header states its KEYS, ARGV and result) and how many arguments are KEYS —
 * and gets back a function that defines them on a connection.
 *
 * Scripts are registered with ioredis `defineCommand`, which sends EVALSHA and falls back to EVAL
 * once after a Redis restart flushed the script cache; defining them again on a connection
 * replaces the same script (idempotent). Whatever a script does happens atomically: Redis runs a
 * script to completion before serving any other command.
 */

export type ScriptArg = string | number;
export type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

/** One script: the command it is defined as, its file, and how many of its arguments are KEYS. */
export interface LuaScript<Name extends string> {
  readonly name: Name;
  /** The file name, relative to the scripts folder. */
  readonly file: string;
  readonly keys: number;
}

/** A connection with the named commands defined on it. */
export type ScriptedConnection<Name extends string> = { readonly [K in Name]: ScriptFn };

/**
 * The definer for one module's scripts. `dir` is their folder as a URL ending in `/` (usually
 * `new URL('./scripts/', import.meta.url)`); the files are read on first use and kept. The cast
 * in the definer is the one place the dynamic methods `defineCommand` adds meet the type system.
 */
export function luaScripts<const Name extends string>(
  dir: URL,
  scripts: ReadonlyArray<LuaScript<Name>>,
): (redis: Redis) => ScriptedConnection<Name> {
  let loaded: ReadonlyArray<LuaScript<Name> & { readonly lua: string }> | undefined;
  return (redis) => {
    loaded ??= scripts.map((script) => ({ ...script, lua: readFileSync(new URL(script.file, dir), 'utf8') }));
    for (const script of loaded) {
      redis.defineCommand(script.name, { lua: script.lua, numberOfKeys: script.keys });
    }
    return redis as unknown as ScriptedConnection<Name>;
  };
}
