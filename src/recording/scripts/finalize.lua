--[[
  finalize: records a closed session's archive in its meta and deletes its live stream and the
  large lines it refers to, but only if the session is still closed at the sequence number the
  archive was written from. After a Redis failover that lost the `close` (the new primary has the
  session open and agents went on appending), the archive is stale: deleting the stream then would
  drop events the archive lacks, so the caller is told and the close job runs again.

  KEYS[1]  session meta       <p>:s:<id>                (hash)
  KEYS[2]  event stream       <p>:s:<id>:events         (stream)
  KEYS[3]  large lines        <p>:s:<id>:lines          (hash; append.lua)

  ARGV[1]  the seq the archive ends at
  ARGV[2..]  field, value, field, value, … to set on the meta

  Result: { 'ok' } | { 'moved', state, seq }
]]
local current = redis.call('HMGET', KEYS[1], 'state', 'seq')
if current[1] ~= 'closed' or current[2] ~= ARGV[1] then
  return { 'moved', current[1] or '', current[2] or '' }
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('DEL', KEYS[2], KEYS[3])
return { 'ok' }
