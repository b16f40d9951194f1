--[[
  close: ends a session once it has been idle for the idle gap with no request in flight. After
  this no event can be appended (append answers 'closed'). The caller then detaches the identity's
  mapping (release-mapping.lua, with the mapKey this returns; the mapping lives in another slot
  on a Redis Cluster), archives the stream and finalizes the meta.

  KEYS[1]  session meta       <p>:s:<id>

  ARGV[1]  now (ms)           ARGV[2]  idle gap (ms)
  ARGV[3]  longest a request may stay in flight before it is presumed lost (ms)

  Result: { 'closed', seq, hash, mapKey }   closed now (or earlier, not yet archived)
        | { 'wait', dueAt }         not idle yet: try again at dueAt (ms)
        | { 'archived' }            closed and archived already
        | { 'gone' }                no such session (retention removed it)
]]
local m = redis.call('HMGET', KEYS[1], 'state', 'lastAt', 'inflight', 'seq', 'hash', 'mapKey', 'archivedAt')
if not m[1] then
  return { 'gone' }
end
if m[1] == 'closed' then
  if m[7] then
    return { 'archived' }
  end
  return { 'closed', m[4], m[5], m[6] or '' }
end
local now = tonumber(ARGV[1])
local gap = tonumber(ARGV[2])
local last = tonumber(m[2])
local inflight = tonumber(m[3] or '0')
if inflight > 0 and now < last + tonumber(ARGV[3]) then
  return { 'wait', tostring(math.max(last, now) + gap) }
end
if now < last + gap then
  return { 'wait', tostring(last + gap) }
end
redis.call('HSET', KEYS[1], 'state', 'closed', 'closedAt', ARGV[1])
return { 'closed', m[4], m[5], m[6] or '' }
