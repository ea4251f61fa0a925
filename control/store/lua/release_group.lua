-- KEYS: call, leases, waiting, available, agent_1..agent_n
-- ARGV: call_id, agent_state, now, requeue(0/1), GROUP, n_freed, agent ids (the n_freed to free
--       first, then the group's other members, so their keys are declared too)
-- Frees members still reserved for the call. A call nobody won is requeued or dropped once no
-- member holds it any more; a call with a winner is left alone.
local freed, keyof = {}, {}
local n = tonumber(ARGV[6])
local function holds(key)
  return redis.call('HGET', key, 'state') == 'reserved' and redis.call('HGET', key, 'call_id') == ARGV[1]
end
for i = 5, #KEYS do keyof[ARGV[i + 2]] = KEYS[i] end
for i = 1, n do
  local id, key = ARGV[6 + i], KEYS[4 + i]
  freed[id] = true
  if holds(key) then
    if ARGV[2] == 'available' then redis.call('HSET', key, 'idle_since', ARGV[3]) end
    if ARGV[2] ~= 'reserved' then redis.call('HSET', key, 'state_since', ARGV[3]) end
    redis.call('HSET', key, 'state', ARGV[2], 'call_id', '', 'break_reason', '')
    -- the index of available agents, kept as release.lua keeps it
    if ARGV[2] == 'available' then redis.call('ZADD', KEYS[4], ARGV[3], id) else redis.call('ZREM', KEYS[4], id) end
  end
end
local raw = redis.call('HGET', KEYS[1], 'group')
local keep = {}
if raw and raw ~= '' then
  for _, id in ipairs(cjson.decode(raw)) do
    if not freed[id] then keep[#keep + 1] = id end
  end
  redis.call('HSET', KEYS[1], 'group', #keep > 0 and cjson.encode(keep) or '[]')
end
local cstate = redis.call('HGET', KEYS[1], 'state')
if not cstate then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
if cstate ~= 'offering' or redis.call('HGET', KEYS[1], 'agent_id') ~= ARGV[5] then return 1 end
for _, id in ipairs(keep) do
  local key = keyof[id]
  if not key or holds(key) then return 1 end  -- a member (or one joined meanwhile) still rings
end
redis.call('HSET', KEYS[1], 'group', '')
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 'state', 'queued', 'agent_id', '', 'lease', '', 'owner', '')
  local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0') or 0
  redis.call('ZADD', KEYS[3], seq, ARGV[1])
else
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
