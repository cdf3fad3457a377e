-- bench_vib.lua - wall time of the lowest 1 % of the normal modes +
-- participation (and optionally the harmonic MSD) of an inherent structure,
-- with the load average at each step.  Not a test; see bench/bench_vib.sh.
--
--   sflex bench/bench_vib.lua CONFIG [--replicate N] [--method auto]
--     [--msd dense,sparse] [--export PREFIX]
--
-- --replicate N: N x 1 x 1 periodic copies (timing only: a replicated glass
-- has N-fold near-degenerate modes).  --export PREFIX writes the bare
-- Hessian's upper triangle as PREFIX.coo (binary, little endian: int32 3N,
-- int64 nnz, then nnz records int32 row, int32 col (0-based), float64
-- eV/A^2), the masses as PREFIX.masses (one per atom, amu) and the sflex
-- eigenvalues (eV/(A^2 amu)) and sigma as PREFIX.sflex for bench/vib_scipy.py.
local sflex = require "sflex"
local cli = require "sflex.cli"

local opt = cli.parse(arg, {
  usage = "sflex bench/bench_vib.lua CONFIG [options]",
  positional = {"config"},
  options = {
    elements = {type = "list", default = {"Cu", "Zr"}, help = "species of types 1..k"},
    potential = {type = "string", default = "/usr/share/lammps/potentials/CuZr_mm.eam.fs", help = "EAM file"},
    replicate = {type = "integer", default = 1, help = "N x 1 x 1 copies"},
    method = {type = "string", default = "auto", help = "eigen-solver"},
    fraction = {type = "number", default = 0.01, help = "fraction of the lowest modes"},
    msd = {type = "list", help = "also time the harmonic MSD with these methods"},
    export = {type = "string", help = "write PREFIX.coo / .masses / .sflex for scipy"},
  },
})

local function load()
  local f = io.open("/proc/loadavg")
  local s = f and f:read("l") or "?"
  if f then f:close() end
  return s:match("^(%S+ %S+ %S+)") or s
end

local atoms = sflex.read(opt.config, {elements = opt.elements})
if opt.replicate > 1 then atoms = atoms:replicate(opt.replicate, 1, 1) end
local pot = sflex.eam(opt.potential)
local t0 = sflex.now()
local H = pot:hessian(atoms)
print(string.format("%d atoms: Hessian %.2f s (%d upper blocks)  load %s", atoms.n, sflex.now() - t0, H:nnz(), load()))

local t1 = sflex.now()
local nu, modes, info = sflex.modes(H, {fraction = opt.fraction, method = opt.method})
local p = sflex.participation(modes)
local wall = sflex.now() - t1
print(string.format("modes+participation: %d modes, %s, %.2f s wall (factor %.2f s, solves %.2f s, %s solves, factor nnz %.3g)  nu %.4f..%.4f THz  sum p %.6f  load %s",
  #nu, info.method, wall, info.factor_seconds or 0, info.solve_seconds or 0, tostring(info.solves or "-"),
  info.factor_nnz or 0, nu[1], nu[#nu], p:sum(), load()))

for _, m in ipairs(opt.msd or {}) do
  local msd, mi = sflex.harmonic_msd(H, 50, {method = m})
  print(string.format("harmonic MSD (%s): %.2f s%s  mean %.6g A^2 at 50 K  load %s", mi.method, mi.seconds,
    mi.factor_seconds and string.format(" (factor %.2f s, selected inverse %.2f s)", mi.factor_seconds,
      mi.solve_seconds) or "", msd:mean(), load()))
end

if opt.export then
  local pre = opt.export
  local n, parts, nnz = atoms.n, {}, 0
  local f = assert(io.open(pre .. ".coo.part", "wb"))
  f:write(string.pack("<i4i8", 3 * n, 0)) -- nnz patched below
  for i = 1, n do
    for j = i, n do
      local b = H:block(i, j)
      for r = 1, 3 do
        for c = (i == j and r or 1), 3 do
          local v = b:get(r, c)
          if v ~= 0 then
            parts[#parts + 1] = string.pack("<i4i4d", 3 * (i - 1) + r - 1, 3 * (j - 1) + c - 1, v)
            nnz = nnz + 1
          end
        end
      end
    end
    if #parts > 100000 then f:write(table.concat(parts)); parts = {} end
  end
  f:write(table.concat(parts))
  f:seek("set", 4)
  f:write(string.pack("<i8", nnz))
  assert(f:close())
  assert(os.rename(pre .. ".coo.part", pre .. ".coo"))
  local m = pot:masses(atoms)
  local g = assert(io.open(pre .. ".masses", "w"))
  for i = 1, n do g:write(string.format("%.17g\n", m[i])) end
  g:close()
  local e = assert(io.open(pre .. ".sflex", "w"))
  e:write(string.format("sigma %.17g\n", info.sigma or 0))
  for k = 1, #nu do e:write(string.format("%.17g\n", info.eigenvalues[k])) end
  e:close()
  print(string.format("exported %s.coo (%d entries), %s.masses, %s.sflex", pre, nnz, pre, pre))
end
