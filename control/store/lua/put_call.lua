-- KEYS: call, waiting, seq counter   ARGV: seq ('0': take the next), data_json, state, agent_id, offered_at,
-- answered_at, call_id[, create]
-- Writes a call but never undoes a reservation: an offering/connected call keeps its live fields.
-- create '0' (an update): a call that has ended meanwhile (hash deleted) is not brought back.
-- Returns {status, seq}: status 1 when the live fields were written, 0 when a reservation kept them,
-- -1 when the call was gone.
if ARGV[8] == '0' and redis.call('EXISTS', KEYS[1]) == 0 then return {-1, tonumber(ARGV[1])} end
local seq = ARGV[1]
if seq == '0' then
  seq = tostring(redis.call('INCR', KEYS[3]))
elseif ARGV[8] ~= '0' and tonumber(seq) > (tonumber(redis.call('GET', KEYS[3])) or 0) then
  redis.call('SET', KEYS[3], seq)   -- a call put back with its seq (Redis lost its data): later calls come after it
end
local cur = redis.call('HGET', KEYS[1], 'state')
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'seq', seq)
if cur == 'offering' or cur == 'connected' then
  return {0, tonumber(seq)}
end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'agent_id', ARGV[4], 'offered_at', ARGV[5], 'answered_at', ARGV[6])
if ARGV[3] == 'queued' or ARGV[3] == 'offering' then
  redis.call('ZADD', KEYS[2], seq, ARGV[7])
else
  redis.call('ZREM', KEYS[2], ARGV[7])
end
return {1, tonumber(seq)}
