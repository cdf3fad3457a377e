-- d2min.lua: Falk-Langer non-affine squared displacement between two
-- configurations of the same atoms.
--
--   sflex scripts/d2min.lua REF DEFORMED --cutoff R --out OUT.dump
--     [--elements Cu,Zr] [--normalize] [--gradient] [--frame-ref N] [--frame N]
--     [--plot HIST.png]
--
-- Writes a LAMMPS dump of the deformed configuration with the columns
-- id type x y z d2min (--gradient: also Fxx Fxy ... Fzz, the best-fit
-- local deformation gradient; atoms matched by id, any order; triclinic boxes and
-- atoms that crossed periodic boundaries are fine).  Neighbours are the
-- atoms closer than R in REF.  doc/mechanics.md.
local sflex = require "sflex"
local cli = require "sflex.cli"

local opt = cli.parse(arg, {
  usage = "sflex scripts/d2min.lua REF DEFORMED --cutoff R --out OUT.dump [options]",
  positional = {"ref", "deformed"},
  options = {
    cutoff = {type = "number", required = true, help = "neighbour cutoff in REF (A)"},
    out = {type = "string", required = true, help = "output dump (id type x y z d2min)"},
    elements = {type = "list", help = "species of types 1..k, e.g. Cu,Zr"},
    normalize = {type = "flag", help = "divide D2min by the neighbour count"},
    ["frame-ref"] = {type = "integer", default = 1, help = "frame of REF (negative: from the end)"},
    frame = {type = "integer", default = 1, help = "frame of DEFORMED (negative: from the end)"},
    gradient = {type = "flag", help = "also write the local deformation gradient Fxx .. Fzz"},
    plot = {type = "string", help = "histogram of log10 D2min (.png/.svg/.pdf)"},
    quiet = {type = "flag", help = "no summary"},
  },
})

local function load(path, frame)
  return sflex.read(path, {elements = opt.elements, frame = frame})
end

local ref, def = load(opt.ref, opt.frame_ref), load(opt.deformed, opt.frame)
local out, nnan = sflex.d2min_atoms(ref, def, {cutoff = opt.cutoff, normalize = opt.normalize})
local columns = {"id", "type", "x", "y", "z", "d2min"}
if opt.gradient then
  local _, F = sflex.d2min(ref, def, {cutoff = opt.cutoff, order = "deformed"})
  for j, name in ipairs(F:colnames()) do
    out:set_column(name, F:col(j))
    columns[#columns + 1] = name
  end
end
sflex.write(opt.out, out, {format = "dump", columns = columns})

local d2 = out.d2min
local ok = d2:select(d2:eq(d2))
if not opt.quiet then
  print(string.format("%s: %d atoms, cutoff %g A, D2min mean %.6g max %.6g median %.6g A^2%s",
    opt.out, #out, opt.cutoff, ok:mean(), ok:max(), sflex.stats.quantile(ok, 0.5),
    opt.normalize and " per neighbour" or ""))
  if nnan > 0 then
    print(string.format("warning: %d atoms have no D2min (neighbours not spanning 3D; nan in the dump): " ..
                        "raise --cutoff", nnan))
  end
end

if opt.plot then
  local plot = require "sflex.plot"
  local lg = ok:select(ok:gt(0)):map(function(v) return math.log(v, 10) end)
  local counts, centres = sflex.stats.hist(lg, {bins = 60})
  plot.render{out = opt.plot, xlabel = "log_{10} D^2_{min} (A^2)", ylabel = "atoms",
              key = false, series = {{x = centres, y = counts, style = "histeps lw 2"}}}
end
