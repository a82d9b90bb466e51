-- tap.lua: a minimal TAP producer for the Lua tests (run through `engine`).
-- Usage: local t = require "tap"; t.ok(cond, "name"); t.is(got, want, "name");
--        t.near(got, want, tol, "name"); t.raises(fn, "pattern", "name"); t.done()
local M = { n = 0, failed = 0 }

local function report(pass, name, diag)
  M.n = M.n + 1
  io.write((pass and "ok " or "not ok ") .. M.n .. " - " .. (name or "") .. "\n")
  if not pass then
    M.failed = M.failed + 1
    if diag then io.write("# " .. tostring(diag):gsub("\n", "\n# ") .. "\n") end
  end
  return pass
end

function M.ok(cond, name, diag) return report(not not cond, name, diag) end

function M.is(got, want, name)
  return report(got == want, name, ("got %s, want %s"):format(tostring(got), tostring(want)))
end

function M.near(got, want, tol, name)
  local pass = type(got) == "number" and math.abs(got - want) <= tol
  return report(pass, name, ("got %s, want %s +- %s"):format(tostring(got), tostring(want), tostring(tol)))
end

-- fn must raise an error whose message matches pattern (a plain substring).
function M.raises(fn, pattern, name)
  local okcall, err = pcall(fn)
  local pass = not okcall and tostring(err):find(pattern, 1, true) ~= nil
  return report(pass, name, okcall and "no error raised" or ("error was: " .. tostring(err)))
end

function M.done()
  io.write("1.." .. M.n .. "\n")
  if M.failed > 0 then os.exit(1) end
end

return M
