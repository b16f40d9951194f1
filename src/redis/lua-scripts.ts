import { readFileSync } from 'node:fs';
import type { RedisConnection } from '../queues/connections.ts';
import { decodeScriptReply, type ScriptReply } from './script-reply.ts';

/**
 * Loading a module's Lua scripts onto a Redis connection, for every module that keeps state in
 * Redis (approvals, recording). Each module declares only its scripts — the command name, the
 * `.lua` file (whose header states its KEYS, ARGV and result), how many arguments are KEYS and
 * how many leading values its reply has — and gets back a function that defines them on a
 * connection and returns them with their replies decoded (script-reply.ts).
 *
 * Shared helpers: a line `--#include <file>` in a script is replaced by that file (same folder)
 * when the script is loaded, so a helper several scripts need is written once. Includes do not
 * nest; the included file should hold only `local function`s, defined before the script's code.
 *
 * Scripts are registered with ioredis `defineCommand`, which sends EVALSHA and falls back to EVAL
 * once after a Redis restart flushed the script cache; defining them again on a connection
 * replaces the same script (idempotent). Whatever a script does happens atomically: Redis runs a
 * script to completion before serving any other command.
 */

export type ScriptArg = string | number | Buffer;
export type ScriptFn = (...args: ScriptArg[]) => Promise<ScriptReply>;

/** One script: the command it is defined as, its file, and the shape of its arguments and reply. */
export interface LuaScript<Name extends string> {
  readonly name: Name;
  /** The file name, relative to the scripts folder. */
  readonly file: string;
  /** How many of its arguments are KEYS. */
  readonly keys: number;
  /** How many leading values its reply has before a record's fields; omitted: all of it. */
  readonly head?: number;
}

/** The named commands, defined on one connection. */
export type ScriptedConnection<Name extends string> = { readonly [K in Name]: ScriptFn };

const INCLUDE = /^--#include\s+(\S+)\s*$/gm;

/** The script's text with each `--#include <file>` line replaced by that file from `dir`. */
export function readLuaScript(dir: URL, file: string): string {
  return readFileSync(new URL(file, dir), 'utf8').replace(INCLUDE, (_line, included: string) =>
    readFileSync(new URL(included, dir), 'utf8').trimEnd(),
  );
}

/**
 * The definer for one module's scripts. `dir` is their folder as a URL ending in `/` (usually
 * `new URL('./scripts/', import.meta.url)`); the files are read on first use and kept. The cast
 * is the one place the dynamic methods `defineCommand` adds meet the type system.
 */
export function luaScripts<const Name extends string>(
  dir: URL,
  scripts: ReadonlyArray<LuaScript<Name>>,
): (redis: RedisConnection) => ScriptedConnection<Name> {
  let loaded: ReadonlyArray<LuaScript<Name> & { readonly lua: string }> | undefined;
  return (redis) => {
    loaded ??= scripts.map((script) => ({ ...script, lua: readLuaScript(dir, script.file) }));
    const commands = redis as unknown as Record<Name, (...args: ScriptArg[]) => Promise<unknown>>;
    const connection = {} as Record<Name, ScriptFn>;
    for (const { name, lua, keys, head } of loaded) {
      redis.defineCommand(name, { lua, numberOfKeys: keys });
      connection[name] = async (...args) =>
        decodeScriptReply(await commands[name].apply(redis, args), name, head);
    }
    return connection;
  };
}
