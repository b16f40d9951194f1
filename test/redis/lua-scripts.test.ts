import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luaScripts, readLuaScript } from '../../src/redis/lua-scripts.ts';
import { decodeScriptReply } from '../../src/redis/script-reply.ts';
import { REDIS_URL } from '../support/redis.ts';
import { type ThrowawayRedis, throwawayRedis } from '../support/throwaway-redis.ts';

let dir: string;
let url: URL;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-lua-'));
  url = pathToFileURL(`${dir}/`);
  await writeFile(join(dir, 'lib.lua'), 'local function twice(s) return s .. s end\n\n');
  await writeFile(
    join(dir, 'sizes.lua'),
    '-- sizes: the key, ARGV[1], and the length and SHA-1 of ARGV[2]\n' +
      'return { KEYS[1], ARGV[1], tostring(string.len(ARGV[2])), redis.sha1hex(ARGV[2]) }\n',
  );
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

describe('written script calls', () => {
  let server: ThrowawayRedis | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('send the arguments written into the lent buffer; Redis reads them byte for byte', async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      const scripts = luaScripts(url, [{ name: 'hoopTestSizes', file: 'sizes.lua', keys: 1 }])(redis);
      const bytes = randomBytes(1024 * 1024);
      const call = scripts.written.hoopTestSizes(['k:1'], 2, Buffer.alloc(64 * 1024));
      call.writer.string('é');
      bytes.copy(call.writer.reserve(bytes.length));
      const sha1 = createHash('sha1').update(bytes).digest('hex');
      expect(await call.send()).toEqual({ head: ['k:1', 'é', String(bytes.length), sha1], fields: {} });
    } finally {
      redis.disconnect();
    }
  });

  it('fall back to EVAL once when Redis does not know the script, as after a restart', async () => {
    server = await throwawayRedis();
    await server.start();
    const redis = new Redis(server.url, { lazyConnect: true });
    const calls = async (command: string) =>
      Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await redis.info('commandstats'))?.[1] ?? 0);
    try {
      const scripts = luaScripts(url, [{ name: 'hoopTestSizes', file: 'sizes.lua', keys: 1 }])(redis);
      const send = async (arg: string) => {
        const call = scripts.written.hoopTestSizes(['k'], 2, Buffer.alloc(256));
        call.writer.string(arg);
        call.writer.string('abc');
        return (await call.send()).head[1];
      };
      // A new server: EVALSHA is refused (NOSCRIPT), EVAL runs it and caches it.
      expect(await send('first')).toBe('first');
      expect([await calls('evalsha'), await calls('eval')]).toEqual([1, 1]);
      expect(await send('second')).toBe('second');
      expect([await calls('evalsha'), await calls('eval')]).toEqual([2, 1]);
      await redis.script('FLUSH');
      expect(await send('third')).toBe('third');
      expect([await calls('evalsha'), await calls('eval')]).toEqual([3, 2]);
    } finally {
      redis.disconnect();
    }
  });

  it('refuse a call whose arguments are not all written, sending nothing', async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      const scripts = luaScripts(url, [{ name: 'hoopTestSizes', file: 'sizes.lua', keys: 1 }])(redis);
      const call = scripts.written.hoopTestSizes(['k'], 2, Buffer.alloc(256));
      call.writer.string('only one');
      await expect(call.send()).rejects.toThrow(/written with 5/);
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
