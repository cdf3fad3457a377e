-- vflex.lua: per-atom flexibility volume v_flex,i = MSD_i * a_i (the
-- paper's supervisory signal) with the Voronoi baselines.
--
--   sflex scripts/vflex.lua CONFIG --elements Cu,Zr --potential FILE \
--     [--runs 20] [--steps 1000] [--temp 50] --out OUT
--
-- CONFIG is an inherent structure (make_glass.lua's is.dump.gz).  MSD_i is
-- the vibrational mean squared displacement about the atom's mean position,
-- <|r_i(t) - mean r_i|^2> over one NVE run, averaged over --runs independent
-- runs from CONFIG with fresh Maxwell-Boltzmann momenta (LAMMPS computes it
-- per atom with fix ave/atom: O(N) memory).  a_i is the mean distance to the
-- Voronoi neighbours of atom i in CONFIG.  OUT is a LAMMPS dump with columns
-- id type x y z msd a vflex volume fivefold nfaces (positions of CONFIG);
-- the split-half reliability of ln MSD is printed and written to the
-- summary next to OUT (vflex.txt).
local sflex = require "sflex"
local cli = require "sflex.cli"
local L = require "sflex.lammps"

local opt = cli.parse(arg, {
  usage = "sflex scripts/vflex.lua CONFIG --elements Cu,Zr --potential FILE --out OUT [options]",
  positional = {"config"},
  options = {
    elements = {type = "list", required = true, help = "species of types 1..k (pair_coeff order)"},
    potential = {type = "string", required = true, help = "EAM potential file"},
    out = {type = "string", required = true, help = "output dump (.gz to compress)"},
    summary = {type = "string", help = "summary file (default: OUT with .txt)"},
    runs = {type = "integer", default = 20, help = "independent NVE runs"},
    steps = {type = "integer", default = 1000, help = "sampled steps per run"},
    every = {type = "integer", default = 5, help = "sample every this many steps"},
    equil = {type = "integer", default = 100, help = "unsampled steps at the start of each run"},
    temp = {type = "number", default = 50, help = "temperature (K)"},
    ["velocity-scale"] = {type = "number", default = 2,
      help = "velocities drawn at scale*temp (2: from an inherent structure, half goes to potential energy)"},
    dt = {type = "number", default = 0.002, help = "time step (ps)"},
    seed = {type = "integer", default = 1, help = "random seed (run k uses 1000*seed + k)"},
    np = {type = "integer", default = 1, help = "MPI ranks"},
    launcher = {type = "string", help = "MPI launcher (default mpirun)"},
    lmp = {type = "string", help = "LAMMPS executable"},
    suffix = {type = "string", default = "opt", help = "LAMMPS style suffix ('none' for plain styles)"},
    ["face-min"] = {type = "number", default = 0.01, help = "Voronoi faces below this fraction of the cell surface are ignored"},
    ["edge-min"] = {type = "number", default = 0, help = "Voronoi edges below this fraction of the face perimeter are ignored"},
    quiet = {type = "flag", help = "no progress lines"},
  },
})

local t_start = sflex.now()
local function say(fmt, ...)
  if not opt.quiet then io.stdout:write(string.format(fmt, ...), "\n"); io.stdout:flush() end
end
local function die(msg) io.stderr:write("vflex.lua: ", msg, "\n"); os.exit(1, true) end

if opt.runs < 2 then die("--runs must be at least 2 (two halves for the split-half check)") end
if opt.steps < 1 or opt.every < 1 or opt.steps % opt.every ~= 0 then
  die("--steps must be a positive multiple of --every")
end
if opt.equil < 0 or opt.temp <= 0 or opt.dt <= 0 then die("--equil, --temp and --dt must be positive") end

-- ---- the configuration and the Voronoi analysis ----------------------------
local pot = L.eam_elements(opt.potential)
local known = {}
for _, el in ipairs(pot.names) do known[el] = true end
for _, el in ipairs(opt.elements) do
  if not known[el] then
    die(string.format("element %s is not in %s (it has %s)", el, opt.potential, table.concat(pot.names, ", ")))
  end
end
local ok_read, atoms = pcall(sflex.read, opt.config, {elements = opt.elements})
if not ok_read then die(tostring(atoms)) end
if #atoms == 0 then die(opt.config .. ": no atoms") end
if atoms.ntypes > #opt.elements then
  die(string.format("%s has %d atom types but --elements names %d", opt.config, atoms.ntypes, #opt.elements))
end
atoms:sort_by_id()
local n = #atoms
local t0 = sflex.now()
local vor = sflex.voronoi(atoms, {face_min = opt.face_min, edge_min = opt.edge_min})
say("Voronoi cells of %d atoms: %.2f s (mean volume %.4f A^3, mean a %.4f A)", n,
    sflex.now() - t0, vor.volume:mean(), vor.a:mean())

-- ---- independent NVE runs in LAMMPS ----------------------------------------
local args = opt.suffix ~= "none" and {"-sf", opt.suffix} or {}
local lmp_ok, lmp = pcall(sflex.lammps, {np = opt.np, launcher = opt.launcher, lmp = opt.lmp,
                                         args = args, elements = opt.elements})
if not lmp_ok then die(tostring(lmp)) end
local data = lmp:tmpfile("config.data")
local msd_dump = lmp:tmpfile("msd.dump")
sflex.write(data, atoms)

local nrep = opt.steps // opt.every
local function run_commands(k)
  local c = {
    "clear",
    "units metal",
    "atom_style atomic",
    "atom_modify map array",
    "boundary p p p",
    "read_data " .. data,
    "pair_style " .. pot.style,
    "pair_coeff * * " .. opt.potential .. " " .. table.concat(opt.elements, " "),
    "neighbor 1.0 bin",
    "neigh_modify every 1 delay 0 check yes",
    "timestep " .. opt.dt,
    "thermo_style custom step temp pe etotal press",
    "thermo_modify lost error",
    "thermo " .. (opt.equil + opt.steps),
    string.format("velocity all create %.10g %d dist gaussian mom yes rot no",
                  opt.velocity_scale * opt.temp, 1000 * opt.seed + k),
    "fix nve all nve",
  }
  if opt.equil > 0 then
    c[#c + 1] = "run " .. opt.equil
    c[#c + 1] = "reset_timestep 0"
  end
  for _, l in ipairs {
    "compute d all displace/atom",
    "variable dx2 atom c_d[1]*c_d[1]",
    "variable dy2 atom c_d[2]*c_d[2]",
    "variable dz2 atom c_d[3]*c_d[3]",
    string.format("fix av all ave/atom %d %d %d c_d[1] c_d[2] c_d[3] v_dx2 v_dy2 v_dz2",
                  opt.every, nrep, opt.steps),
    "variable msd atom (f_av[4]-f_av[1]^2)+(f_av[5]-f_av[2]^2)+(f_av[6]-f_av[3]^2)",
    string.format("fix at all ave/time %d %d %d c_thermo_temp", opt.every, nrep, opt.steps),
    "run " .. opt.steps,
    string.format("write_dump all custom %s id type x y z v_msd modify sort id format float %%.17g", msd_dump),
  } do c[#c + 1] = l end
  return c
end

local sum = {sflex.vector(n, 0), sflex.vector(n, 0)} -- odd runs, even runs
local count = {0, 0}
local tsum, tmin, tmax = 0, math.huge, -math.huge
local run_ok, run_err = pcall(function()
  for k = 1, opt.runs do
    local tk = sflex.now()
    lmp:commands(run_commands(k))
    local T = lmp:eval("f_at")
    local r = sflex.read(msd_dump)
    if #r ~= n then error(string.format("run %d: %d atoms came back, expected %d", k, #r, n)) end
    if k == 1 and (r.id - atoms.id):abs():max() ~= 0 then
      error("run 1: the atom ids that came back differ from CONFIG's")
    end
    local m = r:column("v_msd")
    if m:min() <= 0 or m:max() ~= m:max() then error(string.format("run %d: non-positive or NaN MSD", k)) end
    local h = 2 - k % 2
    sum[h] = sum[h] + m
    count[h] = count[h] + 1
    tsum, tmin, tmax = tsum + T, math.min(tmin, T), math.max(tmax, T)
    say("run %2d/%d: <T> = %6.2f K, <MSD> = %.5f A^2  (%.1f s)", k, opt.runs, T, m:mean(), sflex.now() - tk)
  end
end)
lmp:close()
if not run_ok then die(tostring(run_err)) end

-- ---- results ---------------------------------------------------------------
local msd = (sum[1] + sum[2]) / opt.runs
local half1, half2 = sum[1] / count[1], sum[2] / count[2]
local stats = sflex.stats
local function pearson(x, y)
  if stats and stats.pearson then return stats.pearson(x, y) end
  local dx, dy = x - x:mean(), y - y:mean()
  return dx:dot(dy) / math.sqrt(dx:dot(dx) * dy:dot(dy))
end
local r_half = pearson(half1:log(), half2:log())
local r_sb = 2 * r_half / (1 + r_half)
local vflex = msd * vor.a
atoms:set_column("msd", msd)
atoms:set_column("a", vor.a)
atoms:set_column("vflex", vflex)
atoms:set_column("volume", vor.volume)
atoms:set_column("fivefold", vor.fivefold)
atoms:set_column("nfaces", vor.nfaces)
sflex.write(opt.out, atoms, {columns = {"id", "type", "x", "y", "z", "msd", "a", "vflex",
                                        "volume", "fivefold", "nfaces"}})

local summary = opt.summary or (opt.out:gsub("%.gz$", ""):gsub("%.[^./]*$", "") .. ".txt")
local wall = sflex.now() - t_start
local lines = {
  "# vflex.lua summary",
  "command = sflex scripts/vflex.lua " .. table.concat(arg, " "),
  "config = " .. opt.config,
  "atoms = " .. n,
  "elements = " .. table.concat(opt.elements, ","),
  "potential = " .. opt.potential,
  string.format("runs = %d", opt.runs),
  string.format("steps = %d", opt.steps),
  string.format("every = %d", opt.every),
  string.format("equil = %d", opt.equil),
  string.format("dt_ps = %g", opt.dt),
  string.format("temp = %g", opt.temp),
  string.format("velocity_scale = %g", opt.velocity_scale),
  string.format("seed = %d", opt.seed),
  string.format("mean_T = %.4f", tsum / opt.runs),
  string.format("min_T = %.4f", tmin),
  string.format("max_T = %.4f", tmax),
  string.format("mean_msd_A2 = %.8g", msd:mean()),
  string.format("mean_a_A = %.8g", vor.a:mean()),
  string.format("mean_vflex_A3 = %.8g", vflex:mean()),
  string.format("mean_volume_A3 = %.8g", vor.volume:mean()),
  string.format("mean_fivefold = %.8g", vor.fivefold:mean()),
  string.format("face_min = %g", opt.face_min),
  string.format("edge_min = %g", opt.edge_min),
  string.format("split_half_pearson_ln_msd = %.6f", r_half),
  string.format("split_half_spearman_brown = %.6f", r_sb),
  string.format("wall_seconds = %.1f", wall),
  string.format("core_hours = %.4f", wall * opt.np / 3600),
}
local f = assert(io.open(summary .. ".tmp", "w"))
f:write(table.concat(lines, "\n"), "\n")
f:close()
assert(os.rename(summary .. ".tmp", summary))
say("split-half correlation of ln MSD (%d vs %d runs): Pearson r = %.4f, Spearman-Brown %.4f",
    count[1], count[2], r_half, r_sb)
say("wrote %s and %s (%.0f s)", opt.out, summary, wall)
if r_sb < 0.9 then
  io.stderr:write(string.format("vflex.lua: warning: split-half reliability %.3f < 0.9; use more --runs\n", r_sb))
end
