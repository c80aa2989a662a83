"""The Lua scripts behind ``RedisFlashStore``: one script per operation, each atomic.

Every key a script touches arrives in ``KEYS`` (built by the caller, all under the
sale's hash tag), so each script runs on one Redis Cluster slot.  Per sale:

* ``loaded`` / ``remaining`` / ``reserved`` / ``sold``: hashes SKU → units;
* ``used``: hash "<len(customer)>:<customer><sku>" → units the customer submitted;
* ``refs``: hash ref → a JSON record ``{k: sku, q: quantity, c: customer, f: used
  field, s: stock state, l: limit state, n: number of a refusal, g: 1 if the gate
  made it}``; stock states ``h`` held, ``s`` sold, ``r`` released, ``x`` refused;
  limit states ``u`` used, ``c`` confirmed (paid), ``g`` given back, ``x`` refused;
* ``paused``: present while submissions are paused (reconciliation, ``rebuild``).

Replies are small integer arrays; the first number is a code the Python side maps
to an answer or an error (``flash_store``).
"""

from __future__ import annotations

#: KEYS remaining, reserved, used, refs, paused; ARGV sku, customer, quantity, ref,
#: limit (-1: none), used field.  {1} held; {2, used} over the limit; {3, left} sold
#: out; {4} spent (closed); {-1, record} ref reused otherwise; {-2} SKU not loaded;
#: {-3} paused; {-4, record} ref made by the plain ports.
SUBMIT = """
local raw = redis.call('HGET', KEYS[4], ARGV[4])
local qty = tonumber(ARGV[3])
if raw then
  local r = cjson.decode(raw)
  if r.g ~= 1 then return {-4, raw} end
  if r.k ~= ARGV[1] or r.c ~= ARGV[2] or r.q ~= qty then return {-1, raw} end
  if r.s == 'h' or r.s == 's' then return {1} end
  if r.s == 'r' then return {4} end
  if r.s == 'x' then return {3, r.n} end
  return {2, r.n}
end
if redis.call('EXISTS', KEYS[5]) == 1 then return {-3} end
local left = redis.call('HGET', KEYS[1], ARGV[1])
if not left then return {-2} end
left = tonumber(left)
local limit = tonumber(ARGV[5])
if limit >= 0 then
  local used = tonumber(redis.call('HGET', KEYS[3], ARGV[6]) or '0')
  if used + qty > limit then
    redis.call('HSET', KEYS[4], ARGV[4], cjson.encode(
      {g = 1, k = ARGV[1], c = ARGV[2], q = qty, f = ARGV[6], l = 'x', n = used}))
    return {2, used}
  end
end
if left < qty then
  redis.call('HSET', KEYS[4], ARGV[4], cjson.encode(
    {g = 1, k = ARGV[1], c = ARGV[2], q = qty, f = ARGV[6], s = 'x', n = left}))
  return {3, left}
end
redis.call('HINCRBY', KEYS[1], ARGV[1], -qty)
redis.call('HINCRBY', KEYS[2], ARGV[1], qty)
redis.call('HINCRBY', KEYS[3], ARGV[6], qty)
redis.call('HSET', KEYS[4], ARGV[4], cjson.encode(
  {g = 1, k = ARGV[1], c = ARGV[2], q = qty, f = ARGV[6], s = 'h', l = 'u'}))
return {1}
"""

#: KEYS remaining, reserved, refs, paused; ARGV sku, quantity, ref.
#: {1} held (now or first time); {0} refused (now or first time); {-1, record} reused
#: otherwise; {-2} SKU not loaded; {-3} paused.
RESERVE = """
local raw = redis.call('HGET', KEYS[3], ARGV[3])
local qty = tonumber(ARGV[2])
local r = nil
if raw then
  r = cjson.decode(raw)
  if r.k ~= ARGV[1] or r.q ~= qty then return {-1, raw} end
  if r.s == 'x' then return {0} end
  if r.s then return {1} end
end
if redis.call('EXISTS', KEYS[4]) == 1 then return {-3} end
local left = redis.call('HGET', KEYS[1], ARGV[1])
if not left then return {-2} end
left = tonumber(left)
r = r or {k = ARGV[1], q = qty}
if left < qty then
  r.s = 'x'
  r.n = left
  redis.call('HSET', KEYS[3], ARGV[3], cjson.encode(r))
  return {0}
end
redis.call('HINCRBY', KEYS[1], ARGV[1], -qty)
redis.call('HINCRBY', KEYS[2], ARGV[1], qty)
r.s = 'h'
redis.call('HSET', KEYS[3], ARGV[3], cjson.encode(r))
return {1}
"""

