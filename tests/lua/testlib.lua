-- testlib: a tiny assertion library for the Lua tests.
-- Each test file calls t.case(name, fn) and finally t.done(), which prints
-- "N passed, M failed" and exits non-zero on failure.
local t = {passed = 0, failed = 0}

local function show(v)
  if type(v) ~= "table" then return tostring(v) end
  local parts = {}
  for i, x in ipairs(v) do parts[i] = show(x) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function deep_eq(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not deep_eq(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function fail(msg)
  error(msg, 3)
end

function t.eq(a, b, what)
  if not deep_eq(a, b) then fail((what or "") .. " expected " .. show(b) .. ", got " .. show(a)) end
end

function t.near(a, b, tol, what)
  if not (math.abs(a - b) <= tol) then
    fail(string.format("%s expected %.17g, got %.17g (tol %g)", what or "", b, a, tol))
  end
end

function t.ok(cond, what)
  if not cond then fail(what or "condition is false") end
end

function t.match(s, pattern)
  if type(s) ~= "string" or not s:find(pattern) then
    fail("expected a string matching '" .. pattern .. "', got " .. show(s))
  end
end

function t.raises(fn, pattern)
  local ok, err = pcall(fn)
  if ok then fail("expected an error matching '" .. pattern .. "'") end
  if not tostring(err):find(pattern) then
    fail("expected an error matching '" .. pattern .. "', got: " .. tostring(err))
  end
  return err
end

function t.case(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    t.passed = t.passed + 1
  else
    t.failed = t.failed + 1
    io.stderr:write("FAIL ", name, ": ", tostring(err), "\n")
  end
end

-- Skip the whole file (ctest SKIP_RETURN_CODE 77).
function t.skip(why)
  print("skipped: " .. why)
  os.exit(77)
end

function t.tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  return p
end

function t.done()
  print(string.format("%d passed, %d failed", t.passed, t.failed))
  os.exit(t.failed == 0 and 0 or 1)
end

return t
