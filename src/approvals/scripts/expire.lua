--[[
  expire: move a pending review whose deadline has passed to 'expired'. Atomic against decide,
  so a click at the last moment and the expire job cannot both win.

  KEYS[1]  review hash        <p>:review:<id>
  KEYS[2]  pending zset       <p>:pending
  KEYS[3]  fingerprint index  the record's fpKey (read by the caller; a mismatch answers 'moved')

  ARGV[1]  now (ms)           ARGV[2]  linger (ms)        ARGV[3]  events channel

  Result: { outcome, field1, value1, ... } with outcome
    'expired'      this call expired it (and published the change)
    'not-due'      still pending, deadline not reached (a job that fired early: retry later)
    'not-pending'  already decided, expired or cancelled; nothing changed
    'not-found'    no such review (no fields follow)
    'moved'        KEYS[3] is not the record's fpKey; nothing changed (no fields follow)
]]
local reviewKey, pendingKey, fpKey = KEYS[1], KEYS[2], KEYS[3]
local now, linger, channel = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]

--#include review-lib.lua

local function reply(outcome) return withRecord(reviewKey, outcome) end

if redis.call('EXISTS', reviewKey) == 0 then return { 'not-found' } end
local f = redis.call('HMGET', reviewKey, 'state', 'deadline', 'fingerprint', 'fpKey', 'id')
local state, deadline, fp, id = f[1], tonumber(f[2]), f[3], f[5]
if f[4] ~= fpKey then return { 'moved' } end
if state ~= 'pending' then return reply('not-pending') end
if now < deadline then return reply('not-due') end

markExpired(reviewKey, pendingKey, id, fp, fpKey, now, linger, channel)
return reply('expired')
