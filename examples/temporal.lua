-- temporal.lua: DTW between two series, a warping path, a lower bound,
-- subsequence search in a long random walk and a distance matrix.
-- Run: engine examples/temporal.lua
local engine = engine or require "engine"

-- 1. DTW: the sum of squared point differences along the best warping path
--    (not square-rooted). b repeats a value of a, so warping makes them equal.
local a = { 1, 2, 3, 4, 3, 2 }
local b = { 1, 2, 2, 3, 4, 3, 2 }
print(("dtw(a, b)              = %g"):format(engine.dtw(a, b)))
-- window is a radius; with lengths 6 and 7 it is widened to |6 - 7| = 1.
print(("dtw(a, b, window = 0)  = %g"):format(engine.dtw(a, b, { window = 0 })))
print(("dtw absolute, normalised = %g"):format(engine.dtw(a, b, { cost = "absolute", normalize = true })))

-- 2. The warping path: pairs {i, j} of 1-based indexes into a and b.
local d, path = engine.dtw(a, b, { path = true })
local cells = {}
for _, p in ipairs(path) do cells[#cells + 1] = ("(%d,%d)"):format(p[1], p[2]) end
print("path: " .. table.concat(cells, " "))

-- 3. A cutoff abandons early: nil, message, "ECUTOFF".
local v, msg, code = engine.dtw({ 0, 0, 0 }, { 5, 5, 5 }, { cutoff = 10 })
print(("with cutoff 10: %s, %s, %s"):format(tostring(v), msg, code))

-- 4. Lower bounds never exceed the distance.
local x, y = {}, {}
for i = 1, 200 do x[i] = math.sin(i / 10); y[i] = math.cos(i / 13) end
print(("lb_kim %.4f <= lb_keogh %.4f <= dtw %.4f (window 10)"):format(
  engine.lb_kim(x, y, { window = 10 }), engine.lb_keogh(x, y, { window = 10 }),
  engine.dtw(x, y, { window = 10 })))

-- 5. Subsequence search: hide a scaled, shifted copy of a shape in a random
--    walk; z-normalised DTW finds it (positions are 1-based).
local shape = {}
for i = 1, 64 do shape[i] = math.sin(i / 5) + (i > 30 and i < 36 and 1 or 0) end
local walk, acc = {}, 0
local seed = 12345
local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5 end
for i = 1, 20000 do acc = acc + rnd(); walk[i] = acc end
for i = 1, 64 do walk[7000 + i - 1] = 50 + 4 * shape[i] end
local matches, stats = engine.dtw_search(shape, walk, { k = 2, window = 3 })
for r, m in ipairs(matches) do print(("match %d at %d, distance %.4g"):format(r, m.pos, m.dist)) end
print(("windows %d: pruned by LB_Kim %d, LB_Keogh %d + %d, DTW computed %d"):format(
  stats.windows, stats.kim, stats.keogh_eq, stats.keogh_ec, stats.dtw))

-- 6. Distance matrices run as tiles on every worker.
local set = { a, b, { 4, 3, 2, 1 }, { 1, 1, 2, 3, 5, 8 } }
local M = engine.distance_matrix(set, { window = 2 })
for i = 1, #M do
  local row = {}
  for j = 1, #M[i] do row[j] = ("%6.2f"):format(M[i][j]) end
  print(table.concat(row, " "))
end
local words = { "kitten", "sitting", "mitten" }
local E = engine.distance_matrix(words, { metric = "edit" })
print(("edit(kitten, sitting) = %d"):format(E[1][2]))
local row = engine.distance_matrix(set, { query = { 1, 2, 3, 4 } })
print(("one-to-many: %g %g %g %g"):format(row[1], row[2], row[3], row[4]))

-- 7. Every call has a future-returning twin.
local f = engine.dtw_async(a, b)
print(("dtw_async(...):wait() = %g"):format(f:wait()))
