-- KEYS: call, leases, agent_1..agent_n   ARGV: call_id, owner, expires_at, now, join(0/1), GROUP, agent_id_1..n
-- A ring group: every listed agent that is available is reserved for the call in one step.
-- join=0: the call must be queued and unheld; join=1: the owner's group is ringing it already.
local cstate = redis.call('HGET', KEYS[1], 'state')
local holder = redis.call('HGET', KEYS[1], 'agent_id') or ''
local members = {}
if ARGV[5] == '1' then
  if cstate ~= 'offering' or holder ~= ARGV[6] then return {} end
  if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return {} end
  local raw = redis.call('HGET', KEYS[1], 'group')
  if raw and raw ~= '' then members = cjson.decode(raw) end
else
  if cstate ~= 'queued' or holder ~= '' then return {} end
end
local got = {}
for i = 3, #KEYS do
  if redis.call('HGET', KEYS[i], 'state') == 'available' then
    redis.call('HSET', KEYS[i], 'state', 'reserved', 'state_since', ARGV[4], 'call_id', ARGV[1],
               'last_offered_at', ARGV[4], 'break_reason', '')
    got[#got + 1] = ARGV[i + 4]
    members[#members + 1] = ARGV[i + 4]
  end
end
if #got == 0 then return {} end
if ARGV[5] ~= '1' then
  redis.call('HSET', KEYS[1], 'state', 'offering', 'agent_id', ARGV[6], 'owner', ARGV[2], 'offered_at', ARGV[4])
end
redis.call('HSET', KEYS[1], 'group', cjson.encode(members), 'lease', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return got
