-- core.lua: the engine module's core: version, workers, topology, clock,
-- spin jobs, futures (wait, timeout, cancel, collection), wait_all, stats,
-- priorities and deadlines, and argument errors.
local t = require "tap"
local engine = engine or require "engine"

local MS = 1000000

-- version, workers, topology, clock ------------------------------------------
t.ok(type(engine.version) == "string" and engine.version:match("^%d+%.%d+%.%d+$"), "version is x.y.z")
local nw = engine.workers()
t.ok(math.type(nw) == "integer" and nw >= 1, "workers() is a positive integer")
local topo = engine.topology()
t.is(#topo, nw, "topology has one entry per worker")
local seen, fields_ok = {}, true
for _, p in ipairs(topo) do
  seen[p.worker] = true
  fields_ok = fields_ok and math.type(p.pu) == "integer" and math.type(p.core) == "integer"
    and math.type(p.numa_node) == "integer" and type(p.pinned) == "boolean"
  if p.pinned then fields_ok = fields_ok and p.pu >= 0 end
end
local all_seen = true
for w = 0, nw - 1 do all_seen = all_seen and seen[w] == true end
t.ok(all_seen, "topology lists workers 0..n-1")
t.ok(fields_ok, "topology entries have integer pu/core/numa_node and boolean pinned")
local ci = engine.clock()
t.ok(type(ci.tsc) == "boolean" and type(ci.tsc_ghz) == "number" and math.type(ci.resolution_ns) == "integer",
  "clock() describes the clock")

local a = engine.now()
engine.sleep(0.02)
local b = engine.now()
t.ok(math.type(a) == "integer" and b - a >= 20 * MS, "sleep(0.02) lasts at least 20 ms on engine.now()")
t.ok(b - a < 2000 * MS, "sleep(0.02) returns within 2 s")

-- spin and futures -------------------------------------------------------------
local w, run_ns, wait_ns, start_ns = engine.spin(200000)
t.ok(math.type(w) == "integer" and w >= 0 and w < nw, "spin runs on a worker (index in [0, n))")
t.ok(run_ns >= 200000, "spin runs at least as long as asked")
t.ok(wait_ns >= 0 and start_ns >= a, "spin reports its queue wait and start time")

local f = engine.spin_async(1 * MS, { priority = "high" })
t.ok(tostring(f):find("engine.future", 1, true), "__tostring names engine.future")
local r1 = table.pack(f:wait())
t.is(r1.n, 4, "wait returns the spin's four values")
t.ok(r1[2] >= 1 * MS, "async spin ran its full length")
t.ok(f:done(), "done() after wait")
local r2 = table.pack(f:wait())
t.ok(r2.n == 4 and r2[1] == r1[1] and r2[2] == r1[2] and r2[4] == r1[4], "a second wait returns the same results")

-- timeouts
local slow = engine.spin_async(150 * MS)
local v, msg, code = slow:wait(0.005)
t.ok(v == nil and code == "ETIMEDOUT" and type(msg) == "string", "wait(timeout) times out with ETIMEDOUT")
t.ok(not slow:done(), "a timed-out future is still pending")
local sw, srun = slow:wait()
t.ok(sw ~= nil and srun >= 150 * MS, "the same future completes afterwards")
t.ok(slow:done(), "done() once complete")
t.is(slow:cancel(), false, "cancel() of a finished job loses")

-- cancellation of a job that has not started (delayed 10 s)
local later = engine.spin_async(0, { delay = 10000 * MS })
t.ok(not later:done(), "delayed job pending")
t.is(later:cancel(), true, "cancel() before start wins")
t.ok(later:done(), "cancelled future is done")
v, msg, code = later:wait()
t.ok(v == nil and code == "ECANCELED", "wait() of a cancelled job returns nil, msg, ECANCELED")
t.is(later:cancel(), false, "a second cancel() loses")

-- futures collected while pending or running must not crash or leak
do
  local pending = engine.spin_async(0, { delay = 10000 * MS })
  local running = engine.spin_async(30 * MS)
  local queued = {}
  for i = 1, 50 do queued[i] = engine.spin_async(10000, { priority = "low" }) end
  pending, running, queued = nil, nil, nil
end
collectgarbage()
collectgarbage()
t.ok(engine.spin(1000) ~= nil, "engine keeps working after futures were collected mid-flight")

-- wait_all
local fs = {}
local prios = { "critical", "high", "normal", "low", "background" }
for i = 1, 20 do fs[i] = engine.spin_async(20000, { priority = prios[(i - 1) % 5 + 1] }) end
local firsts, all = engine.wait_all(fs)
local ok = type(firsts) == "table" and #firsts == 20 and #all == 20
for i = 1, 20 do
  ok = ok and math.type(firsts[i]) == "integer" and all[i].n == 4 and all[i][1] == firsts[i] and all[i][2] >= 20000
end
t.ok(ok, "wait_all returns first values and packed results for every future")
t.is(#engine.wait_all({}), 0, "wait_all of an empty list is an empty list")

local c1 = engine.spin_async(0, { delay = 10000 * MS })
c1:cancel()
v, msg, code = engine.wait_all({ engine.spin_async(1000), c1, engine.spin_async(1000) })
t.ok(v == nil and code == "ECANCELED" and msg:find("future #2", 1, true), "wait_all reports the first failure by index")
local hold = engine.spin_async(100 * MS)
v, msg, code = engine.wait_all({ hold }, 0.001)
t.is(code, "ETIMEDOUT", "wait_all with a timeout times out")
hold:wait()

-- deadlines
v, msg, code = engine.spin_async(0, { deadline = 1, drop_late = true }):wait()
t.ok(v == nil and code == "EDEADLINE", "a job that cannot start by its deadline is dropped with EDEADLINE")

-- stats count exactly what was done on a quiet engine. A worker may record a
-- job's counters just after completing its future, so let the engine settle
-- before the reset and before the read.
engine.sleep(0.05)
engine.stats(true)
local K = 25
for _ = 1, K do engine.spin(100000) end
engine.sleep(0.05)
local st = engine.stats()
t.is(st.submitted, K, "stats: submitted counts the jobs since the reset")
t.is(st.executed, K, "stats: executed counts the jobs since the reset")
t.is(st.run_time.count, K, "stats: run_time has one sample per job")
t.ok(st.run_time.p50 >= 95000 and st.run_time.p50 <= 10 * MS, "stats: run_time p50 near the 100 us spin")
t.ok(st.run_time.max >= st.run_time.p99 and st.run_time.p99 >= st.run_time.p90 and st.run_time.p90 >= st.run_time.p50,
  "stats: percentiles are ordered")
t.ok(type(st.per_worker) == "table" and #st.per_worker == nw, "stats: per_worker counters")
t.is(st.workers, nw, "stats: workers")
engine.spin_async(0, { deadline = 1 }):wait()
t.ok(engine.stats().deadline_misses >= 1, "stats: a late start counts as a deadline miss")
engine.stats(true)
t.is(engine.stats().executed, 0, "stats(true) resets the counters")

-- priority and EDF order, on a one-worker engine in a child process -----------
local exe = os.getenv("ENGINE") or arg[-1]
local child = [[
local blocker = engine.spin_async(30000000, { priority = "critical" })
local fs, names = {}, {}
local function add(name, opts) fs[#fs + 1] = engine.spin_async(0, opts); names[#fs] = name end
add("low1", { priority = "low" }); add("normal1", { priority = "normal" }); add("high1", { priority = "high" })
add("low2", { priority = "low" }); add("bg", { priority = "background" }); add("high2", { priority = "high" })
add("n_d3", { priority = "normal", deadline = 3000000000 })
add("n_d1", { priority = "normal", deadline = 1000000000 })
add("n_d2", { priority = "normal", deadline = 2000000000 })
blocker:wait()
local _, all = assert(engine.wait_all(fs))
local order = {}
for i, r in ipairs(all) do order[i] = { names[i], r[4] } end
table.sort(order, function(x, y) return x[2] < y[2] end)
local out = {}
for i, o in ipairs(order) do out[i] = o[1] end
io.write(table.concat(out, " "))
]]
local tmp = os.tmpname()
local fh = assert(io.open(tmp, "w"))
fh:write(child)
fh:close()
local p = io.popen(("%q -w 1 %q"):format(exe, tmp))
local order = p:read("a")
p:close()
os.remove(tmp)
t.is(order, "high1 high2 n_d1 n_d2 n_d3 normal1 low1 low2 bg",
  "one worker runs by priority, deadlines first (earliest first) within a priority")

-- argument errors name the argument ---------------------------------------------
t.raises(function() engine.spin(-1) end, "bad argument #1 to 'spin'", "spin(-1)")
t.raises(function() engine.spin("x") end, "bad argument #1 to 'spin'", "spin('x')")
t.raises(function() engine.spin(1.5) end, "bad argument #1 to 'spin'", "spin(1.5)")
t.raises(function() engine.spin(10, 5) end, "bad argument #2 to 'spin'", "spin with a non-table options")
t.raises(function() engine.spin(10, { priority = "urgent" }) end,
  "bad argument #2 to 'spin' (field 'priority' must be one of 'critical', 'high', 'normal', 'low', 'background'",
  "unknown priority names the field and the choices")
t.raises(function() engine.spin_async(10, { delay = -5 }) end,
  "bad argument #2 to 'spin_async' (field 'delay' must be a non-negative integer)", "negative delay")
t.raises(function() engine.spin_async(10, { deadline = "soon" }) end, "field 'deadline' must be an integer",
  "deadline of the wrong type")
t.raises(function() engine.spin(10, { drop_late = 1 }) end, "field 'drop_late' must be a boolean", "drop_late type")
t.raises(function() engine.wait_all({ 1 }) end, "engine.future expected at index 1, got number", "wait_all element type")
t.raises(function() engine.wait_all(nil) end, "bad argument #1 to 'wait_all'", "wait_all(nil)")
t.raises(function() engine.wait_all({}, -1) end, "bad argument #2 to 'wait_all'", "wait_all negative timeout")
t.raises(function() f:wait(-1) end, "bad argument #1 to 'wait'", "wait(-1)")
t.raises(function() f.wait(nil) end, "engine.future expected, got nil", "wait on a non-future")
t.raises(function() engine.sleep(-1) end, "bad argument #1 to 'sleep'", "sleep(-1)")
t.raises(function() engine.stats("yes") end, "bad argument #1 to 'stats'", "stats('yes')")

t.done()
