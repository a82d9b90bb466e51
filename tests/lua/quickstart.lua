-- quickstart.lua (test): examples/quickstart.lua runs through `engine`, exits 0
-- and prints each of its sections with plausible numbers.
local t = require "tap"
local exe = os.getenv("ENGINE") or arg[-1]
local src = os.getenv("ENGINE_SRCDIR") or "."
local script = src .. "/examples/quickstart.lua"

local p = assert(io.popen(("%q %q 2>&1"):format(exe, script)))
local out = p:read("a")
local ok, how, code = p:close()
t.ok(ok and how == "exit" and code == 0, "quickstart exits 0", out)
t.ok(out:find("engine %d+%.%d+%.%d+: %d+ workers"), "prints the version and worker count")
t.ok(out:find("== workers", 1, true) and out:find("worker%s+pu%s+core%s+numa%s+pinned"), "prints the worker table")
local rows = 0
for line in out:gmatch("[^\n]+") do
  if line:match("^%s+%d+%s+%-?%d+%s+%-?%d+%s+%-?%d+%s+[yn][eo]s?$") then rows = rows + 1 end
end
t.ok(rows >= 1, "one row per worker with its pinning", out)
t.ok(out:find("== workload", 1, true) and out:find("601 spin tasks", 1, true), "prints the workload")
for _, prio in ipairs({ "high", "normal", "low" }) do
  t.ok(out:find("\n" .. prio .. "%s+[%d.]+ us%s+[%d.]+ us%s+[%d.]+ us"), "queue wait percentiles for " .. prio)
end
t.ok(out:find("== scheduler stats", 1, true), "prints the scheduler stats")
local submitted = tonumber(out:match("submitted (%d+)"))
t.ok(submitted and submitted >= 601, "stats count the workload's submissions", out)
-- Every task was waited for, and a task is counted before its future completes.
local executed = tonumber(out:match("executed (%d+)"))
t.ok(executed == submitted, "stats count every waited-for task as executed", out)
t.ok(out:find("queue_wait%s+[%d.]+ us") and out:find("run_time%s+[%d.]+ us"), "latency percentiles printed")
local misses = tonumber(out:match("deadline misses (%d+)"))
t.ok(misses and misses >= 1, "the deliberately late task is counted as a deadline miss")
t.ok(out:find("== analysis", 1, true), "prints the analysis section")
-- Henon's published largest exponent is 0.419 per step (Sprott 2003, table A.1).
local lambda = tonumber(out:match("lambda ([%d.]+) per step"))
t.ok(lambda and math.abs(lambda - 0.419) < 0.03, "the Henon exponent is near 0.419", out)
t.ok(out:find("class chaotic", 1, true), "the Henon map is classified chaotic")
-- The request at step 4 is never acknowledged: the property fails there.
t.ok(out:find("on the log: false, decided at step 4", 1, true), "the LTL check finds the violation at step 4")
t.done()
