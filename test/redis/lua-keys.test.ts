import { describe, expect, it } from 'vitest';
import { APPROVAL_SCRIPTS, APPROVAL_SCRIPTS_DIR } from '../../src/approvals/scripts.ts';
import { RECORDING_SCRIPTS, RECORDING_SCRIPTS_DIR } from '../../src/recording/scripts.ts';
import { readLuaScript } from '../../src/redis/lua-scripts.ts';

/**
 * Static check that every Lua script declares its keys: Redis Cluster routes a script by its KEYS,
 * and a key built or read inside the script (`prefix .. id`, an id fetched with GET) may live on
 * another node. For each script: its header lists KEYS[1]..KEYS[n] for exactly the number of keys
 * it is declared with; the body uses no KEYS[i] beyond n; and the key argument of every
 * `redis.call` is KEYS[i] or a name bound to one — through locals, and through the parameters of
 * local helper functions (review-lib.lua, `reply`) at the positions where they are used as keys.
 * (A lexical check, for scripts written in the plain style these are; not a Lua parser.)
 */

/** Commands whose first argument is not a key. */
const KEYLESS = new Set(['PUBLISH', 'TIME']);

interface LuaFunction {
  name: string;
  params: string[];
  body: string;
}

/** Splits a script into its `local function`s and the rest (the main chunk). */
function splitFunctions(lua: string): { functions: LuaFunction[]; main: string } {
  const functions: LuaFunction[] = [];
  const oneLine = /^local function (\w+)\(([^)]*)\)(.*)\bend\s*$/gm;
  const multiLine = /^local function (\w+)\(([^)]*)\)\s*$([\s\S]*?)^end\s*$/gm;
  const params = (text: string) =>
    text
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  let main = lua.replace(multiLine, (_all, name: string, list: string, body: string) => {
    functions.push({ name, params: params(list), body });
    return '';
  });
  main = main.replace(oneLine, (_all, name: string, list: string, body: string) => {
    functions.push({ name, params: params(list), body });
    return '';
  });
  return { functions, main };
}

/** Top-level comma-separated arguments of every call to `name` in `code`. */
function callsOf(code: string, name: string): string[][] {
  const calls: string[][] = [];
  const start = new RegExp(`(?<![\\w.:])${name}\\(`, 'g');
  for (let match = start.exec(code); match; match = start.exec(code)) {
    let depth = 1;
    let i = match.index + match[0].length;
    let current = '';
    const args: string[] = [];
    for (; i < code.length && depth > 0; i++) {
      const c = code[i]!;
      if (c === '(' || c === '{') depth++;
      if (c === ')' || c === '}') depth--;
      if (depth === 0) break;
      if (c === ',' && depth === 1) {
        args.push(current.trim());
        current = '';
      } else current += c;
    }
    args.push(current.trim());
    calls.push(args);
  }
  return calls;
}

/** Names bound to KEYS[i] (`local a, b = KEYS[1], KEYS[2]`, and aliases of those). */
function keyLocals(code: string): Set<string> {
  const bound = new Set<string>();
  const isKey = (expr: string) => /^KEYS\[\d+\]$/.test(expr) || bound.has(expr);
  for (const [, names, exprs] of code.matchAll(/^\s*local ([\w\s,]+?)\s*=\s*(.+)$/gm)) {
    const left = names!.split(',').map((n) => n.trim());
    const right = exprs!.split(',').map((e) => e.trim());
    left.forEach((name, i) => {
      if (right[i] !== undefined && isKey(right[i]!)) bound.add(name);
    });
  }
  return bound;
}

