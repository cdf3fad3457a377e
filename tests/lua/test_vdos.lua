-- test_vdos.lua: the VDOS layer on synthetic velocities (no LAMMPS):
-- partial VDOS of a partition add up to the total, known lines come out
-- where they were put, determinism, the boson peak, the harmonic
-- comparison helpers and the errors.
package.path = (os.getenv("SFLEX_SOURCE_DIR") or ".") .. "/tests/lua/?.lua;" .. package.path
local t = require "testlib"
local sflex = require "sflex"

-- natoms atoms; atom i vibrates at freq(i) THz with a phase per component
-- and segment; frames dt ps apart
local function feed(vacf, natoms, freq, segments, seed)
  local frames, dt = vacf.frames, vacf.dt
  local phase = {}
  local rng = seed or 1
  local function rand()
    rng = (rng * 1103515245 + 12345) % 2147483648
    return rng / 2147483648
  end
  for s = 1, segments do
    for c = 1, 3 * natoms do phase[c] = 2 * math.pi * rand() end
    for f = 0, frames - 1 do
      local v = sflex.matrix(natoms, 3)
      for i = 1, natoms do
        for c = 1, 3 do
          v:set(i, c, math.cos(2 * math.pi * freq(i) * f * dt + phase[3 * (i - 1) + c]))
        end
      end
      vacf:add(v)
    end
  end
end

