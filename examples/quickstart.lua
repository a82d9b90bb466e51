-- quickstart.lua: a first look at the engine: where its workers run, a short
-- scheduled workload of mixed priorities, and what the scheduler measured.
--
--   engine examples/quickstart.lua            (the engine program)
--   lua5.4 -e 'engine = require "engine"' examples/quickstart.lua
local engine = engine or require "engine"

local function us(ns) return string.format("%9.1f us", ns / 1e3) end

-- 1. The engine and its workers -------------------------------------------
print(("engine %s: %d workers"):format(engine.version, engine.workers()))
local clock = engine.clock()
if clock.tsc then
  print(("clock: TSC at %.3f GHz, resolution %d ns"):format(clock.tsc_ghz, clock.resolution_ns))
else
  print(("clock: clock_gettime, resolution %d ns"):format(clock.resolution_ns))
end
local m = engine.machine()
if m then print(("machine: %d PUs, %d cores, %d NUMA nodes"):format(m.pus, m.cores, m.numa_nodes)) end

print("\n== workers")
print("worker   pu  core  numa  pinned")
for _, p in ipairs(engine.topology()) do
  print(("%6d %4d %5d %5d  %s"):format(p.worker, p.pu, p.core, p.numa_node, p.pinned and "yes" or "no"))
end

-- 2. A scheduled workload ---------------------------------------------------
-- Busy-work tasks of known length (engine.spin_async runs a calibrated spin on
-- a worker) submitted at three priorities, a little more than the workers can
-- absorb at once, so queues form and priorities matter.
local PRIOS = { "high", "normal", "low" }
local PER_PRIO, TASK_NS = 200, 20000 -- 200 tasks of 20 us per priority
engine.stats(true) -- start counting from zero

local futures, prio_of = {}, {}
local t0 = engine.now()
for i = 1, PER_PRIO do
  for _, prio in ipairs(PRIOS) do
    local f = assert(engine.spin_async(TASK_NS, { priority = prio, block = true }))
    futures[#futures + 1] = f
    prio_of[#futures] = prio
  end
end
-- One task with a deadline it cannot meet behind that queue: counted as a miss.
futures[#futures + 1] = assert(engine.spin_async(1000, { priority = "low", deadline = 1000 }))
prio_of[#futures] = "low"
local _, all = assert(engine.wait_all(futures))
local elapsed = engine.now() - t0

-- Each result is worker, run_ns, wait_ns, start_ns.
local waits, per_worker = {}, {}
for i, r in ipairs(all) do
  local worker, wait_ns = r[1], r[3]
  local p = prio_of[i]
  waits[p] = waits[p] or {}
  table.insert(waits[p], wait_ns)
  per_worker[worker] = (per_worker[worker] or 0) + 1
end

print("\n== workload")
print(("%d spin tasks of %d us at priorities high/normal/low in %.2f ms"):format(
  #futures, TASK_NS // 1000, elapsed / 1e6))
local ids = {}
for w in pairs(per_worker) do ids[#ids + 1] = w end
table.sort(ids)
for _, w in ipairs(ids) do print(("  worker %d ran %d tasks"):format(w, per_worker[w])) end

print("\nqueue wait by priority (measured in the tasks)")
print("priority        p50           p90           p99")
local function pct(t, q) return t[math.max(1, math.ceil(q * #t))] end
for _, p in ipairs(PRIOS) do
  local t = waits[p]
  table.sort(t)
  print(("%-8s %s  %s  %s"):format(p, us(pct(t, 0.5)), us(pct(t, 0.9)), us(pct(t, 0.99))))
end

-- 3. What the scheduler measured ---------------------------------------------
local s = engine.stats()
print("\n== scheduler stats")
print(("submitted %d  executed %d  stolen %d  parked %d  woken %d"):format(
  s.submitted, s.executed, s.stolen, s.parked, s.woken))
print(("deadline misses %d  cancelled %d  rejected %d"):format(s.deadline_misses, s.cancelled, s.rejected))
print("latency            p50           p90           p99           max   count")
for _, k in ipairs({ "queue_wait", "run_time" }) do
  local l = s[k]
  print(("%-10s %s  %s  %s  %s  %6d"):format(k, us(l.p50), us(l.p90), us(l.p99), us(l.max), l.count))
end

-- 4. An analysis on the same workers -----------------------------------------
-- Is the Henon map chaotic, and how chaotic? (published: lambda = 0.419 per step)
print("\n== analysis")
local h = engine.henon(5000)
local r = engine.analyze_async(h, { surrogates = 19 }):wait()
print(("henon x, %d points: delay %d, dimension %d, lambda %.3f per step, D2 %.2f, class %s"):format(
  #h, r.tau, r.m, r.lambda, r.d2, r.class))

-- How far apart are two noisy copies of a shape? (DTW absorbs the time shift)
local a, b = {}, {}
for i = 1, 200 do
  a[i] = math.sin(i / 10)
  b[i] = math.sin((i + 7) / 10)
end
print(("dtw(sin, shifted sin) = %.3f   (lock-step squared distance %.3f)"):format(
  engine.dtw(a, b, { window = 20 }),
  (function() local s = 0 for i = 1, 200 do s = s + (a[i] - b[i]) ^ 2 end return s end)()))

-- Does a log satisfy "every request is acknowledged within 2 steps"?
local ok, step = engine.ltl.check("G (req -> F[0,2] ack)", { {"req"}, {}, {"ack"}, {"req"}, {}, {} })
print(("G (req -> F[0,2] ack) on the log: %s, decided at step %d"):format(tostring(ok), step))
