-- test_mech.lua: the mechanics layer without LAMMPS: sflex.d2min bindings
-- (affine zero, id matching, order, errors), the fictive-temperature fit,
-- enrichment by groups, top masks, slabs, slab maps, layer profiles, shear
-- modes and axis swaps, and scripts/d2min.lua end to end.
package.path = (os.getenv("SFLEX_SOURCE_DIR") or ".") .. "/tests/lua/?.lua;" .. package.path
local t = require "testlib"
local sflex = require "sflex"

local src = os.getenv("SFLEX_SOURCE_DIR") or "."
local bin = os.getenv("SFLEX_BINARY_DIR") or "build"

-- xorshift, the same numbers everywhere
local seed = 88172645463325252
local function urand()
  seed = seed ~ (seed << 13)
  seed = seed ~ (seed >> 7)
  seed = seed ~ (seed << 17)
  return ((seed >> 11) & ((1 << 53) - 1)) / 2 ^ 53
end

-- jittered simple-cubic configuration, nc^3 atoms, spacing a, tilts
local function config(nc, a, tilt, jitter)
  local box = sflex.box{lo = {0, 0, 0}, hi = {nc * a, nc * a, nc * a}, tilt = tilt or {0, 0, 0}}
  local pts, types, ids = {}, {}, {}
  for z = 0, nc - 1 do
    for y = 0, nc - 1 do
      for x = 0, nc - 1 do
        local s = {(x + 0.5 + jitter * (urand() - 0.5)) / nc, (y + 0.5 + jitter * (urand() - 0.5)) / nc,
                   (z + 0.5 + jitter * (urand() - 0.5)) / nc}
        pts[#pts + 1] = box:to_cart(s)
        types[#types + 1] = (#pts % 3 == 0) and 2 or 1
        ids[#ids + 1] = 10 * #pts + 1
      end
    end
  end
  return sflex.atoms{x = pts, type = types, id = ids, box = box, species = {"Cu", "Zr"}}
end

-- the same atoms in a new box at the same fractional coordinates (affine),
-- shifted by whole cells, in reversed order
local function affine(a, box)
  local n = #a
  local pts, types, ids = {}, {}, {}
  local f = a.box:to_frac(a.x)
  for i = n, 1, -1 do
    local s = {f[i][1] + 1, f[i][2] - 2, f[i][3] + (i % 2)}
    pts[#pts + 1] = box:to_cart(s)
    types[#types + 1] = a.type[i]
    ids[#ids + 1] = a.id[i]
  end
  return sflex.atoms{x = pts, type = types, id = ids, box = box, species = {"Cu", "Zr"}}
end

t.case("d2min: affine deformation of a triclinic box gives zero", function()
  local a = config(6, 2.5, {1.0, -0.5, 0.8}, 0.6)
  local L = 15
  -- a sheared and stretched box, xy beyond half lx (the same lattice as
  -- a flipped one)
  local b = sflex.box{lo = {1, -2, 0.5}, hi = {1 + L * 1.02, -2 + L * 0.99, 0.5 + L},
                      tilt = {1.0 + 0.6 * L, -0.9, 1.1}}
  local d = affine(a, b)
  local d2, F, nn = sflex.d2min(a, d, {cutoff = 3.6})
  t.eq(#d2, #a)
  t.ok(d2:max() < 1e-20, "max D2min " .. d2:max())
  t.ok(nn:min() >= 6, "neighbour counts")
  t.eq(F.cols, 9)
  t.eq(F:colnames()[5], "Fyy")
  -- F is the box deformation: a' = F a, b' = F b
  local ha = {L * 1.02, 0, 0}
  t.near(F:get(1, 1) * 15 + F:get(1, 2) * 0 + F:get(1, 3) * 0, ha[1], 1e-10, "Fxx lx")
  t.near(F:get(7, "Fyy") * a.box.len[2] + F:get(7, "Fyx") * a.box.xy, L * 0.99, 1e-10, "F b_y")
end)

t.case("d2min: non-affine displacement, order, normalisation", function()
  local a = config(5, 2.5, nil, 0.5)
  local d = a:copy()
  local x = d.x
  x[7][1] = x[7][1] + 0.4       -- one atom moves
  local d2, F, nn = sflex.d2min(a, d, {cutoff = 3.7})
  t.ok(d2[7] > 0.05, "the moved atom has D2min")
  local moved_nb = 0
  for i = 1, #a do
    if d2[i] > 1e-20 then moved_nb = moved_nb + 1 end
  end
  t.ok(moved_nb > 1 and moved_nb <= nn[7] + 1, "only the atom and its neighbours change: " .. moved_nb)
  local dn = sflex.d2min(a, d, {cutoff = 3.7, normalize = true})
  t.near(dn[7], d2[7] / nn[7], 1e-15, "normalised")
  -- reversed deformed order: order = "deformed" follows the deformed atoms
  local rev = affine(a, a.box)
  local x2 = rev.x
  x2[#rev - 6][1] = x2[#rev - 6][1] + 0.4   -- atom 7 of a is row n-6 of rev
  local r1 = sflex.d2min(a, rev, {cutoff = 3.7})
  local r2 = sflex.d2min(a, rev, {cutoff = 3.7, order = "deformed"})
  t.near(r1[7], d2[7], 1e-12, "same D2min through a reordered, shifted copy")
  t.near(r2[#rev - 6], d2[7], 1e-12, "deformed order")
  local out, nnan = sflex.d2min_atoms(a, rev, {cutoff = 3.7})
  t.eq(nnan, 0)
  t.near(out.d2min[#rev - 6], d2[7], 1e-12, "d2min_atoms column in deformed order")
  t.eq(out.id[1], rev.id[1])
end)

t.case("d2min: errors", function()
  local a = config(4, 2.5, nil, 0.3)
  local b = a:select(sflex.range(1, #a):gt(1))
  t.raises(function() sflex.d2min(a, b, {cutoff = 3}) end, "counts differ: 64 in the reference, 63")
  local c = a:copy()
  local ids = c.id
  ids[3] = 99999
  c.id = ids
  t.raises(function() sflex.d2min(a, c, {cutoff = 3}) end, "atom id 31 of the reference is missing")
  t.raises(function() sflex.d2min(a, a, {cutoff = 6}) end, "not below half the reference box width")
  t.raises(function() sflex.d2min(a, a, {cutoff = -1}) end, "cutoff")
  t.raises(function() sflex.d2min(a, a, {cutof = 3}) end, "unknown option 'cutof'")
  t.raises(function() sflex.d2min(a, a, {cutoff = 3, order = "x"}) end, "order must be")
end)

t.case("d2min_fit: one atom", function()
  local d0 = sflex.matrix{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}}
  local d = sflex.matrix{{1.1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1.1, 1, 1}}
  local r, F = sflex.d2min_fit(d0, d)
  t.ok(r < 1e-28, "affine residual " .. r)
  t.near(F:get(1, 1), 1.1, 1e-14)
  t.raises(function() sflex.d2min_fit(sflex.matrix{{1, 0, 0}, {0, 1, 0}}, sflex.matrix{{1, 0, 0}, {0, 1, 0}}) end,
           "span three dimensions")
end)

t.case("fictive temperature: two lines meet at Tf", function()
  local T, V = {}, {}
  for k = 0, 60 do
    local temp = 300 + 20 * k
    -- glass slope 1e-3 below 700 K, liquid slope 3e-3 above 900 K, a
    -- smooth (quadratic) transition in between that the fit ranges skip
    local v
    if temp <= 700 then v = 10 + 1e-3 * temp
    elseif temp >= 900 then v = 10 + 0.7 + 3e-3 * (temp - 700) - 0.2
    else v = 10.7 + 1e-3 * (temp - 700) + 0.5 * 1e-2 / 200 * (temp - 700) ^ 2 end
    T[#T + 1], V[#V + 1] = temp, v
  end
  -- liquid line: 10.2 + 3e-3 (T - 700) meets 10 + 1e-3 T at T = 800
  local Tf, fits = sflex.fictive_temperature(T, V, {glass = {300, 650}, liquid = {1000, 1500}})
  t.near(Tf, 800, 1e-9, "Tf")
  t.near(fits.glass.slope, 1e-3, 1e-12)
  t.near(fits.liquid.slope, 3e-3, 1e-12)
  local Td = sflex.fictive_temperature(T, V)   -- default ranges: 300-660 and 1200-1500
  t.near(Td, 800, 1e-6, "default ranges")
  t.raises(function() sflex.fictive_temperature(T, V, {glass = {0, 100}}) end, "glass range")
end)

t.case("top_mask and group_enrichment", function()
  local n = 1000
  local x, y = sflex.vector(n, 0), sflex.vector(n, 0)
  for i = 1, n do
    x[i] = i              -- "SF"
    y[i] = (i * 7919) % n -- unrelated
  end
  local top = sflex.top_mask(x, 0.05)
  t.eq(top:count(), 50)
  t.eq(top[n], 1)
  t.eq(top[950], 0)
  local e = sflex.group_enrichment(x, top)
  t.eq(#e.share, 10)
  t.near(e.share[10], 1.0, 1e-15, "all top atoms in the top decile")
  t.near(e.rate[10], 0.5, 1e-15)
  t.eq(e.count[1], 100)
  t.eq(e.total, 50)
  local u = sflex.group_enrichment(y, top)
  local s = 0
  for g = 1, 10 do s = s + u.share[g] end
  t.near(s, 1, 1e-12, "shares sum to 1")
  -- mask: only even atoms
  local even = sflex.vector(n, 0)
  for i = 2, n, 2 do even[i] = 1 end
  local te = sflex.top_mask(x, 0.1, even)
  t.eq(te:count(), 50)
  t.eq(te[n - 1], 0)
  t.eq(te[n], 1)
  local nanv = x:copy()
  nanv[n] = 0 / 0
  t.eq(sflex.top_mask(nanv, 0.01)[n], 0)
end)

t.case("slab_mask, slab_map, layer_profile", function()
  local a = config(8, 2.5, {2.0, 0, 0}, 0.4)   -- 20 A box, tilted
  local mask = sflex.slab_mask(a, {axis = "z", center = 0.5, thickness = 4.0})
  -- jittered layers at s = (k + 0.5)/8: the slab |s - 0.5| * 20 < 2 holds
  -- the two middle layers (s = 0.4375, 0.5625) -> 128 atoms
  t.eq(mask:count(), 128)
  local ones = sflex.vector(#a, 3.5)
  local xc, yc, Z = sflex.slab_map(a, ones, mask, {spacing = 1.0, sigma = 1.0})
  t.eq(#xc, 20)
  t.eq(Z.rows, 20)
  t.near(Z:max(), 3.5, 1e-12)
  t.near(Z:min(), 3.5, 1e-12)
  -- a gradient along x survives the smoothing on average
  local grad = a.box:to_frac(a.x):col(1)
  local _, _, G = sflex.slab_map(a, grad, mask, {spacing = 1.0, sigma = 1.0})
  t.ok(G:get(15, 10) > G:get(5, 10), "gradient kept")
  local prof = sflex.layer_profile(a, {axis = "y", n = 8, values = {v = ones}})
  local c = 0
  for l = 1, 8 do c = c + prof.count[l]; t.near(prof.v[l], 3.5, 1e-12) end
  t.eq(c, #a)
  t.eq(prof.count[1], 64)
end)

t.case("shear modes and axis swaps", function()
  local m = sflex.shear_mode("-zy")
  t.eq(m.sign, -1)
  t.eq(m.tilt, "yz")
  t.eq(m.voigt, "c44")
  t.eq(#sflex.all_shear_modes(), 12)
  t.raises(function() sflex.shear_mode("xx") end, "expected")
  local a = config(3, 2.0, nil, 0.3)
  local p = sflex.permute_axes(a, {3, 1, 2})
  t.near(p.x[5][1], a.x[5][3], 0)
  t.near(p.x[5][2], a.x[5][1], 0)
  t.eq(p.id[5], a.id[5])
  t.eq(p.species[2], "Zr")
  local tri = config(3, 2.0, {0.5, 0, 0}, 0.1)
  t.raises(function() sflex.permute_axes(tri, {2, 1, 3}) end, "orthogonal")
  -- D2min does not see the swap: swap both configurations
  local d = a:copy()
  local x = d.x
  x[4][2] = x[4][2] + 0.3
  local d1 = sflex.d2min(a, d, {cutoff = 2.9})
  local d2 = sflex.d2min(sflex.permute_axes(a, {2, 1, 3}), sflex.permute_axes(d, {2, 1, 3}), {cutoff = 2.9})
  t.near(d2[4], d1[4], 1e-12)
end)

t.case("scripts/d2min.lua writes id type x y z d2min", function()
  local sh = bin .. "/sflex"
  local f = io.open(sh)
  if not f then error("no sflex binary at " .. sh) end
  f:close()
  local dir = t.tmpdir()
  local a = config(5, 2.5, {0.5, 0.2, -0.3}, 0.6)
  local b = affine(a, sflex.box{lo = {0, 0, 0}, hi = {12.6, 12.5, 12.4}, tilt = {1.5, 0.2, -0.3}})
  local x = b.x
  x[10][3] = x[10][3] + 0.35
  sflex.write(dir .. "/ref.data", a)
  sflex.write(dir .. "/def.dump", b)
  local cmd = string.format("%s %s/scripts/d2min.lua %s/ref.data %s/def.dump --cutoff 3.7 --elements Cu,Zr --out %s/o.dump --quiet",
                            sh, src, dir, dir, dir)
  t.ok(os.execute(cmd), cmd)
  local o = sflex.read(dir .. "/o.dump", {elements = {"Cu", "Zr"}})
  local hdr
  for line in io.lines(dir .. "/o.dump") do
    if line:find("^ITEM: ATOMS") then hdr = line end
  end
  t.eq(hdr, "ITEM: ATOMS id type x y z d2min")
  local want = sflex.d2min(a, b, {cutoff = 3.7, order = "deformed"})
  local byid = {}
  for i = 1, #b do byid[b.id[i]] = want[i] end
  local worst = 0
  for i = 1, #o do worst = math.max(worst, math.abs(o.d2min[i] - byid[o.id[i]])) end
  t.ok(worst < 1e-12, "dump values " .. worst)
  t.ok(o.d2min:max() > 0.05, "the displaced atom shows")
  -- a bad cutoff is an error with a message, and no output
  local r = os.execute(string.format("%s %s/scripts/d2min.lua %s/ref.data %s/def.dump --cutoff 9 --out %s/bad.dump 2>/dev/null",
                                     sh, src, dir, dir, dir))
  t.ok(not r, "cutoff too large fails")
  t.ok(io.open(dir .. "/bad.dump") == nil, "no partial output")
  os.execute("rm -rf '" .. dir .. "'")
end)

t.case("plot.read_table reads write_table back; errors name file and line", function()
  local plot = require "sflex.plot"
  local dir = t.tmpdir()
  plot.write_table(dir .. "/t.txt", {{"strain", {0, 0.001, 0.002}}, {"n", {1, 0 / 0, -math.huge}},
                                     {"names", {"a", "b", "c"}}}, {comment = "two\nlines"})
  local r = plot.read_table(dir .. "/t.txt")
  t.eq(r.n, 3)
  t.eq(table.concat(r.names, ","), "strain,n,names")
  t.eq(r.columns.strain[2], 0.001)
  t.ok(r.columns.n[2] ~= r.columns.n[2], "NaN read back")
  t.eq(r.columns.n[3], -math.huge)
  t.eq(r.columns.names[3], "c")
  local f = assert(io.open(dir .. "/bad.txt", "w"))
  f:write("# c\na b\n1 2\n3\n")
  f:close()
  local ok, err = pcall(plot.read_table, dir .. "/bad.txt")
  t.ok(not ok and err:find("bad.txt:4: 1 values for 2 columns", 1, true), tostring(err))
  os.execute("rm -rf '" .. dir .. "'")
end)

t.done()
