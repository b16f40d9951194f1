--[[
  append: adds one sealed event to a session's stream, if the caller's view of the chain's tail
  is current (compare-and-set on the sequence number). Replicas appending to one session race
  here; the loser gets the current tail, re-seals its event on top of it and tries again.

  KEYS[1]  session meta       <p>:s:<id>                (hash)
  KEYS[2]  event stream       <p>:s:<id>:events         (stream; field `e` = the event's line)
  KEYS[3]  mapping key        <p>:map:<identity key>

  ARGV[1]  tail seq the event was sealed on      ARGV[2]  the event's line (canonical JSON)
  ARGV[3]  the event's hash                      ARGV[4]  now (ms)
  ARGV[5]  mapping TTL (ms)                      ARGV[6]  session id
  ARGV[7]  meta updates: JSON { incr = { field = n }, set = { field = "value" } }

  Result: { 'ok' } | { 'closed' } (the session is closed or gone: resolve again)
        | { 'conflict', seq, hash } (the tail moved: re-seal on it)
]]
local current = redis.call('HMGET', KEYS[1], 'state', 'seq', 'hash')
if current[1] ~= 'open' then
  return { 'closed' }
end
if current[2] ~= ARGV[1] then
  return { 'conflict', current[2], current[3] }
end
redis.call('XADD', KEYS[2], '*', 'e', ARGV[2])
redis.call('HSET', KEYS[1], 'seq', tostring(tonumber(ARGV[1]) + 1), 'hash', ARGV[3], 'lastAt', ARGV[4])
local updates = cjson.decode(ARGV[7])
if type(updates.incr) == 'table' then
  for field, delta in pairs(updates.incr) do
    redis.call('HINCRBY', KEYS[1], field, delta)
  end
end
if type(updates.set) == 'table' then
  for field, value in pairs(updates.set) do
    redis.call('HSET', KEYS[1], field, tostring(value))
  end
end
if redis.call('GET', KEYS[3]) == ARGV[6] then
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
end
return { 'ok' }
