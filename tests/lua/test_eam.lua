-- test_eam.lua - the Lua face of the EAM evaluator and the eigen-solvers:
-- sflex.eam, Potential methods, Hessian, sflex.modes (dense and sparse),
-- sflex.participation, sflex.harmonic_msd, sflex.eigh, sflex.soft_modes,
-- sflex.harmonic_vdos.
local t = require "testlib"
local sflex = require "sflex"

local POT = "/usr/share/lammps/potentials/CuZr_mm.eam.fs"
if not io.open(POT) then
  print("skip: " .. POT .. " missing")
  os.exit(77)
end
local src = os.getenv("SFLEX_SOURCE_DIR") or "."

-- a minimal reader of the committed LAMMPS data file
local function read_data(path)
  local f = assert(io.open(path))
  local lo, hi, n = {}, {}, 0
  local xs, types, ids = {}, {}, {}
  local section
  for line in f:lines() do
    local a, b = line:match("^%s*(%S+)%s+(%S+)%s+[xyz]lo [xyz]hi")
    if a then lo[#lo + 1] = tonumber(a); hi[#hi + 1] = tonumber(b) end
    local m = line:match("^(%d+) atoms$")
    if m then n = tonumber(m) end
    if line:match("^Atoms") then section = "atoms"
    elseif section == "atoms" then
      local id, ty, x, y, z = line:match("^(%d+)%s+(%d+)%s+(%S+)%s+(%S+)%s+(%S+)")
      if id then
        ids[#ids + 1] = tonumber(id); types[#types + 1] = tonumber(ty)
        xs[#xs + 1] = {tonumber(x), tonumber(y), tonumber(z)}
      end
    end
  end
  f:close()
  assert(#xs == n, "read " .. #xs .. " of " .. n .. " atoms")
  local atoms = sflex.atoms{x = xs, type = types, id = ids, species = {"Cu", "Zr"},
                            box = sflex.box{lo = lo, hi = hi}}
  return atoms
end

local atoms = read_data(src .. "/tests/data/cuzr_is250.data")
local pot = sflex.eam(POT)

t.case("potential", function()
  t.match(tostring(pot), "^Potential%(eam/fs CuZr_mm.eam.fs: Cu Zr, cutoff 7.6 A%)$")
  t.eq(pot:elements(), {"Cu", "Zr"})
  t.near(pot:cutoff(), 7.6, 0)
  t.near(pot:mass("Zr"), 91.224, 1e-12)
  t.raises(function() sflex.eam("/nonexistent.eam.fs") end, "cannot open EAM potential file")
  t.raises(function() sflex.eam(POT, {elements = {"Cu", "Xx"}}) end, "'Xx' is not in")
  t.raises(function() sflex.eam(POT, {kind = "funcfl"}) end, "kind must be")
end)

t.case("energy and forces of an inherent structure", function()
  local e, pe = pot:energy(atoms)
  t.ok(e < -1000 and e > -1500, "energy " .. e)
  t.near(pe:sum(), e, 1e-9)
  local f, e2 = pot:forces(atoms)
  t.eq({f:shape()}, {#atoms, 3})
  t.near(e2, e, 0)
  t.ok(f:abs():max() < 1e-6, "forces vanish at a minimum")
  local r = pot:compute(atoms)
  t.near(r.energy, e, 0)
  t.ok(r.rho:min() > 0)
  -- element order from the option instead of species names: swapping the
  -- elements changes the energy
  local swapped = sflex.eam(POT, {elements = {"Zr", "Cu"}})
  t.ok(math.abs(swapped:energy(atoms) - e) > 1)
end)

local H = pot:hessian(atoms)

t.case("hessian object", function()
  t.eq(#H, 750)
  t.eq(H:natoms(), 250)
  t.match(tostring(H), "^Hessian%(250 atoms, 750 x 750, %d+ 3x3 blocks %(upper triangle%)")
  local B12, B21 = H:block(1, 2), H:block(2, 1)
  for i = 1, 3 do for j = 1, 3 do t.near(B12:get(i, j), B21:get(j, i), 0) end end
  -- acoustic sum rule through matvec: H * uniform translation = 0
  local u = sflex.vector(750, 0)
  for i = 1, 750, 3 do u[i] = 1 end
  t.ok(H:matvec(u):abs():max() < 1e-10)
  t.near(H:masses()[1], atoms.type[1] == 1 and 63.546 or 91.224, 1e-12)
  local Hf = pot:hessian(atoms, {full = true})
  t.ok(Hf:nnz() > H:nnz())
  local D = H:dense()
  t.near(D:get(4, 7), H:block(2, 3):get(1, 1), 0)
end)

t.case("modes: dense and sparse agree", function()
  local nu_d, m_d, info_d = sflex.modes(H, {lowest = 12, method = "dense"})
  local nu_s, m_s, info_s = sflex.modes(H, {lowest = 12, method = "sparse"})
  local nu_b, m_b, info_b = sflex.modes(H, {lowest = 12, method = "block"})
  t.eq(info_b.method, "block")
  t.eq(info_d.method, "dense")
  t.eq(info_s.method, "sparse")
  t.ok(info_s.sigma < 0 and info_s.solves > 0)
  t.eq({m_d:shape()}, {12, 750})
  for m = 1, 12 do
    t.near(nu_s[m], nu_d[m], 1e-9 * nu_d[m])
    t.near(nu_b[m], nu_d[m], 1e-9 * nu_d[m])
    t.ok(math.abs(m_s:row(m):dot(m_d:row(m)) - 1) < 1e-8)
    t.ok(math.abs(m_b:row(m):dot(m_d:row(m)) - 1) < 1e-8)
  end
  t.ok(nu_d[1] > 0.05 and nu_d[12] < 3, "soft modes in the THz range")
  -- default: the lowest 1 % of the 3N - 3 modes
  local nu, _, info = sflex.modes(H)
  t.eq(#nu, math.ceil(0.01 * 747))
  t.eq(info.method, "sparse") -- auto above 200 atoms, k < 100
  -- masses = false: eigenvalues of H itself; equal masses scale them
  local _, _, i1 = sflex.modes(H, {lowest = 3, masses = false})
  local m = sflex.vector(250, 2.0)
  local _, _, i2 = sflex.modes(H, {lowest = 3, masses = m})
  t.near(i2.eigenvalues[1] * 2, i1.eigenvalues[1], 1e-10 * i1.eigenvalues[1])
  local f, none = sflex.modes(H, {lowest = 3, vectors = false})
  t.ok(none == nil and #f == 3)
  t.raises(function() sflex.modes(H, {lowest = 748}) end, "outside 1..747")
  t.raises(function() sflex.modes(H, {method = "qr"}) end, "method must be")
  t.raises(function() sflex.modes(atoms) end, "need a potential")
  local nu_a = sflex.modes(atoms, {potential = pot, lowest = 2})
  t.near(nu_a[2], nu_d[2], 1e-9)
end)

t.case("participation", function()
  local nu, modes = sflex.modes(H, {lowest = 8})
  local p = sflex.participation(modes)
  t.eq(#p, 250)
  t.near(p:sum(), 8, 1e-10)
  t.ok(p:min() >= 0)
  local p2, nu2 = sflex.participation(H, {lowest = 8})
  t.near((p2 - p):abs():max(), 0, 1e-10)
  t.near(nu2[8], nu[8], 0)
  local p3, nu3 = sflex.soft_modes(pot, atoms)
  t.eq(#nu3, 8)
  t.near(p3:sum(), 8, 1e-10)
end)

t.case("harmonic msd", function()
  local msd, info = sflex.harmonic_msd(pot, atoms, 300)
  t.eq(#msd, 250)
  t.eq(info.method, "dense")
  t.ok(msd:min() > 0 and msd:mean() < 0.1)
  -- linear in T, and the same from the Hessian
  local msd2 = sflex.harmonic_msd(H, 600)
  t.near((msd2 - msd * 2):abs():max(), 0, 1e-12)
  -- against the eigen-sum over the bare Hessian
  local lam, vec = sflex.modes(H, {lowest = 747, masses = false, method = "dense"})
  local kT = 8.617333262e-5 * 300
  local ref = 0
  for m = 1, 747 do
    local e = vec:row(m)
    local s = e[1] ^ 2 + e[2] ^ 2 + e[3] ^ 2
    ref = ref + kT * s / (lam[m] * lam[m])
  end
  t.near(msd[1], ref, 1e-9 * ref)
  -- the sparse path (pinned atom, selected inverse) gives the same numbers
  local msds, infos = sflex.harmonic_msd(H, 300, {method = "sparse"})
  t.eq(infos.method, "sparse")
  t.ok(infos.factor_nnz > 0 and infos.factor_seconds >= 0 and infos.solve_seconds >= 0)
  t.ok(((msds - msd):abs() / msd):max() < 1e-10)
end)

t.case("eigh and harmonic vdos", function()
  local A = sflex.matrix{{2, 1, 0}, {1, 2, 0}, {0, 0, 5}}
  local w, V = sflex.eigh(A)
  t.near(w[1], 1, 1e-14); t.near(w[2], 3, 1e-14); t.near(w[3], 5, 1e-14)
  t.near(math.abs(V:get(1, 1)), math.sqrt(0.5), 1e-14)
  local w2 = sflex.eigh(A, 2, 3)
  t.eq(#w2, 2)
  t.raises(function() sflex.eigh(sflex.matrix{{1, 2}, {3, 4}}) end, "not symmetric")
  local vd = sflex.harmonic_vdos(H, {bins = 50})
  t.eq(vd.modes, 747)
  local integral = 0
  for b = 1, 50 do integral = integral + vd.g[b] * vd.width end
  t.near(integral, 1, 1e-12)
end)

t.done()
