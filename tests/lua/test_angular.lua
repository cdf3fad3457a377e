-- sflex.angular_descriptor: the binding against the definition evaluated
-- in Lua from the CSR neighbour list (sflex.neighbors, an independent path
-- from the core's cell queries), in Angstrom and reduced units, on a
-- triclinic box and on a box smaller than twice the cutoff; column names;
-- rp forms and errors.
local t = require "testlib"
local sflex = sflex or require "sflex"

if type(sflex.angular_descriptor) ~= "function" then t.skip("no sflex.angular_descriptor") end

local function sample(n, seed, L, tilt)
  local state = seed
  local function rnd()
    state = (state * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
    return (state >> 11) / 2 ^ 52
  end
  local box = sflex.box{lo = {0, 0, 0}, hi = {L, L * 1.1, L * 0.9}, tilt = tilt or {1.5, -1.0, 0.7}}
  local x, typ = {}, {}
  for i = 1, n do
    local s = {rnd(), rnd(), rnd()}
    local len, tl = box.len, box.tilt
    x[i] = {len[1] * s[1] + tl[1] * s[2] + tl[2] * s[3], len[2] * s[2] + tl[3] * s[3], len[3] * s[3]}
    typ[i] = (i % 3 == 0) and 2 or 1
  end
  return sflex.atoms{x = x, type = typ, box = box, species = {"Cu", "Zr"}}
end

-- Psi of every atom by the definition; rp = nil: Angstrom
local function reference(a, o, rp)
  local rpt = function(ta, tb)
    if not rp then return 1.0 end
    local k = ({"Cu", "Zr"})[math.min(ta, tb)] .. ({"Cu", "Zr"})[math.max(ta, tb)]
    return rp[k]
  end
  local rcmax = o.cutoff * (rp and math.max(rp.CuCu, rp.CuZr, rp.ZrZr) or 1.0)
  local nl = sflex.neighbors(a, rcmax * (1 + 1e-9))
  local per = #o.xi * #o.lambda * #o.zeta
  local out = {}
  for i = 1, a.n do
    local ti = a.type[i]
    local j, d, v = nl:neighbors(i)
    local keep = {}
    for e = 1, #j do
      local tj = a.type[j[e]]
      if d[e] / rpt(ti, tj) <= o.cutoff then
        keep[#keep + 1] = {t = tj, r = d[e], v = {v:get(e, 1), v:get(e, 2), v:get(e, 3)}}
      end
    end
    local row = {}
    for c = 1, 3 * per do row[c] = 0 end
    for e = 1, #keep do
      for f = e + 1, #keep do
        local p, q = keep[e], keep[f]
        local dv = {q.v[1] - p.v[1], q.v[2] - p.v[2], q.v[3] - p.v[3]}
        local rjk = math.sqrt(dv[1] ^ 2 + dv[2] ^ 2 + dv[3] ^ 2)
        local cs = (p.v[1] * q.v[1] + p.v[2] * q.v[2] + p.v[3] * q.v[3]) / (p.r * q.r)
        local s2 = (p.r / rpt(ti, p.t)) ^ 2 + (q.r / rpt(ti, q.t)) ^ 2 + (rjk / rpt(p.t, q.t)) ^ 2
        local pair = (p.t == 1 and q.t == 1) and 0 or (p.t == 2 and q.t == 2) and 2 or 1
        local c = pair * per
        for _, xi in ipairs(o.xi) do
          for _, lam in ipairs(o.lambda) do
            for _, z in ipairs(o.zeta) do
              c = c + 1
              row[c] = row[c] + math.exp(-s2 / xi ^ 2) * math.max(0, 1 + lam * cs) ^ z
            end
          end
        end
      end
    end
    out[i] = row
  end
  return out
end

local function check(a, o, rp, what)
  local opts = {xi = o.xi, lambda = o.lambda, zeta = o.zeta, cutoff = o.cutoff,
                reduced = rp ~= nil, rp = rp}
  local X = sflex.angular_descriptor(a, opts)
  local ref = reference(a, o, rp)
  t.eq(X.rows, a.n)
  t.eq(X.cols, 3 * #o.xi * #o.lambda * #o.zeta)
  local bad, nonzero = 0, 0
  for i = 1, a.n do
    for c = 1, X.cols do
      local g, r = X:get(i, c), ref[i][c]
      if r > 0 then nonzero = nonzero + 1 end
      if math.abs(g - r) > 1e-12 * math.abs(r) + 1e-300 then bad = bad + 1 end
    end
  end
  t.eq(bad, 0, what .. ": values off the definition")
  t.ok(nonzero > a.n * X.cols // 2, what .. ": most values non-zero")
  return X
end

t.case("Angstrom, triclinic, against the definition", function()
  local a = sample(70, 3, 10.0)
  local X = check(a, {xi = {2.0, 3.5}, lambda = {-1, 1}, zeta = {1, 2.5, 16}, cutoff = 4.0}, nil, "angstrom")
  local names = X:colnames()
  t.eq(names[1], "Psi_Cu_Cu_xi2.000_l-1_z1")
  t.eq(names[12], "Psi_Cu_Cu_xi3.500_l+1_z16")
  t.eq(names[13], "Psi_Cu_Zr_xi2.000_l-1_z1")
  t.eq(names[36], "Psi_Zr_Zr_xi3.500_l+1_z16")
end)

t.case("reduced units, tiny box (repeated images)", function()
  local a = sample(9, 11, 5.5, {0.8, -0.6, 0.4})
  check(a, {xi = {1.0, 1.7}, lambda = {-1, 0.5, 1}, zeta = {1, 4}, cutoff = 1.8},
        {CuCu = 2.5, CuZr = 2.7, ZrZr = 3.1}, "reduced tiny")
end)

local srcdir = os.getenv("SFLEX_SOURCE_DIR") or "."

t.case("defaults on a glass, rp auto and explicit agree", function()
  local a = sflex.read(srcdir .. "/data/glasses/Cu50Zr50_1e13_s1/vflex.dump.gz", {elements = {"Cu", "Zr"}})
  local X, rp = sflex.angular_descriptor(a)
  t.eq(X.cols, 3 * 3 * 2 * 4)
  t.ok(type(rp) == "table" and rp.CuZr > 2.6 and rp.CuZr < 3.0, "rp returned")
  -- every column carries signal: no all-zero column in a dense glass
  for c = 1, X.cols do t.ok(X:col(c):min() >= 0 and X:col(c):max() > 0, "column " .. c) end
  local Y = sflex.angular_descriptor(a, {rp = rp})
  t.ok(X == Y, "same matrix with the rp that auto found")
  local Z = sflex.angular_descriptor(a, {reduced = false})
  t.eq(Z:colnames()[1], "Psi_Cu_Cu_xi2.500_l-1_z1")
end)

t.case("coarse-graining a descriptor Matrix", function()
  local a = sample(120, 9, 10.0)
  local X = sflex.angular_descriptor(a, {reduced = false, xi = {2.5}, zeta = {1, 4}})
  local C = sflex.coarse_grain(a, X, 3.5)
  t.eq(C.rows, X.rows)
  t.eq(C.cols, X.cols)
  t.eq(C:colnames()[3], X:colnames()[3])
  for c = 1, X.cols do
    t.ok(C:col(c) == sflex.coarse_grain(a, X:col(c), 3.5), "column " .. c .. " as the Vector form")
  end
  -- by hand for atom 7: itself and its neighbours (r < 3.5, every image)
  local j = sflex.neighbors(a, 3.5):neighbors(7)
  local s = X:get(7, 2)
  for k = 1, #j do s = s + X:get(j[k], 2) end
  t.near(C:get(7, 2), s / (#j + 1), 1e-12 * math.abs(s))
  t.raises(function() sflex.coarse_grain(a, X:slice(1, 10), 3.5) end, "10 rows for 120 atoms")
end)

t.case("errors", function()
  local a = sample(20, 1, 8.0)
  t.raises(function() sflex.angular_descriptor(a, {sigma = 1}) end, "unknown option 'sigma'")
  t.raises(function() sflex.angular_descriptor(a, {lambda = {2}, rp = {CuCu = 2.5, CuZr = 2.7, ZrZr = 3}}) end,
           "lambda%[1%] = 2")
  t.raises(function() sflex.angular_descriptor(a, {xi = {}, reduced = false}) end, "xi has 0 values")
  t.raises(function() sflex.angular_descriptor(a, {rp = {CuCu = 2.5}}) end, "rp lacks")
  t.raises(function() sflex.angular_descriptor({}, {}) end, "expected Atoms")
end)

-- scripts: descriptors.lua --angular, compare_features.lua (its plain
-- radial baseline is exactly train.lua's model)
local bindir = os.getenv("SFLEX_BINARY_DIR")
local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function run(script, args)
  local p = io.popen(q(bindir .. "/sflex") .. " " .. q(srcdir .. "/scripts/" .. script) .. " " .. args .. " 2>&1")
  local out = p:read("a")
  return p:close(), out
end

t.case("descriptors.lua --angular", function()
  if not bindir then return end
  local dir = t.tmpdir()
  local glass = srcdir .. "/data/glasses/Cu50Zr50_1e13_s1/vflex.dump.gz"
  local rpa = "--rp CuCu=2.59,CuZr=2.81,ZrZr=3.13"
  local ok, out = run("descriptors.lua", q(glass) .. " --elements Cu,Zr " .. rpa ..
    " --angular --xi 1,2 --zeta 1,16 --quiet --out " .. q(dir .. "/d.txt"))
  t.ok(ok, out)
  local fh = assert(io.open(dir .. "/d.txt"))
  local head = fh:read("l")
  local first = fh:read("l")
  fh:close()
  local names, vals = {}, {}
  for w in head:gmatch("%S+") do names[#names + 1] = w end
  for w in first:gmatch("%S+") do vals[#vals + 1] = tonumber(w) end
  t.eq(#names, 2 + 99 + 3 * 2 * 2 * 2)
  t.eq(names[101], "bias")
  t.eq(names[102], "Psi_Cu_Cu_xi1.000_l-1_z1")
  t.eq(names[#names], "Psi_Zr_Zr_xi2.000_l+1_z16")
  -- the first row is atom id 1 (sorted by id)
  local b = sflex.read(glass, {elements = {"Cu", "Zr"}})
  local A = sflex.angular_descriptor(b, {rp = {CuCu = 2.59, CuZr = 2.81, ZrZr = 3.13}, xi = {1, 2}, zeta = {1, 16}})
  local row = b.id:order()[1]
  t.near(vals[102], A:get(row, 1), 1e-9 * A:get(row, 1))
  t.near(vals[#vals], A:get(row, A.cols), 1e-9 * A:get(row, A.cols))
  ok, out = run("descriptors.lua", q(glass) .. " --zeta 1 --out " .. q(dir .. "/e.txt"))
  t.ok(not ok and out:find("need --angular", 1, true), out)
end)

t.case("compare_features.lua baseline = train.lua", function()
  if not bindir then return end
  local dir = t.tmpdir()
  local glass = srcdir .. "/data/glasses/Cu50Zr50_1e13_s1/vflex.dump.gz"
  local ok, out = run("train.lua", "--train " .. q(glass) .. " --log --elements Cu,Zr --quiet --out " ..
    q(dir .. "/m.sfmodel"))
  t.ok(ok, out)
  local rho = {}
  for sp, r in out:gmatch("(%a+)%s+rho%(SF, ln vflex%) = (%S+)") do rho[sp] = tonumber(r) end
  ok, out = run("compare_features.lua", q(glass) .. " --sets R,R+A* --out " .. q(dir .. "/c.txt"))
  t.ok(ok, out)
  local got = {}
  for line in io.lines(dir .. "/c.txt") do
    local set, sp, _, _, r = line:match("^(%S+) (%S+) (%S+) (%S+) (%S+)")
    if set == "R" then got[sp] = tonumber(r) end
    if set == "R+A*" then t.ok(tonumber(r) > 0.5, "R+A* learns something: " .. line) end
  end
  t.ok(rho.Cu and rho.Zr, "train.lua printed rho")
  t.near(got.Cu, rho.Cu, 1e-4)
  t.near(got.Zr, rho.Zr, 1e-4)
end)

t.done()
