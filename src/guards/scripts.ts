/**
 * The guards' Lua scripts. Each runs atomically in Redis, so two workers on two hosts can never
 * both pass a guard only one may pass, and all of a job's guards cost one round trip. Every key
 * a script gets is in its Docker host's hash slot (`{host}`, src/keys.ts): Cluster safe.
 */

/**
 * Check, and with `take` acquire, every guard of one step of one job, in this order (decide.ts
 * reads the reply in the same order):
 *   resolved marker -> target locks -> cooldown -> budget (circuit) -> in-flight cap -> share.
 * KEYS: [1] resolved marker, [2] in-flight zset, [3] share zset, then nLocks lock keys, nLocks
 *   lock-waiter zsets, then per subject: cooldown, runs zset, circuit key; last, the
 *   remediation's recurrence marker on this host (hostKeys.recurrenceOpen).
 * ARGV: [1] job id, [2] now ms, [3] lock/slot ttl ms, [4] max in flight, [5] share limit (0: no
 *   share), [6] budget window ms (0: no budget), [7] max runs, [8] admit (apply cooldown and
 *   budget: 1/0), [9] record the run (1/0), [10] check the resolved marker (1/0), [11] take
 *   (1: acquire; 0: only look, writing nothing), [12] nLocks, [13] nSubjects.
 * A job's own holds pass (its rerun after a crash, its retries): a lock or cooldown it holds,
 * a run it already counted, a slot it has.
 * Returns {blocker, a, b, c, inFlightUsed, shareUsed, runsInWindow}:
 *   blocker '' (all pass; taken when take=1), 'resolved', 'lock' (a = holder, b = pttl, c =
 *   lock index), 'cooldown' (a = holder, b = pttl, c = subject index), 'circuit_open' (b = ms
 *   until a run slot frees, c = subject index; or, for a fix that does not hold, a = the
 *   marker's reason and b = its pttl), 'in_flight', 'share'.
 */
export const ACQUIRE = `
local job, now, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local maxIn, shareLimit, window, maxRuns = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local admit, record, checkResolved, take = ARGV[8] == '1', ARGV[9] == '1', ARGV[10] == '1', ARGV[11] == '1'
local nLocks, nSubjects = tonumber(ARGV[12]), tonumber(ARGV[13])
local function counted(key, min)
  return redis.call('ZCOUNT', key, min, '+inf')
end
local inUsed = counted(KEYS[2], now)
local shareUsed = 0
if shareLimit > 0 then shareUsed = counted(KEYS[3], now) end
local runs = 0
local function reply(blocker, a, b, c)
  return {blocker, a or '', b or 0, c or 0, inUsed, shareUsed, runs}
end
if checkResolved and redis.call('EXISTS', KEYS[1]) == 1 then return reply('resolved') end
for i = 1, nLocks do
  local cur = redis.call('GET', KEYS[3 + i])
  if cur and cur ~= job then
    if take then
      local waiters = KEYS[3 + nLocks + i]
      redis.call('ZADD', waiters, now, job)
      redis.call('ZREMRANGEBYSCORE', waiters, '-inf', now - ttl)
      redis.call('PEXPIRE', waiters, ttl)
    end
    return reply('lock', cur, redis.call('PTTL', KEYS[3 + i]), i - 1)
  end
end
local base = 3 + 2 * nLocks
if admit then
  for s = 1, nSubjects do
    local cd = KEYS[base + (s - 1) * 3 + 1]
    local holder = redis.call('GET', cd)
    if holder and holder ~= job then return reply('cooldown', holder, redis.call('PTTL', cd), s - 1) end
  end
  -- A fix that does not hold: src/stats/feedback.ts sets the marker (value = why, TTL = how long)
  -- when the remediation's recurrence rate on this host is over guards.recurrence. While it
  -- lives the circuit is open, before the budget is spent. Read-only here; always the last key.
  local recurring = redis.call('GET', KEYS[#KEYS])
  if recurring then return reply('circuit_open', recurring, math.max(redis.call('PTTL', KEYS[#KEYS]), 1), 0) end
  if window > 0 then
    for s = 1, nSubjects do
      local rk, ck = KEYS[base + (s - 1) * 3 + 2], KEYS[base + (s - 1) * 3 + 3]
      local used = counted(rk, now - window)
      if used > runs then runs = used end
      if not redis.call('ZSCORE', rk, job) and used >= maxRuns then
        local oldest = redis.call('ZRANGEBYSCORE', rk, now - window, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
        local frees = window
        if oldest[2] then frees = tonumber(oldest[2]) + window - now end
        if take and record then redis.call('SET', ck, used, 'PX', math.max(frees, 1)) end
        return reply('circuit_open', '', math.max(frees, 1), s - 1)
      end
    end
  end
end
local mineIn = redis.call('ZSCORE', KEYS[2], job)
if not mineIn and inUsed >= maxIn then return reply('in_flight') end
if shareLimit > 0 and not redis.call('ZSCORE', KEYS[3], job) and shareUsed >= shareLimit then return reply('share') end
if not take then return reply('') end
for i = 1, nLocks do
  redis.call('SET', KEYS[3 + i], job, 'PX', ttl)
  redis.call('ZREM', KEYS[3 + nLocks + i], job)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + ttl, job)
redis.call('PEXPIRE', KEYS[2], ttl)
if shareLimit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  redis.call('ZADD', KEYS[3], now + ttl, job)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
if admit and record and window > 0 then
  for s = 1, nSubjects do
    local rk = KEYS[base + (s - 1) * 3 + 2]
    redis.call('ZREMRANGEBYSCORE', rk, '-inf', now - window)
    if not redis.call('ZSCORE', rk, job) then redis.call('ZADD', rk, now, job) end
    redis.call('PEXPIRE', rk, window)
    local used = redis.call('ZCARD', rk)
    if used > runs then runs = used end
  end
end
return reply('')`;

/**
 * Release what ACQUIRE took, start the cooldown when the step acted, and name the jobs waiting
 * for the released locks so the caller can wake them (no polling).
 * KEYS: [1] in-flight zset, [2] share zset, then nLocks lock keys, nLocks waiter zsets, then
 *   nSubjects cooldown keys.
 * ARGV: [1] job id, [2] now ms, [3] keep locks (1: the action could not be confirmed stopped,
 *   the locks stay until their TTL), [4] cooldown ms (0: none), [5] nLocks, [6] nSubjects,
 *   [7] ttl ms (how old a waiter entry may be).
 * Returns the waiting job ids.
 */
export const RELEASE = `
local job, now, keep, cooldown = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1', tonumber(ARGV[4])
local nLocks, nSubjects, ttl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('ZREM', KEYS[1], job)
redis.call('ZREM', KEYS[2], job)
local wake = {}
if not keep then
  for i = 1, nLocks do
    if redis.call('GET', KEYS[2 + i]) == job then redis.call('DEL', KEYS[2 + i]) end
    local w = KEYS[2 + nLocks + i]
    redis.call('ZREMRANGEBYSCORE', w, '-inf', now - ttl)
    for _, id in ipairs(redis.call('ZRANGE', w, 0, 49)) do wake[#wake + 1] = id end
  end
end
if cooldown > 0 then
  for s = 1, nSubjects do redis.call('SET', KEYS[2 + 2 * nLocks + s], job, 'PX', cooldown) end
end
return wake`;
