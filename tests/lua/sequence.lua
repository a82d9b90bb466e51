-- sequence.lua (test): engine.edit / lcs / sax / cache against reference programs written here.
local t = require "tap"
local engine = require "engine"

-- Reference Levenshtein / OSA / LCS: the textbook tables.
local function ref_edit(a, b, osa)
  local n, m = #a, #b
  local d = {}
  for i = 0, n do d[i] = { [0] = i } end
  for j = 0, m do d[0][j] = j end
  for i = 1, n do
    for j = 1, m do
      local c = (a[i] == b[j]) and 0 or 1
      local v = math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + c)
      if osa and i > 1 and j > 1 and a[i] == b[j - 1] and a[i - 1] == b[j] then
        v = math.min(v, d[i - 2][j - 2] + 1)
      end
      d[i][j] = v
    end
  end
  return d[n][m]
end

local function ref_lcs(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = 0 end
  for i = 1, #a do
    local cur = { [0] = 0 }
    for j = 1, #b do
      if a[i] == b[j] then cur[j] = prev[j - 1] + 1 else cur[j] = math.max(prev[j], cur[j - 1]) end
    end
    prev = cur
  end
  return prev[#b]
end

local function bytes(s)
  local r = {}
  for i = 1, #s do r[i] = s:byte(i) end
  return r
end

math.randomseed(7)
local function rstr(n, sigma)
  local r = {}
  for i = 1, n do r[i] = string.char(96 + math.random(sigma)) end
  return table.concat(r)
end

-- Known values.
t.is(engine.edit("kitten", "sitting"), 3, "kitten/sitting = 3")
t.is(engine.edit("", "abc"), 3, "empty vs abc = 3")
t.is(engine.edit("", ""), 0, "two empty strings")
t.is(engine.edit({ 1, 2, 3 }, { 3, 2, 1 }), 2, "integer symbols")
t.is(engine.edit({ 4000000000, 7 }, { 4000000000, 8 }), 1, "32-bit symbols")
t.is(engine.edit("ca", "abc", { damerau = true }), 3, "OSA ca/abc = 3")
t.is(engine.edit("ab", "ba", { damerau = true }), 1, "OSA swap = 1")
t.is(engine.lcs("ABCBDAB", "BDCABA"), 4, "lcs CLRS example = 4")

-- Random cases against the references.
local bad = 0
for it = 1, 150 do
  local a = rstr(math.random(0, 90), it % 2 == 0 and 2 or 20)
  local b = rstr(math.random(0, 90), it % 2 == 0 and 2 or 20)
  local ba, bb = bytes(a), bytes(b)
  if engine.edit(a, b) ~= ref_edit(ba, bb) then bad = bad + 1 end
  if engine.edit(ba, bb) ~= ref_edit(ba, bb) then bad = bad + 1 end
  if engine.edit(a, b, { damerau = true }) ~= ref_edit(ba, bb, true) then bad = bad + 1 end
  if engine.lcs(a, b) ~= ref_lcs(ba, bb) then bad = bad + 1 end
end
t.is(bad, 0, "150 random pairs: edit, symbols, OSA and LCS match the tables")

-- Threshold.
local r, msg, code = engine.edit("kitten", "sitting", { max = 2 })
t.ok(r == nil and code == "ECUTOFF" and type(msg) == "string", "max below the distance: nil, msg, ECUTOFF")
t.is(engine.edit("kitten", "sitting", { max = 3 }), 3, "max at the distance")

-- Alignment: replaying the ops turns a into b, cost = distance.
local function replay(a, b, ops)
  local i, j, out, cost = 1, 1, {}, 0
  for k = 1, #ops do
    local op = ops:sub(k, k)
    if op == "=" then
      if a:sub(i, i) ~= b:sub(j, j) then return nil end
      out[#out + 1] = a:sub(i, i); i = i + 1; j = j + 1
    elseif op == "X" then out[#out + 1] = b:sub(j, j); i = i + 1; j = j + 1; cost = cost + 1
    elseif op == "I" then out[#out + 1] = b:sub(j, j); j = j + 1; cost = cost + 1
    elseif op == "D" then i = i + 1; cost = cost + 1
    else return nil end
  end
  if i ~= #a + 1 then return nil end
  return table.concat(out), cost
end
local good = 0
for it = 1, 40 do
  local a, b = rstr(math.random(0, 60), 4), rstr(math.random(0, 60), 4)
  local d, ops, cigar = engine.edit(a, b, { alignment = true })
  local out, cost = replay(a, b, ops)
  if out == b and cost == d and d == ref_edit(bytes(a), bytes(b)) and type(cigar) == "string" then
    good = good + 1
  end
end
t.is(good, 40, "alignments replay to b with cost = distance")
local _, ops, cigar = engine.edit("kitten", "sitting", { alignment = true })
t.is(#ops, 7, "kitten/sitting alignment has 7 ops")
t.ok(cigar:match("^[%d=XID]+$"), "CIGAR string shape: " .. cigar)

-- LCS recovery.
local n, seq = engine.lcs("AGGTAB", "GXTXAYB", { sequence = true })
t.is(n, 4, "lcs length with sequence")
t.is(seq, "GTAB", "the recovered LCS")
local n2, seq2 = engine.lcs({ 5, 1, 5, 2 }, { 1, 2, 5 }, { sequence = true })
t.ok(n2 == 2 and type(seq2) == "table" and #seq2 == 2, "symbol LCS returns a table")

-- SAX.
local ramp = {}
for i = 1, 8 do ramp[i] = i - 1 end
t.is(engine.sax(ramp, { segments = 4, alphabet = 4 }), "abcd", "SAX of a ramp")
t.is(engine.sax({ 2, 2, 2 }, { alphabet = 4 }), "ccc", "constant series -> middle symbol")
local q = engine.sax({ 5, 1, 4, 2, 3, 6, 8, 7 }, { alphabet = 4, method = "quantile" })
t.is(q, "cababcdd", "quantile SAX: two of each symbol")
t.is(engine.sax_async(ramp, { segments = 2, alphabet = 2 }):wait(), "ab", "sax_async")
local nr, _, ncode = engine.sax({ 1, 0 / 0, 2 })
t.ok(nr == nil and ncode == "ENAN", "NaN in a series -> ENAN")

-- Futures.
t.is(engine.edit_async("kitten", "sitting"):wait(), 3, "edit_async")
local fl, fs = engine.lcs_async("AGGTAB", "GXTXAYB", { sequence = true }):wait()
t.ok(fl == 4 and fs == "GTAB", "lcs_async with sequence")

-- Cache.
t.is(engine.cache().enabled, false, "cache is off by default")
local st = engine.cache({ enable = true, max_entries = 2 })
t.ok(st.enabled and st.max_entries == 2, "cache enabled with a limit")
engine.edit("aaaa", "aaab")
t.is(engine.edit("aaaa", "aaba"), 1, "same length, different input: its own result")
t.is(engine.edit("aaaa", "aaab"), 1, "repeat")
st = engine.cache()
t.ok(st.hits == 1 and st.misses == 2, "one hit, two misses")
engine.edit("x", "y")
st = engine.cache()
t.ok(st.evictions == 1 and st.entries == 2, "LRU eviction at the entry limit")
st = engine.cache({ clear = true })
t.is(st.entries, 0, "clear empties it")
st = engine.cache({ enable = false })
t.is(st.enabled, false, "disabled again")

-- Argument errors.
t.raises(function() engine.edit(nil, "a") end, "string or table of integers", "nil first argument")
t.raises(function() engine.edit("a", { 1 }) end, "string expected", "mixed kinds")
t.raises(function() engine.edit({ 1, -2 }, { 1 }) end, "index 2", "negative symbol")
t.raises(function() engine.edit({ 1.5 }, { 1 }) end, "index 1", "non-integer symbol")
t.raises(function() engine.edit("a", "b", { max = -1 }) end, "max", "negative max")
t.raises(function() engine.edit("a", "b", { alignment = true, damerau = true }) end, "damerau", "alignment + damerau")
t.raises(function() engine.sax({ 1, 2 }, { alphabet = 1 }) end, "alphabet", "alphabet 1")
t.raises(function() engine.sax({ 1, 2 }, { segments = 3 }) end, "segments", "too many segments")
t.raises(function() engine.sax({ 1, 2 }, { method = "x" }) end, "method", "unknown method")
t.raises(function() engine.sax({}) end, "empty", "empty series")

-- The example runs.
local exe = os.getenv("ENGINE") or arg[-1]
local src = os.getenv("ENGINE_SRCDIR") or "."
local p = assert(io.popen(("%q %q 2>&1"):format(exe, src .. "/examples/sequence.lua")))
local out = p:read("a")
local okx, how, xcode = p:close()
t.ok(okx and how == "exit" and xcode == 0, "examples/sequence.lua exits 0", out)
t.ok(out:find("edit kitten/sitting\t3", 1, true), "example: distance", out)
t.ok(out:find("alignment\t3\t", 1, true), "example: alignment", out)
t.ok(out:find("max 2\tnil\tECUTOFF", 1, true), "example: threshold", out)
t.ok(out:find("damerau abcd/acbd\t1", 1, true), "example: damerau", out)
t.ok(out:find("lcs\t4\t", 1, true), "example: lcs", out)
t.ok(out:find("distance\t0", 1, true), "example: SAX words of a scaled wave are equal", out)
t.ok(out:find("async edit\t5", 1, true), "example: future", out)
t.ok(out:find("cache hits\t1\tmisses\t1", 1, true), "example: cache counters", out)
t.done()
