-- make_glass.lua: a Cu-Zr (or any EAM alloy) metallic glass by melt-quench
-- in LAMMPS, and its inherent structure.
--
--   sflex scripts/make_glass.lua --composition Cu50Zr50 --atoms 2000 \
--     --rate 1e12 --seed 1 --potential /usr/share/lammps/potentials/CuZr_mm.eam.fs \
--     --out DIR [--np 2]
--
-- Random alloy (random positions pushed apart by a soft potential), melt at
-- 2500 K, quench with the paper's schedule (NPT, zero pressure, Nose-Hoover,
-- 2 fs): 1e13 K/s to 1500 K, 1e12 K/s (or the chosen rate when faster) to
-- 1000 K, the chosen rate to 500 K, 1e13 K/s to 50 K; hold at 50 K; CG
-- minimisation to the inherent structure.  Writes DIR/50K.data.gz (state with
-- velocities), DIR/is.dump.gz (inherent structure, with per-atom energy),
-- DIR/lammps.log.gz and DIR/log.txt (parameters, timings, results).
local sflex = require "sflex"
local cli = require "sflex.cli"

local opt = cli.parse(arg, {
  usage = "sflex scripts/make_glass.lua --composition Cu50Zr50 --atoms N --rate K_PER_S --seed S --potential FILE --out DIR [options]",
  options = {
    composition = {type = "string", required = true, help = "alloy, e.g. Cu50Zr50 (types numbered in this order)"},
    atoms = {type = "integer", required = true, help = "number of atoms"},
    rate = {type = "number", required = true, help = "effective cooling rate (K/s) between 1000 and 500 K"},
    seed = {type = "integer", default = 1, help = "random seed (positions, types, velocities)"},
    potential = {type = "string", required = true, help = "EAM potential (eam/fs or eam/alloy setfl file)"},
    out = {type = "string", required = true, help = "output directory"},
    np = {type = "integer", default = 1, help = "MPI ranks"},
    launcher = {type = "string", help = "MPI launcher (default mpirun; e.g. 'srun' on a cluster)"},
    lmp = {type = "string", help = "LAMMPS executable (default lmp or $SFLEX_LMP)"},
    suffix = {type = "string", default = "opt", help = "LAMMPS style suffix ('none' for plain styles)"},
    tmelt = {type = "number", default = 2500, help = "melt temperature (K)"},
    ["melt-ps"] = {type = "number", default = 20, help = "equilibration of the melt (ps)"},
    tfinal = {type = "number", default = 50, help = "final temperature (K)"},
    ["hold-ps"] = {type = "number", default = 20, help = "hold at the final temperature (ps)"},
    dt = {type = "number", default = 0.002, help = "time step (ps)"},
    ["fast-rate"] = {type = "number", default = 1e13, help = "rate of the fast segments (K/s)"},
    ["mid-rate"] = {type = "number", default = 1e12, help = "rate 1500->1000 K (the chosen rate if faster)"},
    ["box-relax"] = {type = "flag", help = "relax the box (zero pressure) in the minimisation"},
    thermo = {type = "integer", default = 1000, help = "thermo output interval (steps)"},
    quiet = {type = "flag", help = "no progress lines"},
  },
})

local L = require "sflex.lammps"
local t_start = sflex.now()
local function say(fmt, ...)
  if not opt.quiet then io.stdout:write(string.format(fmt, ...), "\n"); io.stdout:flush() end
end

-- ---- inputs, checked before anything runs ----------------------------------
local comp = L.parse_composition(opt.composition)
local pot = L.eam_elements(opt.potential)
local type_of = {}
for i, name in ipairs(pot.names) do type_of[name] = i end
local masses = {}
for i, el in ipairs(comp.names) do
  local k = type_of[el]
  if not k then
    error(string.format("element %s is not in %s (it has %s)", el, opt.potential,
                        table.concat(pot.names, ", ")), 0)
  end
  masses[i] = pot.masses[k]
end
if opt.atoms < #comp.names then error("--atoms must be at least the number of elements", 0) end
if opt.rate <= 0 or opt.seed < 1 or opt.np < 1 or opt.dt <= 0 then
  error("--rate, --seed, --np and --dt must be positive", 0)
end
local counts, assigned = {}, 0
for i, f in ipairs(comp.fractions) do
  counts[i] = math.floor(f * opt.atoms + 0.5)
  assigned = assigned + counts[i]
