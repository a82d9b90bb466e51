-- temporal.lua: engine.dtw, lb_kim/lb_keogh, dtw_search, distance_matrix (and the
-- _async forms) against a plain DP written here; argument errors; the example runs.
local t = require "tap"
local engine = engine or require "engine"

-- The obviously-correct DP: full matrix, band as a radius widened to |n - m|.
local function ref_dtw(a, b, window, absolute)
  local n, m = #a, #b
  local r = window or math.max(n, m)
  if r < math.abs(n - m) then r = math.abs(n - m) end
  local D = {}
  for i = 0, n do D[i] = {} for j = 0, m do D[i][j] = math.huge end end
  D[0][0] = 0
  for i = 1, n do
    for j = 1, m do
      if math.abs(i - j) <= r then
        local d = a[i] - b[j]
        local c = absolute and math.abs(d) or d * d
        local best = D[i - 1][j - 1]
        if D[i - 1][j] < best then best = D[i - 1][j] end
        if D[i][j - 1] < best then best = D[i][j - 1] end
        D[i][j] = best + c
      end
    end
  end
  return D[n][m]
end

local seed = 42
local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 end
local function walk(n) local x, v = {}, 0 for i = 1, n do v = v + rnd() - 0.5; x[i] = v end return x end

-- Hand example (see tests/check_dtw.c): (0,1,2) vs (1,2,3).
t.is(engine.dtw({ 0, 1, 2 }, { 1, 2, 3 }, { cost = "absolute" }), 2, "textbook absolute")
t.is(engine.dtw({ 0, 1, 2 }, { 1, 2, 3 }, { cost = "absolute", window = 0 }), 3, "window 0 is the diagonal")
t.is(engine.dtw({ 0, 1, 2 }, { 1, 2, 3 }), 2, "textbook squared")
t.near(engine.dtw({ 0, 1, 2 }, { 1, 2, 3 }, { normalize = true }), 2 / 6, 1e-15, "normalised by n + m")

local same = true
for it = 1, 60 do
  local a, b = walk(1 + math.floor(rnd() * 70)), walk(1 + math.floor(rnd() * 70))
  local w = (it % 3 == 0) and math.floor(rnd() * 10) or nil
  local abs = it % 2 == 0
  local got = engine.dtw(a, b, { window = w, cost = abs and "absolute" or "squared" })
  if got ~= ref_dtw(a, b, w, abs) then same = false end
end
t.ok(same, "dtw equals the reference DP on 60 random cases")

-- Series userdata work like tables.
local a, b = walk(50), walk(40)
t.is(engine.dtw(engine.series(a), engine.series(b)), ref_dtw(a, b), "engine.series arguments")

