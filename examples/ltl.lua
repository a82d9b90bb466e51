-- ltl.lua: checking logs and telemetry against temporal properties (run: engine examples/ltl.lua)
local engine = require "engine"
local ltl = engine.ltl

-- A property in Spot's syntax: every request is acknowledged within 2 steps.
local p = assert(ltl.parse("G (req -> F[0,2] ack)"))
print("property:", tostring(p), "atoms:", table.concat(p:atoms(), ", "))

-- A trace as a list of sets of true atoms (atoms not listed are false).
local log = { {"req"}, {}, {"ack"}, {"req"}, {}, {} }
local ok, step = p:check(log)
print("holds:", ok, "decided at step:", step)   --> false, 4 (the request at step 4 is never acknowledged)

-- Numeric signals: quoted comparisons over record traces.
local telemetry = {
  { valve = false, pressure = 1.5 },
  { valve = true,  pressure = 4.0 },
  { valve = false, pressure = 6.2 },
  { valve = true,  pressure = 2.0 },
}
print("valve never opens under high pressure:",
      ltl.check('G !(valve & "pressure > 5")', telemetry))

-- Syntax errors come back as nil, a message with a caret line, and "EPARSE".
local f, msg, code = ltl.parse("G (req -> F[0,2] )")
print(code) print(msg)

-- Online: a monitor gives the verdict so far and whether it is final.
local m = ltl.monitor("G (req -> F[0,2] ack)")
for i, state in ipairs(log) do
  local verdict, final, three = m:step(state)
  print(("step %d: verdict %s, final %s (%s)"):format(i, tostring(verdict), tostring(final), three))
end

-- Many traces x many formulas as one scheduled job (one task per trace).
local sessions = { {{"req"}, {"ack"}}, {{"req"}, {}, {}, {}}, {} }
local results, steps = ltl.check_many({ p, "F ack" }, sessions)
for t = 1, #sessions do
  print(("session %d: %s %s"):format(t, tostring(results[t][1]), tostring(results[t][2])))
end
-- The same as a future.
local fut = ltl.check_many_async({ p }, sessions)
local r = fut:wait()
print("async session 2:", r[2][1])
