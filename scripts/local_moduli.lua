-- local_moduli.lua: local elastic shear modulus (C44) of every atom and the
-- global shear modulus G (paper Fig. 6, S13, S14).
--
--   sflex scripts/local_moduli.lua CONFIG --elements Cu,Zr [--model M.sfmodel]
--     [--mode yz] [--delta 1e-3] [--coarse-grain R] [--unrelaxed]
--     [--slab 4] [--extreme 0.05] [--baselines] [--np 1] [--potential FILE] --out DIR
--
-- Athermal: CONFIG (an inherent structure) is minimised, sheared by
-- +delta and -delta and minimised again at fixed box; the per-atom stress
-- change over the atom's Voronoi volume gives its modulus (sflex.local_moduli).
-- In DIR:
--   moduli.dump     id type x y z c44 volume [c44_cg] [sf]
--   summary.txt     G (global), the volume-weighted and plain means of the
--                   local moduli, per-species means
--   by_sf.txt/.png  (with a model) mean local modulus of each SF decile per
--                   species, and the Pearson/Spearman correlation
--   slab.png        Fig. 6: map of the local modulus of each species in a
--                   slab, atoms with the lowest (white) and highest (black)
--                   --extreme SF marked (with a model)
--   correlations.txt (with a model or --baselines) per species and
--                   structural measure (SF; --baselines: Voronoi volume,
--                   five-fold fraction): Pearson and Spearman correlation
--                   with the per-atom modulus (and the coarse-grained one;
--                   then also <measure>_cg, the measure averaged over the
--                   same spheres, against it), and the mean modulus of the
--                   atoms with the lowest and highest --extreme of the
--                   measure
-- The column is named after the Voigt component of the mode: c44 (yz),
-- c55 (xz), c66 (xy).  doc/mechanics.md.
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"

local opt = cli.parse(arg, {
  usage = "sflex scripts/local_moduli.lua CONFIG --elements Cu,Zr [options] --out DIR",
  positional = {"config"},
  options = {
    elements = {type = "list", help = "species of types 1..k (pair_coeff order)"},
    model = {type = "string", help = "SF model for the correlation and the map markers"},
    mode = {type = "string", default = "yz", help = "shear mode (yz: C44, xz: C55, xy: C66)"},
    delta = {type = "number", default = 1e-3, help = "shear strain of the finite difference"},
    ["coarse-grain"] = {type = "number", help = "also coarse-grain the moduli over this radius (A)"},
    unrelaxed = {type = "flag", help = "no relaxation after the strain (affine modulus)"},
    slab = {type = "number", default = 4.0, help = "slab thickness (A)"},
    ["slab-axis"] = {type = "string", default = "z", help = "slab normal (x, y or z)"},
    extreme = {type = "number", default = 0.05, help = "fraction of lowest/highest SF atoms marked"},
    baselines = {type = "flag", help = "also correlate with Voronoi volume and five-fold fraction"},
    groups = {type = "integer", default = 10, help = "SF groups for by_sf.txt"},
    potential = {type = "string", help = "EAM potential (default Debian's CuZr_mm.eam.fs)"},
    np = {type = "integer", default = 1, help = "MPI ranks for LAMMPS"},
    ftol = {type = "number", default = 1e-8, help = "minimiser force tolerance (eV/A)"},
    out = {type = "string", required = true, help = "output directory"},
    quiet = {type = "flag", help = "no summary on stdout"},
  },
})

local function path(name) return opt.out .. "/" .. name end
assert(os.execute("mkdir -p '" .. opt.out:gsub("'", "'\\''") .. "'"))

local atoms = sflex.read(opt.config, {elements = opt.elements}):sort_by_id()
local r = sflex.local_moduli{atoms = atoms, mode = opt.mode, delta = opt.delta,
                             relax = not opt.unrelaxed, coarse_grain = opt.coarse_grain,
                             potential = opt.potential, np = opt.np, minimize = {ftol = opt.ftol}}
