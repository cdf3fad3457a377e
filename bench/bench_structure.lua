-- bench_structure.lua: time the structure kernels through the Lua API on a
-- replicated sample (run by bench/bench_structure.sh; not a test).
--
--   OMP_NUM_THREADS=2 sflex bench/bench_structure.lua KERNEL CONFIG NREP [PARAM] [REPS]
--
-- KERNEL: neighbors | neighbors-half | neighbors-half-update | rdf |
--         descriptors | check | read
--   neighbors*: PARAM = cutoff (A); neighbors: full list with vectors;
--     neighbors-half stores j and distances (no vectors), like a LAMMPS
--     half list; neighbors-half-update rebuilds one such list in place
--     (memory reused: LAMMPS' steady state when it rebuilds during a run)
--   rdf: PARAM = rmax (A), dr = 0.02
--   descriptors: the paper's definition, rp CuCu=2.5 CuZr=2.7 ZrZr=3.1
--     (PARAM = "angstrom" for the 6.6 A variant)
--   check: PARAM = a file of reference descriptor rows (ref_descriptors.py
--     --out) for the first atoms; prints the largest differences
-- Prints one line per repetition: "kernel=... n=... seconds=... cpu=..."
-- (cpu: process CPU time, all threads; the configuration is read and
-- replicated before the clock starts).
local sflex = require "sflex"

local kernel, config, nrep = arg[1], arg[2], tonumber(arg[3] or "1")
local param = arg[4]
local reps = tonumber(arg[5] or "3")
if not kernel or not config then
  io.stderr:write("usage: sflex bench/bench_structure.lua KERNEL CONFIG NREP [PARAM] [REPS]\n")
  os.exit(2)
end

local atoms = sflex.read(config, {elements = {"Cu", "Zr"}})
if nrep > 1 then atoms = atoms:replicate(nrep, nrep, nrep) end
local threads = os.getenv("OMP_NUM_THREADS") or "default"

local c0
local function report(seconds, extra)
  print(string.format("kernel=%s n=%d threads=%s param=%s seconds=%.4f cpu=%.4f %s", kernel, atoms.n,
    threads, tostring(param), seconds, os.clock() - c0, extra or ""))
  io.stdout:flush()
end

if kernel == "check" then
  local X = sflex.descriptor(atoms, {rp = {CuCu = 2.5, CuZr = 2.7, ZrZr = 3.1}})
  local f = assert(io.open(param))
  local worst, worst_rel, rows = 0, 0, 0
  for line in f:lines() do
    rows = rows + 1
    local c = 0
    for w in line:gmatch("%S+") do
      c = c + 1
      local ref, got = tonumber(w), X:get(rows, c)
      local d = math.abs(ref - got)
      if d > worst then worst = d end
      if math.abs(ref) > 1e-3 and d / math.abs(ref) > worst_rel then worst_rel = d / math.abs(ref) end
    end
    if c ~= X.cols then error("row " .. rows .. " has " .. c .. " columns") end
  end
  f:close()
  print(string.format("check: %d rows x %d columns against %s: max |diff| %.3e, max relative (|ref| > 1e-3) %.3e",
    rows, X.cols, param, worst, worst_rel))
  os.exit(0)
end

local keep
if kernel == "neighbors-half-update" then
  keep = sflex.neighbors(atoms, tonumber(param or "5.0"), {half = true, vectors = false})
  keep:update()
end

for _ = 1, reps do
  collectgarbage()
  local t0 = sflex.now()
  c0 = os.clock()
  if keep then
    keep:update()
    report(sflex.now() - t0, string.format("pairs=%d bytes=%d", keep:npairs(), keep:bytes()))
  elseif kernel == "neighbors" or kernel == "neighbors-half" then
    local nl = sflex.neighbors(atoms, tonumber(param or "5.0"),
                               {half = kernel == "neighbors-half", vectors = kernel == "neighbors"})
    report(sflex.now() - t0, string.format("pairs=%d bytes=%d", nl:npairs(), nl:bytes()))
  elseif kernel == "rdf" then
    local r = sflex.rdf(atoms, {rmax = tonumber(param or "10.0"), dr = 0.02})
    local g = r:g("Cu", "Zr")
    report(sflex.now() - t0, string.format("bins=%d", #g))
  elseif kernel == "descriptors" then
    local def = param == "angstrom" and {reduced = false}
                or {rp = {CuCu = 2.5, CuZr = 2.7, ZrZr = 3.1}}
    local X = sflex.descriptor(atoms, def)
    report(sflex.now() - t0, string.format("cols=%d", X.cols))
    X = nil
  elseif kernel == "read" then
    report(sflex.now() - t0)
  else
    io.stderr:write("unknown kernel " .. kernel .. "\n")
    os.exit(2)
  end
end
