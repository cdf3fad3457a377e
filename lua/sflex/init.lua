-- sflex: structural flexibility of metallic glasses.
--
-- The public module.  The C core (atoms, neighbour lists, descriptors,
-- regression, eigen-solvers, FFT) comes from the sflex_core module; Lua-side
-- helpers live in lua/sflex/*.lua and are merged in here when present.
local core = require "sflex_core"

local sflex = {}
for k, v in pairs(core) do
  if k:sub(1, 1) ~= "_" then sflex[k] = v end
end
sflex._core = core
-- Registered before the Lua-side modules load, so that they may
-- require "sflex" themselves.
package.loaded["sflex"] = sflex

-- Lua-side modules that extend the namespace (each returns a table of
-- functions to merge, or nothing).  Missing optional modules are skipped;
-- errors inside a present module are raised.
local function extend(name)
  local path = package.searchpath(name, package.path)
  if not path then return end
  local mod = require(name)
  if type(mod) == "table" then
    for k, v in pairs(mod) do
      if sflex[k] == nil then sflex[k] = v end
    end
  end
end

for _, name in ipairs {
  "sflex.help", "sflex.structure", "sflex.lammps", "sflex.learn", "sflex.vib",
  "sflex.mech", "sflex.vdos", "sflex.art",
} do
  extend(name)
end

return sflex
