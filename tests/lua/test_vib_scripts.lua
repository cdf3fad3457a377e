-- test_vib_scripts.lua - scripts/softmodes.lua end to end on the committed
-- 250-atom inherent structure: the participation it writes is the one of
-- sflex.soft_modes, the high/low splits and deciles are recomputed here from
-- the per-atom table, volumes from a dump are matched by id, bad input fails.
local t = require "testlib"
local sflex = require "sflex"

local POT = "/usr/share/lammps/potentials/CuZr_mm.eam.fs"
local bindir, srcdir = os.getenv("SFLEX_BINARY_DIR"), os.getenv("SFLEX_SOURCE_DIR")
if not bindir or not srcdir then t.skip("SFLEX_BINARY_DIR / SFLEX_SOURCE_DIR not set") end
if not io.open(POT) then t.skip(POT .. " missing") end
local exe = bindir .. "/sflex"
local CONFIG = srcdir .. "/tests/data/cuzr_is250.data"
local MODEL = srcdir .. "/examples/CuZr.sfmodel"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function run(script, args)
  local p = io.popen(q(exe) .. " " .. q(srcdir .. "/scripts/" .. script) .. " " .. args .. " 2>&1")
  local out = p:read("a")
  return p:close(), out
end

-- a whitespace table with a header line (comments skipped)
local function read_table(path)
  local f = assert(io.open(path))
  local names, rows = nil, {}
  for line in f:lines() do
    if not line:match("^#") then
      local w = {}
      for x in line:gmatch("%S+") do w[#w + 1] = tonumber(x) or x end
      if not names then names = w else
        local r = {}
        for i, nme in ipairs(names) do r[nme] = w[i] end
        rows[#rows + 1] = r
      end
    end
  end
  f:close()
  return rows
end

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. q(dir)))
local prefix = dir .. "/sm"

local atoms = sflex.read(CONFIG, {elements = {"Cu", "Zr"}})
local pot = sflex.eam(POT)

-- a volume dump in reversed id order: the script must match by id
local vor = sflex.voronoi(atoms).volume
local vdump = dir .. "/vol.dump"
do
  local f = assert(io.open(vdump, "w"))
  f:write("ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n", atoms.n, "\nITEM: BOX BOUNDS pp pp pp\n")
  local b = atoms.box
  for k = 1, 3 do f:write(string.format("%.10f %.10f\n", b.lo[k], b.hi[k])) end
  f:write("ITEM: ATOMS id type x y z volume\n")
  local x = atoms.x
  for i = atoms.n, 1, -1 do
    f:write(string.format("%d %d %.10f %.10f %.10f %.17g\n", math.tointeger(atoms.id[i]),
      math.tointeger(atoms.type[i]), x:get(i, 1), x:get(i, 2), x:get(i, 3), 2 * vor[i]))
  end
  f:close()
end

