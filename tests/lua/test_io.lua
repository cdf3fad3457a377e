-- sflex.read / sflex.write / sflex.frames: round trips, options, frame
-- selection, file series, errors and the committed sample files.
local t = require "testlib"
local sflex = sflex or require "sflex"

local src = os.getenv("SFLEX_SOURCE_DIR") or "."
local data = src .. "/tests/data"
local dir = t.tmpdir()

local function sample()
  local box = sflex.box{lo = {-1, 0.5, 2}, hi = {9, 10.5, 13}, tilt = {1.5, -0.7, 0.3}}
  local a = sflex.atoms{
    x = {{0.1, 0.2, 0.3}, {8.9, 9.9, 12.5}, {4.4, 5.5, 6.6}, {-0.5, 3.3, 2.1}},
    type = {1, 2, 2, 1}, id = {40, 10, 30, 20}, box = box, species = {"Cu", "Zr"},
  }
  a.v = sflex.matrix{{1, 2, 3}, {-1, -2, -3}, {0.5, 0, 0}, {1 / 3, 0, 0}}
  a.c_pe = {-3.5, -4.25, 1 / 7, 0}
  a.timestep = 77
  return a
end

local function same(a, b, what)
  t.eq(b.n, a.n, what .. " n")
  t.eq(b.id:totable(), a.id:totable(), what .. " ids")
  t.eq(b.type:totable(), a.type:totable(), what .. " types")
  for i = 1, a.n do
    for k = 1, 3 do t.eq(b.x[i][k], a.x[i][k], what .. " x") end
  end
  t.eq(b.box.lo, a.box.lo, what .. " box lo")
  t.eq(b.box.len, a.box.len, what .. " box len")
  t.eq(b.species, a.species, what .. " species")
  t.eq(b.timestep, a.timestep, what .. " timestep")
end

t.case("round trips of every writer (exact)", function()
  local a = sample()
  for _, name in ipairs{"a.dump", "a.lammpstrj", "a.data", "a.lmp", "a.xyz",
                        "a.extxyz", "a.dump.gz", "a.data.gz", "a.xyz.gz"} do
    local p = dir .. "/" .. name
    sflex.write(p, a)
    local b = sflex.read(p, {elements = {"Cu", "Zr"}})
    same(a, b, name)
    for i = 1, a.n do
      for k = 1, 3 do t.eq(b.v[i][k], a.v[i][k], name .. " v") end
    end
    if not name:find("data") and not name:find("lmp") then
      t.eq(b.c_pe:totable(), a.c_pe:totable(), name .. " c_pe")
    end
  end
end)

t.case("formats: detection, explicit format and columns", function()
  local a = sample()
  local p = dir .. "/noext"
  sflex.write(p, a, {format = "dump", columns = {"id", "type", "xs", "ys", "zs"}})
  t.eq(sflex.detect_format(p), "dump")
  local b = sflex.read(p)
  t.eq(b.v, nil)
  for i = 1, a.n do
    for k = 1, 3 do t.near(b.x[i][k], a.x[i][k], 1e-12, "scaled coordinates") end
  end
  sflex.write(dir .. "/x.data", a)
  t.eq(sflex.detect_format(dir .. "/x.data"), "data")
  sflex.write(dir .. "/x.xyz", a)
  t.eq(sflex.detect_format(dir .. "/x.xyz"), "xyz")
  t.raises(function() sflex.write(dir .. "/y", a) end, "format")
  t.raises(function() sflex.write(dir .. "/y.dump", a, {format = "pdb"}) end, "unknown format")
  t.raises(function() sflex.write(dir .. "/y.dump", a, {columns = {"id", "bogus"}}) end,
           "no per%-atom column named 'bogus'")
  t.raises(function() sflex.write(dir .. "/y.dump", a, {colums = {}}) end, "unknown option 'colums'")
  t.raises(function() sflex.read(dir .. "/x.data", {element = {"Cu"}}) end, "unknown option 'element'")
  -- no partial output after a failed write
  local f = io.open(dir .. "/y.dump")
  t.eq(f, nil)
end)

t.case("elements: table or string, pair_coeff order", function()
  local a = sample()
  local p = dir .. "/el.data"
  sflex.write(p, a)
  local b = sflex.read(p, {elements = "Ni Al"})
  t.eq(b.species, {"Ni", "Al"})
  b = sflex.read(p, {elements = {"Ni", "Al"}})
  t.eq(b.species, {"Ni", "Al"})
  t.raises(function() sflex.read(p, {elements = {"Ni"}}) end, "names 1 types but the file has 2")
end)

