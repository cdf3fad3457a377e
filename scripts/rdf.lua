-- rdf.lua: partial pair distribution functions g_ab(r) of a configuration
-- (paper eq. 2).
--
--   sflex scripts/rdf.lua CONFIG [--elements Cu,Zr] [--rmax R] [--dr DR] [--out FILE]
--
-- Writes a whitespace table with the header "r g_Cu_Cu g_Cu_Zr g_Zr_Zr"
-- (one column per pair A <= B in species order; r is the bin centre) to
-- FILE, or to stdout without --out.  The first-peak positions and the
-- first-shell coordination numbers go to stderr.  doc/structure.md.
local sflex = require "sflex"
local cli = require "sflex.cli"

local opt = cli.parse(arg, {
  usage = "sflex scripts/rdf.lua CONFIG [--elements Cu,Zr] [--rmax R] [--dr DR] [--out FILE]",
  positional = {"config"},
  options = {
    elements = {type = "list", help = "species of types 1..k, e.g. Cu,Zr"},
    rmax = {type = "number", default = 10.0, help = "largest distance (A)"},
    dr = {type = "number", default = 0.02, help = "bin width (A)"},
    out = {type = "string", help = "output table (default: stdout)"},
    frame = {type = "integer", default = 1, help = "frame of a multi-frame dump (negative: from the end)"},
    quiet = {type = "flag", help = "no summary on stderr"},
  },
})

local atoms = sflex.read(opt.config, {elements = opt.elements, frame = opt.frame})
local rdf = sflex.rdf(atoms, {rmax = opt.rmax, dr = opt.dr})
local tab = rdf:table()
sflex.write_columns(opt.out or "-", {tab}, tab:colnames())

if not opt.quiet then
  local sp = rdf:species()
  for a = 1, #sp do
    for b = 1, #sp do
      local rp = rdf:peak(a, b)
      local rmin, cn = rdf:shell(a, b)
      io.stderr:write(string.format("%s-%s: first peak %s A, first minimum %s A, coordination %s\n",
        sp[a], sp[b], rp and string.format("%.4f", rp) or "-", rmin and string.format("%.4f", rmin) or "-",
        rmin and string.format("%.3f", cn) or "-"))
    end
  end
end
