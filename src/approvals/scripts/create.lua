--[[
  create: find the open review for a fingerprint, or create one. Atomic, so two concurrent
  requests with the same fingerprint get the same review.

  KEYS[1]  fingerprint index  <p>:fp:<fingerprint>     (string: review id, with a TTL)
  KEYS[2]  indexed review     <p>:review:<ARGV[10]>    (the new review's key when ARGV[10] is '')
  KEYS[3]  new review hash    <p>:review:<ARGV[1]>
  KEYS[4]  pending zset       <p>:pending              (id scored by deadline)
  KEYS[5]  all reviews zset   <p>:reviews              (id scored by creation time)

  ARGV[1]  new id             ARGV[2]  data (immutable JSON)   ARGV[3]  fingerprint
  ARGV[4]  deadline (ms)      ARGV[5]  minApprovals            ARGV[6]  now (ms)
  ARGV[7]  linger (ms): how long a final verdict stays attached to its fingerprint
  ARGV[8]  retention (ms): how long a record outlives its deadline or grant
  ARGV[9]  events channel
  ARGV[10] the review id the caller read from the index ('' when it was empty)
  ARGV[11] window key for this request's identity, cluster and rule (stored, not touched)

  Every key is in KEYS (Redis Cluster routes by them): the caller reads the index first and names
  the review it points at; the script checks the index still says so (compare-and-set), else
  answers 'moved' and the caller reads again.

  Result: { outcome, id, field1, value1, ... } with outcome
    'existing'  the fingerprint's review: pending, approved with a usable grant, or final and
                still lingering (a past-deadline pending review is expired first)
    'created'   a new pending review
    'collision' ARGV[1] is taken; draw another id and call again (nothing was written)
    'moved'     the index no longer names ARGV[10]; id is what it names now (nothing was written)

  Every TTL is set relative to ARGV[6] (PX / PEXPIRE, never an absolute time), so a skew between
  the gateway's clock and Redis' shifts no expiry.
]]
local fpKey, indexedKey, reviewKey, pendingKey, reviewsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, data, fp = ARGV[1], ARGV[2], ARGV[3]
local deadline, minApprovals, now = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local linger, retention, channel, expected = tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9], ARGV[10]
local windowKey = ARGV[11]

--#include review-lib.lua

local function reply(outcome, rid, key) return withRecord(key, outcome, rid) end

local existing = redis.call('GET', fpKey)
if (existing or '') ~= expected then return { 'moved', existing or '' } end
if existing then
  local key = indexedKey
  local state = redis.call('HGET', key, 'state')
  if state == 'pending' then
    if now >= tonumber(redis.call('HGET', key, 'deadline')) then
      markExpired(key, pendingKey, existing, fp, fpKey, now, linger, channel)
    end
    return reply('existing', existing, key)
  elseif state == 'approved' then
    local grantEnd = tonumber(redis.call('HGET', key, 'grantEnd'))
    local consumed = redis.call('HEXISTS', key, 'grantConsumedAt') == 1
    if not consumed and grantEnd and now < grantEnd then
      return reply('existing', existing, key)
    end
  elseif state then
    -- rejected / expired / cancelled: the index's TTL is the linger, so it is still attached.
    return reply('existing', existing, key)
  end
end

if redis.call('EXISTS', reviewKey) == 1 then
  return { 'collision', id }
end

redis.call('HSET', reviewKey,
  'id', id, 'data', data, 'state', 'pending', 'fingerprint', fp, 'deadline', fmt(deadline),
  'minApprovals', minApprovals, 'createdAt', fmt(now), 'updatedAt', fmt(now),
  'decisions', '[]', 'fpKey', fpKey, 'windowKey', windowKey)
redis.call('PEXPIRE', reviewKey, fmt(math.max(deadline - now, 1) + retention))
redis.call('SET', fpKey, id, 'PX', fmt(math.max(deadline - now, 1) + linger))
redis.call('ZADD', pendingKey, fmt(deadline), id)
redis.call('ZADD', reviewsKey, fmt(now), id)
publishState(channel, id, 'pending', fp)
return reply('created', id, reviewKey)
