-- KEYS: agent, call, leases, waiting   ARGV: call_id, agent_id, owner, expires_at, now
-- Agent AVAILABLE and call QUEUED with no agent -> agent RESERVED, call OFFERING, lease set.
if redis.call('HGET', KEYS[1], 'state') ~= 'available' then return 0 end
if redis.call('HGET', KEYS[2], 'state') ~= 'queued' then return 0 end
local holder = redis.call('HGET', KEYS[2], 'agent_id')
if holder and holder ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'reserved', 'state_since', ARGV[5], 'call_id', ARGV[1],
           'last_offered_at', ARGV[5], 'break_reason', '')
redis.call('HSET', KEYS[2], 'state', 'offering', 'agent_id', ARGV[2], 'owner', ARGV[3],
           'offered_at', ARGV[5], 'lease', ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return 1
