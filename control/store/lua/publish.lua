-- KEYS: stream   ARGV: pub/sub channel, message (a JSON object), maxlen
-- XADD to the capped stream, then PUBLISH the message with its stream id: one round trip.
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'data', ARGV[2])
local rest = string.sub(ARGV[2], 2)
if rest ~= '}' then rest = ',' .. rest end
redis.call('PUBLISH', ARGV[1], '{"stream_id":"' .. id .. '"' .. rest)
return id
