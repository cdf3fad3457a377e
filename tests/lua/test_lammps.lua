-- sflex.lammps on a tiny system: errors become Lua errors carrying LAMMPS's
-- own text, positions round-trip through LAMMPS, a short NVE run reports its
-- thermo table.  Skipped (77) when LAMMPS or the Cu-Zr potential is missing.
local t = require "testlib"
local sflex = sflex or require "sflex"

local POT = "/usr/share/lammps/potentials/CuZr_mm.eam.fs"
if not sflex.which(os.getenv("SFLEX_LMP") or "lmp") then t.skip("lmp not installed") end
if not io.open(POT) then t.skip(POT .. " not installed") end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() return true end
  return false
end

-- 128 atoms of Cu-Zr on a slightly jittered bcc lattice in a triclinic box
local function tiny_atoms()
  local seed = 7
  local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 end
  local a, nrep = 3.3, 4
  local box = sflex.box{lo = {0, 0, 0}, hi = {a * nrep, a * nrep, a * nrep}, tilt = {0.4, -0.3, 0.2}}
  local x, ty = {}, {}
  for i = 0, nrep - 1 do
    for j = 0, nrep - 1 do
      for k = 0, nrep - 1 do
        for _, b in ipairs {{0, 0, 0}, {0.5, 0.5, 0.5}} do
          local s = {(i + b[1] + 0.05 * rnd()) / nrep, (j + b[2] + 0.05 * rnd()) / nrep, (k + b[3] + 0.05 * rnd()) / nrep}
          x[#x + 1] = box:to_cart(s)
          ty[#ty + 1] = rnd() < 0.5 and 1 or 2
        end
      end
    end
  end
  return sflex.atoms{x = x, type = ty, box = box, species = {"Cu", "Zr"}}
end

local SETUP = {"units metal", "atom_style atomic", "atom_modify map array", "boundary p p p"}
local PAIR = {"pair_style eam/fs", "pair_coeff * * " .. POT .. " Cu Zr"}

t.case("a LAMMPS error is a Lua error with LAMMPS's text; the shell goes on", function()
  local lmp = sflex.lammps{}
  t.match(tostring(lmp), "^Lammps%(np=1, pid=%d+")
  local tmp = lmp.tmpdir
  t.ok(exists(tmp), "private temp dir")
  lmp:command("variable a equal 2*21")
  t.eq(lmp:eval("v_a"), 42)
  local err = t.raises(function() lmp:command("frobnicate all") end, "ERROR: Unknown command: frobnicate all")
  t.match(err, "Last command: frobnicate all")
  t.ok(not lmp.alive)
  t.ok(not exists(tmp), "temp dir removed after the error")
  t.raises(function() lmp:command("print hi") end, "closed")
  -- a new one works
  local lmp2 = sflex.lammps{}
  lmp2:commands(SETUP)
  local err2 = t.raises(function() lmp2:command("read_data /nonexistent/file.data") end, "ERROR")
  t.match(err2, "nonexistent/file.data")
  lmp2:close()
  local lmp3 = sflex.lammps{}
  t.eq(lmp3:eval("3+4"), 7)
  lmp3:close()
  lmp3:close() -- twice is fine
end)

t.case("bad set-up: missing lmp, unknown option, timeout", function()
  t.raises(function() sflex.lammps{lmp = "/nonexistent/lmp"} end, "LAMMPS executable")
  t.raises(function() sflex.lammps{bogus = 1} end, "unknown option 'bogus'")
  t.raises(function() sflex.lammps{np = 0} end, "np must be")
  t.raises(function() sflex.lammps{np = 2, launcher = "/nonexistent/mpirun"} end, "launcher")
  local lmp = sflex.lammps{}
  lmp:commands(SETUP)
  lmp:commands{"region b block 0 10 0 10 0 10", "create_box 1 b", "create_atoms 1 single 1 1 1",
               "mass 1 1.0", "pair_style zero 2.0", "pair_coeff * *", "fix 1 all nve"}
  local pid = lmp.proc:pid()
  t.raises(function() lmp:command("run 1000000000", 1) end, "did not finish within 1 s")
  t.ok(not lmp.alive)
  t.ok(not os.execute("kill -0 " .. pid .. " 2>/dev/null") or
       (io.open("/proc/" .. pid .. "/stat") and io.open("/proc/" .. pid .. "/stat"):read("a"):match("^%d+ %b() Z")),
       "LAMMPS killed after the timeout")
end)

t.case("unknown element and a run that blows up", function()
  local lmp = sflex.lammps{}
  lmp:commands(SETUP)
  lmp:put_atoms(tiny_atoms())
  t.raises(function() lmp:command("pair_style eam/fs\npair_coeff * * " .. POT .. " Cu Xx") end, "ERROR")
  lmp = sflex.lammps{}
  lmp:commands(SETUP)
  lmp:put_atoms(tiny_atoms())
  lmp:commands(PAIR)
  t.raises(function()
    lmp:commands{"velocity all create 1e9 1", "timestep 0.01", "fix 1 all nve", "thermo 1", "run 50"}
  end, "ERROR: Lost atoms")
  t.ok(not lmp.alive)
end)

t.case("positions round-trip through LAMMPS", function()
  local atoms = tiny_atoms()
  local lmp = sflex.lammps{}
  lmp:commands(SETUP)
  lmp:put_atoms(atoms)
  t.eq(lmp:eval("atoms"), #atoms)
  local back = lmp:get_atoms()
  t.eq(#back, #atoms)
  t.eq(back.species, {"Cu", "Zr"})
  local box = atoms.box
  for k, v in ipairs {"xy", "xz", "yz"} do t.near(back.box[v], box[v], 1e-12, v) end
  for d = 1, 3 do t.near(back.box.len[d], box.len[d], 1e-12, "box length") end
  local worst = 0
  for i = 1, #atoms do
    t.eq(back.id[i], atoms.id[i])
    t.eq(back.type[i], atoms.type[i])
    local d = box:distance(atoms.x[i], back.x[i])
    if d > worst then worst = d end
  end
  t.ok(worst < 1e-9, "positions differ by " .. worst)
  lmp:close()
end)

t.case("a short NVE run: thermo read back, energy conserved", function()
  local lmp = sflex.lammps{args = {"-sf", "opt"}}
  lmp:commands(SETUP)
  lmp:put_atoms(tiny_atoms())
  lmp:commands(PAIR)
  lmp:commands{"minimize 0 1e-6 200 2000", "reset_timestep 0", "timestep 0.002",
               "velocity all create 100 4 mom yes rot no", "fix 1 all nve",
               "thermo_style custom step temp pe etotal press", "thermo 50"}
  lmp:command("run 300")
  local th = lmp:thermo()
  t.eq(th.columns, {"Step", "Temp", "PotEng", "TotEng", "Press"})
  t.eq(#th.Step, 7)
  t.eq(th.Step[1], 0); t.eq(th.Step[7], 300)
  t.near(th.Temp[1], 100, 1e-6, "initial temperature")
  local e0 = th.TotEng[1]
  for i = 2, 7 do t.near(th.TotEng[i], e0, 1e-3 * math.abs(e0), "energy drift") end
  t.near(lmp:eval("etotal"), th.TotEng[7], 1e-5, "eval matches the table")
  t.near(lmp:extract("pe"), th.PotEng[7], 1e-5, "extract")
  local atoms = lmp:get_atoms()
  t.ok(atoms.v, "velocities came back")
  lmp:close()
end)

t.case("Voronoi cells agree with LAMMPS's compute voronoi/atom (voro++)", function()
  local lmp = sflex.lammps{}
  lmp:commands(SETUP)
  lmp:put_atoms(tiny_atoms())
  lmp:commands(PAIR)
  local path = lmp:tmpfile("vor.dump")
  lmp:commands{"compute vor all voronoi/atom",
               "dump d all custom 1 " .. path .. " id type x y z c_vor[1] c_vor[2]",
               "dump_modify d sort id format float %.17g", "run 0", "undump d"}
  local ref = sflex.read(path)
  lmp:close()
  local v = sflex.voronoi(ref, {face_min = 0})
  local vol, nf = ref:column("c_vor[1]"), ref:column("c_vor[2]")
  t.ok((v.volume - vol):abs():max() < 1e-9, "volumes")
  t.eq((v.nfaces - nf):abs():max(), 0)
end)

t.done()
