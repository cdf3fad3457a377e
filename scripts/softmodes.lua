-- softmodes.lua: participation of atoms in the soft (lowest-frequency)
-- normal modes against SF (paper Fig. 4), with the Voronoi volume as the
-- baseline structural indicator.
--
--   sflex scripts/softmodes.lua CONFIG [--model M] [--elements Cu,Zr]
--     [--potential F] [--fraction 0.01] [--volume DUMP] --out PREFIX
--
-- CONFIG must be an inherent structure (energy minimum).  p_i = sum over the
-- lowest fraction of the 3N-3 modes of |e_i|^2 (sflex.soft_modes).  Per
-- species: mean p of the 10 % highest / lowest SF atoms and of the 10 %
-- largest / smallest Voronoi volumes, and mean p per SF (volume) decile.
-- Volumes: the `volume` column of --volume DUMP (matched by atom id, e.g.
-- the sample's vflex.dump.gz), else CONFIG's own, else sflex.voronoi.
-- Writes PREFIX.txt (the splits), PREFIX_deciles.txt, PREFIX_atoms.txt
-- (id type sf volume p) and PREFIX.png (mean p per decile).
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"
local stats = sflex.stats

local root = (arg[0] or ""):match("^(.*)/scripts/[^/]+$") or "."
local opt = cli.parse(arg, {
  usage = "sflex scripts/softmodes.lua CONFIG [options] --out PREFIX",
  positional = {"config"},
  options = {
    model = {type = "string", default = root .. "/examples/CuZr.sfmodel", help = "SF model"},
    elements = {type = "list", help = "species of types 1..k (default: the model's)"},
    potential = {type = "string", default = "/usr/share/lammps/potentials/CuZr_mm.eam.fs",
                 help = "EAM potential (eam/fs or eam/alloy)"},
    fraction = {type = "number", default = 0.01, help = "fraction of the lowest modes"},
    split = {type = "number", default = 0.1, help = "fraction of atoms in the high / low groups"},
    volume = {type = "string", help = "dump with a per-atom 'volume' column (matched by id)"},
    method = {type = "string", default = "auto", help = "eigen-solver: auto | dense | sparse | block"},
    out = {type = "string", required = true, help = "output prefix"},
    format = {type = "string", default = "png", help = "plot format: png | svg | pdf"},
  },
})
if not (opt.fraction > 0 and opt.fraction <= 1) then
  error("softmodes.lua: --fraction must be in (0, 1], not " .. opt.fraction, 0)
end
if not (opt.split > 0 and opt.split <= 0.5) then
  error("softmodes.lua: --split must be in (0, 0.5], not " .. opt.split, 0)
end

local model = sflex.load_model(opt.model)
local atoms = sflex.read(opt.config, {elements = opt.elements or model.elements})
local pot = sflex.eam(opt.potential)

-- Voronoi volumes: --volume dump (by id), the config's column, or voro++
local volume, vsrc
if opt.volume then
  local v = sflex.read(opt.volume)
  local ok, col = pcall(v.column, v, "volume")
  if not ok or not col then error(opt.volume .. ": no per-atom column 'volume'", 0) end
  if v.n ~= atoms.n then
    error(string.format("%s has %d atoms, %s has %d", opt.volume, v.n, opt.config, atoms.n), 0)
  end
  local at = {}
  for i = 1, v.n do at[math.tointeger(v.id[i])] = i end
  volume = sflex._core.vector(atoms.n, 0)
  for i = 1, atoms.n do
    local j = at[math.tointeger(atoms.id[i])]
    if not j then error(string.format("%s: no atom with id %d", opt.volume, math.tointeger(atoms.id[i])), 0) end
    volume[i] = col[j]
  end
  vsrc = opt.volume
else
  local ok, col = pcall(atoms.column, atoms, "volume")
  if ok and col then volume, vsrc = col, opt.config
  else volume, vsrc = sflex.voronoi(atoms).volume, "sflex.voronoi" end
end

local sf = model:sf(atoms)
local p, nu, info = sflex.soft_modes(pot, atoms, {fraction = opt.fraction, method = opt.method})
print(string.format("%s: %d atoms, %d modes (lowest %g of 3N-3), nu %.4f .. %.4f THz, %s solver, %.1f s",
  opt.config, atoms.n, #nu, opt.fraction, nu[1], nu[#nu], info.method, info.seconds))

local rows = {key = {}, species = {}, n = {}, k = {}, mean_p = {}, p_hi = {}, p_lo = {}, ratio = {}, spearman = {}}
local dec = {key = {}, species = {}, group = {}, mean_x = {}, mean_p = {}, count = {}}
local panels = {}
local by_species = {}
for _, key in ipairs {"sf", "volume"} do
  local x = key == "sf" and sf or volume
  for _, r in ipairs(sflex.rank_split(x, p, atoms, {frac = opt.split, groups = 10})) do
    local m = atoms:mask(r.type)
    local rs = stats.spearman(x:select(m), p:select(m))
    local i = #rows.key + 1
    rows.key[i], rows.species[i], rows.n[i], rows.k[i] = key, r.species, r.n, r.k
    rows.mean_p[i], rows.p_hi[i], rows.p_lo[i], rows.ratio[i] = r.mean, r.hi, r.lo, r.hi / r.lo
    rows.spearman[i] = rs
    print(string.format("%-6s %-3s n=%-5d mean p %.5f  top %d%%: %.5f  bottom: %.5f  ratio %.3f  spearman %.3f",
      key, r.species, r.n, r.mean, math.floor(100 * opt.split + 0.5), r.hi, r.lo, r.hi / r.lo, rs))
    local gx = sflex._core.vector(10, 0)
    for g = 1, 10 do
      local j = #dec.key + 1
      dec.key[j], dec.species[j], dec.group[j] = key, r.species, g
      dec.mean_x[j], dec.mean_p[j], dec.count[j] = r.groups.x[g], r.groups.y[g], r.groups.count[g]
      gx[g] = g
    end
    by_species[r.species] = by_species[r.species] or {}
    table.insert(by_species[r.species], {x = gx, y = r.groups.y, title = key == "sf" and "SF decile" or "Voronoi volume decile",
      style = "linespoints lw 2 pt 7"})
  end
end
for _, c in ipairs(atoms.species or {}) do
  if by_species[c] then
    panels[#panels + 1] = {title = c, xlabel = "decile (1 = lowest)", ylabel = "mean p (lowest " ..
      (100 * opt.fraction) .. "% modes)", key = "top left", series = by_species[c], xrange = {0.5, 10.5}}
  end
end

local comment = string.format("softmodes.lua %s: %d lowest modes (%g of 3N-3), nu %.6g..%.6g THz; model %s; volume from %s",
  opt.config, #nu, opt.fraction, nu[1], nu[#nu], opt.model, vsrc)
plot.write_table(opt.out .. ".txt", {{"key", rows.key}, {"species", rows.species}, {"n", rows.n}, {"k", rows.k},
  {"mean_p", rows.mean_p}, {"p_hi", rows.p_hi}, {"p_lo", rows.p_lo}, {"ratio", rows.ratio},
  {"spearman", rows.spearman}}, {comment = comment .. "\np_hi/p_lo: mean p of the k atoms with the highest/lowest key"})
plot.write_table(opt.out .. "_deciles.txt", {{"key", dec.key}, {"species", dec.species}, {"group", dec.group},
  {"mean_x", dec.mean_x}, {"mean_p", dec.mean_p}, {"count", dec.count}}, {comment = comment})
plot.write_table(opt.out .. "_atoms.txt", {{"id", atoms.id}, {"type", atoms.type}, {"sf", sf}, {"volume", volume},
  {"p", p}}, {comment = comment})
print("wrote " .. opt.out .. ".txt, " .. opt.out .. "_deciles.txt, " .. opt.out .. "_atoms.txt")
if plot.available() then
  plot.render{out = opt.out .. "." .. opt.format, panels = panels}
  print("wrote " .. opt.out .. "." .. opt.format)
else
  io.stderr:write("gnuplot not found: plot skipped\n")
end
