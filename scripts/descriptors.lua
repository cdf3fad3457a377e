-- descriptors.lua: per-atom radial structure functions (paper eq. 5) of a
-- configuration, one row per atom.
--
--   sflex scripts/descriptors.lua CONFIG [--elements Cu,Zr]
--     [--rp CuCu=2.5,CuZr=2.7,ZrZr=3.1] [--grid 0.6:3.0:0.05] [--sigma 0.05]
--     [--cutoff 3.0] [--angstrom] [--angular [--xi 1,1.5,2] [--lambda -1,1]
--     [--zeta 1,2,4,16] [--angular-cutoff 1.4]] --out FILE
--
-- FILE: a whitespace table sorted by atom id, columns "id type" then
-- G_<species>_<rbar> for every neighbour species and grid point, then
-- "bias" (ones).  Without --rp the first-peak positions of the partial
-- g(r) are used (printed on stderr).  --angstrom: distances in A (defaults
-- grid 1.5:6.6:0.1, sigma 0.1, cutoff 6.6).  --angular appends the
-- bond-angle structure functions Psi_<b>_<c>_xi.._l.._z.. (Cubuk et al.
-- 2015; sflex.angular_descriptor, same rp and units) after "bias".
-- doc/structure.md.
local sflex = require "sflex"
local cli = require "sflex.cli"

local opt = cli.parse(arg, {
  usage = "sflex scripts/descriptors.lua CONFIG --out FILE [options]",
  positional = {"config"},
  options = {
    out = {type = "string", required = true, help = "output table (id type G_... bias)"},
    elements = {type = "list", help = "species of types 1..k, e.g. Cu,Zr"},
    rp = {type = "map", help = "first-peak positions, e.g. CuCu=2.5,CuZr=2.7,ZrZr=3.1 (default: from g(r))"},
    grid = {type = "string", help = "start:stop:step of rbar (default 0.6:3.0:0.05; A with --angstrom)"},
    sigma = {type = "number", help = "Gaussian width (default 0.05; 0.1 with --angstrom)"},
    cutoff = {type = "number", help = "cutoff (default 3.0; 6.6 with --angstrom)"},
    angstrom = {type = "flag", help = "real distances instead of r/rp"},
    frame = {type = "integer", default = 1, help = "frame of a multi-frame dump (negative: from the end)"},
    quiet = {type = "flag", help = "no summary on stderr"},
    angular = {type = "flag", help = "append bond-angle structure functions (Cubuk 2015)"},
    xi = {type = "list", help = "angular widths xi (default 1,1.5,2 reduced; 2.5,4,5.5 with --angstrom)"},
    lambda = {type = "list", help = "angular lambda values (default -1,1)"},
    zeta = {type = "list", help = "angular zeta values (default 1,2,4,16)"},
    ["angular-cutoff"] = {type = "number", help = "angular neighbour cutoff (default 1.4 reduced; 4.2 A)"},
  },
})

local atoms = sflex.read(opt.config, {elements = opt.elements, frame = opt.frame})
local desc = sflex.descriptor{
  reduced = not opt.angstrom, rp = opt.rp, grid = opt.grid, sigma = opt.sigma, cutoff = opt.cutoff,
}
local function numbers(list, name)
  if not list then return nil end
  local out = {}
  for i, v in ipairs(list) do
    out[i] = tonumber(v) or error("--" .. name .. ": '" .. v .. "' is not a number", 0)
  end
  return out
end
if not opt.angular and (opt.xi or opt.lambda or opt.zeta or opt.angular_cutoff) then
  error("--xi, --lambda, --zeta and --angular-cutoff need --angular", 0)
end

local t0 = sflex.now()
local X = desc:compute(atoms)
if opt.angular then
  local A = sflex.angular_descriptor(atoms, {
    reduced = not opt.angstrom, rp = desc.last_rp, xi = numbers(opt.xi, "xi"),
    lambda = numbers(opt.lambda, "lambda"), zeta = numbers(opt.zeta, "zeta"), cutoff = opt.angular_cutoff,
  })
  X = sflex.hstack{X, A}
end
local seconds = sflex.now() - t0

local names = {"id", "type"}
for _, c in ipairs(X:colnames()) do names[#names + 1] = c end
sflex.write_columns(opt.out, {atoms.id, atoms.type, X}, names, atoms.id:order())

if not opt.quiet then
  local rp = {}
  for k, v in pairs(desc.last_rp or {}) do rp[#rp + 1] = string.format("%s=%.4f", k, v) end
  table.sort(rp)
  io.stderr:write(string.format("%s: %d atoms x %d columns (%s%s) in %.3f s\n", opt.out, X.rows, X.cols,
    tostring(desc), #rp > 0 and ("; rp " .. table.concat(rp, ",")) or "", seconds))
end
