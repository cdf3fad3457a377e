-- test_vdos_lammps.lua: MD VDOS of the 250-atom inherent structure
-- (tests/data/cuzr_is250.data) from short LAMMPS NVE runs at 5 K (after a
-- Langevin thermalisation) against
-- the harmonic VDOS of the same sample through the same lag window: total
-- and per-species partials (harmonic weights sum_{i in species} |e_m,i|^2),
-- with a frequency-scaled harmonic VDOS as the negative control.  Skipped
-- without lmp.
package.path = (os.getenv("SFLEX_SOURCE_DIR") or ".") .. "/tests/lua/?.lua;" .. package.path
local t = require "testlib"
local sflex = require "sflex"

local src = os.getenv("SFLEX_SOURCE_DIR") or "."
if not sflex.which(os.getenv("SFLEX_LMP") or "lmp") then t.skip("lmp not found") end
local potfile = sflex.DEFAULT_POTENTIAL
if not io.open(potfile) then t.skip("potential " .. potfile .. " missing") end

local atoms = sflex.read(src .. "/tests/data/cuzr_is250.data")
local n = #atoms
local vacf, info = sflex.md_vdos(atoms, {potential = potfile, elements = {"Cu", "Zr"}, temp = 5,
                                         seeds = 2, steps = 1600, every = 4, equil = 250})
local pot = sflex.eam(potfile, {elements = {"Cu", "Zr"}})
local nu, modes = sflex.modes(pot:hessian(atoms), {lowest = 3 * n - 3, method = "dense"})

t.case("runs", function()
  t.eq(vacf.segments, 2)
  t.eq(vacf.frames, 401)
  t.near(info.dt_frame, 0.008, 1e-15)
  for k = 1, 2 do t.near(info.temps[k], 5, 0.5, "mean T of run " .. k) end
end)

local md = vacf:vdos({nu_max = 12})
local harm = sflex.mode_vdos(nu, {like = md})

t.case("total VDOS matches the harmonic one at 5 K", function()
  local c = sflex.vdos_compare(md, harm)
  t.ok(c.overlap > 0.95, "overlap " .. c.overlap)
  t.near(c.mean_a, c.mean_b, 0.03 * c.mean_b, "mean frequency")
  -- the control: harmonic frequencies 10 % too high are clearly worse
  local off = sflex.vdos_compare(md, sflex.mode_vdos(nu * 1.1, {like = md}))
  t.ok(off.overlap < c.overlap - 0.05, string.format("control %.3f vs %.3f", off.overlap, c.overlap))
  t.ok(math.abs(off.mean_a - off.mean_b) > 0.06 * off.mean_b, "control mean frequency")
end)

t.case("per-species partials match the harmonic local VDOS", function()
  local types = atoms.type
  local sum = sflex.vector(#md.g, 0)
  for ty = 1, 2 do
    local mask = sflex.vector(n, 0)
    local comp = sflex.vector(3 * n, 0)
    for i = 1, n do
      if types[i] == ty then
        mask[i] = 1
        for c = 1, 3 do comp[3 * (i - 1) + c] = 1 end
      end
    end
    local w = sflex.vector(#nu, 0)
    for m = 1, #nu do
      local e = modes:row(m)
      w[m] = (e * e):dot(comp)
    end
    local p = vacf:vdos(mask, {nu_max = 12})
    local h = sflex.mode_vdos(nu, {like = md, weights = w})
    local c = sflex.vdos_compare(p, h)
    t.ok(c.overlap > 0.94, "type " .. ty .. " overlap " .. c.overlap)
    t.near(c.mean_a, c.mean_b, 0.04 * c.mean_b, "type " .. ty .. " mean frequency")
    -- equipartition: each species' kinetic-energy share is its atom share
    t.near(p.weight, mask:sum() / n, 0.05, "type " .. ty .. " weight")
    sum = sum + p.partial
  end
  t.ok((sum - md.g):abs():max() < 1e-12 * md.g:max(), "partials add up to the total")
end)

t.done()
