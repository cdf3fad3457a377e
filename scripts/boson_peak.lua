-- boson_peak.lua: VDOS, reduced VDOS and the boson-peak intensity I_BP of
-- the atoms grouped by structural flexibility (paper Fig. 5).
--
--   sflex scripts/boson_peak.lua CONFIG --model MODEL --out PREFIX
--     [--elements Cu,Zr] [--potential FILE] [--temp 50] [--seeds 4]
--     [--steps 4000] [--every 4] [--dt 0.002] [--groups 40]
--     [--bp-range 0.5,3] [--harmonic dense|none] [--np 1]
--
-- CONFIG is an inherent structure.  The VDOS comes from the mass-weighted
-- velocity autocorrelation of --seeds LAMMPS NVE runs at --temp from CONFIG
-- (sflex.md_vdos), Hann lag window over half a run; the atoms of each
-- species are sorted by SF (the model's) into --groups equal-count groups
-- (40: 2.5 % each, as in the paper) and I_BP = max of g(nu)/nu^2 over
-- --bp-range is taken for each group's own VDOS.  With --harmonic dense the
-- total is compared with the harmonic VDOS of all 3N-3 modes of CONFIG
-- through the same window (sflex.mode_vdos).  Writes PREFIX_vdos.txt (the
-- spectra), PREFIX_groups.txt (I_BP per group), PREFIX.txt (summary) and
-- PREFIX.png.  doc/vibrations.md.
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"

local opt = cli.parse(arg, {
  usage = "sflex scripts/boson_peak.lua CONFIG --model MODEL --out PREFIX [options]",
  positional = {"config"},
  options = {
    model = {type = "string", required = true, help = "SF model (train.lua)"},
    elements = {type = "list", help = "species of types 1..k (default: the model's)"},
    potential = {type = "string", help = "EAM potential (default Debian's CuZr_mm.eam.fs)"},
    out = {type = "string", required = true, help = "output prefix"},
    temp = {type = "number", default = 50, help = "temperature (K)"},
    seeds = {type = "integer", default = 4, help = "independent NVE runs (velocity seeds)"},
    seed = {type = "integer", default = 1, help = "run k uses velocity seed 1000*seed + k"},
    steps = {type = "integer", default = 4000, help = "sampled steps per run"},
    every = {type = "integer", default = 4, help = "velocities dumped every this many steps"},
    equil = {type = "integer", default = 250, help = "unsampled steps at the start of each run"},
    dt = {type = "number", default = 0.002, help = "time step (ps)"},
    lags = {type = "integer", help = "VACF lags (default: half a run, steps/every/2 + 1)"},
    window = {type = "string", default = "hann", help = "lag window: hann | none"},
    pad = {type = "integer", default = 4, help = "zero-padding factor of the lags (frequency grid)"},
    ["nu-max"] = {type = "number", default = 12, help = "highest frequency written (THz)"},
    groups = {type = "integer", default = 40, help = "equal-count SF groups per species"},
    ["bp-range"] = {type = "list", default = {"0.5", "3"}, help = "boson-peak search range (THz)"},
    harmonic = {type = "string", default = "dense", help = "harmonic cross-check: dense | none"},
    np = {type = "integer", default = 1, help = "MPI ranks for LAMMPS"},
    suffix = {type = "string", default = "opt", help = "LAMMPS style suffix ('none' for plain styles)"},
    format = {type = "string", default = "png", help = "plot format: png | svg | pdf"},
    quiet = {type = "flag", help = "no progress lines"},
  },
})
local function die(msg) io.stderr:write("boson_peak.lua: ", msg, "\n"); os.exit(1, true) end
local function say(fmt, ...)
  if not opt.quiet then io.stdout:write(string.format(fmt, ...), "\n"); io.stdout:flush() end
end
local range = {tonumber(opt.bp_range[1]), tonumber(opt.bp_range[2])}
if not (range[1] and range[2] and range[2] > range[1] and range[1] > 0) then
  die("--bp-range must be two frequencies lo,hi with 0 < lo < hi (THz)")
end
if opt.harmonic ~= "dense" and opt.harmonic ~= "none" then die("--harmonic must be dense or none") end
if opt.groups < 1 then die("--groups must be positive") end
local potential = opt.potential or sflex.DEFAULT_POTENTIAL
local t_start = sflex.now()

-- ---- structure and SF ---------------------------------------------------------
local model = sflex.load_model(opt.model)
local elements = opt.elements or model.elements
local ok, atoms = pcall(sflex.read, opt.config, {elements = elements})
if not ok then die(tostring(atoms)) end
local n = #atoms
local sf = model:sf(atoms)

-- ---- MD VDOS ----------------------------------------------------------------------
local vacf, info = sflex.md_vdos(atoms, {
  potential = potential, elements = elements, temp = opt.temp, seeds = opt.seeds, seed = opt.seed,
  steps = opt.steps, every = opt.every, equil = opt.equil, dt = opt.dt, lags = opt.lags,
  np = opt.np, suffix = opt.suffix,
  on_progress = function(k, inf)
    say("run %d/%d: <T> = %.2f K, %.1f s (reading the velocities %.1f s)", k, opt.seeds,
        inf.temps[k], inf.seconds[k], inf.read_seconds[k])
  end,
})
local spec = {window = opt.window, pad = opt.pad, nu_max = opt.nu_max}
local t_fft = sflex.now()
local total = vacf:vdos(spec)
local bp_total = sflex.boson_peak(total, {range = range})
say("total: boson peak at %.3f THz, g/nu^2 = %.5f THz^-3 (grid %.4f THz, window %s over %.2f ps)",
    bp_total.nu, bp_total.intensity, total.dnu, total.window, total.tmax)

-- ---- per species and SF group -------------------------------------------------------
local cols = {{"nu_THz", total.nu}, {"g", total.g}, {"reduced", total.reduced}}
local G = {species = {}, group = {}, sf_mean = {}, sf_lo = {}, sf_hi = {}, natoms = {}, weight = {},
           bp_nu = {}, I_BP = {}, I_BP_partial = {}, I_at_total_bp = {}, at_edge = {}}
local extremes, bars = {}, {}
local species = atoms.species
for _, sp in ipairs(species) do
  local smask = atoms:mask(sp)
  if smask:sum() >= opt.groups then
    local part = vacf:vdos(smask, spec)
    cols[#cols + 1] = {"g_" .. sp, part.g}
    cols[#cols + 1] = {"partial_" .. sp, part.partial}
    local idx = {}
    for i = 1, n do if smask[i] ~= 0 then idx[#idx + 1] = i end end
    local sfs = sf:take(idx)
    local grp, means = sflex.stats.quantile_groups(sfs, opt.groups)
    local xs, ys = {}, {}
    for g = 1, opt.groups do
      local mask = sflex.vector(n, 0)
      local lo, hi = math.huge, -math.huge
      for j = 1, #idx do
        if grp[j] == g then
          mask[idx[j]] = 1
          lo, hi = math.min(lo, sfs[j]), math.max(hi, sfs[j])
        end
      end
      local v = vacf:vdos(mask, spec)
      local bp = sflex.boson_peak(v, {range = range})
      local k = #G.group + 1
      G.species[k], G.group[k], G.sf_mean[k], G.sf_lo[k], G.sf_hi[k] = sp, g, means[g], lo, hi
      G.natoms[k], G.weight[k], G.bp_nu[k], G.I_BP[k] = v.natoms, v.weight, bp.nu, bp.intensity
      G.I_BP_partial[k] = v.weight * bp.intensity
      G.I_at_total_bp[k] = v.reduced[bp_total.index]
      G.at_edge[k] = bp.at_edge and 1 or 0
      xs[#xs + 1], ys[#ys + 1] = means[g], bp.intensity
      if g == 1 or g == opt.groups then
        local name = (g == 1 and "bottom_" or "top_") .. sp
        cols[#cols + 1] = {"reduced_" .. name, v.reduced}
        extremes[name] = {v = v, bp = bp, natoms = v.natoms, sf = means[g]}
      end
    end
    bars[#bars + 1] = {x = xs, y = ys, title = sp, style = "linespoints pt 7"}
    local top, bot = extremes["top_" .. sp], extremes["bottom_" .. sp]
    say("%s: I_BP of the top %.3g %% SF (%d atoms) %.5f at %.3f THz, bottom %.5f at %.3f THz: " ..
        "ratio %.3f, difference %.5f THz^-3", sp, 100 / opt.groups, top.natoms, top.bp.intensity,
        top.bp.nu, bot.bp.intensity, bot.bp.nu, top.bp.intensity / bot.bp.intensity,
        top.bp.intensity - bot.bp.intensity)
  end
end
local fft_seconds = sflex.now() - t_fft

-- ---- harmonic cross-check -------------------------------------------------------------
local cmp, harm
local t_h = sflex.now()
if opt.harmonic == "dense" then
  local pot = sflex.eam(potential, {elements = elements})
  local nu = sflex.modes(pot:hessian(atoms), {lowest = 3 * n - 3, method = "dense", vectors = false})
  harm = sflex.mode_vdos(nu, {like = total})
  cmp = sflex.vdos_compare(total, harm, {range = range})
  cols[#cols + 1] = {"g_harmonic", harm.g}
  cols[#cols + 1] = {"reduced_harmonic", harm.reduced}
  say("harmonic (%d modes, %.0f s): overlap %.4f, mean nu MD %.4f / harmonic %.4f THz, " ..
      "boson peak MD %.3f THz (%.5f) / harmonic %.3f THz (%.5f)", #nu, sflex.now() - t_h,
      cmp.overlap, cmp.mean_a, cmp.mean_b, cmp.bp_nu_a, cmp.bp_a, cmp.bp_nu_b, cmp.bp_b)
end

-- ---- outputs ---------------------------------------------------------------------------
local command = "sflex scripts/boson_peak.lua " .. table.concat(arg, " ")
plot.write_table(opt.out .. "_vdos.txt", cols, {comment = string.format(
  "boson_peak.lua: VDOS g (1/THz, integrates to 1), reduced = g/nu^2; g_X: species X's own VDOS, " ..
  "partial_X its share of g; top/bottom: the highest/lowest %.3g %% SF of a species\n%s",
  100 / opt.groups, command)})
plot.write_table(opt.out .. "_groups.txt", {{"species", G.species}, {"group", G.group},
  {"sf_mean", G.sf_mean}, {"sf_lo", G.sf_lo}, {"sf_hi", G.sf_hi}, {"natoms", G.natoms},
  {"weight", G.weight}, {"bp_nu_THz", G.bp_nu}, {"I_BP", G.I_BP}, {"I_BP_partial", G.I_BP_partial},
  {"I_at_total_bp", G.I_at_total_bp}, {"at_edge", G.at_edge}},
  {comment = string.format("boson_peak.lua: per species, equal-count SF groups (1 = lowest SF); " ..
    "I_BP = max g/nu^2 over %g..%g THz of the group's own VDOS (THz^-3); I_BP_partial = weight * I_BP, " ..
    "the group's share of the total; I_at_total_bp = g/nu^2 at the total's peak (%.4f THz)\n%s",
    range[1], range[2], bp_total.nu, command)})

local lines = {
  "# boson_peak.lua summary",
  "command = " .. command,
  "config = " .. opt.config,
  "atoms = " .. n,
  "model = " .. opt.model,
  "potential = " .. potential,
  string.format("temp = %g", opt.temp),
  string.format("seeds = %d", opt.seeds),
  string.format("steps = %d every = %d dt_ps = %g equil = %d", opt.steps, opt.every, opt.dt, opt.equil),
  string.format("window = %s tmax_ps = %g pad = %d dnu_THz = %.6g", total.window, total.tmax, total.pad, total.dnu),
  string.format("bp_range_THz = %g %g", range[1], range[2]),
}
local temps = {}
for k, T in ipairs(info.temps) do temps[k] = string.format("%.3f", T) end
lines[#lines + 1] = "mean_T_per_run = " .. table.concat(temps, " ")
lines[#lines + 1] = string.format("total_bp_nu_THz = %.6g", bp_total.nu)
lines[#lines + 1] = string.format("total_I_BP = %.6g", bp_total.intensity)
for _, sp in ipairs(species) do
  local top, bot = extremes["top_" .. sp], extremes["bottom_" .. sp]
  if top then
    lines[#lines + 1] = string.format("%s_top_I_BP = %.6g at %.4g THz (%d atoms, <SF> %.4g)", sp,
                                      top.bp.intensity, top.bp.nu, top.natoms, top.sf)
    lines[#lines + 1] = string.format("%s_bottom_I_BP = %.6g at %.4g THz (%d atoms, <SF> %.4g)", sp,
                                      bot.bp.intensity, bot.bp.nu, bot.natoms, bot.sf)
    lines[#lines + 1] = string.format("%s_top_minus_bottom_I_BP = %.6g (ratio %.4f)", sp,
                                      top.bp.intensity - bot.bp.intensity, top.bp.intensity / bot.bp.intensity)
    local x, y = {}, {}
    for k = 1, #G.group do
      if G.species[k] == sp then x[#x + 1], y[#y + 1] = G.sf_mean[k], G.I_BP[k] end
    end
    lines[#lines + 1] = string.format("%s_pearson_sf_I_BP = %.4f spearman %.4f", sp,
      sflex.stats.pearson(sflex.vector(x), sflex.vector(y)), sflex.stats.spearman(sflex.vector(x), sflex.vector(y)))
  end
end
if cmp then
  lines[#lines + 1] = string.format("harmonic_overlap = %.6f", cmp.overlap)
  lines[#lines + 1] = string.format("harmonic_l1 = %.6f", cmp.l1)
  lines[#lines + 1] = string.format("mean_nu_md_THz = %.6g mean_nu_harmonic_THz = %.6g", cmp.mean_a, cmp.mean_b)
  lines[#lines + 1] = string.format("peak_nu_md_THz = %.6g peak_nu_harmonic_THz = %.6g", cmp.peak_a, cmp.peak_b)
  lines[#lines + 1] = string.format("bp_md = %.6g at %.4g THz; bp_harmonic = %.6g at %.4g THz",
                                    cmp.bp_a, cmp.bp_nu_a, cmp.bp_b, cmp.bp_nu_b)
  lines[#lines + 1] = string.format("harmonic_seconds = %.1f", sflex.now() - t_h)
end
local md_s, read_s = 0, 0
for k = 1, #info.seconds do md_s, read_s = md_s + info.seconds[k], read_s + info.read_seconds[k] end
lines[#lines + 1] = string.format("md_seconds = %.1f (of which reading velocities %.1f)", md_s, read_s)
lines[#lines + 1] = string.format("spectra_seconds = %.2f", fft_seconds)
lines[#lines + 1] = string.format("wall_seconds = %.1f", sflex.now() - t_start)
local f = assert(io.open(opt.out .. ".txt.part", "w"))
f:write(table.concat(lines, "\n"), "\n")
assert(f:close())
assert(os.rename(opt.out .. ".txt.part", opt.out .. ".txt"))

if plot.available() then
  local gser = {{x = total.nu, y = total.g, title = "MD, all atoms"}}
  local rser = {{x = total.nu, y = total.reduced, title = "MD, all atoms"}}
  if harm then
    gser[#gser + 1] = {x = harm.nu, y = harm.g, title = "harmonic (same window)", style = "lines lw 2 dt 2"}
    rser[#rser + 1] = {x = harm.nu, y = harm.reduced, title = "harmonic (same window)", style = "lines lw 2 dt 2"}
  end
  for _, sp in ipairs(species) do
    for _, which in ipairs {"top", "bottom"} do
      local e = extremes[which .. "_" .. sp]
      if e then
        rser[#rser + 1] = {x = total.nu, y = e.v.reduced,
                           title = string.format("%s %s %.3g %% SF", sp, which, 100 / opt.groups),
                           style = "lines lw 1.5"}
      end
    end
  end
  plot.render{out = opt.out .. "." .. opt.format, layout = {1, 3}, size = {1800, 520}, panels = {
    {title = string.format("VDOS, %g K", opt.temp), xlabel = "ν (THz)", ylabel = "g(ν) (1/THz)",
     series = gser, xrange = {0, opt.nu_max}},
    {title = "reduced VDOS", xlabel = "ν (THz)", ylabel = "g(ν)/ν² (THz^{-3})", series = rser,
     xrange = {range[1] / 2, 4}, key = "top right"},
    {title = string.format("boson peak of %.3g %% SF groups", 100 / opt.groups), xlabel = "<SF> of the group",
     ylabel = "I_{BP} (THz^{-3})", series = bars, key = "top left"},
  }}
  say("wrote %s.txt, %s_vdos.txt, %s_groups.txt, %s.%s", opt.out, opt.out, opt.out, opt.out, opt.format)
else
  io.stderr:write("gnuplot not found: plot skipped\n")
  say("wrote %s.txt, %s_vdos.txt, %s_groups.txt", opt.out, opt.out, opt.out)
end
