-- KEYS: agent, call, leases, waiting, available   ARGV: call_id, agent_id, now
-- Reserved -> agent ON_CALL, call CONNECTED (leaves the waiting set, lease ends).
if redis.call('HGET', KEYS[2], 'state') ~= 'offering' then return 0 end
if redis.call('HGET', KEYS[2], 'agent_id') ~= ARGV[2] then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'reserved' then return 0 end
if redis.call('HGET', KEYS[1], 'call_id') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'on_call', 'state_since', ARGV[3])
redis.call('ZREM', KEYS[5], ARGV[2])   -- the index of available agents
redis.call('HSET', KEYS[2], 'state', 'connected', 'answered_at', ARGV[3], 'lease', '')
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
