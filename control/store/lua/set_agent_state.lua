-- KEYS: agent, available   ARGV: expected_state, expected_call_id, agent_id, then field/value pairs
-- Compare-and-set: the Python side computed the move with the domain state machine.
-- Also keeps the index of available agents (KEYS[2], {prefix}:agents:available: a zset, score
-- idle_since, so a reader sees when an agent came back): an agent moving to reserved stays in it
-- (release_group frees reserved agents without touching the index).
if (redis.call('HGET', KEYS[1], 'state') or '') ~= ARGV[1] then return 0 end
if (redis.call('HGET', KEYS[1], 'call_id') or '') ~= ARGV[2] then return 0 end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'available' then
  redis.call('ZADD', KEYS[2], tonumber(redis.call('HGET', KEYS[1], 'idle_since')) or 0, ARGV[3])
elseif state ~= 'reserved' then
  redis.call('ZREM', KEYS[2], ARGV[3])
end
return 1
