-- dynamics.lua: generate a Lorenz series, pick delay and dimension, embed it,
-- and compare with the Lyapunov spectrum computed from the equations.
-- Run: engine examples/dynamics.lua
local engine = require "engine"

-- 10^4 samples of the x coordinate, dt = 0.01 time units, after 5000 discarded.
local x = engine.lorenz(10000, { dt = 0.01, coordinate = "x" })

-- Delay: first minimum of the average mutual information (Fraser & Swinney 1986).
local tau, ami = engine.delay(x, { method = "ami", max_lag = 60 })
print(("delay (AMI first minimum): %d samples = %.2f time units"):format(tau, tau * 0.01))

-- Dimension: false nearest neighbours (Kennel et al. 1992) and Cao (1997).
local m_fnn, fnn = engine.dimension(x, { method = "fnn", tau = tau, m_max = 8 })
print(("FNN: m = %d (rtol %g, atol %g, fraction <= %g)"):format(m_fnn, fnn.rtol, fnn.atol, fnn.fnn_max))
for d, f in ipairs(fnn.fnn) do print(("  m=%d  false fraction %.4f"):format(d, f)) end
local m_cao, cao = engine.dimension(x, { method = "cao", tau = tau, m_max = 8 })
print(("Cao: m = %d"):format(m_cao))
for d = 1, #cao.e1 do print(("  d=%d  E1 %.3f  E2 %.3f"):format(d, cao.e1[d], cao.e2[d])) end

-- Delay vectors: a flat row-major series of rows x m values.
local rows_flat, rows, m = engine.embed(x, m_fnn, tau)
print(("embedding: %d rows of %d coordinates"):format(rows, m))

-- The spectrum from the equations, in parallel with the above as a future.
local fut = engine.spectrum_async("lorenz")
local exps, ky = fut:wait()
print(("Lorenz spectrum: %.4f %.4f %.4f per time unit, Kaplan-Yorke dimension %.3f"):format(
  exps[1], exps[2], exps[3], ky))

return { tau = tau, m_fnn = m_fnn, m_cao = m_cao, rows = rows, exps = exps, ky = ky, ami = ami,
         flat = rows_flat }
