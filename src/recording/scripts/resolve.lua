--[[
  resolve: the session a request belongs to. Returns the open session its identity maps to, or
  opens a new one. Atomic, so two replicas serving one kubectl invocation open one session.

  KEYS[1]  mapping key        <p>:map:<identity key>    (string: session id, with a TTL)
  KEYS[2]  index by time      <p>:idx:time              (zset: id scored by start, ms)
  KEYS[3]  index by agent     <p>:idx:agent:<subject>
  KEYS[4]  index by cluster   <p>:idx:cluster:<name>

  ARGV[1]  candidate new id   ARGV[2]  meta key prefix (<p>:s:)
  ARGV[3]  mapping TTL (ms)   ARGV[4]  now (ms)
  ARGV[5]  fields of a new session's meta (JSON object of strings)
  ARGV[6]  the new session's first event (its `session` event, sealed on the genesis hash)
  ARGV[7]  that event's hash

  Result: { id, created } with created '1' when this call opened the session, else '0'.
  A mapping to a session that is closed (or gone) is replaced by a new session.
]]
local id = redis.call('GET', KEYS[1])
if id then
  local state = redis.call('HGET', ARGV[2] .. id, 'state')
  if state == 'open' then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return { id, '0' }
  end
end
id = ARGV[1]
local meta = ARGV[2] .. id
local fields = cjson.decode(ARGV[5])
for field, value in pairs(fields) do
  redis.call('HSET', meta, field, tostring(value))
end
redis.call('XADD', ARGV[2] .. id .. ':events', '*', 'e', ARGV[6])
redis.call('HSET', meta, 'id', id, 'state', 'open', 'seq', '1', 'hash', ARGV[7],
  'startedAt', ARGV[4], 'lastAt', ARGV[4], 'inflight', '0', 'requests', '0', 'mapKey', KEYS[1])
redis.call('SET', KEYS[1], id, 'PX', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], id)
redis.call('ZADD', KEYS[3], ARGV[4], id)
redis.call('ZADD', KEYS[4], ARGV[4], id)
return { id, '1' }
