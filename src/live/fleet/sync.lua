-- One fleet sync in one round trip: absorb an instance's delta, then read the totals of every
-- deployment and budget it knows. The same rule as SharedTotals::absorb (src/router/sync.rs):
-- usage adds up per deployment and minute, the latest cooldown deadline wins, spend adds to the
-- budget's open window and a window that is over is replaced by the one the spend started.
-- Instants are integer microseconds since the Unix epoch, kept as the strings the caller sent
-- (a Lua number would print them in exponent form).
--
-- ARGV: now, usage deltas U, deployments D, budgets B, usage expiry (s), then
--   U x (requests, tokens), D x (cooldown deadline or 0), B x (has spend, start, period, amount)
-- KEYS: U usage keys written, D x (usage key of now's minute, cooldown key), B spend keys
-- Returns D x (requests, tokens, cooldown deadline) then B x (start, period, spent).
local now = tonumber(ARGV[1])
local nu, nd, nb = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local ttl = ARGV[5]
local a, k = 6, 1
for _ = 1, nu do
  redis.call('HINCRBY', KEYS[k], 'r', ARGV[a])
  redis.call('HINCRBY', KEYS[k], 't', ARGV[a + 1])
  redis.call('EXPIRE', KEYS[k], ttl)
  k, a = k + 1, a + 2
end
local out = {}
for _ = 1, nd do
  local usage, cooldown = KEYS[k], KEYS[k + 1]
  local mark = tonumber(ARGV[a])
  if mark > now then
    local current = tonumber(redis.call('GET', cooldown) or '0')
    if mark > current then
      local keep_ms = math.floor((mark - now) / 1000) + 60000
      redis.call('SET', cooldown, ARGV[a], 'PX', keep_ms)
    end
  end
  local counts = redis.call('HMGET', usage, 'r', 't')
  out[#out + 1] = counts[1] or '0'
  out[#out + 1] = counts[2] or '0'
  out[#out + 1] = redis.call('GET', cooldown) or '0'
  k, a = k + 2, a + 1
end
for _ = 1, nb do
  local key = KEYS[k]
  if ARGV[a] == '1' then
    local start, period, amount = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
    local window = redis.call('HMGET', key, 's', 'p')
    if not window[1] then
      redis.call('HSET', key, 's', start, 'p', period, 'x', '0')
      window = { start, period }
    end
    local ends = tonumber(window[1]) + tonumber(window[2])
    if now >= ends then
      local opens = ARGV[1]
      if tonumber(start) >= ends then opens = start end
      redis.call('HSET', key, 's', opens, 'p', period, 'x', '0')
    end
    redis.call('HINCRBYFLOAT', key, 'x', amount)
  end
  local w = redis.call('HMGET', key, 's', 'p', 'x')
  out[#out + 1] = w[1] or ''
  out[#out + 1] = w[2] or ''
  out[#out + 1] = w[3] or ''
  k, a = k + 1, a + 4
end
return out
