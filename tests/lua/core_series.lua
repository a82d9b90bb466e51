-- core_series.lua: engine.series: construction, indexing, slices, reductions,
-- CSV and binary loading with their error messages, argument errors.
local t = require "tap"
local engine = engine or require "engine"

-- Reference reductions, written plainly here.
local function ref_sum(xs) local s = 0 for i = 1, #xs do s = s + xs[i] end return s end

local xs = { 3, -1.5, 4, 1e-3, 5, 9, -2.25, 6 }
local s = engine.series(xs)
t.is(#s, #xs, "#s")
local same = true
for i = 1, #xs do same = same and s[i] == xs[i] end
t.ok(same, "s[i] returns the table's values")
t.near(s:sum(), ref_sum(xs), 1e-12, "sum")
t.near(s:mean(), ref_sum(xs) / #xs, 1e-12, "mean")
t.is(s:min(), -2.25, "min")
t.is(s:max(), 9, "max")
local back = s:totable()
t.ok(#back == #xs and back[5] == 5 and back[7] == -2.25, "totable copies the values out")
t.ok(tostring(s):find("engine.series(8)", 1, true), "__tostring names the type and length")

local z = engine.series(5)
t.ok(#z == 5 and z[1] == 0 and z[5] == 0, "series(n) is n zeros")
local f = engine.series(3, 7.5)
t.ok(f[1] == 7.5 and f[3] == 7.5, "series(n, fill)")
z[2] = 4.5
t.is(z[2], 4.5, "s[i] = v writes")
local c = engine.series(s)
c[1] = 100
t.ok(c[1] == 100 and s[1] == 3, "series(series) copies")
local e = engine.series({})
t.is(#e, 0, "empty series")
t.is(e:sum(), 0, "sum of empty is 0")
local v, msg, code = e:mean()
t.ok(v == nil and code == "ESHORT", "mean of empty returns nil, msg, ESHORT")

-- compensated sum: 1e16 + 1 + 1 - 1e16 in that order loses both ones naively
t.is(engine.series({ 1e16, 1, 1, -1e16 }):sum(), 2.0, "sum is compensated")

-- slices share storage and keep their parent alive
local sl = s:slice(2, 4)
t.ok(#sl == 3 and sl[1] == -1.5 and sl[3] == 1e-3, "slice(2, 4)")
sl[2] = 40
t.is(s[3], 40, "writing through a slice writes the parent")
t.is(#s:slice(3), #xs - 2, "slice(i) runs to the end")
t.is(s:slice(-2)[1], -2.25, "negative start counts from the end")
t.is(#s:slice(4, 3), 0, "slice(i, i - 1) is empty")
t.is(#s:slice(2, 5):slice(2, 3), 2, "slice of a slice")
t.is(s:slice(2, 5):slice(2, 3)[1], 40, "slice of a slice points into the original")
local orphan = engine.series({ 10, 20, 30, 40 }):slice(2, 3)
collectgarbage()
collectgarbage()
t.ok(orphan[1] == 20 and orphan[2] == 30, "a slice keeps its parent alive after the parent is unreachable")

t.raises(function() return s[0] end, "index 0 out of range [1, 8]", "s[0]")
t.raises(function() return s[9] end, "index 9 out of range [1, 8]", "s[#s + 1]")
t.raises(function() return s[1.5] end, "integer index", "s[1.5]")
t.raises(function() s[1] = "x" end, "number expected", "s[1] = 'x'")
t.raises(function() return s:slice(0) end, "bad argument #1 to 'slice'", "slice(0)")
t.raises(function() return s:slice(2, 20) end, "bad argument #2 to 'slice'", "slice end past the end")
t.raises(function() engine.series({ 1, 2, "x" }) end,
  "bad argument #1 to 'series' (number expected at index 3, got string)", "series names the bad element")
t.raises(function() engine.series(-1) end, "bad argument #1 to 'series'", "series(-1)")
t.raises(function() engine.series(true) end, "bad argument #1 to 'series'", "series(true)")
t.is(s.nosuchmethod, nil, "unknown method names index to nil")

-- CSV ---------------------------------------------------------------------------
local function write(content, mode)
  local path = os.tmpname()
  local fh = assert(io.open(path, mode or "w"))
  fh:write(content)
  fh:close()
  return path
end

local csv = write("t,x,\"y value\"\n0,1.5,10\n1,-2,20\r\n2,3e2,30\n\n")
local col = assert(engine.series_load(csv, { column = "x" }))
t.ok(#col == 3 and col[1] == 1.5 and col[2] == -2 and col[3] == 300, "CSV column by name (header detected)")
col = assert(engine.series_load(csv, { column = 3 }))
t.ok(#col == 3 and col[3] == 30, "CSV column by 1-based index")
col = assert(engine.series_load(csv, { column = "y value" }))
t.is(col[2], 20, "CSV quoted header name")
col = assert(engine.series_load(csv))
t.ok(#col == 3 and col[1] == 0 and col[3] == 2, "CSV default is the first column")
v, msg, code = engine.series_load(csv, { column = "nope" })
t.ok(v == nil and code == "EINVAL" and msg:find(csv, 1, true) and msg:find("nope", 1, true),
  "missing column name: nil, message naming file and column, EINVAL")
v, msg, code = engine.series_load(csv, { column = 7 })
t.ok(v == nil and code == "EINVAL" and msg:find("column 7", 1, true), "column index out of range")
os.remove(csv)

local plain = write("1;2\n3;4\n5;6\n")
col = assert(engine.series_load(plain, { delimiter = ";", column = 2 }))
t.ok(#col == 3 and col[1] == 2 and col[3] == 6, "CSV without header, custom delimiter")
col = assert(engine.series_load(plain, { delimiter = ";", header = true }))
t.ok(#col == 2 and col[1] == 3, "header = true skips the first row")
os.remove(plain)

local bad = write("a,b\n1,2\n3,oops\n")
v, msg, code = engine.series_load(bad, { column = "b" })
t.ok(v == nil and code == "EPARSE", "bad cell: EPARSE")
t.ok(msg and msg:find(bad .. ":3:", 1, true) and msg:find("column 2", 1, true) and msg:find("oops", 1, true),
  "bad cell message names file, row, column and the cell")
os.remove(bad)

local ragged = write("a,b,c\n1,2,3\n4,5,6\n7,8\n")
v, msg, code = engine.series_load(ragged)
t.ok(v == nil and code == "EPARSE" and msg:find(ragged .. ":4:", 1, true) and msg:find("ragged", 1, true),
  "ragged row: EPARSE naming file and row")
os.remove(ragged)

local missing = os.tmpname()
os.remove(missing)
v, msg, code = engine.series_load(missing)
t.ok(v == nil and code == "ENOENT" and msg:find(missing, 1, true), "missing file: ENOENT naming the file")

-- raw binary ---------------------------------------------------------------------
local vals = { 1.25, -3.5, 1e300, 0.1, 42 }
local parts = {}
for i, x in ipairs(vals) do parts[i] = string.pack("<d", x) end
local bin = write(table.concat(parts), "wb")
col = assert(engine.series_load(bin, { format = "f64" }))
same = #col == #vals
for i = 1, #vals do same = same and col[i] == vals[i] end
t.ok(same, "f64 little-endian round trip")
col = assert(engine.series_load(bin, { format = "f64", offset = 8, count = 2 }))
t.ok(#col == 2 and col[1] == -3.5 and col[2] == 1e300, "offset (bytes) and count (values)")
v, msg, code = engine.series_load(bin, { format = "f64", offset = 8, count = 5 })
t.ok(v == nil and code == "ESHORT", "count beyond the file: ESHORT")
v, msg, code = engine.series_load(bin, { format = "f64", offset = 3 })
t.ok(v == nil and code == "EPARSE", "a partial trailing value: EPARSE")
os.remove(bin)

local f32 = write(string.pack("<fff", 0.5, -2.25, 1024), "wb")
col = assert(engine.series_load(f32, { format = "f32" }))
t.ok(#col == 3 and col[1] == 0.5 and col[2] == -2.25 and col[3] == 1024, "f32 little-endian")
os.remove(f32)

t.raises(function() engine.series_load(f32, { format = "xml" }) end, "field 'format' must be one of", "bad format")
t.raises(function() engine.series_load(f32, { offset = -1, format = "f32" }) end,
  "field 'offset' must be a non-negative integer", "negative offset")
t.raises(function() engine.series_load(nil) end, "bad argument #1 to 'series_load'", "series_load(nil)")
t.raises(function() engine.series_load("x.csv", { column = 0 }) end, "field 'column'", "column 0")

t.done()
