-- KEYS: call, leases   ARGV: call_id, expires_at, GROUP
-- One lease on the call covers every member of its ring group.
if redis.call('HGET', KEYS[1], 'state') ~= 'offering' then return 0 end
if redis.call('HGET', KEYS[1], 'agent_id') ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], 'lease', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