local a = r.atoms
local key = r.name:lower()
local C = a:column(key)
local cols = {"id", "type", "x", "y", "z", key, "volume"}
if opt.coarse_grain then cols[#cols + 1] = key .. "_cg" end
local model = opt.model and sflex.load_model(opt.model)
local sf = model and model:sf(a)
if sf then a:set_column("sf", sf); cols[#cols + 1] = "sf" end
sflex.write(path("moduli.dump"), a, {columns = cols})

local lines = {
  string.format("config %s (%d atoms), mode %s (%s), delta %g, %s", opt.config, #a, r.mode, r.name,
                r.delta, r.relax and "relaxed" or "unrelaxed (affine)"),
  string.format("G_global_GPa %.10g", r.G),
  string.format("G_volume_weighted_mean_GPa %.10g", r.G_volume_mean),
  string.format("G_mean_GPa %.10g", r.G_mean),
  string.format("residual_shear_stress_GPa %.6g", r.stress0),
  string.format("one_sided_slopes_GPa %.6g %.6g", r.G_plus, r.G_minus),
  string.format("voronoi_volume_sum %.10g box_volume %.10g", r.voronoi_total, r.volume),
}
if r.warning then table.insert(lines, 2, "WARNING " .. r.warning) end
for _, sp in ipairs(a.species) do
  local c = C:select(a:mask(sp))
  lines[#lines + 1] = string.format("%s_mean_%s_GPa %.6g std %.6g min %.6g max %.6g", sp, key,
                                    c:mean(), c:std(), c:min(), c:max())
end

local field = opt.coarse_grain and a:column(key .. "_cg") or C
local panels, bars, tcols = {}, {}, nil
local slab, frac = sflex.slab_mask(a, {axis = opt.slab_axis, thickness = opt.slab})
for _, sp in ipairs(a.species) do
  local mask = a:mask(sp)
  local sel = slab:band(mask)
  local xc, yc, Z, ax = sflex.slab_map(a, field, sel, {axis = opt.slab_axis, frac = frac})
  local series = {}
  if sf then
    local low = sflex.top_mask(-sf, opt.extreme, mask):band(sel)
    local high = sflex.top_mask(sf, opt.extreme, mask):band(sel)
    local len = a.box.len
    for _, m in ipairs {{low, "white"}, {high, "black"}} do
      local px, py = {}, {}
      for i = 1, #a do
        if m[1][i] ~= 0 then
          px[#px + 1] = frac[i][ax[1]] * len[ax[1]]
          py[#py + 1] = frac[i][ax[2]] * len[ax[2]]
        end
      end
      if #px > 0 then
        series[#series + 1] = {x = px, y = py, style = "points pt 6 ps 1.3 lw 2 lc rgb '" .. m[2] .. "'"}
      end
    end
    local grp, sfm = sflex.stats.quantile_groups(sf:select(mask), opt.groups)
    local cm = sflex.stats.group_means(C:select(mask), grp, opt.groups)
    tcols = tcols or {{"group", sflex.range(1, opt.groups)}}
    tcols[#tcols + 1] = {sp .. "_sf_mean", sfm}
    tcols[#tcols + 1] = {sp .. "_" .. key .. "_mean", cm}
    bars[#bars + 1] = {title = sp, xlabel = "<SF> of the group", ylabel = "<" .. r.name .. "> (GPa)",
                       key = false, series = {{x = sfm, y = cm, style = "linespoints pt 7"}}}
    lines[#lines + 1] = string.format("%s_pearson_sf_%s %.4f spearman %.4f", sp, key,
      sflex.stats.pearson(sf:select(mask), C:select(mask)), sflex.stats.spearman(sf:select(mask), C:select(mask)))
  end
  panels[#panels + 1] = {title = string.format("%s: %s%s (GPa), %g A slab%s", sp, r.name,
                           opt.coarse_grain and " coarse-grained" or "", opt.slab,
                           sf and string.format("; white/black: lowest/highest %g%% SF", 100 * opt.extreme) or ""),
                         image = {x = xc, y = yc, z = Z}, key = false,
                             xlabel = ({"x", "y", "z"})[ax[1]] .. " (A)", ylabel = ({"x", "y", "z"})[ax[2]] .. " (A)",
                         xrange = {0, a.box.len[ax[1]]}, yrange = {0, a.box.len[ax[2]]},
                         series = #series > 0 and series or nil}
end
plot.render{out = path("slab.png"), panels = panels}
if tcols then
  plot.write_table(path("by_sf.txt"), tcols, {comment = "mean local modulus of each equal-count SF group, per species"})
  plot.render{out = path("by_sf.png"), panels = bars}
end

-- correlations of each structural measure with the per-atom (and the
-- coarse-grained) modulus, and the mean modulus of its extremes
local measures = {}
if sf then measures[#measures + 1] = {"sf", sf} end
if opt.baselines then
  local vor = sflex.voronoi(a)
  measures[#measures + 1] = {"volume", vor.volume}
  measures[#measures + 1] = {"fivefold", vor.fivefold}
end
if #measures > 0 then
  local fields = {{key, C}}
  if opt.coarse_grain then
    -- also region against region: the measure averaged over the same
    -- spheres (all species) against the coarse-grained modulus
    fields[2] = {key .. "_cg", a:column(key .. "_cg")}
    local n = #measures
    for k = 1, n do
      local m = measures[k]
      measures[#measures + 1] = {m[1] .. "_cg", sflex.coarse_grain(a, m[2], opt.coarse_grain), only = 2}
    end
  end
  local rows = {species = {}, measure = {}, modulus = {}, pearson = {}, spearman = {},
                mean_low = {}, mean_high = {}, n = {}}
  for _, sp in ipairs(a.species) do
    local mask = a:mask(sp)
    for _, m in ipairs(measures) do
      local low = sflex.top_mask(-m[2], opt.extreme, mask)
      local high = sflex.top_mask(m[2], opt.extreme, mask)
      local x = m[2]:select(mask)
      for f, fld in ipairs(fields) do
        if m.only and m.only ~= f then goto next end
        local y = fld[2]:select(mask)
        local k = #rows.species + 1
        rows.species[k], rows.measure[k], rows.modulus[k] = sp, m[1], fld[1]
        rows.pearson[k] = sflex.stats.pearson(x, y)
        rows.spearman[k] = sflex.stats.spearman(x, y)
        rows.mean_low[k] = fld[2]:select(low):mean()
        rows.mean_high[k] = fld[2]:select(high):mean()
        rows.n[k] = #x
        lines[#lines + 1] = string.format("%s %-8s vs %-7s pearson %7.4f spearman %7.4f; mean %s of the " ..
          "lowest / highest %g%%: %.4g / %.4g GPa", sp, m[1], fld[1], rows.pearson[k], rows.spearman[k],
          fld[1], 100 * opt.extreme, rows.mean_low[k], rows.mean_high[k])
        ::next::
      end
    end
  end
  plot.write_table(path("correlations.txt"), {{"species", rows.species}, {"measure", rows.measure},
    {"modulus", rows.modulus}, {"pearson", rows.pearson}, {"spearman", rows.spearman},
    {"mean_low", rows.mean_low}, {"mean_high", rows.mean_high}, {"n", rows.n}},
    {comment = string.format("per-atom correlation of each measure with the local modulus (GPa); " ..
      "mean_low/high: mean modulus of the atoms with the lowest/highest %g%% of the measure", 100 * opt.extreme)})
end

local f = assert(io.open(path("summary.txt.part"), "w"))
f:write(table.concat(lines, "\n"), "\n")
assert(f:close())
assert(os.rename(path("summary.txt.part"), path("summary.txt")))
if not opt.quiet then print(table.concat(lines, "\n")) end
if r.warning then io.stderr:write("warning: ", r.warning, "\n") end
