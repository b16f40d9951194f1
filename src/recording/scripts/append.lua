--[[
  append: adds one or more sealed events, in order, to a session's stream, if the caller's view of
  the chain's tail is current (compare-and-set on the sequence number and the hash). Replicas
  appending to one session race here; the loser gets the current tail, re-seals its events on top
  of it and tries again. A batch is all or nothing: either every event is added or none is.

  The hash is compared too because a gateway sends a stream's next batch before the reply to the
  one before it, sealed on the tail that one leaves: should that one not be appended, another
  replica's events could bring the sequence number to the same place, and only the hash tells the
  tails apart.

  Turns: a replica that loses the race claims the next turn (KEYS[3], for ARGV[5] ms), and until it
  has appended, another replica's append is answered `wait` instead of taking the tail again. The
  winner of one race would otherwise win the next ones too: it sends its next batch as soon as its
  reply arrives, before the loser's retry (one round trip and a re-seal behind) can land, so under
  steady load one replica starved until the other went quiet.

  KEYS[1]  session meta       <p>:s:<id>                (hash)
  KEYS[2]  event stream       <p>:s:<id>:events         (stream; field `e` = the event's line)
  KEYS[3]  next turn          <p>:s:<id>:turn           (string: the replica that lost the last race)
  KEYS[4]  large lines        <p>:s:<id>:lines          (hash: an event's hash = its line)

  ARGV[1]  tail seq the first event was sealed on (event i has seq ARGV[1] + i)
  ARGV[2]  now (ms)
  ARGV[3]  meta updates for the whole batch: JSON { incr = { field = n }, set = { field = "value" } }
  ARGV[4]  the appending replica's name
  ARGV[5]  how long a claimed turn is kept for a replica that does not come back (ms)
  ARGV[6]  the tail's hash the first event was sealed on
  ARGV[7], ARGV[8]  the first event's line (canonical JSON) and hash; then the next event's, …
                   An empty line means the line is stored by reference: the caller has put it in
                   the lines hash under its hash (an HSET sent just before this call), and the
                   stream's entry holds the hash (field `r`) instead of the line (field `e`).

  Lines by reference: Lua copies and hashes every byte of every argument it is handed, so a
  stream's frames (hundreds of KB a second in a bulk copy) reach Redis beside the script, not
  through it; a line's hash names it, so a line sent again is the same field, and one whose
  append was declined is left over until the session's keys are deleted (finalize.lua). Every
  reference is checked before anything is added: an append whose line is not there adds nothing.

  The identity's mapping lives in another slot on a Redis Cluster; touch-mapping.lua refreshes it
  alongside.

  Result: { 'ok' } | { 'closed' } (the session is closed or gone: resolve again)
        | { 'conflict', seq, hash, turn } (the tail moved: re-seal on it; `turn` is '1' when this
          replica now holds the next turn, so it may try again at once)
        | { 'wait', seq, hash } (another replica holds the turn: try again in a moment)
        | { 'missing', hash } (a line by reference is not in the lines hash: nothing was added)
]]
local current = redis.call('HMGET', KEYS[1], 'state', 'seq', 'hash')
if current[1] ~= 'open' then
  return { 'closed' }
end
local turn = redis.call('GET', KEYS[3])
if current[2] ~= ARGV[1] or current[3] ~= ARGV[6] then
  if not turn then
    redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
    turn = ARGV[4]
  end
  return { 'conflict', current[2], current[3], turn == ARGV[4] and '1' or '0' }
end
if turn and turn ~= ARGV[4] then
  return { 'wait', current[2], current[3] }
end
for i = 7, #ARGV, 2 do
  if ARGV[i] == '' and redis.call('HEXISTS', KEYS[4], ARGV[i + 1]) == 0 then
    return { 'missing', ARGV[i + 1] }
  end
end
local count = 0
for i = 7, #ARGV, 2 do
  if ARGV[i] == '' then
    redis.call('XADD', KEYS[2], '*', 'r', ARGV[i + 1])
  else
    redis.call('XADD', KEYS[2], '*', 'e', ARGV[i])
  end
  count = count + 1
end
if turn then
  redis.call('DEL', KEYS[3])
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
