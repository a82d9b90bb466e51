-- attractor.lua: is this signal chaotic, periodic or noise, and how chaotic?
local engine = require "engine"

-- A Henon map series (x coordinate), iterated here so the example stands alone.
local x, a, b = {}, 0.1, 0.1
for i = 1, 4000 + 1000 do
  a, b = 1 - 1.4 * a * a + b, 0.3 * a
  if i > 1000 then x[i - 1000] = a end
end

-- Largest Lyapunov exponent (Rosenstein), per iteration: expect ~0.42.
local ly = engine.lyapunov(x, { m = 2, tau = 1 })
print(("lambda = %.3f per step, 95%% CI [%.3f, %.3f], fit k = %d..%d"):format(
  ly.lambda, ly.ci[1], ly.ci[2], ly.fit[1], ly.fit[2]))

-- The same with Kantz's method (log of the neighbourhood-average distance).
local kz = engine.lyapunov(x, { method = "kantz", m = 2 })
print(("kantz lambda = %.3f"):format(kz.lambda))

-- Correlation dimension (Grassberger-Procaccia): expect ~1.2.
local cd = engine.corrdim(x, { m_min = 1, m_max = 4, r_max = 0.5 })
print(("D2 = %.2f over r in [%.3g, %.3g]"):format(cd.d2, cd.region[1], cd.region[2]))

-- Classification with its evidence.
local class, ev = engine.classify(x)
print(("class = %s (prediction error %.3f vs surrogates >= %.3f)"):format(
  class, ev.pred_err, ev.surr_err_min))

-- Everything in one call, run as a scheduled job.
local fut = engine.analyze_async(x, { surrogates = 19 })
local r = fut:wait()
print(("analyze: tau = %d (%s), m = %d, lambda = %.3f, D2 = %.2f, class = %s"):format(
  r.tau, r.tau_rule, r.m, r.lambda, r.d2, r.class))
