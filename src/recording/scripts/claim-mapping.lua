--[[
  claim-mapping: points an identity at a session, if the mapping still says what the caller read
  (compare-and-set). Of two replicas opening a session for one kubectl invocation, one wins; the
  other drops the session it opened and joins the winner's.

  KEYS[1]  mapping key        <p>:map:<identity key>    (string: session id, with a TTL)

  ARGV[1]  the session id the caller read ('' when there was none)
  ARGV[2]  the new session id                ARGV[3]  mapping TTL (ms): the idle gap

  Result: { 'claimed' } | { 'taken', current } (the mapping changed: current is its value, '' none)
]]
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then
  return { 'taken', current }
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return { 'claimed' }
