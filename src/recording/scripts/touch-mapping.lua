--[[
  touch-mapping: keeps an identity's mapping alive for another idle gap while it still names the
  session being appended to (appends send it alongside, since the mapping lives in another slot).

  KEYS[1]  mapping key        <p>:map:<identity key>

  ARGV[1]  session id         ARGV[2]  mapping TTL (ms)

  Result: { 'ok' } | { 'other' } (the mapping names another session, or none: left alone)
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return { 'other' }
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return { 'ok' }
