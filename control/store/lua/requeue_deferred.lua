-- KEYS: deferred, call, waiting   ARGV: call_id
-- A callback call whose retry is due goes back to the queue with its own seq (its place in line);
-- ZREM decides which controller does it, so it happens once.
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[2], 'state') ~= 'ivr' then return 0 end
redis.call('HSET', KEYS[2], 'state', 'queued', 'agent_id', '')
local seq = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0') or 0
redis.call('ZADD', KEYS[3], seq, ARGV[1])
return 1
