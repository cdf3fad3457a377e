-- sflex.cli: small, generic command-line parsing for the scripts.
--
--   local cli = require "sflex.cli"
--   local opt = cli.parse(arg, {
--     usage = "sflex scripts/rdf.lua CONFIG [options]",
--     positional = {"config"},               -- required positionals, in order
--     rest = "files",                        -- optional: collect extra positionals
--     options = {
--       elements = {type = "list", help = "species names for types 1..k"},
--       rmax     = {type = "number", default = 10, help = "largest r"},
--       out      = {type = "string", help = "output file"},
--       log      = {type = "flag", help = "use ln of the label"},
--       train    = {type = "multi", help = "one or more files"},
--     },
--   })
-- Types: string, number, integer, list (comma separated), flag (no value),
-- multi (every following word up to the next --option), map (A=1,B=2).
-- Errors print the usage and exit with status 2; --help prints it and exits 0.
local M = {}

local function fail(spec, msg)
  io.stderr:write(arg and arg[0] and (arg[0] .. ": ") or "", msg, "\n")
  io.stderr:write(M.usage(spec))
  os.exit(2)
end

function M.usage(spec)
  local out = {"usage: " .. (spec.usage or "sflex script [options]") .. "\n"}
  local names = {}
  for name in pairs(spec.options or {}) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local o = spec.options[name]
    local flag = "--" .. name
    if o.type ~= "flag" then flag = flag .. " " .. (o.metavar or o.type:upper()) end
    local def = o.default ~= nil and o.type ~= "flag"
      and (" (default " .. tostring(type(o.default) == "table" and table.concat(o.default, ",") or o.default) .. ")")
      or ""
    out[#out + 1] = string.format("  %-28s %s%s\n", flag, o.help or "", def)
  end
  return table.concat(out)
end

local function convert(spec, name, o, v)
  local t = o.type or "string"
  if t == "number" or t == "integer" then
    local n = tonumber(v)
    if not n or n ~= n or n == math.huge or n == -math.huge then
      fail(spec, "--" .. name .. ": expected a number, got '" .. tostring(v) .. "'")
    end
    if t == "integer" then
      if math.type(n) ~= "integer" then
        if n ~= math.floor(n) then fail(spec, "--" .. name .. ": expected an integer, got '" .. v .. "'") end
        n = math.tointeger(n)
      end
    end
    return n
  elseif t == "list" then
    local list = {}
    for item in v:gmatch("[^,]+") do list[#list + 1] = item end
    if #list == 0 then fail(spec, "--" .. name .. ": empty list") end
    return list
  elseif t == "map" then
    local map = {}
    for item in v:gmatch("[^,]+") do
      local k, val = item:match("^([^=]+)=(.+)$")
      if not k then fail(spec, "--" .. name .. ": expected KEY=VALUE, got '" .. item .. "'") end
      map[k] = tonumber(val) or val
    end
    return map
  end
  return v
end

function M.parse(argv, spec)
  local opts = spec.options or {}
  local res, pos = {}, {}
  local i = 1
  while argv[i] ~= nil do
    local a = argv[i]
    if a == "--help" or a == "-h" then
      io.stdout:write(M.usage(spec))
      os.exit(0)
    elseif a == "--" then
      for j = i + 1, #argv do pos[#pos + 1] = argv[j] end
      break
    elseif a:sub(1, 2) == "--" then
      local name, inline = a:sub(3):match("^([^=]+)=(.*)$")
      name = name or a:sub(3)
      local key = name:gsub("-", "_")
      local o = opts[name] or opts[key]
      if not o then fail(spec, "unknown option --" .. name) end
      if o.type == "flag" then
        res[key] = true
      elseif o.type == "multi" then
        local list = res[key] or {}
        if inline then list[#list + 1] = inline end
        while argv[i + 1] ~= nil and argv[i + 1]:sub(1, 2) ~= "--" do
          i = i + 1
          list[#list + 1] = argv[i]
        end
        if #list == 0 then fail(spec, "--" .. name .. ": expected at least one value") end
        res[key] = list
      else
        local v = inline
        if v == nil then
          i = i + 1
          v = argv[i]
          if v == nil then fail(spec, "--" .. name .. ": missing value") end
        end
        res[key] = convert(spec, name, o, v)
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  for name, o in pairs(opts) do
    local key = name:gsub("-", "_")
    if res[key] == nil then
      if o.required then fail(spec, "missing required option --" .. name) end
      if o.default ~= nil then res[key] = o.default end
    end
  end
  local required = spec.positional or {}
  if #pos < #required then
    fail(spec, "missing argument " .. required[#pos + 1]:upper())
  end
  for k, name in ipairs(required) do res[name] = pos[k] end
  if spec.rest then
    local rest = {}
    for k = #required + 1, #pos do rest[#rest + 1] = pos[k] end
    res[spec.rest] = rest
  elseif #pos > #required then
    fail(spec, "unexpected argument '" .. pos[#required + 1] .. "'")
  end
  return res
end

-- key=value strings (a --list option such as --art lambda=0.01,events=5)
-- into the table `into`: numbers become numbers, true/false booleans, the
-- rest stays a string.  `who` names the script in the error.
function M.assignments(list, into, who)
  for _, kv in ipairs(list or {}) do
    local k, v = kv:match("^([%w_]+)=(.+)$")
    if not k then error(who .. ": --art wants key=value, not '" .. kv .. "'", 0) end
    into[k] = v == "true" or (v ~= "false" and (math.tointeger(tonumber(v)) or tonumber(v)))
  end
  return into
end

return M
