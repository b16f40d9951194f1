--[[
  review-lib: helpers the approvals scripts share. Not a script of its own: the script loader
  inlines this file where a script says `--#include review-lib.lua`, so each helper is written
  once. Local functions only; nothing here runs until a script calls it.
]]

-- A number as Redis keeps it: an integer string, never exponent notation (ms timestamps).
local function fmt(n) return string.format('%.0f', n) end

-- The reply every approvals script gives: the leading values, then the record at `key` as
-- HGETALL returns it (nothing when the record is gone).
local function withRecord(key, ...)
  local result = { ... }
  for _, v in ipairs(redis.call('HGETALL', key)) do result[#result + 1] = v end
  return result
end

-- Tells every subscriber (gateways holding requests, the bot) that review `id` is now `state`.
local function publishState(channel, id, state, fp)
  redis.call('PUBLISH', channel, cjson.encode({ id = id, state = state, fingerprint = fp }))
end

-- Keeps a final verdict attached to its fingerprint for `linger` ms, but only while the
-- fingerprint index still names this review (a newer review may own it by now).
local function lingerIndex(fpKey, id, linger)
  if redis.call('GET', fpKey) == id then redis.call('PEXPIRE', fpKey, linger) end
end

-- Pending → expired at `now`: out of the pending set, verdict lingering, change published.
local function markExpired(key, pendingKey, id, fp, fpKey, now, linger, channel)
  redis.call('HSET', key, 'state', 'expired', 'updatedAt', fmt(now))
  redis.call('ZREM', pendingKey, id)
  lingerIndex(fpKey, id, linger)
  publishState(channel, id, 'expired', fp)
end
