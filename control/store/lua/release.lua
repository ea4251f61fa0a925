-- KEYS: agent, call, leases, waiting, available   ARGV: call_id, agent_id, agent_state, now, requeue(0/1)
-- The agent is freed only if it holds this call; the call is requeued or dropped only if this
-- agent holds it: a call nobody holds is already back in line (a stale release, e.g. reconcile
-- acting on an agent it read before the offer ended, must not drop a waiting caller). A conversation (connected) never goes back in line: only a
-- callback call, whose customer was not reached, may (control/domain/call_state.py).
local astate = redis.call('HGET', KEYS[1], 'state')
if astate then
  local acall = redis.call('HGET', KEYS[1], 'call_id') or ''
  if acall == ARGV[1] or (acall == '' and (astate == 'reserved' or astate == 'on_call')) then
    if astate == 'on_call' then
      local since = tonumber(redis.call('HGET', KEYS[1], 'state_since') or ARGV[4]) or tonumber(ARGV[4])
      local talk = tonumber(ARGV[4]) - since
      if talk < 0 then talk = 0 end
      redis.call('HINCRBY', KEYS[1], 'calls_taken', 1)
      redis.call('HINCRBYFLOAT', KEYS[1], 'talk_time_s', talk)
    end
    if ARGV[3] == 'available' and astate ~= 'available' then
      redis.call('HSET', KEYS[1], 'idle_since', ARGV[4])
    end
    if ARGV[3] ~= astate then
      redis.call('HSET', KEYS[1], 'state_since', ARGV[4])
    end
    redis.call('HSET', KEYS[1], 'state', ARGV[3], 'call_id', '', 'break_reason', '')
    -- the index of available agents (see set_agent_state.lua)
    if ARGV[3] == 'available' then
      local idle = tonumber(redis.call('HGET', KEYS[1], 'idle_since')) or tonumber(ARGV[4])
      redis.call('ZADD', KEYS[5], idle, ARGV[2])
    elseif ARGV[3] ~= 'reserved' then
      redis.call('ZREM', KEYS[5], ARGV[2])
    end
  end
end
local cstate = redis.call('HGET', KEYS[2], 'state')
if cstate then
  local holder = redis.call('HGET', KEYS[2], 'agent_id') or ''
  if holder == ARGV[2] then
    local requeue = ARGV[5] == '1'
    if requeue and cstate == 'connected' then
      local ok, data = pcall(cjson.decode, redis.call('HGET', KEYS[2], 'd') or '{}')
      requeue = ok and type(data) == 'table' and data['kind'] == 'callback'
    end
    if requeue then
      redis.call('HSET', KEYS[2], 'state', 'queued', 'agent_id', '', 'lease', '', 'owner', '')
      local seq = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0') or 0
      redis.call('ZADD', KEYS[4], seq, ARGV[1])
    else
      redis.call('DEL', KEYS[2])
      redis.call('ZREM', KEYS[4], ARGV[1])
    end
    redis.call('ZREM', KEYS[3], ARGV[1])
  end
else
  redis.call('ZREM', KEYS[3], ARGV[1])
end
return 1
