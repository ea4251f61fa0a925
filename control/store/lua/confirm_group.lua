-- KEYS: agent, call, leases, waiting, available   ARGV: call_id, agent_id, now, GROUP
-- The first member to answer wins: agent ON_CALL, call CONNECTED to it. Any later answer finds
-- the call no longer held by the group and is refused.
if redis.call('HGET', KEYS[2], 'state') ~= 'offering' then return 0 end
if redis.call('HGET', KEYS[2], 'agent_id') ~= ARGV[4] then return 0 end
local raw = redis.call('HGET', KEYS[2], 'group')
local member = false
if raw and raw ~= '' then
  for _, id in ipairs(cjson.decode(raw)) do
    if id == ARGV[2] then member = true end
  end
end
if not member then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'reserved' then return 0 end
if redis.call('HGET', KEYS[1], 'call_id') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'on_call', 'state_since', ARGV[3])
redis.call('ZREM', KEYS[5], ARGV[2])  -- the index of available agents, as confirm.lua
redis.call('HSET', KEYS[2], 'state', 'connected', 'agent_id', ARGV[2], 'answered_at', ARGV[3], 'lease', '')
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