#: KEYS used, refs, paused; ARGV sku, customer, quantity, ref, limit (-1: none), field.
#: {1} used (now or first time); {2, used} over the limit (not recorded, as the
#: reference ledger); {-1, record} reused otherwise; {-3} paused; {-5} given back.
USE = """
local raw = redis.call('HGET', KEYS[2], ARGV[4])
local qty = tonumber(ARGV[3])
local r = nil
if raw then
  r = cjson.decode(raw)
  if r.k ~= ARGV[1] or r.q ~= qty or (r.c and r.c ~= ARGV[2]) then return {-1, raw} end
  if r.l == 'g' then return {-5} end
  if r.l == 'x' then return {2, r.n} end
  if r.l then return {1} end
end
if redis.call('EXISTS', KEYS[3]) == 1 then return {-3} end
local used = tonumber(redis.call('HGET', KEYS[1], ARGV[6]) or '0')
local limit = tonumber(ARGV[5])
if limit >= 0 and used + qty > limit then return {2, used} end
redis.call('HINCRBY', KEYS[1], ARGV[6], qty)
r = r or {k = ARGV[1], q = qty}
r.c = ARGV[2]
r.f = ARGV[6]
r.l = 'u'
redis.call('HSET', KEYS[2], ARGV[4], cjson.encode(r))
return {1}
"""

#: KEYS reserved, sold, refs; ARGV ref.  {1} confirmed now; {0} already; {-1} unknown;
#: {-2} released (FS-3); {-3} refused (FS-5); {-4} limit given back (FS-3).
CONFIRM = """
local raw = redis.call('HGET', KEYS[3], ARGV[1])
if not raw then return {-1} end
local r = cjson.decode(raw)
if r.s then
  if r.s == 'h' then
    redis.call('HINCRBY', KEYS[1], r.k, -r.q)
    redis.call('HINCRBY', KEYS[2], r.k, r.q)
    r.s = 's'
    if r.l == 'u' then r.l = 'c' end
    redis.call('HSET', KEYS[3], ARGV[1], cjson.encode(r))
    return {1}
  end
  if r.s == 's' then
    if r.l == 'u' then
      r.l = 'c'
      redis.call('HSET', KEYS[3], ARGV[1], cjson.encode(r))
    end
    return {0}
  end
  if r.s == 'r' then return {-2} end
  return {-3}
end
if r.l == 'u' then
  r.l = 'c'
  redis.call('HSET', KEYS[3], ARGV[1], cjson.encode(r))
  return {1}
end
if r.l == 'c' then return {0} end
if r.l == 'g' then return {-4} end
return {-1}
"""

#: KEYS remaining, reserved, used, refs; ARGV ref, release stock (1/0), give back the
#: limit (1/0).  {released, given back} as 1/0 each.
CLOSE = """
local raw = redis.call('HGET', KEYS[4], ARGV[1])
if not raw then return {0, 0} end
local r = cjson.decode(raw)
local released, returned = 0, 0
if ARGV[2] == '1' and r.s == 'h' then
  redis.call('HINCRBY', KEYS[2], r.k, -r.q)
  redis.call('HINCRBY', KEYS[1], r.k, r.q)
  r.s = 'r'
  released = 1
end
if ARGV[3] == '1' and r.l == 'u' then
  if redis.call('HINCRBY', KEYS[3], r.f, -r.q) <= 0 then redis.call('HDEL', KEYS[3], r.f) end
  r.l = 'g'
  returned = 1
end
if released + returned > 0 then redis.call('HSET', KEYS[4], ARGV[1], cjson.encode(r)) end
return {released, returned}
"""

#: KEYS loaded, remaining, reserved, sold; ARGV sku, units.  {1} loaded now; {0} the
#: same number was loaded; {2, loaded} another number was.
LOAD = """
local have = redis.call('HGET', KEYS[1], ARGV[1])
if have then
  if tonumber(have) == tonumber(ARGV[2]) then return {0} end
  return {2, tonumber(have)}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], 0)
redis.call('HSET', KEYS[4], ARGV[1], 0)
return {1}
"""

#: KEYS loaded, remaining, reserved, sold; ARGV sku.  {loaded, remaining, reserved,
#: sold}, or {} when the SKU was never loaded: one consistent read.
LEVEL = """
local loaded = redis.call('HGET', KEYS[1], ARGV[1])
if not loaded then return {} end
return {tonumber(loaded), tonumber(redis.call('HGET', KEYS[2], ARGV[1])),
        tonumber(redis.call('HGET', KEYS[3], ARGV[1])),
        tonumber(redis.call('HGET', KEYS[4], ARGV[1]))}
"""

#: KEYS loaded, remaining, reserved, sold, used: every SKU's four numbers and every
#: customer's use, read at one instant.  {loaded pairs, remaining pairs, ...}.
SNAPSHOT = """
local out = {}
for i = 1, 5 do out[i] = redis.call('HGETALL', KEYS[i]) end
return out
"""

#: KEYS paused, then the N live keys, then their N staging copies.  Swaps the staging
#: copies in (a live key with no staging copy is deleted), only while paused.
#: 1 swapped; -1 not paused.
SWAP = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = (#KEYS - 1) / 2
for i = 1, n do
  local live, staged = KEYS[1 + i], KEYS[1 + n + i]
  if redis.call('EXISTS', staged) == 1 then
    redis.call('RENAME', staged, live)
  else
    redis.call('DEL', live)
  end
end
return 1
"""
