-- sflex.help: help(x) for every function, object and class of sflex.
--
--   help()                 overview: the sflex functions and classes, one line each
--   help(sflex.atoms)      the documentation of a function
--   help(atoms)            an object: its class documentation and its methods
--   help "sflex.atoms"     the same by name; also "atoms", "Atoms", "Atoms:select",
--                          "string.format"
--   sflex.doc(value, text) attach documentation to a Lua-side function or table
--
-- The texts live in the registry table returned by sflex_core._docs() (weak
-- keys: value -> text); the C bindings fill it with sfl_doc/sfl_register.  By
-- convention the first line of a text is the call signature.
local core = require "sflex_core"

local M = {}

local STD_LIBS = {"string", "table", "math", "io", "os", "coroutine", "utf8", "debug", "package"}
local MANUAL = "https://www.lua.org/manual/5.4/manual.html#pdf-"

local function docs() return core._docs() end

local function first_line(text)
  return (text:match("^[^\n]*"))
end

local function out(...)
  io.stdout:write(...)
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do
    if type(k) == "string" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  return keys
end

-- The classes of sflex: registry metatables named "sflex.<Name>".
local function classes()
  local list = {}
  for name, mt in pairs(debug.getregistry()) do
    if type(name) == "string" and name:match("^sflex%.%u") and type(mt) == "table"
        and rawget(mt, "__name") == name then
      list[#list + 1] = {name = name:sub(7), mt = mt}
    end
  end
  table.sort(list, function(a, b) return a.name < b.name end)
  return list
end

-- The table of methods of a class metatable: __methods (the sflex bindings)
-- or an __index table.
local function methods_of(mt)
  if type(mt) ~= "table" then return nil end
  local m = rawget(mt, "__methods")
  if type(m) == "table" then return m end
  m = rawget(mt, "__index")
  if type(m) == "table" then return m end
  return nil
end

local function class_doc(mt)
  local d = docs()
  local text = d[mt]
  local m = methods_of(mt)
  if not text and m then text = d[m] end
  return text
end

-- Name of a function of the standard library, or nil.
local function std_name(f)
  if type(f) ~= "function" then return nil end
  for k, v in pairs(_G) do
    if v == f and type(k) == "string" and debug.getinfo(f, "S").what == "C" then return k end
  end
  for _, lib in ipairs(STD_LIBS) do
    local t = package.loaded[lib]
    if type(t) == "table" then
      for k, v in pairs(t) do
        if v == f then return lib .. "." .. k end
      end
    end
  end
  return nil
end

local function list_members(t, prefix, sep, only_documented)
  local d = docs()
  local lines = {}
  for _, k in ipairs(sorted_keys(t)) do
    local v = rawget(t, k)
    local text = d[v]
    if text then
      lines[#lines + 1] = "  " .. first_line(text)
    elseif not only_documented and type(v) == "function" and k:sub(1, 1) ~= "_" then
      lines[#lines + 1] = "  " .. prefix .. sep .. k .. "(...)  (no documentation)"
    end
  end
  return lines
end

local function describe_class(mt, name)
  local text = class_doc(mt)
  out(text or (name .. " (no documentation)"), "\n")
  local m = methods_of(mt)
  if m then
    local lines = list_members(m, name:lower(), ":", false)
    if #lines > 0 then
      out("Methods:\n", table.concat(lines, "\n"), "\n")
    end
  end
end

local function overview()
  local sflex = package.loaded.sflex or {}
  out("sflex ", tostring(core.version), " - structural flexibility of metallic glasses in Lua ",
      _VERSION:match("%d.*") or "", "\n\n")
  local d = docs()
  local funcs, tables = {}, {}
  for _, k in ipairs(sorted_keys(sflex)) do
    local v = sflex[k]
    if k:sub(1, 1) ~= "_" then
      if type(v) == "function" then
        funcs[#funcs + 1] = "  " .. (d[v] and first_line(d[v]) or ("sflex." .. k .. "(...)  (no documentation)"))
      elseif type(v) == "table" and getmetatable(v) == nil then
        tables[#tables + 1] = "  sflex." .. k .. (d[v] and ("  " .. first_line(d[v])) or "")
      end
    end
  end
  out("Functions (help(sflex.NAME) or help \"NAME\" for details):\n")
  out(#funcs > 0 and table.concat(funcs, "\n") or "  (none loaded)", "\n")
  if #tables > 0 then
    out("\nTables:\n", table.concat(tables, "\n"), "\n")
  end
  local cls = classes()
  if #cls > 0 then
    out("\nClasses (help \"Name\", or help(object) on an object):\n")
    for _, c in ipairs(cls) do
      local text = class_doc(c.mt)
      out("  ", text and first_line(text) or c.name, "\n")
    end
  end
  out("\nIn the shell: TAB completes names (atoms:<TAB> lists methods), Ctrl-C\n",
      "interrupts a computation, Ctrl-D quits.  See doc/shell.md.\n")
end

local function describe(x, label)
  local d = docs()
  local sflex = package.loaded.sflex
  if sflex ~= nil and rawequal(x, sflex) then
    return overview()
  end
  local text = d[x]
  local t = type(x)
  if t == "table" and rawget(x, "__name") and methods_of(x) then
    -- a class metatable
    return describe_class(x, tostring(rawget(x, "__name")):gsub("^sflex%.", ""))
  end
  if text then
    out(text, "\n")
    if t == "table" then
      local lines = list_members(x, label or "", label and "." or "", true)
      if #lines > 0 then out("Contents:\n", table.concat(lines, "\n"), "\n") end
    end
    return
  end
  local mt = debug.getmetatable(x)
  if (t == "userdata" or t == "table") and type(mt) == "table" and class_doc(mt) then
    local name = tostring(rawget(mt, "__name") or "object"):gsub("^sflex%.", "")
    out(tostring(x), "\n")
    return describe_class(mt, name)
  end
  if t == "function" then
    local std = std_name(x)
    if std then
      out(std, ": a function of the Lua standard library; see ", MANUAL, std, "\n")
      return
    end
    local info = debug.getinfo(x, "S")
    if info.what == "Lua" then
      out(label or "function", ": defined at ", info.short_src, ":", info.linedefined,
          " (no documentation)\n")
    else
      out(label or "function", ": a C function (no documentation)\n")
    end
    return
  end
  if t == "table" then
    local lines = list_members(x, label or "", label and "." or "", true)
    if #lines > 0 then
      out(label or tostring(x), ":\n", table.concat(lines, "\n"), "\n")
    else
      local n = 0
      for _ in pairs(x) do n = n + 1 end
      out(label or tostring(x), ": a table with ", n, " entries (no documentation)\n")
    end
    return
  end
  out(label and (label .. ": ") or "", t, " ", tostring(x), " (no documentation)\n")
end

-- Walk a dotted / colon path ("sflex.atoms", "string.format", "atoms:select")
-- from root without raising.
local function walk(root, path)
  local v = root
  for part in path:gmatch("[^.:]+") do
    if v == nil then return nil end
    local ok, nv = pcall(function() return v[part] end)
    if not ok then return nil end
    if nv == nil then
      local mt = debug.getmetatable(v)
      local m = methods_of(mt)
      nv = m and rawget(m, part)
    end
    v = nv
  end
  return v
end

-- A name -> (value, label), or nil.
local function resolve(name)
  local reg = debug.getregistry()
  local cname, rest = name:match("^([%w_]+)[.:]?(.*)$")
  if cname then
    local qualified = cname:match("^sflex$") and rest:match("^%u[%w_]*$") and "sflex." .. rest
    local mt = reg["sflex." .. cname] or (qualified and reg[qualified])
    if type(mt) == "table" and rawget(mt, "__name") then
      if qualified or rest == "" then return mt, name end
      local m = methods_of(mt)
      local f = m and rawget(m, rest)
      if f ~= nil then return f, name end
    end
  end
  if not name:match("^[%w_][%w_.:]*$") then return nil end
  local v = walk(_G, name)
  if v ~= nil then return v, name end
  v = walk(package.loaded.sflex, name)
  if v ~= nil then return v, "sflex." .. name end
  return nil
end

local function suggest(name)
  local key = (name:match("([%w_]+)$") or name):lower()
  if key == "" then return {} end
  local found = {}
  local sflex = package.loaded.sflex
  if type(sflex) == "table" then
    for _, k in ipairs(sorted_keys(sflex)) do
      if k:lower():find(key, 1, true) then found[#found + 1] = "sflex." .. k end
    end
  end
  for _, c in ipairs(classes()) do
    if c.name:lower():find(key, 1, true) then found[#found + 1] = c.name end
    local m = methods_of(c.mt)
    if m then
      for _, k in ipairs(sorted_keys(m)) do
        if k:lower():find(key, 1, true) then found[#found + 1] = c.name .. ":" .. k end
      end
    end
  end
  return found
end

function M.help(...)
  if select("#", ...) == 0 then
    return overview()
  end
  local x = ...
  if type(x) == "string" then
    local v, label = resolve(x)
    if v == nil then
      out("help: nothing called '", x, "'")
      local s = suggest(x)
      if #s > 0 then
        out("; did you mean: ", table.concat(s, ", ", 1, math.min(#s, 12)), #s > 12 and ", ..." or "")
      end
      out("\n")
      return
    end
    return describe(v, label)
  end
  if x == nil then
    out("help: the value is nil (a misspelt name?); help() lists what there is\n")
    return
  end
  return describe(x)
end

function M.doc(value, text)
  local t = type(value)
  if t ~= "function" and t ~= "table" and t ~= "userdata" then
    error("doc: expected a function, table or userdata, got " .. t, 2)
  end
  if type(text) ~= "string" then
    error("doc: expected the documentation text (a string)", 2)
  end
  docs()[value] = text
  return value
end

M.doc(M.help,
  "help([x]) -- documentation of x (a function, object, class or its name)\n" ..
  "help() lists the sflex functions and classes; help(obj) shows the class of an\n" ..
  "object and its methods; help \"name\" looks a name up (sflex.read, Atoms:select,\n" ..
  "string.format).")
M.doc(M.doc,
  "sflex.doc(value, text) -> value -- attach documentation to a Lua function or table\n" ..
  "so that help(value) prints it (first line: the call signature).")

return M
