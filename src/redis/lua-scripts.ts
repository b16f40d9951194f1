import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisConnection } from '../queues/connections.ts';
import { RespWriter } from './resp-writer.ts';
import { decodeScriptReply, type ScriptReply } from './script-reply.ts';
import { WrittenCommand } from './written-command.ts';

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
 *
 * A call with large arguments can instead be written by its caller (`written`): the caller writes
 * the arguments into a buffer it lends (resp-writer.ts), and that buffer is what goes to the
 * socket, where ioredis would copy every Buffer argument into a fresh buffer first. Such a call is
 * sent as EVALSHA and, when Redis does not know the script (a restart flushed it), once more as
 * EVAL, as ioredis does.
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

/**
 * A call of one script whose arguments the caller writes (`writer`, after the keys, exactly as
 * many as it declared), then sends. The buffer lent to it must stay untouched until the call
 * settles, and after a failure for as long as the connection may send the command again.
 */
export interface WrittenScriptCall {
  readonly writer: RespWriter;
  send(): Promise<ScriptReply>;
}

/** Starts a written call of a script with `keys` and `args` arguments after them, in `buffer`. */
export type WrittenScriptFn = (keys: readonly string[], args: number, buffer: Buffer) => WrittenScriptCall;

/** The named commands, defined on one connection; `written` holds the same scripts as written calls. */
export type ScriptedConnection<Name extends string> = { readonly [K in Name]: ScriptFn } & {
  readonly written: { readonly [K in Name]: WrittenScriptFn };
};

/** The same call as EVAL with the script's text in place of its SHA-1 (the wire's second argument). */
function asEval(wire: Buffer, argc: number, sha: string, lua: string): Buffer {
  const evalsha = `*${argc}\r\n$7\r\nevalsha\r\n$40\r\n${sha}\r\n`;
  const head = `*${argc}\r\n$4\r\neval\r\n$${Buffer.byteLength(lua)}\r\n${lua}\r\n`;
  return Buffer.concat([Buffer.from(head), wire.subarray(evalsha.length)]);
}

function writtenCall(
  redis: RedisConnection,
  script: { readonly name: string; readonly lua: string; readonly sha: string; readonly head?: number },
): WrittenScriptFn {
  return (keys, args, buffer) => {
    const argc = 3 + keys.length + args;
    const writer = new RespWriter(argc, buffer);
    writer.string('evalsha');
    writer.string(script.sha);
    writer.string(keys.length);
    for (const key of keys) writer.string(key);
    const routing = [script.sha, keys.length, ...keys];
    const send = async (): Promise<ScriptReply> => {
      const wire = writer.finish();
      let reply: unknown;
      try {
        reply = await redis.sendCommand(new WrittenCommand('evalsha', routing, wire));
      } catch (error) {
        if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
        const again = asEval(wire, argc, script.sha, script.lua);
        reply = await redis.sendCommand(new WrittenCommand('eval', [script.lua, ...routing.slice(1)], again));
      }
      return decodeScriptReply(reply, script.name, script.head);
    };
    return { writer, send };
  };
}

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
  let loaded: ReadonlyArray<LuaScript<Name> & { readonly lua: string; readonly sha: string }> | undefined;
  return (redis) => {
    loaded ??= scripts.map((script) => {
      const lua = readLuaScript(dir, script.file);
      return { ...script, lua, sha: createHash('sha1').update(lua).digest('hex') };
    });
    const commands = redis as unknown as Record<Name, (...args: ScriptArg[]) => Promise<unknown>>;
    const connection = {} as Record<Name, ScriptFn>;
    const written = {} as Record<Name, WrittenScriptFn>;
    for (const script of loaded) {
      const { name, lua, keys, head } = script;
      redis.defineCommand(name, { lua, numberOfKeys: keys });
      connection[name] = async (...args) =>
        decodeScriptReply(await commands[name].apply(redis, args), name, head);
      written[name] = writtenCall(redis, script);
    }
    return Object.assign(connection, { written });
  };
}
