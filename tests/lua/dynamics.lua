-- dynamics.lua: generators, embed, delay, dimension and spectrum from Lua.
local t = require "tap"
local engine = require "engine"

-- Generators
local x = engine.lorenz(2000)
t.is(#x, 2000, "lorenz returns n samples")
local a, b, c = engine.lorenz(100, { coordinate = "xyz", dt = 0.005, substeps = 2 })
t.ok(#a == 100 and #b == 100 and #c == 100, "three coordinates as three series")
local h = engine.henon(10, { transient = 0, x0 = { 0.1, 0.1 } })
local hx, hy = 0.1, 0.1
local same = true
for i = 1, 10 do
  if h[i] ~= hx then same = false end
  hx, hy = 1 - 1.4 * hx * hx + hy, 0.3 * hx
end
t.ok(same, "henon matches the map iterated by hand")
local l = engine.logistic(5, { r = 3.7, x0 = { 0.25 }, transient = 0 })
t.near(l[2], 3.7 * 0.25 * 0.75, 1e-15, "logistic parameter r")
local n1 = engine.henon(500, { noise = 0.01, seed = 5 })
local n2 = engine.henon(500, { noise = 0.01, seed = 5 })
local n3 = engine.henon(500, { noise = 0.01, seed = 6 })
t.ok(n1[100] == n2[100] and n1[100] ~= n3[100], "noise is seeded")
local r = engine.rossler(50, { a = 0.1, b = 0.1, c = 14 })
t.is(#r, 50, "rossler with parameters")
t.raises(function() engine.henon(10, { coordinate = "z" }) end, "coordinate", "henon has no z")
t.raises(function() engine.lorenz(0) end, "bad argument #1", "length checked")
t.raises(function() engine.lorenz(10, { dt = -1 }) end, "dt", "dt checked")
local ok, msg, code = engine.logistic(10, { r = 5, x0 = { 0.5 } })
t.is(code, "ERANGE", "diverging orbit is ERANGE")

-- Embedding, checked by hand: row i = (x[i], x[i+2], x[i+4]).
local s = {}
for i = 1, 10 do s[i] = 100 + i end
local flat, rows, m = engine.embed(s, 3, 2)
t.is(rows, 6, "rows = n - (m-1) tau")
t.is(m, 3, "m returned")
t.ok(flat[1] == 101 and flat[2] == 103 and flat[3] == 105 and flat[16] == 106 and flat[18] == 110,
  "embedding indices")
local e1, e2, e3 = engine.embed(s, 6, 2)
t.is(e3, "ESHORT", "too short is ESHORT")
t.raises(function() engine.embed(s, 0, 1) end, "bad argument #2", "m = 0 raises")
t.raises(function() engine.embed(s, 2, 0) end, "bad argument #3", "tau = 0 raises")
t.raises(function() engine.embed({ 1, "x" }, 1, 1) end, "index 2", "non-number raises")
local _, _, nan = engine.embed({ 1, 0 / 0, 3 }, 1, 1)
t.is(nan, "ENAN", "NaN is ENAN")

-- Delay: ACF of a sine with period 40 crosses zero at 10.
local sine = {}
for i = 1, 4000 do sine[i] = math.sin(2 * math.pi * i / 40) end
local tau, acf, found = engine.delay(sine, { method = "acf", rule = "zero", max_lag = 60 })
t.ok(math.abs(tau - 10) <= 1 and found, "ACF zero at period/4")
t.is(#acf, 61, "curve has max_lag + 1 values")
t.near(acf[1], 1, 1e-12, "acf at lag 0")
local lx = engine.lorenz(20000)
local tami, ami = engine.delay(lx, { method = "ami", max_lag = 60 })
t.ok(tami >= 10 and tami <= 20, "AMI first minimum on Lorenz x in 10..20 samples: " .. tami)
local const = {}
for i = 1, 100 do const[i] = 3 end
local _, _, cc = engine.delay(const)
t.is(cc, "ECONST", "constant series is ECONST")
t.raises(function() engine.delay(sine, { method = "fft" }) end, "method", "unknown method raises")

-- Dimension
local hen = engine.henon(5000)
local mf, info = engine.dimension(hen, { method = "fnn" })
t.is(mf, 2, "FNN on Henon: m = 2")
t.ok(info.rtol == 15 and info.atol == 2 and info.fnn_max == 0.01 and #info.fnn == 10,
  "FNN reports its thresholds and curve")
local mc, cinfo = engine.dimension(hen, { method = "cao", m_max = 6 })
t.is(mc, 2, "Cao on Henon: m = 2")
t.ok(#cinfo.e1 == 6 and #cinfo.e2 == 6 and cinfo.cao_tol == 0.1, "Cao curves and tolerance")
local fut = engine.dimension_async(hen, { method = "fnn", m_max = 4 })
local mfa, infoa = fut:wait()
t.ok(mfa == 2 and infoa.fnn[1] == info.fnn[1], "dimension_async gives the same answer")
t.raises(function() engine.dimension(hen, { rtol = -1 }) end, "rtol", "rtol checked")

-- Spectrum from the equations
local ex, ky = engine.spectrum("henon")
t.near(ex[1], 0.41922, 0.01, "Henon largest exponent")
t.near(ex[1] + ex[2], math.log(0.3), 1e-9, "Henon sum = ln b")
t.near(ky, 1.258, 0.002, "Henon Kaplan-Yorke")
local lex, lky = engine.spectrum_async("lorenz"):wait()
t.near(lex[1], 0.9056, 0.01, "Lorenz largest exponent (async)")
t.near(lex[1] + lex[2] + lex[3], -(10 + 1 + 8 / 3), 1e-3, "Lorenz sum")
t.near(lky, 2.062, 0.002, "Lorenz Kaplan-Yorke")
local lg = engine.spectrum("logistic", { r = 4 })
t.near(lg[1], math.log(2), 1e-3, "logistic r = 4")
t.raises(function() engine.spectrum("duffing") end, "system", "unknown system raises")

-- Every _async variant returns a future with the synchronous results.
local fa = engine.henon_async(10, { transient = 0, x0 = { 0.1, 0.1 } }):wait()
t.ok(fa[1] == h[1] and fa[10] == h[10], "henon_async")
local xa, ya = engine.lorenz_async(20, { coordinate = "xy" }):wait()
t.ok(#xa == 20 and #ya == 20, "lorenz_async with two coordinates")
t.is(#engine.rossler_async(7):wait(), 7, "rossler_async")
t.is(#engine.logistic_async(7):wait(), 7, "logistic_async")
local ef, er = engine.embed_async(s, 3, 2):wait()
t.ok(er == 6 and ef[4] == 102, "embed_async")
local ta = engine.delay_async(sine, { method = "acf", max_lag = 60 }):wait()
t.is(ta, tau, "delay_async")

-- The example runs and agrees.
local src = os.getenv("ENGINE_SRCDIR") or "."
local saved = print
print = function() end
local okx, res = pcall(dofile, src .. "/examples/dynamics.lua")
print = saved
t.ok(okx, "examples/dynamics.lua runs", not okx and res or nil)
if okx then
  t.ok(res.m_fnn == 3 and res.m_cao == 3, "example finds m = 3 for Lorenz x")
  t.near(res.ky, 2.062, 0.002, "example Kaplan-Yorke")
end
t.done()
