-- predict.lua: per-atom structural flexibility (SF) of any configuration
-- from a trained model, written as a LAMMPS dump that OVITO and LAMMPS read.
--
--   sflex scripts/predict.lua --model MODEL CONFIG [--elements Cu,Zr]
--     --out OUT.dump [--coarse R]
--
-- Columns: id type x y z sf (plus sf_cg with --coarse R: SF averaged over
-- the atoms within R Angstrom).  Atoms whose species the model has no
-- weights for get NaN.  When CONFIG carries the model's label column, the
-- Pearson rho between SF and the (transformed) label is printed per species.
local sflex = require "sflex"
local cli = require "sflex.cli"

local opt = cli.parse(arg, {
  usage = "sflex scripts/predict.lua --model MODEL CONFIG [--elements Cu,Zr] --out OUT.dump",
  positional = {"config"},
  options = {
    model = {type = "string", required = true, help = "model file written by train.lua"},
    elements = {type = "list", help = "species of types 1..k (default: the model's)"},
    out = {type = "string", required = true, help = "output dump (.gz compresses)"},
    coarse = {type = "number", help = "also write sf_cg, the mean SF within this radius (A)"},
    quiet = {type = "flag", help = "no summary lines"},
  },
})

local model = sflex.load_model(opt.model)
local atoms = sflex.learn.read_config(opt.config, opt.elements or model.elements)
local sf = model:sf(atoms)
atoms:set_column("sf", sf)
local columns = {"id", "type", "x", "y", "z", "sf"}
if opt.coarse then
  atoms:set_column("sf_cg", model:coarse_grain(atoms, opt.coarse, sf))
  columns[#columns + 1] = "sf_cg"
end
sflex.learn.write_dump(opt.out, atoms, columns)

if not opt.quiet then
  local avg = model:sample_average(atoms, sf)
  local label = atoms:column(model.label, true)
  local y = label and (model.transform == "ln" and label:log() or label)
  for _, c in ipairs(model.order) do
    if avg[c] then
      local line = string.format("%-4s n=%-8d <SF>=%.4f", c, atoms:mask(c):count(), avg[c])
      if y then
        local m = atoms:mask(c)
        line = line .. string.format("  rho(SF, %s%s)=%.4f", model.transform == "ln" and "ln " or "",
          model.label, sflex.stats.pearson(sf:select(m), y:select(m)))
      end
      print(line)
    end
  end
  print(string.format("wrote %s (%d atoms)", opt.out, atoms.n))
end
