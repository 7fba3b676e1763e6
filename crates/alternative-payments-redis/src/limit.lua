-- One acquisition (or one 429) on the rate limit an API key's fleet
-- shares: GCRA with reservations, atomic because Redis runs a script
-- alone. Time is the Redis server's (TIME), so the fleet's clocks need not
-- agree.
--
-- KEYS[1]: the key's hash: rate, burst (the first process's, kept while
--          the fleet is active) and tat (the theoretical arrival time of
--          the next request, in microseconds).
-- ARGV[1]: "acquire" or "throttle".
-- ARGV[2], ARGV[3]: this process's rate per second and burst.
-- ARGV[4]: acquire: the furthest ahead a slot may be reserved, in
--          microseconds; throttle: the pause the API asked for.
-- Returns {wait in microseconds, 1 if a slot was reserved (send after the
-- wait) or 0 if not (ask again after the wait), stored rate, stored burst}.
if redis.replicate_commands then redis.replicate_commands() end
local key = KEYS[1]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local stored = redis.call('HMGET', key, 'rate', 'burst', 'tat')
local rate, burst = tonumber(stored[1]), tonumber(stored[2])
if not rate or not burst or rate <= 0 or burst < 1 then
  rate, burst = tonumber(ARGV[2]), tonumber(ARGV[3])
  redis.call('HSET', key, 'rate', ARGV[2], 'burst', ARGV[3])
end
-- 98 % of the rate, as the SDK's own limiter paces: a request sent exactly
-- on time can still arrive a little early.
local interval = 1000000 / (rate * 0.98)
-- One request of the burst in reserve, as the SDK's own limiter keeps it:
-- a burst that reaches the API late must not leave its bucket emptier
-- than ours when the next request arrives on time (issue #28).
local room = burst - 1
if room < 1 then room = 1 end
local tat = tonumber(stored[3]) or now
if tat < now then tat = now end
local wait, reserved = 0, 1
if ARGV[1] == 'throttle' then
  -- An empty bucket after the pause: the next slot is one interval later.
  local resume = now + tonumber(ARGV[4]) + room * interval
  if resume > tat then tat = resume end
else
  local slot = tat - (room - 1) * interval
  if slot < now then slot = now end
  wait = slot - now
  if wait > tonumber(ARGV[4]) then
    wait, reserved = wait - tonumber(ARGV[4]), 0
  else
    tat = tat + interval
  end
end
redis.call('HSET', key, 'tat', string.format('%.0f', tat))
-- An idle fleet's key goes a minute after its last reservation is due.
redis.call('PEXPIRE', key, math.ceil((tat - now) / 1000) + 60000)
return {math.floor(wait), reserved, tostring(rate), burst}
