-- Lua bindings of the structure kernels: neighbour lists (against brute
-- force in Lua), their views and lifetimes, g(r) tables and peaks, S(q),
-- descriptors (rp forms, errors), coarse-graining, per-atom g(r), and the
-- rdf.lua / descriptors.lua scripts end to end.
local t = require "testlib"
local sflex = sflex or require "sflex"

if type(sflex.neighbors) ~= "function" then t.skip("sflex.neighbors is not in this build") end

local bindir = os.getenv("SFLEX_BINARY_DIR")
local srcdir = os.getenv("SFLEX_SOURCE_DIR")

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- a small random two-species sample in a triclinic box
local function sample(n, seed, L, tilt)
  local state = seed
  local function rnd()
    state = (state * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
    return (state >> 11) / 2 ^ 52
  end
  local box = sflex.box{lo = {0, 0, 0}, hi = {L, L * 1.1, L * 0.9},
                        tilt = tilt or {1.5, -1.0, 0.7}}
  local x, typ = {}, {}
  for i = 1, n do
    local s = {rnd(), rnd(), rnd()}
    local len, tl = box.len, box.tilt
    x[i] = {len[1] * s[1] + tl[1] * s[2] + tl[2] * s[3], len[2] * s[2] + tl[3] * s[3], len[3] * s[3]}
    typ[i] = (i % 3 == 0) and 2 or 1
  end
  return sflex.atoms{x = x, type = typ, box = box, species = {"Cu", "Zr"}}
end

-- brute-force neighbour count of atom i (all images within a few boxes)
local function brute_count(a, i, rc)
  local box = a.box
  local len, tl = box.len, box.tilt
  local xi = {a.x:get(i, 1), a.x:get(i, 2), a.x:get(i, 3)}
  local cnt = 0
  for j = 1, a.n do
    for n2 = -2, 2 do for n1 = -2, 2 do for n0 = -2, 2 do
      if not (i == j and n0 == 0 and n1 == 0 and n2 == 0) then
        local dx = a.x:get(j, 1) + n0 * len[1] + n1 * tl[1] + n2 * tl[2] - xi[1]
        local dy = a.x:get(j, 2) + n1 * len[2] + n2 * tl[3] - xi[2]
        local dz = a.x:get(j, 3) + n2 * len[3] - xi[3]
        if dx * dx + dy * dy + dz * dz < rc * rc then cnt = cnt + 1 end
      end
    end end end
  end
  return cnt
end

t.case("neighbour list against brute force", function()
  local a = sample(60, 7, 9.0)
  local nl = sflex.neighbors(a, 3.3)
  t.match(tostring(nl), "^NeighborList%(n=60, pairs=%d+, cutoff=3.3, full%)$")
  t.eq(#nl, 60)
  local cnt = nl:count()
  for i = 1, a.n do t.eq(cnt[i], brute_count(a, i, 3.3), "count of atom " .. i) end
  local off = nl:offsets()
  t.eq(off[1], 1)
  t.eq(off[a.n + 1], nl:npairs() + 1)
  local j, d, v = nl:neighbors(5)
  t.eq(#j, cnt[5])
  for k = 1, #j do
    t.near(math.sqrt(v:get(k, 1) ^ 2 + v:get(k, 2) ^ 2 + v:get(k, 3) ^ 2), d[k], 1e-12)
    t.ok(d[k] < 3.3 and j[k] >= 1 and j[k] <= a.n)
    -- minimum-image distance is a lower bound (images may be farther)
    t.ok(a:distance(5, j[k]) <= d[k] + 1e-12)
  end
  local half = sflex.neighbors(a, 3.3, {half = true, vectors = false})
  t.eq(half:npairs() * 2, nl:npairs())
  t.ok(half:is_half())
  t.raises(function() half:vectors() end, "vectors=false")
  t.raises(function() sflex.neighbors(a, -1) end, "cutoff")
  t.raises(function() nl:neighbors(61) end, "out of range")
end)

t.case("tiny box: several images of one neighbour and of the atom itself", function()
  local a = sflex.atoms{x = {{0.1, 0.2, 0.3}, {1.2, 1.1, 0.9}}, type = {1, 2},
                        box = sflex.box{2.5, 2.6, 2.7}, species = {"Cu", "Zr"}}
  local nl = sflex.neighbors(a, 4.0)
  local j = nl:neighbors(1)
  local self, other = 0, 0
  for k = 1, #j do if j[k] == 1 then self = self + 1 else other = other + 1 end end
  t.ok(self >= 6, "own images of atom 1: " .. self)
  t.ok(other >= 8, "images of atom 2: " .. other)
  t.eq(nl:count()[1], brute_count(a, 1, 4.0))
end)

t.case("views keep the list and the atoms alive", function()
  local d, vec
  do
    local a = sample(50, 3, 8.0)
    local nl = sflex.neighbors(a, 3.0)
    d, vec = nl:distances(), nl:vectors()
    t.eq(#d, nl:npairs())
  end
  collectgarbage(); collectgarbage()
  local s = 0
  for k = 1, #d do s = s + d[k] end
  t.ok(s > 0)
  t.eq(vec.rows, #d)
  local a = sample(30, 5, 7.0)
  local nl = sflex.neighbors(a, 3.0)
  a = nil
  collectgarbage(); collectgarbage()
  t.eq(nl:atoms().n, 30)
end)

t.case("g(r): table, peaks, shells, S(q)", function()
  local a = sample(400, 11, 16.0)
  local r = sflex.rdf(a, {rmax = 6, dr = 0.1})
  t.match(tostring(r), "^Rdf%(types=2, bins=60")
  local tab = r:table()
  t.eq(tab:colnames(), {"r", "g_Cu_Cu", "g_Cu_Zr", "g_Zr_Zr"})
  t.eq(tab.rows, 60)
  t.near(tab:get(1, 1), 0.05, 1e-12)
  -- an ideal gas: g about 1 beyond a few A
  local m = 0
  for i = 30, 60 do m = m + tab:get(i, 3) end
  t.near(m / 31, 1.0, 0.15)
  -- symmetric partial equals both ordered ones when every atom is a centre
  local g12, g21 = r:g("Cu", "Zr"), r:g(2, 1)
  for i = 1, 60 do t.near(g12[i], g21[i], 1e-12); t.near(tab:get(i, 3), g12[i], 1e-12) end
  local S = sflex.sq(r, {q = {1, 10, 0.5}})
  t.eq(S:colnames(), {"q", "S_Cu_Cu", "S_Cu_Zr", "S_Zr_Zr", "S_total"})
  t.eq(S.rows, 19)
  t.raises(function() sflex.rdf(a, {rmx = 3}) end, "unknown option 'rmx'")
  t.raises(function() r:g("Al", "Cu") end, "no species named 'Al'")
  -- a group of centres
  local grp = a:mask("Zr")
  local rz = sflex.rdf(a, {rmax = 6, dr = 0.1, centres = grp})
  t.eq(rz:info().centres, math.tointeger(grp:sum()))
end)

t.case("first peak of a lattice is the nearest-neighbour distance", function()
  -- simple cubic, a = 2.7, jittered: first peak at ~2.7
  local x, typ = {}, {}
  local m, a0 = 8, 2.7
  local state = 1
  local function rnd()
    state = (state * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
    return (state >> 11) / 2 ^ 52 - 0.5
  end
  for i = 0, m - 1 do for j = 0, m - 1 do for k = 0, m - 1 do
    x[#x + 1] = {(i + 0.03 * rnd()) * a0, (j + 0.03 * rnd()) * a0, (k + 0.03 * rnd()) * a0}
    typ[#typ + 1] = ((i + j + k) % 2) + 1
  end end end
  local at = sflex.atoms{x = x, type = typ, box = sflex.box{m * a0, m * a0, m * a0}, species = {"Cu", "Zr"}}
  local rp = sflex.first_peaks(at, {rmax = 5, dr = 0.01})
  t.near(rp.CuZr, a0, 0.03)
  t.near(rp.CuCu, a0 * math.sqrt(2), 0.03)
  local rdf = sflex.rdf(at, {rmax = 5, dr = 0.01})
  local rmin, cn = rdf:shell("Cu", "Zr")
  t.ok(rmin > a0 and rmin < a0 * math.sqrt(2), "first minimum " .. tostring(rmin))
  t.near(cn, 6, 1e-9)
end)

t.case("descriptors: object, direct call, rp forms and errors", function()
  local a = sample(200, 13, 13.0)
  local desc = sflex.descriptor{grid = {0.6, 3.0, 0.05}, sigma = 0.05, cutoff = 3.0, reduced = true,
                                rp = {CuCu = 2.5, CuZr = 2.7, ZrZr = 3.1}}
  t.match(tostring(desc), "^Descriptor%(reduced, grid 0.6:3:0.05 %(49 points%)")
  local X = desc:compute(a)
  t.eq(X.rows, 200)
  t.eq(X.cols, 99)
  local names = X:colnames()
  t.eq(names[1], "G_Cu_0.600")
  t.eq(names[50], "G_Zr_0.600")
  t.eq(names[99], "bias")
  for i = 1, 200 do t.eq(X:get(i, 99), 1.0) end
  -- other spellings of rp give the same numbers
  for _, rp in ipairs{{["Cu-Cu"] = 2.5, ["Zr-Cu"] = 2.7, ["Zr_Zr"] = 3.1},
                      {Cu = {Cu = 2.5, Zr = 2.7}, Zr = {Zr = 3.1}}} do
    local Y = sflex.descriptor(a, {rp = rp})
    for i = 1, 200, 17 do for c = 1, 99, 7 do t.eq(Y:get(i, c), X:get(i, c)) end end
  end
  -- one value by hand: atom 1, Zr block, grid point 2.0 (column 49 + 29)
  local nl = sflex.neighbors(a, 3.0 * 3.1)
  local j, d = nl:neighbors(1)
  local ti = a.type[1]
  local rpm = {[1] = {2.5, 2.7}, [2] = {2.7, 3.1}}
  local want = 0
  for k = 1, #j do
    if a.type[j[k]] == 2 then
      local rb = d[k] / rpm[ti][2]
      if rb <= 3.0 then want = want + math.exp(-(2.0 - rb) ^ 2 / (2 * 0.05 ^ 2)) end
    end
  end
  t.near(X:get(1, 49 + 29), want, 1e-12 * math.max(1, want))
  -- Angstrom units
  local Z = sflex.descriptor(a, {reduced = false})
  t.eq(Z.cols, 2 * 52 + 1)
  t.eq(Z:colnames()[1], "G_Cu_1.500")
  -- auto rp from the partial g(r)
  local auto = sflex.descriptor{}
  auto:compute(a)
  t.ok(auto.last_rp.CuCu > 0 and auto.last_rp.CuZr > 0 and auto.last_rp.ZrZr > 0)
  -- errors
  t.raises(function() sflex.descriptor{sigmaa = 1} end, "unknown option 'sigmaa'")
  t.raises(function() sflex.descriptor(a, {rp = {CuCu = 2.5, CuZr = 2.7}}) end, "rp lacks ZrZr")
  t.raises(function() sflex.descriptor(a, {rp = {CuCu = 2.5, CuZr = 2.7, ZrZr = 3, CuAl = 1}}) end,
           "rp.CuAl names no pair")
  t.raises(function() sflex.descriptor(a, {rp = {CuCu = 2.5, CuZr = 2.7, ZrCu = 2.8, ZrZr = 3}}) end,
           "disagree")
  t.raises(function() sflex.descriptor(a, {rp = {CuCu = 2.5, CuZr = 2.7, ZrZr = 3}, sigma = -1}) end,
           "sigma")
end)

t.case("coarse-graining and per-atom g(r)", function()
  local a = sample(150, 17, 11.0)
  local ones = sflex.vector(a.n, 1.0)
  local cg = sflex.coarse_grain(a, ones, 3.0)
  for i = 1, a.n do t.near(cg[i], 1.0, 1e-15) end
  local idx = sflex.range(1, a.n)
  local pa = sflex.rdf_atoms(a, idx, 5.0, 0.25)
  t.eq(pa.rows, a.n)
  t.eq(pa.cols, 40)
  local r = sflex.rdf(a, {rmax = 5.0, dr = 0.25})
  -- mean over Cu atoms of g_{i,Zr} is g_CuZr
  local g = r:g("Cu", "Zr")
  for k = 1, 20 do
    local s, m = 0, 0
    for i = 1, a.n do if a.type[i] == 1 then s = s + pa:get(i, 20 + k); m = m + 1 end end
    t.near(s / m, g[k], 1e-12 * math.max(1, g[k]))
  end
end)

-- ---- the scripts --------------------------------------------------------------------

if not bindir or not srcdir then
  print("scripts not tested: SFLEX_BINARY_DIR / SFLEX_SOURCE_DIR not set")
  t.done()
end
local exe = bindir .. "/sflex"

local function run(script, args)
  local p = io.popen(q(exe) .. " " .. q(srcdir .. "/scripts/" .. script) .. " " .. args .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

local function run_stdout(script, args)
  local p = io.popen(q(exe) .. " " .. q(srcdir .. "/scripts/" .. script) .. " " .. args .. " 2>/dev/null")
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

t.case("scripts: rdf.lua and descriptors.lua", function()
  local dir = t.tmpdir()
  local a = sample(300, 23, 14.0)
  -- ids in a scrambled order to test the sort
  local ids = {}
  for i = 1, a.n do ids[i] = ((i * 37) % a.n) + 1 end
  a.id = sflex.vector(ids)
  local cfg = dir .. "/s.data"
  sflex.write(cfg, a, {format = "data"})

  local ok, out = run_stdout("rdf.lua", q(cfg) .. " --elements Cu,Zr --rmax 5 --dr 0.1")
  t.ok(ok, out)
  local lines = {}
  for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
  t.eq(lines[1], "r g_Cu_Cu g_Cu_Zr g_Zr_Zr")
  t.eq(#lines, 51)
  local ok2, out2 = run("rdf.lua", q(cfg) .. " --elements Cu,Zr --rmax 5 --dr 0.1 --out " .. q(dir .. "/g.txt"))
  t.ok(ok2, out2)
  local f = assert(io.open(dir .. "/g.txt"))
  t.eq(f:read("l"), "r g_Cu_Cu g_Cu_Zr g_Zr_Zr")
  f:close()

  local ok3, out3 = run("descriptors.lua", q(cfg) ..
    " --elements Cu,Zr --rp CuCu=2.5,CuZr=2.7,ZrZr=3.1 --grid 0.6:3.0:0.05 --sigma 0.05 --out " ..
    q(dir .. "/d.txt"))
  t.ok(ok3, out3)
  f = assert(io.open(dir .. "/d.txt"))
  local header = f:read("l")
  local hn = {}
  for w in header:gmatch("%S+") do hn[#hn + 1] = w end
  t.eq(#hn, 101)
  t.eq({hn[1], hn[2], hn[3], hn[52], hn[101]}, {"id", "type", "G_Cu_0.600", "G_Zr_0.600", "bias"})
  local prev, rows = 0, 0
  for l in f:lines() do
    local id = tonumber(l:match("^(%S+)"))
    t.ok(id > prev, "ids ascend")
    prev = id
    rows = rows + 1
  end
  f:close()
  t.eq(rows, 300)
  -- bad usage fails with a message
  local ok4, out4 = run("descriptors.lua", q(cfg))
  t.ok(not ok4)
  t.match(out4, "out")
  os.execute("rm -rf " .. q(dir))
end)

t.done()
