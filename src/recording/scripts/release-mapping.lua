--[[
  release-mapping: detaches an identity from a session that has closed, so its next request opens
  a new one at once; a mapping that already names another session is left alone.

  KEYS[1]  mapping key        <p>:map:<identity key>    (the closed session's meta names it)

  ARGV[1]  the closed session's id

  Result: { 'released' } | { 'other' }
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return { 'other' }
end
redis.call('DEL', KEYS[1])
return { 'released' }