t.case("softmodes.lua writes the participation of sflex.soft_modes", function()
  local ok, out = run("softmodes.lua", q(CONFIG) .. " --model " .. q(MODEL) .. " --volume " .. q(vdump) ..
    " --out " .. q(prefix))
  t.ok(ok, out)
  t.ok(out:match("8 modes"), out)
  local p = sflex.soft_modes(pot, atoms, {fraction = 0.01})
  local sf = sflex.load_model(MODEL):sf(atoms)
  local rows = read_table(prefix .. "_atoms.txt")
  t.eq(#rows, atoms.n)
  local psum = 0
  for i, r in ipairs(rows) do
    t.eq(r.id, math.tointeger(atoms.id[i]))
    t.near(r.p, p[i], 1e-9 * p[i] + 1e-15)
    t.near(r.sf, sf[i], 1e-9 * math.abs(sf[i]))
    t.near(r.volume, 2 * vor[i], 1e-9 * vor[i]) -- from the dump, matched by id
    psum = psum + r.p
  end
  t.near(psum, 8, 1e-7)

  -- high / low 10 % and deciles, recomputed from the per-atom table
  local split = read_table(prefix .. ".txt")
  t.eq(#split, 4)
  for _, s in ipairs(split) do
    local sel = {}
    for _, r in ipairs(rows) do
      if r.type == (s.species == "Cu" and 1 or 2) then sel[#sel + 1] = r end
    end
    t.eq(s.n, #sel)
    table.sort(sel, function(a, b) return a[s.key] < b[s.key] end)
    local k = math.floor(0.1 * #sel + 0.5)
    t.eq(s.k, k)
    local lo, hi, all = 0, 0, 0
    for i = 1, k do lo = lo + sel[i].p / k; hi = hi + sel[#sel - i + 1].p / k end
    for _, r in ipairs(sel) do all = all + r.p / #sel end
    t.near(s.p_lo, lo, 1e-8 * lo)
    t.near(s.p_hi, hi, 1e-8 * hi)
    t.near(s.mean_p, all, 1e-8 * all)
  end
  local dec = read_table(prefix .. "_deciles.txt")
  t.eq(#dec, 40)
  local count = {}
  for _, d in ipairs(dec) do
    local key = d.key .. d.species
    count[key] = (count[key] or 0) + d.count
    if d.group > 1 then t.ok(d.mean_x >= dec[_ - 1].mean_x, "deciles ascend in x") end
  end
  t.eq(count.sfCu + count.sfZr, atoms.n)
  t.eq(count.volumeCu, count.sfCu)
  if require("sflex.plot").available() then
    local f = io.open(prefix .. ".png", "rb")
    t.ok(f and f:read(4) == "\x89PNG", "PNG written")
    if f then f:close() end
  end
end)

t.case("softmodes.lua rejects bad input", function()
  local ok, out = run("softmodes.lua", q(CONFIG) .. " --fraction 0 --out " .. q(prefix .. "x"))
  t.ok(not ok)
  t.ok(out:match("%-%-fraction must be in"), out)
  ok, out = run("softmodes.lua", q(dir .. "/missing.data") .. " --out " .. q(prefix .. "x"))
  t.ok(not ok)
  t.ok(out:match("missing%.data"), out)
  ok, out = run("softmodes.lua", q(CONFIG) .. " --volume " .. q(CONFIG) .. " --out " .. q(prefix .. "x"))
  t.ok(not ok)
  t.ok(out:match("no per%-atom column 'volume'"), out)
  t.ok(io.open(prefix .. "x.txt") == nil, "no output after a failure")
end)

-- a vflex.lua-like dump of the same structure in reversed id order
-- (msd, a synthetic; vflex = msd * a; plus an extra column to carry over)
local mdfile = dir .. "/vflex.dump"
do
  local f = assert(io.open(mdfile, "w"))
  f:write("ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n", atoms.n, "\nITEM: BOX BOUNDS pp pp pp\n")
  local b = atoms.box
  for k = 1, 3 do f:write(string.format("%.10f %.10f\n", b.lo[k], b.hi[k])) end
  f:write("ITEM: ATOMS id type x y z msd a vflex volume\n")
  local x = atoms.x
  for i = atoms.n, 1, -1 do
    local msd, a = 0.004 + 1e-5 * (i % 17), 2.5 + 0.01 * (i % 7)
    f:write(string.format("%d %d %.10f %.10f %.10f %.17g %.17g %.17g %.17g\n", math.tointeger(atoms.id[i]),
      math.tointeger(atoms.type[i]), x:get(i, 1), x:get(i, 2), x:get(i, 3), msd, a, msd * a, vor[i]))
  end
  f:close()
end

t.case("harmonic_vflex.lua: msd_harm, vflex_harm as a training label", function()
  local out = dir .. "/hv.dump.gz"
  local ok, log = run("harmonic_vflex.lua", q(CONFIG) .. " --vflex " .. q(mdfile) .. " --temp 50 --out " .. q(out))
  t.ok(ok, log)
  t.ok(log:match("pearson%(ln vflex%)"), log)
  local msd = sflex.harmonic_msd(pot, atoms, 50)
  local hv = sflex.read(out, {elements = {"Cu", "Zr"}})
  t.eq(hv.n, atoms.n)
  local cols = table.concat(hv:columns(), " ")
  t.eq(cols, "msd a vflex volume msd_harm vflex_harm")
  local mh, vh, a = hv:column("msd_harm"), hv:column("vflex_harm"), hv:column("a")
  for i = 1, hv.n do
    local j = atoms:index_of(hv.id[i])
    t.eq(hv.id[i], atoms.id[atoms.n - i + 1]) -- the MD dump's order is kept
    t.near(mh[i], msd[j], 1e-12 * msd[j])
    t.near(vh[i], mh[i] * a[i], 1e-12 * vh[i])
  end
  -- train.lua takes it as a label
  local ok2, tlog = run("train.lua", "--train " .. q(out) .. " --label vflex_harm --log --elements Cu,Zr --quiet --out " ..
    q(dir .. "/hv.sfmodel"))
  t.ok(ok2, tlog)
  local m = sflex.load_model(dir .. "/hv.sfmodel")
  t.eq(m.label, "vflex_harm")
  -- errors: a dump without the MD columns, a bad temperature
  local ok3, elog = run("harmonic_vflex.lua", q(CONFIG) .. " --vflex " .. q(vdump) .. " --out " .. q(dir .. "/bad.dump"))
  t.ok(not ok3)
  t.ok(elog:match("no per%-atom column 'msd'"), elog)
  ok3, elog = run("harmonic_vflex.lua", q(CONFIG) .. " --vflex " .. q(mdfile) .. " --temp -5 --out " .. q(dir .. "/bad.dump"))
  t.ok(not ok3)
  t.ok(elog:match("%-%-temp must be positive"), elog)
  t.ok(io.open(dir .. "/bad.dump") == nil)
end)

os.execute("rm -rf " .. q(dir))
t.done()
