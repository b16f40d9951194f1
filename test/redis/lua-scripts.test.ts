import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luaScripts, readLuaScript } from '../../src/redis/lua-scripts.ts';
import { decodeScriptReply } from '../../src/redis/script-reply.ts';
import { REDIS_URL } from '../support/redis.ts';

let dir: string;
let url: URL;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-lua-'));
  url = pathToFileURL(`${dir}/`);
  await writeFile(join(dir, 'lib.lua'), 'local function twice(s) return s .. s end\n\n');
  await writeFile(
    join(dir, 'echo.lua'),
    "-- echo: ARGV[1] twice, then a record\n--#include lib.lua\nreturn { twice(ARGV[1]), 'f', 'v', 7 }\n",
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readLuaScript', () => {
  it('inlines each --#include line with the named file, keeping the header', () => {
    expect(readLuaScript(url, 'echo.lua')).toBe(
      "-- echo: ARGV[1] twice, then a record\nlocal function twice(s) return s .. s end\nreturn { twice(ARGV[1]), 'f', 'v', 7 }\n",
    );
  });

  it('leaves no include unresolved in the approvals scripts', () => {
    const approvals = new URL('../../src/approvals/scripts/', import.meta.url);
    for (const file of ['create.lua', 'decide.lua', 'consume.lua', 'expire.lua', 'cancel.lua']) {
      const lua = readLuaScript(approvals, file);
      expect(lua).not.toMatch(/^--#include/m);
      expect(lua).toContain('local function withRecord');
    }
  });
});

describe('luaScripts', () => {
  it('defines the scripts and resolves to decoded replies', async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      const scripts = luaScripts(url, [{ name: 'hoopTestEcho', file: 'echo.lua', keys: 0, head: 1 }])(redis);
      expect(await scripts.hoopTestEcho('ab')).toEqual({ head: ['abab'], fields: { f: 'v' } });
    } finally {
      redis.disconnect();
    }
  });
});

describe('decodeScriptReply', () => {
  it('splits the head from the record and turns Buffers and numbers into strings', () => {
    expect(decodeScriptReply(['ok', Buffer.from('id'), 'a', '1', 'b', '2'], 's', 2)).toEqual({
      head: ['ok', 'id'],
      fields: { a: '1', b: '2' },
    });
    expect(decodeScriptReply(['conflict', 3, 'h'], 's')).toEqual({
      head: ['conflict', '3', 'h'],
      fields: {},
    });
  });

  it('refuses a reply of another shape, naming the script', () => {
    expect(() => decodeScriptReply('OK', 'hoopX')).toThrow('script hoopX returned string, expected an array');
    expect(() => decodeScriptReply(['one'], 'hoopX', 2)).toThrow(TypeError);
    expect(() => decodeScriptReply([['nested']], 'hoopX')).toThrow('non-string element');
  });
});
