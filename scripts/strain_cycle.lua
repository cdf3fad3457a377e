-- strain_cycle.lua: is a small strain elastic?  Minimise CONFIG, then apply
-- a sequence of shear-strain increments (each followed by a CG minimisation
-- at fixed box) and print the energy and the shear stress after each: a
-- reversible cycle returns to the same energy and stress, a rearrangement
-- does not (doc/mechanics.md, "Fast-quenched glasses rearrange").
--
--   sflex scripts/strain_cycle.lua CONFIG --elements Cu,Zr [--mode xy]
--     [--increments 1e-4,-2e-4,1e-4,1e-3,-2e-3,1e-3] [--np 1] [--out FILE]
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"

local opt = cli.parse(arg, {
  usage = "sflex scripts/strain_cycle.lua CONFIG --elements Cu,Zr [options]",
  positional = {"config"},
  options = {
    elements = {type = "list", help = "species of types 1..k (pair_coeff order)"},
    mode = {type = "string", default = "xy", help = "shear mode xy | xz | yz (with optional -)"},
    increments = {type = "list", default = {"1e-4", "-2e-4", "1e-4", "1e-3", "-2e-3", "1e-3"},
                  help = "strain increments, applied in order"},
    ftol = {type = "number", default = 1e-8, help = "minimiser force tolerance (eV/A)"},
    potential = {type = "string", help = "EAM potential (default Debian's CuZr_mm.eam.fs)"},
    np = {type = "integer", default = 1, help = "MPI ranks for LAMMPS"},
    out = {type = "string", help = "also write the table here"},
    quiet = {type = "flag", help = "no lines on stdout"},
  },
})
local mode = sflex.shear_mode(opt.mode)
if mode.perm then error("--mode " .. opt.mode .. ": only xy, xz, yz (and their negatives)", 0) end
local incs = {}
for i, s in ipairs(opt.increments) do
  incs[i] = tonumber(s) or error("--increments: '" .. s .. "' is not a number", 0)
end

local atoms = sflex.read(opt.config, {elements = opt.elements}):sort_by_id()
local lmp = sflex.mech_lammps(atoms, {potential = opt.potential, np = opt.np})
local rows = {strain = {}, pe_eV = {}, stress_GPa = {}}
local function record(g)
  sflex.lammps_minimize(lmp, {ftol = opt.ftol})
  local st = sflex.lammps_state(lmp)
  local k = #rows.strain + 1
  rows.strain[k], rows.pe_eV[k] = g, st.pe
  rows.stress_GPa[k] = -st[mode.p] * 1e-4 * mode.sign
  if not opt.quiet then print(string.format("strain %+.6f  PE %.8f eV  stress %.6f GPa", g, st.pe, rows.stress_GPa[k])) end
  return st
end
local ok, err = pcall(function()
  local st0 = record(0)
  local L, g = st0[mode.len], 0
  for _, d in ipairs(incs) do
    g = g + d
    lmp:command(string.format("change_box all %s delta %.17g remap units box", mode.tilt, mode.sign * d * L))
    record(g)
  end
end)
lmp:close()
if not ok then error(err, 0) end
if opt.out then
  plot.write_table(opt.out, {{"strain", rows.strain}, {"pe_eV", rows.pe_eV}, {"stress_GPa", rows.stress_GPa}},
                   {format = "%.12g", comment = string.format("%s, mode %s, a CG minimisation (ftol %g) after each increment",
                                            opt.config, mode.name, opt.ftol)})
end
