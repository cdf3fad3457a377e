-- test_art.lua - sflex.art on a vacancy in fcc Cu (CuZr_mm, Cu only, 107
-- atoms): ART finds the nearest-neighbour hop; its barrier agrees with a
-- LAMMPS climbing-image NEB between the same two minima; records and option
-- errors; sflex.minimize; stats.auc.  Skips (77) without the potential;
-- the NEB part skips without lmp/mpirun.
local t = require "testlib"
local sflex = require "sflex"

local POT = "/usr/share/lammps/potentials/CuZr_mm.eam.fs"
if not io.open(POT) then
  print("skip: " .. POT .. " missing")
  os.exit(77)
end

-- fcc Cu, nc^3 cells, the atom at the origin removed
local function fcc_vacancy(nc, a0)
  local xs = {}
  local basis = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}}
  for i = 0, nc - 1 do
    for j = 0, nc - 1 do
      for l = 0, nc - 1 do
        for b = 1, 4 do
          if i + j + l > 0 or b > 1 then
            xs[#xs + 1] = {(i + basis[b][1]) * a0, (j + basis[b][2]) * a0, (l + basis[b][3]) * a0}
          end
        end
      end
    end
  end
  local L = nc * a0
  return sflex.atoms{x = xs, species = {"Cu"}, box = sflex.box{lo = {0, 0, 0}, hi = {L, L, L}}}
end

local pot = sflex.eam(POT, {elements = {"Cu"}})
local atoms = fcc_vacancy(3, 3.639)

t.case("minimize", function()
  local m, e, steps = sflex.minimize(pot, atoms, {ftol = 1e-4})
  local e1 = pot:energy(atoms)
  t.ok(e < e1 - 0.01, "relaxation lowers the energy")
  t.near(pot:energy(m), e, 1e-8)
  local f = pot:forces(m)
  local s = 0
  for i = 1, #m do
    for d = 1, 3 do s = s + f[i][d] ^ 2 end
  end
  t.ok(math.sqrt(s) < 1e-4, "total force below ftol")
  t.ok(steps > 0)
end)

-- atom 1 at (0.5, 0.5, 0) a0 is a nearest neighbour of the vacancy
local res = sflex.art(pot, atoms, {centers = {1}, events = 2, configs = true, threads = 2,
                                   minimize_ftol = 1e-4, seed = 3})
local hop
t.case("records", function()
  t.eq(#res.events, 2)
  local n = 0
  for k, v in pairs(res.counts) do n = n + v end
  t.eq(n, 2)
  for _, e in ipairs(res.events) do
    t.eq(e.center, 1)
    t.ok(e.force_calls > 0)
    -- the phases account for every force call
    t.eq(e.calls_lanczos + e.calls_escape + e.calls_activation + e.calls_relax + e.calls_refine,
         e.force_calls)
    t.eq(e.calls_refine, 0)
    t.ok(e.local_barrier ~= e.local_barrier, "no local barrier without refine")
    t.ok(e.calls_lanczos >= 3 * e.iterations, "at least 3 Lanczos vectors per iteration")
    t.ok(e.escapes <= e.iterations and e.lost >= 0)
    if e.status == "new_minimum" then
      t.ok(e.barrier > 0 and e.eigenvalue < -0.01 and e.saddle_force < 0.05)
      t.ok(e.saddle and e.final and #e.final == #atoms)
      -- the atom that moved most ends on the vacancy site (the origin)
      local x = e.final.x[e.max_atom]
      local d = 0
      for k = 1, 3 do
        local u = x[k] % (3 * 3.639)
        d = d + math.min(u, 3 * 3.639 - u) ^ 2
      end
      if math.sqrt(d) < 0.3 and not hop then hop = e end
    end
  end
  t.ok(hop ~= nil, "a vacancy hop among the events")
  t.near(hop.relaxation, 0, 1e-3)   -- symmetric hop
  t.eq(hop.ndisplaced, 1)
end)

t.case("determinism across thread counts", function()
  local r1 = sflex.art(pot, atoms, {centers = {1}, events = 2, threads = 1, minimize_ftol = 1e-4,
                                    seed = 3})
  for k = 1, 2 do
    t.eq(r1.events[k].status, res.events[k].status)
    t.eq(r1.events[k].force_calls, res.events[k].force_calls)
    if res.events[k].status == "new_minimum" then t.eq(r1.events[k].barrier, res.events[k].barrier) end
  end
end)

-- A local search (only atoms within 6 A of the centre move) refined with
-- every atom free must land on the full system's saddle: the same hop
-- barrier as the all-atom search above, and not above the local one.
t.case("refinement of a local saddle", function()
  local r = sflex.art(pot, atoms, {centers = {1}, events = 2, threads = 2, minimize_ftol = 1e-4,
                                   seed = 3, local_radius = 6, refine = true, configs = true})
  local found = false
  for _, e in ipairs(r.events) do
    t.eq(e.calls_lanczos + e.calls_escape + e.calls_activation + e.calls_relax + e.calls_refine,
         e.force_calls)
    t.ok(e.nmobile < #atoms, "the search is local")
    if e.status == "new_minimum" then
      t.eq(e.nrefine, #atoms)
      t.ok(e.calls_refine > 0)
      t.ok(e.saddle_force < 0.05 and e.eigenvalue < 0, "a saddle of the full system")
      t.ok(e.barrier <= e.local_barrier + 1e-9, "freeing atoms does not raise the saddle")
      if math.abs(e.relaxation) < 1e-3 and e.ndisplaced == 1 then
        found = true
        t.near(e.barrier, hop.barrier, 2e-3)
        t.ok(e.local_barrier > e.barrier + 1e-3, "the frozen shell raised the local barrier")
      end
    end
  end
  t.ok(found, "a refined vacancy hop")
  local ok, err = pcall(sflex.art, pot, atoms, {local_radius = 6, refine = true, refine_radius = 5})
  t.ok(not ok and err:find("refine_radius"), err)
end)

t.case("option errors", function()
  local ok, err = pcall(sflex.art, pot, atoms, {evnts = 3})
  t.ok(not ok and err:find("unknown option 'evnts'"), err)
  ok, err = pcall(sflex.art, pot, atoms, {centers = {0}})
  t.ok(not ok and err:find("centers%[1%]"), err)
  ok, err = pcall(sflex.art, pot, atoms, {force_tol = -1})
  t.ok(not ok and err:find("force_tol"), err)
  ok, err = pcall(sflex.art, pot, atoms, {local_radius = 2})
  t.ok(not ok and err:find("local_radius"), err)
  ok, err = pcall(sflex.art, pot, atoms, {max_lost = -1})
  t.ok(not ok and err:find("max_lost"), err)
end)

t.case("stats.auc", function()
  t.eq(sflex.stats.auc({1, 1, -1, -1}, {3, 4, 1, 2}), 1.0)
  t.eq(sflex.stats.auc({1, -1, 1, -1}, {1, 1, 1, 1}), 0.5)
  t.ok(sflex.stats.auc({1, 1}, {1, 2}) ~= sflex.stats.auc({1, 1}, {1, 2}), "NaN for one class")
end)

-- LAMMPS NEB (climbing image, 5 replicas) between the same minima
local function have(cmd) return os.execute("command -v " .. cmd .. " >/dev/null 2>&1") end
if not (have("lmp") and have("mpirun")) then
  print("note: lmp/mpirun missing, NEB comparison skipped")
  t.done()
  return
end

t.case("barrier vs LAMMPS NEB", function()
  t.ok(hop, "need a hop")
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. dir))
  sflex.write(dir .. "/init.data", res.minimum)
  local f = assert(io.open(dir .. "/final.txt", "w"))
  local x = hop.final.x
  f:write(#hop.final, "\n")
  for i = 1, #hop.final do
    f:write(string.format("%d %.12f %.12f %.12f\n", hop.final.id[i], x[i][1], x[i][2], x[i][3]))
  end
  f:close()
  f = assert(io.open(dir .. "/in.neb", "w"))
  local input = ([[
units metal
atom_style atomic
atom_modify map array
boundary p p p
read_data init.data
pair_style eam/fs
pair_coeff * * POT Cu
timestep 0.005
min_style quickmin
fix 1 all neb 5.0 parallel ideal
thermo 100
neb 0.0 0.001 3000 3000 100 final final.txt
]]):gsub("POT", POT)
  f:write(input)
  f:close()
  local cmd = "cd " .. dir .. " && mpirun --allow-run-as-root --oversubscribe -np 5 lmp " ..
              "-partition 5x1 -in in.neb -screen none > mpirun.out 2>&1"
  local ok = os.execute(cmd)
  t.ok(ok, "mpirun lmp neb ran (see " .. dir .. "/mpirun.out)")
  -- the universe log: last row; EBF is column 7
  local last
  for line in io.lines(dir .. "/log.lammps") do
    if line:match("^%s*%d+%s+%S+%s+%S+") and select(2, line:gsub("%S+", "")) > 10 then last = line end
  end
  t.ok(last, "NEB table in log.lammps")
  local cols = {}
  for w in last:gmatch("%S+") do cols[#cols + 1] = tonumber(w) end
  local ebf = cols[7]
  print(string.format("vacancy hop: ART barrier %.4f eV, LAMMPS NEB %.4f eV (max atom force %.2g)",
                      hop.barrier, ebf, cols[3]))
  t.near(hop.barrier, ebf, 0.01)
  os.execute("rm -rf " .. dir)
end)

t.done()
