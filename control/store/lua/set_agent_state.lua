-- KEYS: agent   ARGV: expected_state, expected_call_id, then field/value pairs
-- Compare-and-set: the Python side computed the move with the domain state machine.
-- Also keeps the index of available agents ({prefix}:agents:available, next to the agent key: a
-- zset, score idle_since, so a reader sees when an agent came back): an agent moving to reserved
-- stays in it (release_group frees reserved agents without touching the index).
if (redis.call('HGET', KEYS[1], 'state') or '') ~= ARGV[1] then return 0 end
if (redis.call('HGET', KEYS[1], 'call_id') or '') ~= ARGV[2] then return 0 end
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
local prefix, id = string.match(KEYS[1], '^(.*):agent:(.*)$')
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'available' then
  redis.call('ZADD', prefix .. ':agents:available', tonumber(redis.call('HGET', KEYS[1], 'idle_since')) or 0, id)
elseif state ~= 'reserved' then
  redis.call('ZREM', prefix .. ':agents:available', id)
end
return 1
