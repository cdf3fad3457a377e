-- sflex.vib: vibrational analysis helpers on top of the EAM Hessian and the
-- eigen-solvers of the C core (sflex.eam, sflex.modes, sflex.participation,
-- sflex.harmonic_msd; see doc/vibrations.md).
--
--   local pot = sflex.eam("/usr/share/lammps/potentials/CuZr_mm.eam.fs")
--   local p, nu = sflex.soft_modes(pot, atoms)            -- paper Fig. 4 p_i
--   local vd = sflex.harmonic_vdos(pot:hessian(atoms), {bins = 100})
--   local msd = sflex.harmonic_msd(pot, atoms, 300)       -- A^2 per atom
local core = require "sflex_core"

local M = {}

local doc = require("sflex.help").doc   -- doc(f, text) registers help(f)

local function check_table(opts, fname)
  if opts ~= nil and type(opts) ~= "table" then
    error(fname .. ": options must be a table", 3)
  end
  return opts or {}
end

-- Participation of each atom in the lowest fraction of the normal modes
-- (paper Methods: p_i = sum over the modes of |e_i|^2 with unit
-- mass-weighted eigenvectors; sum_i p_i = number of modes).
function M.soft_modes(pot, atoms, opts)
  opts = check_table(opts, "soft_modes")
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  if o.lowest == nil and o.fraction == nil then o.fraction = 0.01 end
  o.potential = pot
  local p, nu, _, info = core.participation(atoms, o)
  return p, nu, info
end
doc(M.soft_modes,
  "sflex.soft_modes(pot, atoms [, {fraction=0.01 | lowest=k, method=..., masses=...}])\n" ..
  "  -> p (Vector per atom), nu (Vector, THz), info\n" ..
  "  Participation p_i of each atom in the lowest 1% (default) of the normal modes\n" ..
  "  of the mass-weighted Hessian, translations removed (paper Methods, Fig. 4).")

-- Mean of y over the atoms ranked by x, species by species: the highest
-- and lowest `frac` of x and `groups` equal-count groups (deciles).
function M.rank_split(x, y, atoms, opts)
  opts = check_table(opts, "rank_split")
  local frac, groups = opts.frac or 0.1, opts.groups or 10
  if not (frac > 0 and frac <= 0.5) then error("rank_split: frac must be in (0, 0.5]", 2) end
  if math.type(groups) ~= "integer" or groups < 1 then
    error("rank_split: groups must be a positive integer", 2)
  end
  local n = atoms.n
  if #x ~= n or #y ~= n then
    error(string.format("rank_split: %d x and %d y values for %d atoms", #x, #y, n), 2)
  end
  local stats = require("sflex").stats
  local out = {}
  for t = 1, atoms.ntypes do
    local m = atoms:mask(t)
    local c = math.tointeger(m:count())
    if c >= groups and c >= 2 then
      local xs, ys = x:select(m), y:select(m)
      local ord = xs:order()
      local k = math.max(1, math.floor(frac * c + 0.5))
      local g = stats.quantile_groups(xs, groups)
      local gx, counts = stats.group_means(xs, g, groups)
      local gy = stats.group_means(ys, g, groups)
      out[#out + 1] = {
        species = atoms.species and atoms.species[t] or tostring(t), type = t, n = c,
        mean = ys:mean(),
        lo = ys:take(ord:slice(1, k)):mean(), hi = ys:take(ord:slice(c - k + 1, c)):mean(),
        k = k, groups = {x = gx, y = gy, count = counts},
      }
    end
  end
  return out
end
doc(M.rank_split,
  "sflex.rank_split(x, y, atoms [, {frac=0.1, groups=10}])\n" ..
  "  -> {{species, type, n, mean, hi, lo, k, groups = {x, y, count}}, ...}\n" ..
  "  Per species: mean of y over the k = round(frac n) atoms with the highest (hi)\n" ..
  "  and lowest (lo) x, and over `groups` equal-count groups of x (groups.x: mean\n" ..
  "  x, groups.y: mean y, lowest x first).  E.g. participation p by SF decile.")

-- Histogram of the harmonic frequencies: g(nu), normalised to integrate to 1.
function M.harmonic_vdos(src, opts)
  opts = check_table(opts, "harmonic_vdos")
  local nu
  if type(src) == "userdata" and getmetatable(src) and getmetatable(src).__name == "sflex.Vector" then
    nu = src
  else
    local n3 = #src
    nu = core.modes(src, {lowest = n3 - 3, vectors = false, method = "dense",
                          masses = opts.masses})
  end
  local bins = opts.bins or 100
  local numax = opts.nu_max
  if not numax then
    numax = 0
    for i = 1, #nu do if nu[i] > numax then numax = nu[i] end end
    numax = numax * 1.0001
  end
  local width = numax / bins
  local g = core.vector(bins, 0)
  local centre = core.vector(bins, 0)
  local count = 0
  for i = 1, #nu do
    local b = math.floor(nu[i] / width) + 1
    if b >= 1 and b <= bins then
      g[b] = g[b] + 1
      count = count + 1
    end
  end
  local reduced = core.vector(bins, 0)
  for b = 1, bins do
    centre[b] = (b - 0.5) * width
    g[b] = count > 0 and g[b] / (#nu * width) or 0
    reduced[b] = g[b] / (centre[b] * centre[b])
  end
  return {nu = centre, g = g, reduced = reduced, width = width, modes = #nu}
end
doc(M.harmonic_vdos,
  "sflex.harmonic_vdos(H | nu [, {bins=100, nu_max=, masses=}])\n" ..
  "  -> {nu = bin centres (THz), g = VDOS (1/THz, integrates to 1), reduced = g/nu^2,\n" ..
  "      width =, modes =}\n" ..
  "  Harmonic vibrational density of states from all 3N-3 eigenfrequencies of the\n" ..
  "  mass-weighted Hessian (dense solver), or from a given Vector of frequencies.")

return M
