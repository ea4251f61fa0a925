-- KEYS: agent   ARGV: expected_state, expected_call_id, then field/value pairs
-- Compare-and-set: the Python side computed the move with the domain state machine.
if (redis.call('HGET', KEYS[1], 'state') or '') ~= ARGV[1] then return 0 end
if (redis.call('HGET', KEYS[1], 'call_id') or '') ~= ARGV[2] then return 0 end
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
return 1
