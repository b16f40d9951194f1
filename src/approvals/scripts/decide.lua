--[[
  decide: record one approver's approve or reject. Atomic: of concurrent decisions exactly one
  makes the review final; later ones change nothing and learn who decided.

  KEYS[1]  review hash        <p>:review:<id>
  KEYS[2]  pending zset       <p>:pending
  KEYS[3]  fingerprint index  the record's fpKey
  KEYS[4]  window key         the record's windowKey

  ARGV[1]  approver id        ARGV[2]  action ('approve' | 'reject')
  ARGV[3]  decision JSON (appended to the record's decisions as is)
  ARGV[4]  window seconds (0 = once)                  ARGV[5]  now (ms)
  ARGV[6]  linger (ms)        ARGV[7]  once-grant lifetime (ms)
  ARGV[8]  retention (ms)     ARGV[9]  events channel

  The record's fields fpKey and windowKey name the fingerprint index and window key it owns; the
  caller reads them (they never change) and passes them as KEYS[3] and KEYS[4], so every key the
  script touches is declared. A mismatch answers 'moved' and changes nothing.

  Result: { outcome, decidedBy ('' if none), field1, value1, ... } with outcome
    'applied'          this decision made the review approved or rejected
    'counted'          an approval was counted (or had been); more distinct approvals needed
    'already-decided'  the review is approved, rejected or cancelled; decidedBy says by whom
    'expired'          the deadline has passed (the review is expired now if it was not yet)
    'not-found'        no such review (no fields follow)
    'moved'            KEYS[3] or KEYS[4] is not the record's (no fields follow)
]]
local reviewKey, pendingKey, fpKey, windowKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local approver, action, decision = ARGV[1], ARGV[2], ARGV[3]
local windowSeconds, now, linger = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local onceTtl, retention, channel = tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]

--#include review-lib.lua

local function reply(outcome, by) return withRecord(reviewKey, outcome, by or '') end

if redis.call('EXISTS', reviewKey) == 0 then return { 'not-found', '' } end

local f = redis.call('HMGET', reviewKey, 'state', 'decidedBy', 'deadline', 'fingerprint', 'fpKey',
  'windowKey', 'minApprovals', 'decisions', 'id')
local state, decidedBy, deadline, fp = f[1], f[2], tonumber(f[3]), f[4]
local minApprovals, decisionsRaw, id = tonumber(f[7]), f[8], f[9]
if f[5] ~= fpKey or f[6] ~= windowKey then return { 'moved', '' } end

if state == 'expired' then return reply('expired', decidedBy) end
if state ~= 'pending' then return reply('already-decided', decidedBy) end

if now >= deadline then
  markExpired(reviewKey, pendingKey, id, fp, fpKey, now, linger, channel)
  return reply('expired', nil)
end

local appended
if decisionsRaw == '[]' then
  appended = '[' .. decision .. ']'
else
  appended = string.sub(decisionsRaw, 1, -2) .. ',' .. decision .. ']'
end

if action == 'reject' then
  redis.call('HSET', reviewKey, 'state', 'rejected', 'decidedBy', approver, 'decisions', appended,
    'updatedAt', fmt(now))
  redis.call('ZREM', pendingKey, id)
  lingerIndex(fpKey, id, linger)
  publishState(channel, id, 'rejected', fp)
  return reply('applied', approver)
end

-- Approve: count distinct approvers (case-insensitive); the same approver twice counts once.
local me = string.lower(approver)
local seen, count, minWindow, allWindows = {}, 0, nil, true
local function tally(who, seconds)
  seen[who] = true
  count = count + 1
  if seconds and seconds > 0 then
    if not minWindow or seconds < minWindow then minWindow = seconds end
  else
    allWindows = false
  end
end
for _, d in ipairs(cjson.decode(decisionsRaw)) do
  local who = string.lower(d.approver)
  if d.action == 'approve' and not seen[who] then tally(who, tonumber(d.windowSeconds)) end
end
if seen[me] then return reply('counted', nil) end
tally(me, windowSeconds)

if count < minApprovals then
  redis.call('HSET', reviewKey, 'decisions', appended, 'updatedAt', fmt(now))
  return reply('counted', nil)
end

-- Final approval. The grant is the most restrictive the approvers chose: a window only if every
-- counted approval asked for one, and then the shortest.
local grantEnd
if allWindows and minWindow then
  grantEnd = now + minWindow * 1000
  redis.call('HSET', reviewKey, 'grantKind', 'window', 'grantWindowSeconds', fmt(minWindow))
  local ttl = redis.call('PTTL', windowKey)
  if ttl < grantEnd - now then redis.call('SET', windowKey, id, 'PX', fmt(grantEnd - now)) end
else
  grantEnd = now + onceTtl
  redis.call('HSET', reviewKey, 'grantKind', 'once')
end
redis.call('HSET', reviewKey, 'state', 'approved', 'decidedBy', approver, 'decisions', appended,
  'grantEnd', fmt(grantEnd), 'updatedAt', fmt(now))
redis.call('SET', fpKey, id, 'PX', fmt(grantEnd - now + linger))
redis.call('ZREM', pendingKey, id)
redis.call('PEXPIRE', reviewKey, fmt(math.max(deadline, grantEnd) - now + retention))
publishState(channel, id, 'approved', fp)
return reply('applied', approver)