-- Path: monotone, contiguous, from (1,1) to (n,m), costs summing to the distance.
local d, path = engine.dtw(a, b, { path = true, window = 12 })
t.is(d, ref_dtw(a, b, 12), "path call returns the distance")
local ok, sum = path[1][1] == 1 and path[1][2] == 1 and path[#path][1] == 50 and path[#path][2] == 40, 0
for k, p in ipairs(path) do
  if k > 1 then
    local di, dj = p[1] - path[k - 1][1], p[2] - path[k - 1][2]
    if di < 0 or dj < 0 or di > 1 or dj > 1 or di + dj == 0 then ok = false end
  end
  local e = a[p[1]] - b[p[2]]
  sum = sum + e * e
end
t.ok(ok, "path is monotone and contiguous")
t.is(sum, d, "path costs sum to the distance")

-- Cutoff, NaN: operational failures return nil, message, code.
local v, msg, code = engine.dtw(a, b, { window = 12, cutoff = d * 0.99 })
t.ok(v == nil and code == "ECUTOFF" and type(msg) == "string", "cutoff below the distance: ECUTOFF")
t.is(engine.dtw(a, b, { window = 12, cutoff = d * 1.01 }), d, "cutoff above the distance: the distance")
v, msg, code = engine.dtw({ 1, 0 / 0, 2 }, { 1, 2 })
t.is(code, "ENAN", "NaN input: ENAN")

-- Multivariate: 2 dims, points interleaved.
local ma, mb = { 0, 0, 1, 1, 2, 2 }, { 0, 0, 2, 2 }
-- points (0,0),(1,1),(2,2) vs (0,0),(2,2): best path (0,0)-(0,0), (1,1)-(0,0) or (2,2)
-- costs 2, (2,2)-(2,2): total 2.
t.is(engine.dtw(ma, mb, { dims = 2 }), 2, "multivariate (dims = 2)")

-- Argument errors raise, naming the argument.
t.raises(function() engine.dtw(a, b, { window = -1 }) end, "window", "negative window raises")
t.raises(function() engine.dtw(a, "x") end, "bad argument #2", "a string series raises")
t.raises(function() engine.dtw({}, b) end, "empty series", "empty series raises")
t.raises(function() engine.dtw({ 1, "x" }, b) end, "index 2", "non-number element raises")
t.raises(function() engine.dtw(a, b, { cost = "cubic" }) end, "cost", "unknown cost raises")
t.raises(function() engine.dtw({ 1, 2, 3 }, { 1, 2 }, { dims = 2 }) end, "dims", "length not a multiple of dims")

-- Async twin.
local f = engine.dtw_async(a, b, { window = 12 })
t.is(f:wait(), d, "dtw_async():wait() returns the distance")

-- Lower bounds.
local lbs_ok = true
for _ = 1, 30 do
  local x, y = walk(60), walk(60)
  local w = math.floor(rnd() * 8)
  local dd = engine.dtw(x, y, { window = w })
  if engine.lb_keogh(x, y, { window = w }) > dd * (1 + 1e-12) then lbs_ok = false end
  if engine.lb_kim(x, y, { window = w }) > dd * (1 + 1e-12) then lbs_ok = false end
end
t.ok(lbs_ok, "lb_kim and lb_keogh never exceed dtw")

-- Search: a planted pattern is found where it was put.
local shape = {}
for i = 1, 48 do shape[i] = math.sin(i / 4) + (i > 20 and i < 26 and 1 or 0) end
local x = walk(6000)
for i = 1, 48 do x[2500 + i - 1] = 30 + 3 * shape[i] end
local m, st = engine.dtw_search(shape, engine.series(x), { k = 2, window = 4 })
t.is(m[1].pos, 2500, "planted pattern found at its position")
t.ok(m[1].dist < 1e-9 and m[2].dist >= m[1].dist and math.abs(m[2].pos - 2500) >= 48, "best first, non-overlapping")
t.is(st.kim + st.keogh_eq + st.keogh_ec + st.dtw, st.windows, "cascade counters add up")
local _, st1 = engine.dtw_search(shape, x, { window = 4 })
t.is(st1.windows, #x - 48 + 1, "one match: every window considered once")
local fm = engine.dtw_search_async(shape, x, { window = 4 }):wait()
t.is(fm[1].pos, 2500, "dtw_search_async")
v, msg, code = engine.dtw_search(shape, { 1, 2, 3 })
t.is(code, "ESHORT", "series shorter than the query: ESHORT")

-- Distance matrix equals the pairwise calls.
local set = {}
for i = 1, 9 do set[i] = walk(10 + i * 3) end
set[4] = engine.series(set[4])
local M = engine.distance_matrix(set, { window = 5, tile = 2 })
local eq = #M == 9
for i = 1, 9 do
  for j = 1, 9 do
    local want = i == j and 0 or engine.dtw(set[i], set[j], { window = 5 })
    if M[i][j] ~= want then eq = false end
  end
end
t.ok(eq, "distance_matrix equals engine.dtw pairwise")
local row = engine.distance_matrix(set, { query = set[2], window = 5 })
t.ok(#row == 9 and row[2] == 0 and row[5] == M[2][5], "one-to-many with query")
local MA = engine.distance_matrix_async(set, { window = 5 }):wait()
t.is(MA[3][7], M[3][7], "distance_matrix_async")
local E = engine.distance_matrix({ "kitten", "sitting", "" }, { metric = "edit" })
t.ok(E[1][2] == 3 and E[2][1] == 3 and E[1][3] == 6, "edit metric: kitten/sitting = 3")
local Lm = engine.distance_matrix({ "kitten", "sitting" }, { metric = "lcs" })
t.is(Lm[1][2], 5, "lcs metric: 6 + 7 - 2 * 4")
t.raises(function() engine.distance_matrix({ "a", 3 }, { metric = "edit" }) end, "item 2", "wrong item type raises")
t.raises(function() engine.distance_matrix({}) end, "empty list", "empty list raises")
v, msg, code = engine.distance_matrix({ { 1, 2 }, { 1, 0 / 0 } })
t.is(code, "ENAN", "NaN inside an item: ENAN")

-- Cancelling the future of a running distance_matrix_async stops the tiles it
-- has not started: :wait() returns nil, message, "ECANCELED" instead of
-- computing the whole matrix (160 series of 2000 points: seconds of work).
local big = {}
for i = 1, 160 do big[i] = engine.series(walk(2000)) end
local fut = engine.distance_matrix_async(big, { tile = 2 })
engine.sleep(0.05)
local running = not fut:done()
local won = fut:cancel()
local c1, c2, c3 = fut:wait()
t.ok(running and won == false, "the matrix was running when cancelled", tostring(won))
t.ok(c1 == nil and type(c2) == "string" and c3 == "ECANCELED",
     "cancel of a running distance_matrix_async: nil, message, ECANCELED", tostring(c3))
t.is(select(3, fut:wait()), "ECANCELED", "a second wait returns the same")
-- A future cancelled before it could start reports true and ECANCELED too.
local f2 = engine.distance_matrix_async(set, { window = 5 })
local w2 = f2:cancel()
local d1, _, d3 = f2:wait()
t.ok((w2 and d3 == "ECANCELED") or (not w2 and (d3 == "ECANCELED" or type(d1) == "table")),
     "cancel before or while running is consistent", tostring(w2) .. " " .. tostring(d3))
-- The engine still runs jobs afterwards.
t.is(engine.dtw({ 0, 1, 2 }, { 0, 1, 1, 2 }), 0, "engine.dtw after a cancelled matrix")
t.is(engine.distance_matrix_async(set, { window = 5 }):wait()[3][7], M[3][7],
     "distance_matrix_async after a cancelled matrix")

-- The example runs and prints what it promises.
local exe = os.getenv("ENGINE") or arg[-1]
local src = os.getenv("ENGINE_SRCDIR") or "."
local p = assert(io.popen(("%q %q 2>&1"):format(exe, src .. "/examples/temporal.lua")))
local out = p:read("a")
local okx, how, rc = p:close()
t.ok(okx and how == "exit" and rc == 0, "examples/temporal.lua exits 0", out)
t.ok(out:find("dtw(a, b)              = 0", 1, true), "example: warping makes a and b equal", out)
t.ok(out:find("match 1 at 7000", 1, true), "example: planted shape found", out)
t.ok(out:find("edit(kitten, sitting) = 3", 1, true), "example: edit matrix", out)
t.ok(out:find("with cutoff 10: nil", 1, true) and out:find("ECUTOFF", 1, true), "example: cutoff", out)
t.done()
