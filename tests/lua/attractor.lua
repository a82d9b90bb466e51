-- attractor.lua: lyapunov, corrdim, classify and analyze from Lua, sync and async.
local t = require "tap"
local engine = require "engine"

-- Henon x by hand (independent of the library's generators)
local function henon(n)
  local x, a, b = {}, 0.1, 0.1
  for i = 1, n + 1000 do
    a, b = 1 - 1.4 * a * a + b, 0.3 * a
    if i > 1000 then x[i - 1000] = a end
  end
  return x
end

local x = henon(5000)

local r = engine.lyapunov(x, { m = 2, tau = 1 })
t.near(r.lambda, 0.419, 0.015, "henon rosenstein exponent (per iteration)")
t.ok(type(r.curve) == "table" and #r.curve == r.kmax + 1, "divergence curve returned")
t.ok(r.fit[1] < r.fit[2] and r.ci[1] <= r.lambda and r.lambda <= r.ci[2], "fit range and CI")
local k = engine.lyapunov(x, { method = "kantz", m = 2, dt = 0.5 })
t.near(k.lambda, 0.419, 0.015, "henon kantz exponent")
t.near(k.lambda_time, k.lambda / 0.5, 1e-12, "per time unit = per sample / dt")
local g = engine.lyapunov(x, { fit_lo = 1, fit_hi = 5 })
t.ok(g.fit[1] == 1 and g.fit[2] == 5, "given fit range is used")

local fut = engine.lyapunov_async(x, { m = 2 })
local ra = fut:wait()
t.is(ra.lambda, r.lambda, "async gives the same exponent")

local c = engine.corrdim(x, { m_min = 1, m_max = 4, r_max = 0.5 })
t.ok(c.d2 > 1.0 and c.d2 < 1.4, "henon D2 in range", c.d2)
t.ok(#c.radii > 0 and #c.logc[4] == #c.radii and c.slopes[4] ~= nil, "log C(r) curves per m")
t.ok(c.region[1] < c.region[2], "scaling region reported")
local ca = engine.corrdim_async(x, { m_min = 1, m_max = 4, r_max = 0.5 }):wait()
t.is(ca.d2, c.d2, "corrdim_async")

local cls, ev = engine.classify(x)
t.is(cls, "chaotic", "henon is chaotic")
t.ok(ev.surrogate_reject and ev.lambda_ci[1] > 0, "evidence: surrogates rejected, exponent > 0")
local sine = {}
for i = 1, 4000 do sine[i] = math.sin(2 * math.pi * i / 29.7) end
t.is((engine.classify(sine)), "limit_cycle", "sine is a limit cycle")
local cls2 = engine.classify_async(sine):wait()
t.is(cls2, "limit_cycle", "classify_async")

local an = engine.analyze(x, { surrogates = 9 })
t.is(an.class, "chaotic", "analyze class")
t.ok(an.tau >= 1 and an.m >= 1 and an.tau_rule ~= nil, "analyze reports its choices")
t.ok(an.lyapunov.lambda > 0.3 and an.d2 > 0.8, "analyze exponent and D2")
local an2 = engine.analyze_async(x, { surrogates = 9 }):wait()
t.is(an2.lambda, an.lambda, "analyze_async")

-- errors: operational -> nil, message, code; argument -> raised
local bad = {}
for i = 1, 100 do bad[i] = 1.0 end
local v, msg, code = engine.lyapunov(bad)
t.ok(v == nil and code == "ECONST", "constant series is ECONST", code)
bad[50] = 0 / 0
v, msg, code = engine.corrdim(bad)
t.is(code, "ENAN", "NaN is ENAN")
v, msg, code = engine.lyapunov({ 1, 2, 3 })
t.is(code, "ESHORT", "too short is ESHORT")
t.raises(function() engine.lyapunov(x, { m = 0 }) end, "m", "m = 0 raises")
t.raises(function() engine.lyapunov(x, { tau = 0 }) end, "tau", "tau = 0 raises")
t.raises(function() engine.lyapunov(x, { method = "wolf" }) end, "method", "unknown method")
t.raises(function() engine.classify("x") end, "bad argument #1", "series type checked")

-- the example script runs
local src = os.getenv("ENGINE_SRCDIR")
if src then
  local ok, err = pcall(dofile, src .. "/examples/attractor.lua")
  t.ok(ok, "examples/attractor.lua runs", err)
end
t.done()
