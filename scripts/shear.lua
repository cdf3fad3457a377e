-- shear.lua: structural flexibility against stress-driven shear
-- transformations (paper Figs. 7, 8, S16-S22).
--
--   sflex scripts/shear.lua CONFIG --elements Cu,Zr [--model M.sfmodel]
--     [--mode xy] [--strain 0.05] [--step 1e-3] [--cutoff 4.0] [--top 0.05]
--     [--directions all | xy,-xy,...] [--layers 20 --layer-every 0.01]
--     [--baselines] [--traj] [--replay OLD] [--np 1] [--potential FILE] --out DIR
--
-- Athermal quasi-static simple shear of CONFIG (an inherent structure)
-- through LAMMPS, then in DIR:
--   curve.txt/.png      Fig. 8: shear stress, PE and system-averaged SF per
--                       species against strain (changes from strain 0)
--   d2min.dump          the sheared configuration with d2min (and sf)
--   enrichment.txt/.png Fig. 7: atoms of each species sorted by SF into
--                       deciles; share of the species' top --top D2min atoms
--                       in each decile (and the rate within the decile);
--                       --baselines adds the same for Voronoi volume and
--                       five-fold symmetry (Figs. S16-S19)
--   slab.png            Fig. 7 maps: SF of each species in a 4 A slab, its top
--                       D2min atoms marked (without a model: log10 D2min)
--   directions.txt/.png Fig. S20 (--directions): D2min averaged over loading
--                       modes, and its enrichment by SF
--   layers.txt/.png     Fig. S22 (--layers): D2min, SF and atom count in
--                       layers normal to the shear gradient, every
--                       --layer-every of strain
--   summary.txt         the numbers quoted in doc/mechanics.md: final stress,
--                       PE and SF changes, Pearson r of <SF> with stress and
--                       PE along the curve, top-D2min shares of the extreme
--                       groups
--   traj.dump.gz        (--traj) the configuration at every step
-- D2min is measured from the minimised CONFIG (strain 0) to the final
-- strain, with neighbours closer than --cutoff.  --replay OLD takes the
-- loading curve and configurations from an earlier --traj run in OLD
-- (and, with --directions, its d2min_avg.dump) instead of running LAMMPS:
-- nothing of the shear depends on the SF model, so a new model needs no
-- new simulation.  doc/mechanics.md.
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"

local opt = cli.parse(arg, {
  usage = "sflex scripts/shear.lua CONFIG --elements Cu,Zr [options] --out DIR",
  positional = {"config"},
  options = {
    elements = {type = "list", help = "species of types 1..k (pair_coeff order)"},
    model = {type = "string", help = "SF model (sflex scripts/train.lua)"},
    mode = {type = "string", default = "xy", help = "shear mode [-]ab: du_a/db (xy xz yz yx zx zy)"},
    strain = {type = "number", default = 0.05, help = "final shear strain"},
    step = {type = "number", default = 1e-3, help = "strain step"},
    cutoff = {type = "number", default = 4.0, help = "D2min neighbour cutoff (A)"},
    top = {type = "number", default = 0.05, help = "fraction of largest D2min atoms per species"},
    groups = {type = "integer", default = 10, help = "equal-count SF groups"},
    slab = {type = "number", default = 4.0, help = "slab thickness (A)"},
    ["slab-axis"] = {type = "string", default = "z", help = "slab normal (cell axis x, y or z)"},
    directions = {type = "list", help = "loading modes to average D2min over ('all': 12)"},
    layers = {type = "integer", help = "layers for the shear-band analysis (Fig. S22)"},
    ["layer-every"] = {type = "number", default = 0.01, help = "strain between layer profiles"},
    baselines = {type = "flag", help = "also Voronoi volume and five-fold symmetry deciles"},
    traj = {type = "flag", help = "write every step to traj.dump.gz (for --replay)"},
    replay = {type = "string", help = "directory of an earlier --traj run: reuse its shear, no LAMMPS"},
    potential = {type = "string", help = "EAM potential (default Debian's CuZr_mm.eam.fs)"},
    np = {type = "integer", default = 1, help = "MPI ranks for LAMMPS"},
    ftol = {type = "number", default = 1e-8, help = "minimiser force tolerance (eV/A)"},
    out = {type = "string", required = true, help = "output directory"},
    quiet = {type = "flag", help = "no progress lines"},
  },
})