local N = 30
local masses = sflex.vector(N, 0)
for i = 1, N do masses[i] = i % 2 == 0 and 91.224 or 63.546 end
-- three groups of ten atoms at 1.5, 4 and 6.5 THz
local function freq(i) return ({1.5, 4.0, 6.5})[(i - 1) // 10 + 1] end
local vacf = sflex.vacf(N, {frames = 800, dt = 0.01, lags = 401, masses = masses})
feed(vacf, N, freq, 2)

local function trapz(v, g)
  local s = 0
  for k = 1, #g do s = s + ((k == 1 or k == #g) and 0.5 or 1) * g[k] end
  return s * v.dnu
end

local function group_mask(k)
  local m = sflex.vector(N, 0)
  for i = 10 * (k - 1) + 1, 10 * k do m[i] = 1 end
  return m
end

t.case("vacf object", function()
  t.eq(vacf.segments, 2)
  t.eq(vacf.pending, 0)
  t.eq(vacf.lags, 401)
  t.match(tostring(vacf), "^Vacf%(n=30, frames=800 per segment")
  -- C_i(0) = m_i <|v|^2> = 3 m_i / 2 for unit-amplitude cosines
  t.near(vacf:atom_acf(2)[1] / (1.5 * 91.224), 1, 0.02)
end)

t.case("partial VDOS of a partition add up to the total", function()
  local all = vacf:vdos({nu_max = 10})
  t.near(trapz(all, all.g), 1, 2e-3, "total g integrates to 1 (to the cut at nu_max)")
  local sum = sflex.vector(#all.g, 0)
  local wsum = 0
  for k = 1, 3 do
    local p = vacf:vdos(group_mask(k), {nu_max = 10})
    t.eq(p.natoms, 10)
    t.near(trapz(p, p.g), 1, 2e-3, "group g integrates to 1")
    sum = sum + p.partial
    wsum = wsum + p.weight
    -- the group's line is where it was put, within a grid step
    local best = 1
    for j = 1, #p.g do if p.g[j] > p.g[best] then best = j end end
    t.near(p.nu[best], ({1.5, 4.0, 6.5})[k], p.dnu, "line of group " .. k)
  end
  t.near(wsum, 1, 1e-12, "kinetic-energy shares")
  local maxd = 0
  for j = 1, #sum do maxd = math.max(maxd, math.abs(sum[j] - all.g[j])) end
  t.ok(maxd < 1e-12 * all.g:max(), "partials add up: max diff " .. maxd)
  -- partials of an overlapping pair do not
  local m12 = group_mask(1) + group_mask(2)
  local p12 = vacf:vdos(m12, {nu_max = 10})
  local p1, p2 = vacf:vdos(group_mask(1), {nu_max = 10}), vacf:vdos(group_mask(2), {nu_max = 10})
  t.near(p12.partial[20] , p1.partial[20] + p2.partial[20], 1e-12 * all.g:max())
end)

t.case("determinism: the same frames give the same bytes", function()
  local b = sflex.vacf(N, {frames = 800, dt = 0.01, lags = 401, masses = masses})
  feed(b, N, freq, 2)
  local x, y = vacf:vdos(group_mask(2)), b:vdos(group_mask(2))
  t.ok((x.g - y.g):abs():max() == 0, "identical g")
  local c = sflex.vacf(N, {frames = 800, dt = 0.01, lags = 401, masses = masses})
  feed(c, N, freq, 2, 99) -- other phases: not identical, still the same lines
  local z = c:vdos(group_mask(2))
  t.ok((x.g - z.g):abs():max() > 0, "other phases differ")
end)

t.case("window, lags and grid", function()
  local a = vacf:vdos({lags = 201, pad = 2})
  t.eq(a.lags, 201)
  t.near(a.tmax, 2.0, 1e-12)
  t.near(a.dnu, 1 / (2 * 2 * 2.0), 1e-12)
  t.near(a.nu[#a.nu], 1 / (2 * 0.01), 1e-9, "up to Nyquist")
  local raw = vacf:vdos({window = "none", nu_max = 10})
  t.eq(raw.window, "none")
  t.raises(function() vacf:vdos({window = "hamming"}) end, "unknown window")
  t.raises(function() vacf:vdos({lags = 402}) end, "lags must be")
  t.raises(function() vacf:vdos({colour = 1}) end, "unknown option 'colour'")
end)

t.case("mode_vdos: the harmonic comparison on the same grid", function()
  local all = vacf:vdos({nu_max = 10})
  -- the model of the synthetic system: ten modes at each of the lines,
  -- weighted by the groups' kinetic energy (here equal: unit amplitudes
  -- are equal energies only per mass, so use the measured weights)
  local nu, w = sflex.vector(3, 0), sflex.vector(3, 0)
  for k = 1, 3 do nu[k] = ({1.5, 4.0, 6.5})[k]; w[k] = vacf:vdos(group_mask(k)).weight end
  local h = sflex.mode_vdos(nu, {like = all, weights = w})
  t.eq(#h.nu, #all.nu)
  local c = sflex.vdos_compare(all, h)
  t.ok(c.overlap > 0.97, "overlap with the exact model " .. c.overlap)
  t.near(c.mean_a, c.mean_b, 0.05)
  local shifted = sflex.mode_vdos(nu * 1.1, {like = all, weights = w})
  local c2 = sflex.vdos_compare(all, shifted)
  t.ok(c2.overlap < c.overlap - 0.3, "a 10 % shift is seen: " .. c2.overlap)
  local same = sflex.vdos_compare(all, all)
  t.near(same.overlap, trapz(all, all.g), 1e-12)
  t.eq(same.l1, 0)
  t.raises(function() sflex.vdos_compare(all, vacf:vdos()) end, "different grids")
  t.raises(function() sflex.mode_vdos(nu) end, "give dt and lags")
end)

t.case("boson peak: maximum of g/nu^2 in the range", function()
  -- a Debian-like nu^2 law plus a bump at 1.2 THz: g/nu^2 peaks there
  local nu = {}
  for k = 1, 3000 do nu[k] = 8 * ((k - 0.5) / 3000) ^ (1 / 3) end -- g ~ nu^2 up to 8 THz
  for k = 1, 60 do nu[#nu + 1] = 1.2 end
  local v = sflex.mode_vdos(sflex.vector(nu), {dt = 0.008, lags = 501, nu_max = 12})
  local bp = sflex.boson_peak(v)
  t.near(bp.nu, 1.2, 0.1, "peak position")
  t.ok(not bp.at_edge)
  t.near(bp.intensity, v.reduced[bp.index], 0)
  local bp2 = sflex.boson_peak(v, {range = {2.5, 3}})
  t.ok(bp2.intensity < bp.intensity)
  t.raises(function() sflex.boson_peak(v, {range = {100, 200}}) end, "no grid point")
end)

t.case("errors", function()
  t.raises(function() sflex.vacf(0, {frames = 10, dt = 1}) end, "positive")
  t.raises(function() sflex.vacf(3, {frames = 1, dt = 1}) end, "frames")
  t.raises(function() sflex.vacf(3, {frames = 10}) end, "dt")
  t.raises(function() sflex.vacf(3, {frames = 10, dt = 1, lags = 11}) end, "lags")
  t.raises(function() sflex.vacf(3, {frames = 10, dt = 1, mass = 1}) end, "unknown option 'mass'")
  t.raises(function() sflex.vacf(3, {frames = 10, dt = 1, masses = sflex.vector(2, 1)}) end, "masses")
  local v = sflex.vacf(2, {frames = 4, dt = 1})
  t.raises(function() v:vdos() end, "no complete segment")
  t.raises(function() v:add(sflex.matrix(3, 3)) end, "2 x 3 Matrix")
  local a = sflex.atoms{x = {{0, 0, 0}, {1, 1, 1}}, type = {1, 1}, id = {1, 2}, box = sflex.box{4, 4, 4}}
  t.raises(function() v:add(a) end, "no velocities")
  a.v = sflex.matrix(2, 3)
  v:add(a)
  local b = sflex.atoms{x = {{0, 0, 0}, {1, 1, 1}}, type = {1, 1}, id = {2, 1}, box = sflex.box{4, 4, 4}}
  b.v = sflex.matrix(2, 3)
  t.raises(function() v:add(b) end, "atom 1 has id 2")
  local m = sflex.matrix(2, 3)
  m:set(2, 2, 0 / 0)
  t.raises(function() v:add(m) end, "atom 2 .* not finite")
  t.raises(function() v:acf(sflex.vector(2, 0)) end, "selects no atom")
  t.raises(function() sflex.acf_spectrum(sflex.vector(1, 1), 1) end, "2 or more lags")
  t.raises(function() sflex.md_vdos(a, {}) end, "potential")
  t.raises(function() sflex.md_vdos(a, {potential = "x", every = 3, steps = 10}) end, "multiple")
end)

t.done()
