-- harmonic_vflex.lua: harmonic v_flex of an inherent structure, next to the
-- MD one, as a training label.
--
--   sflex scripts/harmonic_vflex.lua CONFIG --vflex VFLEX.dump.gz [--temp 50]
--     [--elements Cu,Zr] [--potential F] [--method auto] --out OUT.dump.gz
--
-- msd_harm = k_B T tr[(H^+)_ii] (sflex.harmonic_msd: classical harmonic MSD
-- of CONFIG, which must be an energy minimum) and vflex_harm = msd_harm * a,
-- with a the per-atom factor of the MD label (vflex = msd * a, vflex.lua).
-- OUT holds every column of VFLEX plus msd_harm and vflex_harm (atoms matched
-- by id), so `scripts/train.lua --train OUT --label vflex_harm --log` learns
-- it.  Prints the Pearson and Spearman correlations of ln msd_harm with
-- ln msd and of ln vflex_harm with ln vflex, per species.
local sflex = require "sflex"
local cli = require "sflex.cli"
local stats = sflex.stats

local opt = cli.parse(arg, {
  usage = "sflex scripts/harmonic_vflex.lua CONFIG --vflex VFLEX.dump.gz [options] --out OUT.dump.gz",
  positional = {"config"},
  options = {
    vflex = {type = "string", required = true, help = "MD v_flex dump (vflex.lua: msd, a, vflex columns)"},
    temp = {type = "number", default = 50, help = "temperature (K) of the harmonic MSD"},
    elements = {type = "list", default = {"Cu", "Zr"}, help = "species of types 1..k"},
    potential = {type = "string", default = "/usr/share/lammps/potentials/CuZr_mm.eam.fs",
                 help = "EAM potential (eam/fs or eam/alloy)"},
    method = {type = "string", default = "auto", help = "harmonic MSD solver: auto | dense | sparse"},
    out = {type = "string", required = true, help = "output dump (.dump or .dump.gz)"},
  },
})
if not (opt.temp > 0) then error("harmonic_vflex.lua: --temp must be positive, not " .. opt.temp, 0) end

local atoms = sflex.read(opt.config, {elements = opt.elements})
local md = sflex.read(opt.vflex, {elements = opt.elements})
if md.n ~= atoms.n then
  error(string.format("%s has %d atoms, %s has %d", opt.vflex, md.n, opt.config, atoms.n), 0)
end
local cols = {}
for _, c in ipairs(md:columns()) do cols[c] = true end
for _, c in ipairs {"msd", "a", "vflex"} do
  if not cols[c] then error(string.format("%s: no per-atom column '%s'", opt.vflex, c), 0) end
end

local pot = sflex.eam(opt.potential)
local msd, info = sflex.harmonic_msd(pot, atoms, opt.temp, {method = opt.method})

-- onto the MD dump's atom order, by id
local mh = sflex._core.vector(md.n, 0)
for i = 1, md.n do
  local id = md.id[i]
  local j = atoms:index_of(id)
  if not j then error(string.format("%s: atom id %d is not in %s", opt.vflex, math.tointeger(id), opt.config), 0) end
  if atoms.type[j] ~= md.type[i] then
    error(string.format("atom id %d has type %d in %s but %d in %s", math.tointeger(id),
      math.tointeger(atoms.type[j]), opt.config, math.tointeger(md.type[i]), opt.vflex), 0)
  end
  mh[i] = msd[j]
end
local a, vmd, mmd = md:column("a"), md:column("vflex"), md:column("msd")
local vh = mh * a
md:set_column("msd_harm", mh)
md:set_column("vflex_harm", vh)

print(string.format("%s: %d atoms, harmonic MSD at %g K (%s, %.1f s): mean %.5g A^2 (MD msd mean %.5g)",
  opt.config, atoms.n, opt.temp, info.method, info.seconds, mh:mean(), mmd:mean()))
print("species      n  pearson(ln msd)  spearman(ln msd)  pearson(ln vflex)  spearman(ln vflex)  mean msd_harm/msd")
local lmh, lmm, lvh, lvm = mh:log(), mmd:log(), vh:log(), vmd:log()
for t = 1, md.ntypes do
  local m = md:mask(t)
  if m:count() >= 3 then
    local ratio = (mh:select(m) / mmd:select(m)):mean()
    print(string.format("%-8s %6d  %15.4f  %16.4f  %17.4f  %18.4f  %17.4f", md.species and md.species[t] or t,
      math.tointeger(m:count()), stats.pearson(lmh:select(m), lmm:select(m)),
      stats.spearman(lmh:select(m), lmm:select(m)), stats.pearson(lvh:select(m), lvm:select(m)),
      stats.spearman(lvh:select(m), lvm:select(m)), ratio))
  end
end

local columns = {"id", "type", "x", "y", "z"}
for _, c in ipairs(md:columns()) do columns[#columns + 1] = c end
sflex.write(opt.out, md, {format = "dump", columns = columns})
print("wrote " .. opt.out)
