--[[
  open: writes a new session — its meta and its first event — under a fresh id. The session is
  only reachable once claim-mapping.lua points its identity at it; the caller indexes it (by
  time, agent and cluster) before this, so a session orphaned by a crash between the steps is
  still found and removed by retention.

  KEYS[1]  session meta       <p>:s:<id>                (hash)
  KEYS[2]  event stream       <p>:s:<id>:events         (stream; field `e` = the event's line)

  ARGV[1]  the new id         ARGV[2]  now (ms)
  ARGV[3]  fields of the new session's meta (JSON object of strings)
  ARGV[4]  the mapping key that will name it (kept in the meta, so close can detach it)
  ARGV[5]  the first event (its `session` event, sealed on the genesis hash)
  ARGV[6]  that event's hash

  Result: { 'created' } | { 'collision' } (the id is taken: draw another; nothing was written)
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return { 'collision' }
end
local fields = cjson.decode(ARGV[3])
for field, value in pairs(fields) do
  redis.call('HSET', KEYS[1], field, tostring(value))
end
redis.call('XADD', KEYS[2], '*', 'e', ARGV[5])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'state', 'open', 'seq', '1', 'hash', ARGV[6],
  'startedAt', ARGV[2], 'lastAt', ARGV[2], 'inflight', '0', 'requests', '0', 'mapKey', ARGV[4])
return { 'created' }
