-- core_docs.lua: every ```lua block of docs/lua-api.md runs without error, so
-- the reference's examples stay true.
local t = require "tap"
local src = os.getenv("ENGINE_SRCDIR") or "."
local path = src .. "/docs/lua-api.md"
local fh = assert(io.open(path))
local doc = fh:read("a")
fh:close()
local n = 0
for block in doc:gmatch("```lua\n(.-)```") do
  n = n + 1
  local chunk, err = load(block, "=lua-api.md example " .. n)
  if not chunk then
    t.ok(false, "example " .. n .. " compiles", err)
  else
    -- Examples print; keep their output out of the TAP stream.
    local real_print = print
    print = function() end
    local ok, msg = pcall(chunk)
    print = real_print
    t.ok(ok, "example " .. n .. " runs", msg)
  end
end
t.ok(n >= 8, "the reference has its examples (" .. n .. ")")
t.done()
