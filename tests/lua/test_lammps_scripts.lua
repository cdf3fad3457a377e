-- scripts/make_glass.lua and scripts/vflex.lua on a tiny, fast system (100
-- atoms, quenched at 1e15 K/s, 4 short runs): the outputs exist, have the
-- promised columns and sane values, and bad input leaves nothing behind.
-- Skipped (77) when LAMMPS, the potential or the sflex executable is missing.
local t = require "testlib"
local sflex = sflex or require "sflex"

local POT = "/usr/share/lammps/potentials/CuZr_mm.eam.fs"
if not sflex.which(os.getenv("SFLEX_LMP") or "lmp") then t.skip("lmp not installed") end
if not io.open(POT) then t.skip(POT .. " not installed") end
local src = os.getenv("SFLEX_SOURCE_DIR") or "."
local exe = os.getenv("SFLEX_CMD")
  or (os.getenv("SFLEX_BINARY_DIR") and os.getenv("SFLEX_BINARY_DIR") .. "/sflex")
if not exe or not sflex.which(exe:match("^%S+")) then t.skip("no sflex executable (SFLEX_BINARY_DIR)") end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() return true end
  return false
end

-- run a script; returns ok, combined output
local function run(script, args)
  local cmd = exe .. " " .. src .. "/scripts/" .. script .. " " .. args .. " 2>&1"
  local p = io.popen(cmd)
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

local function read_kv(path)
  local kv = {}
  for line in io.lines(path) do
    local k, v = line:match("^(%S+) = (.*)$")
    if k then kv[k] = v end
  end
  return kv
end

local dir = sflex.mkdtemp("sflex-test-scripts-")
local glass = dir .. "/glass"

t.case("make_glass.lua: a tiny glass", function()
  local ok, out = run("make_glass.lua", table.concat({
    "--composition Cu64Zr36 --atoms 100 --seed 3 --potential", POT, "--out", glass,
    "--rate 1e15 --fast-rate 1e15 --mid-rate 1e15 --melt-ps 0.5 --hold-ps 0.5 --quiet"}, " "))
  t.ok(ok, "make_glass failed:\n" .. out)
  for _, f in ipairs {"50K.data.gz", "is.dump.gz", "lammps.log.gz", "log.txt"} do
    t.ok(exists(glass .. "/" .. f), "missing " .. f)
  end
  local log = read_kv(glass .. "/log.txt")
  t.eq(log.counts, "Cu=64,Zr=36")
  t.eq(log.schedule, "2500->1500@1e+15, 1500->1000@1e+15, 1000->500@1e+15, 500->50@1e+15")
  local pe = tonumber(log.is_pe_per_atom_eV)
  t.ok(pe and pe < -4 and pe > -7, "inherent-structure energy per atom " .. tostring(pe))
  t.ok(tonumber(log.final_T) < 150, "final temperature " .. log.final_T)
  local is = sflex.read(glass .. "/is.dump.gz", {elements = {"Cu", "Zr"}})
  t.eq(#is, 100)
  t.eq(is:type_counts(), {Cu = 64, Zr = 36})
  local state = sflex.read(glass .. "/50K.data.gz")
  t.eq(#state, 100)
  t.ok(state.v, "50 K state has velocities")
end)

t.case("vflex.lua: msd, a, vflex and the Voronoi columns", function()
  local out = dir .. "/vflex.dump.gz"
  local ok, text = run("vflex.lua", table.concat({
    glass .. "/is.dump.gz", "--elements Cu,Zr --potential", POT,
    "--runs 4 --steps 100 --equil 20 --every 5 --out", out}, " "))
  t.ok(ok, "vflex failed:\n" .. text)
  t.match(text, "split%-half correlation of ln MSD %(2 vs 2 runs%): Pearson r = %-?[%d.]+, Spearman%-Brown")
  local v = sflex.read(out, {elements = {"Cu", "Zr"}})
  t.eq(#v, 100)
  local msd, a, vf = v:column("msd"), v:column("a"), v:column("vflex")
  t.ok(msd:min() > 0 and msd:max() < 0.1, "MSD in A^2 at 50 K")
  t.ok(a:min() > 2.0 and a:max() < 4.0, "a in A")
  t.ok(((vf - msd * a):abs() / vf):max() < 1e-12, "vflex = msd * a")
  local vol = v:column("volume")
  t.near(vol:sum(), v.box.volume, 1e-8 * v.box.volume, "Voronoi volumes fill the box")
  local ff = v:column("fivefold")
  t.ok(ff:min() >= 0 and ff:max() <= 1)
  local kv = read_kv(dir .. "/vflex.txt")
  t.ok(math.abs(tonumber(kv.mean_T) - 50) < 10, "mean T " .. kv.mean_T)
  t.ok(tonumber(kv.split_half_pearson_ln_msd), "split-half in the summary")
  -- the positions are those of the inherent structure
  local is = sflex.read(glass .. "/is.dump.gz")
  t.ok((v.x - is.x):abs():max() < 1e-12, "positions of the inherent structure")
end)

t.case("bad input: clear errors, nothing left behind", function()
  local ok, out = run("make_glass.lua", "--composition Cu50Xx50 --atoms 100 --potential " .. POT ..
                      " --out " .. dir .. "/bad1 --rate 1e15")
  t.ok(not ok); t.match(out, "element Xx is not in")
  t.ok(not exists(dir .. "/bad1"), "output directory created")
  ok, out = run("make_glass.lua", "--composition Cu50Zr50 --atoms 100 --potential /nonexistent.eam.fs" ..
                " --out " .. dir .. "/bad2 --rate 1e15")
  t.ok(not ok); t.match(out, "nonexistent.eam.fs")
  t.ok(not exists(dir .. "/bad2"))
  ok, out = run("make_glass.lua", "--composition Cu50Zr50 --atoms 100 --potential " .. POT ..
                " --out " .. dir .. "/bad3 --rate 1e15 --lmp /nonexistent/lmp")
  t.ok(not ok); t.match(out, "LAMMPS executable")
  t.ok(not exists(dir .. "/bad3"))
  ok, out = run("vflex.lua", dir .. "/missing.dump --elements Cu,Zr --potential " .. POT ..
                " --out " .. dir .. "/bad4.dump")
  t.ok(not ok); t.match(out, "missing.dump")
  t.ok(not exists(dir .. "/bad4.dump"))
  ok, out = run("vflex.lua", glass .. "/is.dump.gz --elements Cu,Qq --potential " .. POT ..
                " --out " .. dir .. "/bad5.dump")
  t.ok(not ok); t.match(out, "element Qq is not in")
end)

sflex.remove_tree(dir)
t.done()