/** Every place a key is not KEYS[i] or a name bound to one; empty when the script is clean. */
function undeclaredKeyUses(lua: string): string[] {
  const { functions, main } = splitFunctions(lua);
  // Which parameter positions of each helper are used as keys (to a fixed point: helpers call helpers).
  const keyParams = new Map<string, Set<number>>(functions.map((f) => [f.name, new Set<number>()]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of functions) {
      const uses = [
        ...callsOf(f.body, 'redis.call')
          .filter((args) => !KEYLESS.has(args[0]!.replace(/'/g, '')))
          .map((args) => args[1]),
        ...functions.flatMap((g) =>
          callsOf(f.body, g.name).flatMap((args) => [...keyParams.get(g.name)!].map((i) => args[i])),
        ),
      ];
      for (const use of uses) {
        const at = f.params.indexOf(use ?? '');
        if (at !== -1 && !keyParams.get(f.name)!.has(at)) {
          keyParams.get(f.name)!.add(at);
          changed = true;
        }
      }
    }
  }
  const problems: string[] = [];
  const check = (where: string, allowed: (expr: string) => boolean, code: string) => {
    for (const args of callsOf(code, 'redis.call')) {
      const command = args[0]!.replace(/'/g, '');
      if (!KEYLESS.has(command) && !allowed(args[1] ?? ''))
        problems.push(`${where}: ${command} on ${args[1]}`);
    }
    for (const g of functions) {
      for (const args of callsOf(code, g.name)) {
        for (const i of keyParams.get(g.name)!)
          if (!allowed(args[i] ?? '')) problems.push(`${where}: ${g.name}(…) with key ${args[i]}`);
      }
    }
  };
  const bound = keyLocals(main);
  check('main', (expr) => /^KEYS\[\d+\]$/.test(expr) || bound.has(expr), main);
  for (const f of functions) {
    // A helper sees its key parameters, and (a closure like `reply`) the main chunk's key locals.
    const params = new Set(f.params.filter((_, i) => keyParams.get(f.name)!.has(i)));
    check(f.name, (expr) => /^KEYS\[\d+\]$/.test(expr) || params.has(expr) || bound.has(expr), f.body);
  }
  return problems;
}

const SCRIPTS = [
  ...APPROVAL_SCRIPTS.map((script) => ({ ...script, dir: APPROVAL_SCRIPTS_DIR })),
  ...RECORDING_SCRIPTS.map((script) => ({ ...script, dir: RECORDING_SCRIPTS_DIR })),
];

describe('every Lua script declares its keys', () => {
  it.each(SCRIPTS.map((s) => [s.file, s] as const))('%s', (_file, script) => {
    const lua = readLuaScript(script.dir, script.file);
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(lua)?.[1] ?? '';
    const listed = [...header.matchAll(/^\s*KEYS\[(\d+)\]/gm)].map((m) => Number(m[1]));
    expect(listed.sort((a, b) => a - b)).toEqual(Array.from({ length: script.keys }, (_, i) => i + 1));
    const body = lua.slice(lua.indexOf(']]'));
    const used = new Set([...body.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])));
    expect([...used].filter((i) => i > script.keys)).toEqual([]);
    expect(undeclaredKeyUses(body)).toEqual([]);
  });

  it('the check finds a key built in Lua or read from Redis (the old consume and resolve)', () => {
    const consume = `local fpKey = KEYS[1]
local id = redis.call('GET', fpKey)
local key = ARGV[2] .. id
local f = redis.call('HMGET', key, 'state')`;
    expect(undeclaredKeyUses(consume)).toEqual(['main: HMGET on key']);
    const resolve = `local id = redis.call('GET', KEYS[1])
redis.call('XADD', ARGV[2] .. id .. ':events', '*', 'e', ARGV[6])`;
    expect(undeclaredKeyUses(resolve)).toEqual([`main: XADD on ARGV[2] .. id .. ':events'`]);
  });

  it('the check follows helpers: a helper handed a derived key is caught', () => {
    const lua = `local function lingerIndex(fpKey, id, linger)
  if redis.call('GET', fpKey) == id then redis.call('PEXPIRE', fpKey, linger) end
end
local function markExpired(key, fpKey, id)
  redis.call('HSET', key, 'state', 'expired')
  lingerIndex(fpKey, id, 1)
end
local reviewKey = KEYS[1]
local fpKey = redis.call('HGET', reviewKey, 'fpKey')
markExpired(reviewKey, fpKey, 'r-1')`;
    expect(undeclaredKeyUses(lua)).toEqual(['main: markExpired(…) with key fpKey']);
  });
});