t.case("frames: multi-frame files, frame selection, iteration", function()
  local frames = {}
  for k = 1, 4 do
    local a = sample()
    a.timestep = k * 10
    frames[k] = a
  end
  for _, name in ipairs{"m.dump", "m.xyz.gz"} do
    local p = dir .. "/" .. name
    sflex.write(p, frames)
    t.eq(sflex.read(p).timestep, 10)
    t.eq(sflex.read(p, {frame = 2}).timestep, 20)
    t.eq(sflex.read(p, {frame = "last"}).timestep, 40)
    t.eq(sflex.read(p, {frame = -2}).timestep, 30)
    t.eq(sflex.read(p, {frame = "first"}).timestep, 10)
    t.raises(function() sflex.read(p, {frame = 5}) end, "only 4 frames")
    t.raises(function() sflex.read(p, {frame = 0}) end, "non%-zero")
    local seen = {}
    for atoms, i, path in sflex.frames(p, {elements = {"Cu", "Zr"}}) do
      seen[#seen + 1] = atoms.timestep
      t.eq(i, #seen)
      t.eq(path, p)
      same(frames[i], atoms, name .. " frame " .. i)
    end
    t.eq(seen, {10, 20, 30, 40})
    -- break out early: the reader is closed by the generic for
    for atoms in sflex.frames(p) do
      t.eq(atoms.timestep, 10)
      break
    end
  end
  t.raises(function() sflex.write(dir .. "/m.data", frames) end, "one configuration")
end)

t.case("frames over a numbered file series", function()
  local a = sample()
  for _, k in ipairs{10, 9, 100, 1} do
    a.timestep = k
    sflex.write(string.format("%s/dump.%d.gz", dir, k), a)
  end
  local files = sflex.expand(dir .. "/dump.*.gz")
  t.eq(#files, 4)
  t.match(files[1], "dump%.1%.gz$")
  t.match(files[4], "dump%.100%.gz$")
  local steps = {}
  for atoms in sflex.frames(dir .. "/dump.*.gz") do steps[#steps + 1] = atoms.timestep end
  t.eq(steps, {1, 9, 10, 100})
  steps = {}
  for atoms in sflex.frames{dir .. "/dump.100.gz", dir .. "/dump.9.gz"} do
    steps[#steps + 1] = atoms.timestep
  end
  t.eq(steps, {100, 9})
  t.raises(function() sflex.frames(dir .. "/nothing.*.gz") end, "no file matches")
end)

t.case("errors name file, line and problem", function()
  local p = dir .. "/bad.dump"
  local f = assert(io.open(p, "w"))
  f:write("ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n2\nITEM: BOX BOUNDS pp pp pp\n",
          "0 10\n0 10\n0 10\nITEM: ATOMS id type x y z\n1 1 0 0 0\n2 1 nan 0 0\n")
  f:close()
  t.raises(function() sflex.read(p) end, "bad%.dump:11: column 'x': non%-finite number 'nan'")
  t.raises(function() sflex.read(dir .. "/missing.xyz") end, "missing%.xyz: cannot open")
  local ok, err = pcall(function()
    for _ in sflex.frames(p) do end
  end)
  t.ok(not ok)
  t.match(err, "bad%.dump:11:")
end)

t.case("committed sample files", function()
  local a = sflex.read(data .. "/cuzr_tri.dump", {frame = "last"})
  t.eq(a.n, 32)
  t.eq(a.species, {"Cu", "Zr"})
  t.eq(a.box.triclinic, true)
  t.ok(a.image ~= nil and a.v ~= nil and a.c_pe ~= nil)
  local d = sflex.read(data .. "/cuzr_tri.data")
  t.eq(d.n, 32)
  t.eq(d.masses, {63.546, 91.224})
  t.eq(d.timestep, a.timestep)
  local x = sflex.read(data .. "/ase.extxyz")
  t.eq(x.n, 3)
  t.eq(x.species, {"Cu", "Zr"})
  t.near(x.box.volume, 1000, 1e-9)
  local o = sflex.read(data .. "/ovito.xyz")
  t.eq(o.n, 2)
  t.ok(o.v ~= nil)
  local n = 0
  for _ in sflex.frames(data .. "/cuzr_tri.dump") do n = n + 1 end
  t.eq(n, 3)
end)

os.execute("rm -rf '" .. dir .. "'")
t.done()