local function say(...) if not opt.quiet then print(string.format(...)) end end
local function path(name) return opt.out .. "/" .. name end
assert(os.execute("mkdir -p '" .. opt.out:gsub("'", "'\\''") .. "'"))

local atoms = sflex.read(opt.config, {elements = opt.elements}):sort_by_id()
local species = atoms.species
local model = opt.model and sflex.load_model(opt.model)
local sf = model and model:sf(atoms)
local lopts = {potential = opt.potential, np = opt.np, minimize = {ftol = opt.ftol}}
local function aqs(mode, keep, with_model)
  local o = {atoms = atoms, mode = mode, strain = opt.strain, step = opt.step, keep = keep,
             model = with_model and model or nil,
             on_step = not opt.quiet and function(rec)
               io.stderr:write(string.format("\r%s strain %.4f stress %.4f GPa   ", mode, rec.strain, rec.stress))
             end or nil}
  for k, v in pairs(lopts) do o[k] = v end
  local t0 = os.time()
  local r = sflex.aqs(o)
  if not opt.quiet then io.stderr:write("\n") end
  say("AQS %s to %.4g in %d steps: stress %.4g GPa, %d s", mode, opt.strain, r.nsteps,
      r.stress[#r.stress], os.time() - t0)
  return r
end

-- ---- Fig. 8: the loading curve -------------------------------------------------------
local keep = opt.layers and math.max(1, math.floor(opt.layer_every / opt.step + 0.5)) or "ends"
if opt.traj then keep = "all" end

-- an earlier run's curve and configurations (its traj.dump.gz), with the
-- per-step SF of this model
local function replay(dir)
  local t = plot.read_table(dir .. "/curve.txt").columns
  if not (t.strain and t.stress_GPa and t.pe_eV_atom) then
    error(dir .. "/curve.txt: no strain, stress_GPa and pe_eV_atom columns (not a shear.lua table)", 0)
  end
  local res = {mode = opt.mode, strain = t.strain, stress = t.stress_GPa, pe = t.pe_eV_atom,
               configs = {}, nsteps = #t.strain - 1, natoms = #atoms, sf = model and {} or nil}
  local k = 0
  for cfg in sflex.frames(dir .. "/traj.dump.gz", {elements = opt.elements}) do
    if k > res.nsteps then error(dir .. "/traj.dump.gz: more frames than curve.txt has rows", 0) end
    if #cfg ~= #atoms then
      error(string.format("%s/traj.dump.gz: frame %d has %d atoms, %s has %d", dir, k + 1, #cfg, opt.config, #atoms), 0)
    end
    cfg = cfg:sort_by_id()
    res.configs[k] = cfg
    if model then
      for sp, v in pairs(model:sample_average(cfg)) do
        if sp ~= "n" then res.sf[sp] = res.sf[sp] or {}; res.sf[sp][k + 1] = v end
      end
    end
    k = k + 1
  end
  if k ~= res.nsteps + 1 then
    error(string.format("%s/traj.dump.gz: %d frames for %d rows of curve.txt", dir, k, res.nsteps + 1), 0)
  end
  local step = res.nsteps > 0 and res.strain[2] - res.strain[1] or opt.step
  if math.abs(step - opt.step) > 1e-9 or math.abs(res.strain[#res.strain] - opt.strain) > 1e-9 then
    error(string.format("--replay %s: its run has step %g and strain %g, not --step %g --strain %g",
                        dir, step, res.strain[#res.strain], opt.step, opt.strain), 0)
  end
  res.reference, res.final = res.configs[0], res.configs[res.nsteps]
  if math.abs(res.reference.box.len[1] - atoms.box.len[1]) > 1e-6 then
    error("--replay " .. dir .. ": its configurations are not of " .. opt.config, 0)
  end
  say("replayed %s: %d steps to strain %g", dir, res.nsteps, res.strain[#res.strain])
  return res
end

local r
if opt.replay then
  if opt.mode ~= "xy" and sflex.shear_mode(opt.mode).perm then
    error("--replay: modes with swapped axes (" .. opt.mode .. ") are not supported", 0)
  end
  r = replay(opt.replay)
else
  r = aqs(opt.mode, keep, true)
end
if opt.traj then
  local frames = {}
  for k = 0, r.nsteps do frames[#frames + 1] = r.configs[k] end
  sflex.write(path("traj.dump.gz"), frames, {format = "dump", columns = {"id", "type", "x", "y", "z"}})
end
local cols = {{"strain", r.strain}, {"stress_GPa", r.stress}, {"pe_eV_atom", r.pe}}
local dpe = {}
for i = 1, #r.pe do dpe[i] = (r.pe[i] - r.pe[1]) * 1000 end
cols[#cols + 1] = {"dpe_meV_atom", dpe}
local panels = {{xlabel = "shear strain", ylabel = "shear stress (GPa)", key = false,
                 series = {{x = r.strain, y = r.stress, style = "linespoints pt 7 ps 0.4"}}},
                {xlabel = "shear strain", ylabel = "PE - PE_0 (meV/atom)", key = false,
                 series = {{x = r.strain, y = dpe, style = "linespoints pt 7 ps 0.4"}}}}
for _, sp in ipairs(model and species or {}) do
  local v = r.sf[sp]
  if v then
    local d = {}
    for i = 1, #v do d[i] = v[i] - v[1] end
    cols[#cols + 1] = {"sf_" .. sp, v}
    cols[#cols + 1] = {"dsf_" .. sp, d}
    panels[#panels + 1] = {xlabel = "shear strain", ylabel = "<SF> - <SF>_0 (" .. sp .. ")", key = false,
                           series = {{x = r.strain, y = d, style = "linespoints pt 7 ps 0.4"}}}
  end
end
plot.write_table(path("curve.txt"), cols, {comment = table.concat({
  string.format("AQS %s of %s (%d atoms), step %g; stress = -p_ab (GPa)", r.mode, opt.config, #atoms, opt.step)}, "\n")})
plot.render{out = path("curve.png"), panels = panels}

-- ---- D2min and Fig. 7 -------------------------------------------------------------------
local d2 = sflex.d2min(r.reference, r.final, {cutoff = opt.cutoff})   -- id order
local out = r.final:copy()
out:set_column("d2min", d2)
local dcols = {"id", "type", "x", "y", "z", "d2min"}
if sf then out:set_column("sf", sf); dcols[#dcols + 1] = "sf" end
sflex.write(path("d2min.dump"), out, {columns = dcols})
say("D2min (cutoff %g A): mean %.4g, max %.4g A^2", opt.cutoff, d2:select(d2:eq(d2)):mean(), d2:max())

local vor = opt.baselines and sflex.voronoi(atoms)
local measures = {}
if sf then measures[#measures + 1] = {"SF", sf} end
if vor then
  measures[#measures + 1] = {"volume", vor.volume}
  measures[#measures + 1] = {"fivefold", vor.fivefold}
end

local summary = {}
local function enrichment(file, d2v, title)
  if #measures == 0 then
    say("no --model and no --baselines: skipping %s", file)
    return
  end
  local tcols, bars = {}, {}
  for _, sp in ipairs(species) do
    local mask = atoms:mask(sp)
    local top = sflex.top_mask(d2v, opt.top, mask)
    for _, m in ipairs(measures) do
      local e = sflex.group_enrichment(m[2], top, {groups = opt.groups, mask = mask})
      local tag = sp .. "_" .. m[1]
      if #tcols == 0 then tcols[1] = {"group", e.group} end
      tcols[#tcols + 1] = {tag .. "_mean", e.mean}
      tcols[#tcols + 1] = {tag .. "_share", e.share}
      tcols[#tcols + 1] = {tag .. "_rate", e.rate}
      tcols[#tcols + 1] = {tag .. "_flagged", e.flagged}
      tcols[#tcols + 1] = {tag .. "_count", e.count}
      summary[#summary + 1] = string.format("%s %s share_lowest %.4f share_highest %.4f flagged %d",
                                            file .. "_" .. sp, m[1], e.share[1], e.share[opt.groups], e.total)
      bars[#bars + 1] = {title = string.format("%s: top %g%% D2min by %s group", sp, 100 * opt.top, m[1]),
                         xlabel = m[1] .. " group (1 = lowest)", ylabel = "share of top-D2min atoms",
                         key = false, xrange = {0.5, opt.groups + 0.5}, yrange = {0, nil},
                         series = {{x = e.group, y = e.share, style = "boxes fs solid 0.6 lc rgb '#c0392b'"}}}
      say("%s %-8s top-%g%% D2min share in the lowest/highest group: %.3f / %.3f", sp, m[1],
          100 * opt.top, e.share[1], e.share[opt.groups])
    end
  end
  plot.write_table(path(file .. ".txt"), tcols, {comment = table.concat({title,
    "share: fraction of the species' top D2min atoms in the group (sums to 1); rate: fraction of the group's atoms"}, "\n")})
  plot.render{out = path(file .. ".png"), panels = bars}
end
enrichment("enrichment", d2, string.format("AQS %s to strain %g, D2min cutoff %g A", r.mode, opt.strain, opt.cutoff))

-- slab maps: SF (or log10 D2min) of each species, top D2min atoms marked
do
  local slab, frac = sflex.slab_mask(r.reference, {axis = opt.slab_axis, thickness = opt.slab})
  local field = sf or d2:map(function(v) return v > 0 and math.log(v, 10) or 0 / 0 end)
  local panels2 = {}
  for _, sp in ipairs(species) do
    local mask = r.reference:mask(sp)
    local sel = slab:band(mask)
    local xc, yc, Z, ax = sflex.slab_map(r.reference, field, sel, {axis = opt.slab_axis, frac = frac})
    local top = sflex.top_mask(d2, opt.top, mask):band(sel)
    local px, py = {}, {}
    local len = r.reference.box.len
    for i = 1, #atoms do
      if top[i] ~= 0 then
        px[#px + 1] = frac[i][ax[1]] * len[ax[1]]
        py[#py + 1] = frac[i][ax[2]] * len[ax[2]]
      end
    end
    panels2[#panels2 + 1] = {title = string.format("%s: %s, %g A slab; white: top %g%% D2min", sp,
                               sf and "SF" or "log_{10} D2min", opt.slab, 100 * opt.top),
                             image = {x = xc, y = yc, z = Z}, key = false,
                             xlabel = ({"x", "y", "z"})[ax[1]] .. " (A)", ylabel = ({"x", "y", "z"})[ax[2]] .. " (A)",
                             xrange = {0, len[ax[1]]}, yrange = {0, len[ax[2]]},
                             series = #px > 0 and {{x = px, y = py, style = "points pt 6 ps 1.2 lw 2 lc rgb 'white'"}} or nil}
  end
  plot.render{out = path("slab.png"), panels = panels2}
end

-- ---- Fig. S20: D2min averaged over loading modes ----------------------------------------
if opt.directions then
  local modes = opt.directions
  if #modes == 1 and modes[1] == "all" then modes = sflex.all_shear_modes() end
  local avg
  if opt.replay then
    local old = sflex.read(opt.replay .. "/d2min_avg.dump", {elements = opt.elements}):sort_by_id()
    if #old ~= #atoms then error(opt.replay .. "/d2min_avg.dump: not the atoms of " .. opt.config, 0) end
    avg = old:column("d2min_avg")
  else
    local sum = sflex.vector(#atoms, 0)
    for _, m in ipairs(modes) do
      local rm = aqs(m, "ends", false)
      sum = sum + sflex.d2min(rm.reference, rm.final, {cutoff = opt.cutoff})
    end
    avg = sum / #modes
  end
  out:set_column("d2min_avg", avg)
  sflex.write(path("d2min_avg.dump"), out, {columns = {"id", "type", "x", "y", "z", "d2min_avg"}})
  enrichment("directions", avg, string.format("D2min averaged over %d loading modes: %s", #modes,
                                              table.concat(modes, " ")))
end

-- ---- Fig. S22: layers across the shear band -----------------------------------------------
if opt.layers then
  local mode = sflex.shear_mode(opt.mode)
  local axis = mode.tilt == "xy" and "y" or "z"   -- the shear-gradient axis
  local rows = {strain = {}, layer = {}, center = {}, count = {}, d2min = {}}
  for _, sp in ipairs(model and species or {}) do rows["sf_" .. sp] = {} end
  local steps = {}
  local every = math.max(1, math.floor(opt.layer_every / opt.step + 0.5))
  for k in pairs(r.configs) do
    if k > 0 and (k % every == 0 or k == r.nsteps) then steps[#steps + 1] = k end
  end
  table.sort(steps)
  local lpanels = {{xlabel = "layer", ylabel = "mean D2min (A^2)", series = {}},
                   {xlabel = "layer", ylabel = "atoms", series = {}}}
  if model then lpanels[3] = {xlabel = "layer", ylabel = "<SF> (all atoms)", series = {}} end
  for _, k in ipairs(steps) do
    local cfg = r.configs[k]
    local values = {d2min = sflex.d2min(r.reference, cfg, {cutoff = opt.cutoff})}
    local sfc = model and model:sf(cfg)
    for _, sp in ipairs(model and species or {}) do
      local v = sfc:copy()
      local m = cfg:mask(sp)
      for i = 1, #v do if m[i] == 0 then v[i] = 0 / 0 end end
      values["sf_" .. sp] = v
    end
    if model then values.sf = sfc end
    local p = sflex.layer_profile(cfg, {axis = axis, n = opt.layers, values = values})
    local g = k * opt.step
    for l = 1, opt.layers do
      rows.strain[#rows.strain + 1] = g
      rows.layer[#rows.layer + 1] = l
      rows.center[#rows.center + 1] = p.center[l]
      rows.count[#rows.count + 1] = p.count[l]
      rows.d2min[#rows.d2min + 1] = p.d2min[l]
      for _, sp in ipairs(model and species or {}) do
        local t = rows["sf_" .. sp]
        t[#t + 1] = p["sf_" .. sp][l]
      end
    end
    local title = string.format("strain %.3g", g)
    table.insert(lpanels[1].series, {x = p.layer, y = p.d2min, title = title, style = "linespoints pt 7 ps 0.5"})
    table.insert(lpanels[2].series, {x = p.layer, y = p.count, title = title, style = "linespoints pt 7 ps 0.5"})
    if model then table.insert(lpanels[3].series, {x = p.layer, y = p.sf, title = title, style = "linespoints pt 7 ps 0.5"}) end
  end
  local tcols = {{"strain", rows.strain}, {"layer", rows.layer}, {"center_A", rows.center},
                 {"count", rows.count}, {"d2min", rows.d2min}}
  for _, sp in ipairs(model and species or {}) do tcols[#tcols + 1] = {"sf_" .. sp, rows["sf_" .. sp]} end
  plot.write_table(path("layers.txt"), tcols, {comment = table.concat({string.format(
    "%d layers normal to %s (fractional coordinate), D2min from strain 0", opt.layers, axis)}, "\n")})
  plot.render{out = path("layers.png"), panels = lpanels}
end
-- ---- summary.txt ----------------------------------------------------------------------------
do
  local n = #r.strain
  local lines = {string.format("config %s mode %s strain %g step %g cutoff %g top %g", opt.config, r.mode,
                               r.strain[n], opt.step, opt.cutoff, opt.top),
                 string.format("stress_final_GPa %.6g stress_max_GPa %.6g", r.stress[n], math.max(table.unpack(r.stress))),
                 string.format("dpe_final_meV_atom %.6g", dpe[n]),
                 string.format("d2min_mean %.6g d2min_max %.6g", d2:select(d2:eq(d2)):mean(), d2:max())}
  for _, sp in ipairs(model and species or {}) do
    local v = r.sf[sp]
    if v then
      local d = sflex.vector(n, 0)
      for i = 1, n do d[i] = v[i] - v[1] end
      -- along the curve (all three grow with strain) and step by step (do
      -- the jumps of <SF> go with the stress drops and PE changes?)
      local inc = {sf = sflex.vector(n - 1, 0), stress = sflex.vector(n - 1, 0), pe = sflex.vector(n - 1, 0)}
      for i = 2, n do
        inc.sf[i - 1], inc.stress[i - 1], inc.pe[i - 1] = v[i] - v[i - 1], r.stress[i] - r.stress[i - 1], dpe[i] - dpe[i - 1]
      end
      lines[#lines + 1] = string.format("dsf_final_%s %.6g pearson_with_stress %.4f pearson_with_dpe %.4f " ..
        "steps_pearson_with_stress %.4f steps_pearson_with_dpe %.4f", sp,
        d[n], sflex.stats.pearson(d, sflex.vector(r.stress)), sflex.stats.pearson(d, sflex.vector(dpe)),
        n > 3 and sflex.stats.pearson(inc.sf, inc.stress) or 0 / 0, n > 3 and sflex.stats.pearson(inc.sf, inc.pe) or 0 / 0)
    end
  end
  for _, l in ipairs(summary) do lines[#lines + 1] = l end
  local f = assert(io.open(path("summary.txt.part"), "w"))
  f:write(table.concat(lines, "\n"), "\n")
  assert(f:close())
  assert(os.rename(path("summary.txt.part"), path("summary.txt")))
end
say("wrote %s", opt.out)
