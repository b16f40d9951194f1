--[[
  consume: let one request through on the approval of its fingerprint's review. Atomic, so of
  any number of concurrent identical requests exactly one consumes a 'once' grant.

  KEYS[1]  fingerprint index  <p>:fp:<fingerprint>
  KEYS[2]  indexed review     <p>:review:<ARGV[2]>

  ARGV[1]  now (ms)           ARGV[2]  the review id the caller read from the index

  The caller reads the index first (an empty index needs no script: 'none'); the script checks
  the index still names ARGV[2] (compare-and-set), else answers 'moved' and the caller reads again.

  Result: { outcome, id, field1, value1, ... } with outcome
    'consumed'      a 'once' grant was claimed by this call (and detached from the fingerprint,
                    so the next identical request opens a new review)
    'window-valid'  a window grant covers the fingerprint until its end; nothing is consumed
    'not-approved'  the fingerprint's review is pending, rejected, expired or cancelled
    'none'          no review, or its grant is used up or over (id and fields may follow)
    'moved'         the index no longer names ARGV[2]; id is what it names now ('' for nothing)
]]
local fpKey, key = KEYS[1], KEYS[2]
local now, expected = tonumber(ARGV[1]), ARGV[2]

--#include review-lib.lua

local function reply(outcome, rid, key) return withRecord(key, outcome, rid) end

local id = redis.call('GET', fpKey)
if id ~= expected then return { 'moved', id or '' } end
local f = redis.call('HMGET', key, 'state', 'grantKind', 'grantEnd', 'grantConsumedAt')
local state, kind, grantEnd, consumedAt = f[1], f[2], tonumber(f[3]), f[4]
if not state then return { 'none', '' } end
if state ~= 'approved' then return reply('not-approved', id, key) end
if consumedAt or not grantEnd or now >= grantEnd then return reply('none', id, key) end
if kind == 'window' then return reply('window-valid', id, key) end

redis.call('HSET', key, 'grantConsumedAt', fmt(now), 'updatedAt', fmt(now))
redis.call('DEL', fpKey)
return reply('consumed', id, key)