end
counts[#counts] = counts[#counts] + (opt.atoms - assigned)

-- initial cubic box from a rough liquid volume per atom (A^3): NPT fixes it
local vol_guess = {Cu = 15.0, Zr = 24.7, Al = 19.0, Ni = 13.5, Ti = 20.0, Fe = 14.0, Co = 13.5, Pd = 17.0, Si = 22.0, P = 22.0, Mg = 28.0, Ag = 20.5, Ta = 21.0}
local vol = 0
for i, el in ipairs(comp.names) do vol = vol + counts[i] * (vol_guess[el] or 20.0) end
local side = vol ^ (1 / 3)

-- quench schedule: list of {from, to, rate}
local fast, mid, rate = opt.fast_rate, opt.mid_rate, opt.rate
local schedule = {
  {opt.tmelt, 1500, fast},
  {1500, 1000, math.max(mid, rate)},
  {1000, 500, rate},
  {500, opt.tfinal, fast},
}
local function steps_for(t1, t2, r)
  return math.max(1, math.floor((t1 - t2) / r / (opt.dt * 1e-12) + 0.5))
end

-- ---- output directory: written at the end, through a temporary dir ---------
local out = opt.out:gsub("/+$", "")
local out_existed = io.open(out .. "/.", "r") ~= nil
sflex.make_dirs(out)

local pair_style = pot.style
local args = {}
if opt.suffix ~= "none" then args = {"-sf", opt.suffix} end
local ok, err = pcall(function()
  local lmp = sflex.lammps{np = opt.np, launcher = opt.launcher, lmp = opt.lmp, args = args,
                           log = nil, elements = comp.names}
  local tmp = lmp.tmpdir
  local timings = {}
  local function stage(name, cmds, nsteps)
    local t0 = sflex.now()
    lmp:commands(cmds)
    local dt = sflex.now() - t0
    timings[#timings + 1] = {name = name, steps = nsteps or 0, seconds = dt}
    say("%-34s %8d steps %8.1f s%s", name, nsteps or 0, dt,
        (nsteps and nsteps > 0) and string.format("  (%.0f steps/s)", nsteps / dt) or "")
  end
  local seed = opt.seed
  local s1, s2 = 1000 * seed + 11, 1000 * seed + 23
  local setup = {
    "log " .. tmp .. "/lammps.log",
    "units metal",
    "atom_style atomic",
    "atom_modify map array sort 1000 0.0",
    "boundary p p p",
    string.format("region box block 0 %.6f 0 %.6f 0 %.6f", side, side, side),
    string.format("create_box %d box", #comp.names),
  }
  for i = 1, #comp.names do
    setup[#setup + 1] = string.format("create_atoms %d random %d %d box", i, counts[i], s1 + 7 * i)
    setup[#setup + 1] = string.format("mass %d %.10g", i, masses[i])
  end
  -- push overlapping atoms apart with a soft repulsion before EAM
  for _, c in ipairs {
    "pair_style soft 2.2", "pair_coeff * * 20.0",
    "thermo " .. opt.thermo,
    "minimize 0.0 1.0e-6 2000 20000",
    "pair_style " .. pair_style,
    "pair_coeff * * " .. opt.potential .. " " .. table.concat(comp.names, " "),
    "neighbor 1.0 bin",
    "neigh_modify every 1 delay 0 check yes",
    "timestep " .. opt.dt,
    "thermo_style custom step temp press pe ke etotal vol density",
    "thermo_modify norm no lost error",
    "reset_timestep 0",
  } do setup[#setup + 1] = c end
  stage("setup (random alloy)", setup, 0)
  local tdamp, pdamp = 100 * opt.dt, 1000 * opt.dt
  local nmelt = math.max(1, math.floor(opt.melt_ps / opt.dt + 0.5))
  stage(string.format("melt %g K", opt.tmelt), {
    string.format("velocity all create %g %d dist gaussian mom yes rot no", opt.tmelt, s2),
    string.format("fix md all npt temp %g %g %g iso 0.0 0.0 %g", opt.tmelt, opt.tmelt, tdamp, pdamp),
    "run " .. nmelt,
  }, nmelt)
  for _, seg in ipairs(schedule) do
    local t1, t2, r = seg[1], seg[2], seg[3]
    if t1 > t2 then
      local n = steps_for(t1, t2, r)
      stage(string.format("quench %g->%g K at %.3g K/s", t1, t2, r), {
        string.format("fix md all npt temp %g %g %g iso 0.0 0.0 %g", t1, t2, tdamp, pdamp),
        "run " .. n,
      }, n)
    end
  end
  local nhold = math.max(1, math.floor(opt.hold_ps / opt.dt + 0.5))
  stage(string.format("hold %g K", opt.tfinal), {
    string.format("fix md all npt temp %g %g %g iso 0.0 0.0 %g", opt.tfinal, opt.tfinal, tdamp, pdamp),
    "run " .. nhold,
  }, nhold)
  local final = {
    T = lmp:eval("temp"), P = lmp:eval("press"), V = lmp:eval("vol"),
    pe = lmp:eval("pe/atoms"), density = lmp:eval("density"),
  }
  lmp:command("write_data " .. tmp .. "/50K.data")
  local min_cmds = {"unfix md", "compute peatom all pe/atom", "min_style cg"}
  if opt.box_relax then min_cmds[#min_cmds + 1] = "fix br all box/relax iso 0.0 vmax 0.001" end
  min_cmds[#min_cmds + 1] = "minimize 1.0e-15 1.0e-10 100000 1000000"
  local t0 = sflex.now()
  local mout = lmp:commands(min_cmds)
  timings[#timings + 1] = {name = "minimize (CG)", steps = 0, seconds = sflex.now() - t0}
  local criterion, fnorm = "?", "?"
  for _, line in ipairs(mout) do
    criterion = line:match("Stopping criterion = (.+)$") or criterion
    fnorm = line:match("Force two%-norm initial, final = %S+ (%S+)") or fnorm
  end
  say("%-34s %8s       %8.1f s  (%s, |F| = %s eV/A)", "minimize (CG)", "", timings[#timings].seconds, criterion, fnorm)
  if opt.box_relax then lmp:command("unfix br") end
  -- a dump defined before "run 0" gets current per-atom energies
  lmp:commands{
    string.format("dump isd all custom 1 %s/is.dump id type x y z ix iy iz c_peatom", tmp),
    "dump_modify isd sort id format float %.17g",
    "run 0",
    "undump isd",
  }
  local is = {pe = lmp:eval("pe/atoms"), V = lmp:eval("vol"), P = lmp:eval("press")}
  local banner = lmp.banner:match("(LAMMPS %b())") or "LAMMPS"
  lmp:command("log none")
  -- compress into OUT (each through a .tmp name), then the log
  L.gzip_file(tmp .. "/50K.data", out .. "/50K.data.gz")
  L.gzip_file(tmp .. "/is.dump", out .. "/is.dump.gz")
  L.gzip_file(tmp .. "/lammps.log", out .. "/lammps.log.gz")
  lmp:close()

  local total_steps, md_seconds = 0, 0
  for _, t in ipairs(timings) do
    total_steps = total_steps + t.steps
    md_seconds = md_seconds + t.seconds
  end
  local wall = sflex.now() - t_start
  local lines = {
    "# make_glass.lua log",
    "command = sflex scripts/make_glass.lua " .. table.concat(arg, " "),
    "lammps = " .. banner .. " (" .. table.concat(lmp.argv, " ") .. ")",
    "composition = " .. opt.composition,
    "elements = " .. table.concat(comp.names, ","),
  }
  local cstr = {}
  for i, el in ipairs(comp.names) do cstr[i] = el .. "=" .. counts[i] end
  for _, l in ipairs {
    "counts = " .. table.concat(cstr, ","),
    "atoms = " .. opt.atoms,
    "potential = " .. opt.potential,
    "pair_style = " .. pair_style,
    string.format("rate = %.6g", opt.rate),
    "seed = " .. opt.seed,
    "np = " .. opt.np,
    string.format("dt_ps = %g", opt.dt),
    string.format("tmelt = %g", opt.tmelt),
    string.format("melt_ps = %g", opt.melt_ps),
    string.format("hold_ps = %g", opt.hold_ps),
    string.format("schedule = %s", (function()
      local s = {}
      for _, seg in ipairs(schedule) do s[#s + 1] = string.format("%g->%g@%.3g", seg[1], seg[2], seg[3]) end
      return table.concat(s, ", ")
    end)()),
    string.format("final_T = %.6f", final.T),
    string.format("final_P_bar = %.6f", final.P),
    string.format("final_volume_A3 = %.6f", final.V),
    string.format("final_density_g_cm3 = %.6f", final.density),
    string.format("final_pe_per_atom_eV = %.8f", final.pe),
    string.format("is_pe_per_atom_eV = %.10f", is.pe),
    string.format("is_volume_A3 = %.6f", is.V),
    string.format("is_P_bar = %.6f", is.P),
    "minimize_stop = " .. criterion,
    "minimize_fnorm = " .. fnorm,
    "box_relax = " .. tostring(opt.box_relax or false),
    "md_steps = " .. total_steps,
    string.format("wall_seconds = %.1f", wall),
    string.format("core_hours = %.4f", wall * opt.np / 3600),
  } do lines[#lines + 1] = l end
  lines[#lines + 1] = "# stage  steps  seconds"
  for _, t in ipairs(timings) do
    lines[#lines + 1] = string.format("stage = %s | %d | %.1f", t.name, t.steps, t.seconds)
  end
  local f = assert(io.open(out .. "/log.txt.tmp", "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
  assert(os.rename(out .. "/log.txt.tmp", out .. "/log.txt"))
  say("wrote %s/{50K.data.gz,is.dump.gz,lammps.log.gz,log.txt} in %.0f s (IS pe %.5f eV/atom)", out, wall, is.pe)
end)
if not ok then
  -- nothing partial: remove what this run wrote, and the directory if new
  for _, name in ipairs {"50K.data.gz", "is.dump.gz", "lammps.log.gz", "log.txt"} do
    os.remove(out .. "/" .. name .. ".tmp")
  end
  if not out_existed then
    for _, name in ipairs {"50K.data.gz", "is.dump.gz", "lammps.log.gz", "log.txt"} do
      os.remove(out .. "/" .. name)
    end
    os.remove(out)
  end
  io.stderr:write("make_glass.lua: ", tostring(err), "\n")
  os.exit(1, true)
end
