/**
 * Redis Lua scripts for the guards. Each runs atomically in Redis, so two workers on two hosts
 * can never both pass a guard that only one may pass.
 */

/**
 * Take or renew a lock: KEYS[1] lock, ARGV[1] holder (job id), ARGV[2] ttl ms.
 * The holder may take it again (a job rerun after its worker died). Returns 1 or 0.
 */
export const ACQUIRE_LOCK = `
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 1
end
return 0`;

/** Release only a lock we hold: KEYS[1] lock, ARGV[1] holder. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Counting semaphore with expiring slots (a dead worker's slot lapses):
 * KEYS[1] zset, ARGV[1] member, ARGV[2] limit, ARGV[3] now ms, ARGV[4] ttl ms. Returns 1 or 0.
 */
export const ACQUIRE_SLOT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
  return 1
end
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
  return 1
end
return 0`;

/**
 * Cooldown and budget, decided and recorded in one step under the target lock:
 * KEYS[1] cooldown key, KEYS[2] runs zset, KEYS[3] circuit key;
 * ARGV[1] job id, ARGV[2] now ms, ARGV[3] window ms (0: no budget), ARGV[4] max runs,
 * ARGV[5] record (1 to record the run, 0 to only decide: dry-run and simulate).
 * A job's own retries are not a new run: they pass its own cooldown and count once.
 * Returns {decision, a, b}: {'ok', runsInWindow, 0} | {'cooldown', remainingMs, 0} |
 * {'circuit_open', runsInWindow, msUntilASlotFrees}.
 */
export const ADMIT_RUN = `
local job, now, window, maxRuns, record = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1'
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= job then
  return {'cooldown', redis.call('PTTL', KEYS[1]), 0}
end
local used = 0
if window > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  local mine = redis.call('ZSCORE', KEYS[2], job)
  used = redis.call('ZCARD', KEYS[2])
  if not mine and used >= maxRuns then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    local frees = window
    if oldest[2] then frees = tonumber(oldest[2]) + window - now end
    if record then redis.call('SET', KEYS[3], used, 'PX', math.max(frees, 1)) end
    return {'circuit_open', used, frees}
  end
  if record and not mine then
    redis.call('ZADD', KEYS[2], now, job)
    redis.call('PEXPIRE', KEYS[2], window)
    used = used + 1
  end
end
return {'ok', used, 0}`;
