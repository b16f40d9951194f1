--[[
  append: adds one or more sealed events, in order, to a session's stream, if the caller's view of
  the chain's tail is current (compare-and-set on the sequence number). Replicas appending to one
  session race here; the loser gets the current tail, re-seals its events on top of it and tries
  again. A batch is all or nothing: either every event is added or none is.

  KEYS[1]  session meta       <p>:s:<id>                (hash)
  KEYS[2]  event stream       <p>:s:<id>:events         (stream; field `e` = the event's line)

  ARGV[1]  tail seq the first event was sealed on (event i has seq ARGV[1] + i)
  ARGV[2]  now (ms)
  ARGV[3]  meta updates for the whole batch: JSON { incr = { field = n }, set = { field = "value" } }
  ARGV[4], ARGV[5]  the first event's line (canonical JSON) and hash; then the next event's, …

  The identity's mapping lives in another slot on a Redis Cluster; touch-mapping.lua refreshes it
  alongside.

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
local count = 0
for i = 4, #ARGV, 2 do
  redis.call('XADD', KEYS[2], '*', 'e', ARGV[i])
  count = count + 1
end
redis.call('HSET', KEYS[1], 'seq', tostring(tonumber(ARGV[1]) + count), 'hash', ARGV[#ARGV], 'lastAt', ARGV[2])
if ARGV[3] ~= '' then
  local updates = cjson.decode(ARGV[3])
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
end
return { 'ok' }
