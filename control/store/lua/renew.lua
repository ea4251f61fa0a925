-- KEYS: agent, call, leases   ARGV: call_id, agent_id, expires_at
if redis.call('HGET', KEYS[2], 'state') ~= 'offering' then return 0 end
if redis.call('HGET', KEYS[2], 'agent_id') ~= ARGV[2] then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'reserved' then return 0 end
if redis.call('HGET', KEYS[1], 'call_id') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'lease', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1
