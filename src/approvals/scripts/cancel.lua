--[[
  cancel: withdraw a pending review, or revoke an approved one's grant. Atomic against decide
  and consume: a grant is either consumed before the cancel or never.

  KEYS[1]  review hash        <p>:review:<id>
  KEYS[2]  pending zset       <p>:pending
  KEYS[3]  fingerprint index  the record's fpKey
  KEYS[4]  window key         the record's windowKey

  ARGV[1]  now (ms)           ARGV[2]  linger (ms)        ARGV[3]  events channel
  ARGV[4]  who cancelled ('' if not said)

  The record's fields fpKey and windowKey name the index and window key it may own (the caller
  reads them and passes them as KEYS[3] and KEYS[4]; a mismatch answers 'moved'); each is
  detached only if it still points at this review.

  Result: { outcome, field1, value1, ... } with outcome
    'cancelled'        this call cancelled it (and published the change)
    'not-cancellable'  rejected, expired, already cancelled, or a consumed 'once' approval
    'not-found'        no such review (no fields follow)
    'moved'            KEYS[3] or KEYS[4] is not the record's; nothing changed (no fields follow)
]]
local reviewKey, pendingKey, fpKey, windowKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, linger, channel, by = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]

--#include review-lib.lua

local function reply(outcome) return withRecord(reviewKey, outcome) end

if redis.call('EXISTS', reviewKey) == 0 then return { 'not-found' } end
local f = redis.call('HMGET', reviewKey, 'state', 'fingerprint', 'fpKey', 'windowKey', 'id',
  'grantConsumedAt')
local state, fp, id, consumedAt = f[1], f[2], f[5], f[6]
if f[3] ~= fpKey or f[4] ~= windowKey then return { 'moved' } end
if state ~= 'pending' and state ~= 'approved' then return reply('not-cancellable') end
if state == 'approved' and consumedAt then return reply('not-cancellable') end

redis.call('HSET', reviewKey, 'state', 'cancelled', 'updatedAt', fmt(now))
if by ~= '' then redis.call('HSET', reviewKey, 'decidedBy', by) end
redis.call('ZREM', pendingKey, id)
lingerIndex(fpKey, id, linger)
if redis.call('GET', windowKey) == id then redis.call('DEL', windowKey) end
publishState(channel, id, 'cancelled', fp)
return reply('cancelled')
