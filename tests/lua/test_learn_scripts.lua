-- End to end: train.lua, predict.lua and classify.lua on small synthetic
-- labelled glasses.  The label is a known smooth function of each atom's
-- neighbour shell (a Gaussian-weighted neighbour count, species-dependent),
-- so a linear model on radial structure functions must find it: rho > 0.9.
local t = require "testlib"
local sflex = sflex or require "sflex"

local bindir = os.getenv("SFLEX_BINARY_DIR")
local srcdir = os.getenv("SFLEX_SOURCE_DIR")
if not bindir or not srcdir then t.skip("SFLEX_BINARY_DIR / SFLEX_SOURCE_DIR not set") end
local exe = bindir .. "/sflex"
if type(sflex.descriptor) ~= "function" then t.skip("sflex.descriptor is not in this build yet") end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- run a script; returns ok, combined output
local function run(script, args, env)
  local cmd = (env or "") .. " " .. q(exe) .. " " .. q(srcdir .. "/scripts/" .. script) .. " " .. args .. " 2>&1"
  local p = io.popen(cmd)
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

-- a random binary "glass": n atoms, min distance dmin, cubic box
local function make_config(n, seed, frac_a)
  local L = (n / 0.06) ^ (1 / 3)
  local state = seed
  local function rnd()
    state = (state * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
    return (state >> 11) / 2 ^ 52
  end
  local pos, typ = {}, {}
  local dmin2 = 2.1 ^ 2
  local function d2(a, b)
    local s = 0
    for k = 1, 3 do
      local d = a[k] - b[k]
      d = d - L * math.floor(d / L + 0.5)
      s = s + d * d
    end
    return s
  end
  while #pos < n do
    local p = {rnd() * L, rnd() * L, rnd() * L}
    local ok = true
    for _, o in ipairs(pos) do if d2(p, o) < dmin2 then ok = false; break end end
    if ok then
      pos[#pos + 1] = p
      typ[#typ + 1] = rnd() < frac_a and 1 or 2
    end
  end
  -- label: exp of a species-weighted Gaussian neighbour count (+ a centre term)
  local lab = {}
  for i = 1, n do
    local s = typ[i] == 1 and 0.3 or -0.2
    for j = 1, n do
      if j ~= i then
        local r = math.sqrt(d2(pos[i], pos[j]))
        if r < 6 then
          local w = typ[j] == 1 and 1.0 or 0.6
          s = s + w * math.exp(-(r - 3.2) ^ 2 / (2 * 0.3 ^ 2)) - 0.3 * w * math.exp(-(r - 4.8) ^ 2 / (2 * 0.4 ^ 2))
        end
      end
    end
    lab[i] = math.exp(0.25 * s)
  end
  return {L = L, pos = pos, typ = typ, lab = lab, n = n}
end

local function write_dump(path, c)
  local f = assert(io.open(path, "w"))
  f:write("ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n", c.n, "\n")
  f:write("ITEM: BOX BOUNDS pp pp pp\n")
  for _ = 1, 3 do f:write(string.format("0 %.10f\n", c.L)) end
  f:write("ITEM: ATOMS id type x y z vflex\n")
  for i = 1, c.n do
    local p = c.pos[i]
    f:write(string.format("%d %d %.10f %.10f %.10f %.12g\n", i, c.typ[i], p[1], p[2], p[3], c.lab[i]))
  end
  f:close()
end

local dir = t.tmpdir()
local files = {}
for k = 1, 3 do
  files[k] = dir .. "/glass" .. k .. ".dump"
  write_dump(files[k], make_config(500, 17 * k, 0.5))
end
local model = dir .. "/model.sfmodel"
local ENV = "SOURCE_DATE_EPOCH=1700000000"

t.case("train with a test set, predict, reload", function()
  local ok, out = run("train.lua", "--train " .. q(files[1]) .. " " .. q(files[2]) .. " --test " .. q(files[3]) ..
    " --label vflex --log --elements Cu,Zr --angstrom --C 10 --eps 0 --out " .. q(model), ENV)
  t.ok(ok, "train.lua failed:\n" .. out)
  for _, c in ipairs {"Cu", "Zr"} do
    local rho = tonumber(out:match(c .. "%s+rho%(SF, ln vflex%) = ([%d.]+)"))
    t.ok(rho and rho > 0.9, c .. " test rho " .. tostring(rho) .. "\n" .. out)
  end
  local m = sflex.load_model(model)
  t.eq(m.label, "vflex"); t.eq(m.transform, "ln"); t.eq(m.elements, {"Cu", "Zr"})
  t.eq(m.descriptor.reduced, false)
  t.ok(m:scores("Cu")["test.pearson"] > 0.9)
  t.eq(m.provenance.train[2].path, files[2])
  t.eq(m.provenance.train[1].sha256, sflex.sha256_file(files[1]))
  t.eq(m.provenance.date, "2023-11-14T22:13:20Z")
  t.match(m.provenance.command, "train%.lua %-%-train")

  -- same inputs -> same bytes
  local again = dir .. "/again.sfmodel"
  local ok2, out2 = run("train.lua", "--train " .. q(files[1]) .. " " .. q(files[2]) .. " --test " .. q(files[3]) ..
    " --label vflex --log --elements Cu,Zr --angstrom --C 10 --eps 0 --out " .. q(again), ENV)
  t.ok(ok2, out2)
  local a = assert(io.open(model)):read("a")
  local b = assert(io.open(again)):read("a")
  t.eq(b:gsub("again%.sfmodel", "model.sfmodel"), a, "deterministic model file")

  -- predict: dump with id type x y z sf, rho printed, SF equal to model:sf
  local outdump = dir .. "/sf.dump"
  local ok3, out3 = run("predict.lua", "--model " .. q(model) .. " " .. q(files[3]) .. " --out " .. q(outdump))
  t.ok(ok3, out3)
  local rho = tonumber(out3:match("Cu.-rho%(SF, ln vflex%)=([%d.]+)"))
  t.ok(rho and rho > 0.9, out3)
  local text = assert(io.open(outdump)):read("a")
  t.match(text, "ITEM: ATOMS id type x y z sf\n")
  local atoms = sflex.read(outdump, {elements = {"Cu", "Zr"}})
  local ref = m:sf(sflex.read(files[3], {elements = {"Cu", "Zr"}}))
  local sf = atoms:column("sf")
  t.eq(#sf, 500)
  local maxdiff = (sf - ref):abs():max()
  t.ok(maxdiff < 1e-9, "dump SF differs from model:sf by " .. maxdiff)
end)

t.case("train with a held-out split and explicit r_p", function()
  local m2 = dir .. "/split.sfmodel"
  local ok, out = run("train.lua", "--train " .. q(files[1]) .. " " .. q(files[2]) .. " " .. q(files[3]) ..
    " --label vflex --log --elements Cu,Zr --rp CuCu=2.6,CuZr=2.7,ZrZr=3.0 --C 10 --eps 0 --quiet --out " .. q(m2))
  t.ok(ok, out)
  local m = sflex.load_model(m2)
  t.eq(m.descriptor.rp, {CuCu = 2.6, CuZr = 2.7, ZrZr = 3.0})
  t.eq(m.training.split, 0.8)
  local s = m:scores("Zr")
  t.eq(s.n_train + s.n_test, math.tointeger(sflex.read(files[1], {elements = {"Cu", "Zr"}}):mask("Zr"):count()
    + sflex.read(files[2], {elements = {"Cu", "Zr"}}):mask("Zr"):count()
    + sflex.read(files[3], {elements = {"Cu", "Zr"}}):mask("Zr"):count()))
  t.ok(s["test.pearson"] > 0.85, out)
end)

t.case("grid search", function()
  local m3 = dir .. "/gs.sfmodel"
  local ok, out = run("train.lua", "--train " .. q(files[1]) .. " " .. q(files[2]) ..
    " --label vflex --log --elements Cu,Zr --angstrom --grid-search --grid-C 0.001,10 --grid-eps 0 --quiet --out " .. q(m3))
  t.ok(ok, out)
  local m = sflex.load_model(m3)
  t.eq(m.centres.Cu.params.C, 10)
  t.ok(m:scores("Cu")["cv.pearson"] > 0.85)
end)

t.case("classify", function()
  local ok, out = run("classify.lua", "--train " .. q(files[1]) .. " " .. q(files[2]) .. " " .. q(files[3]) ..
    " --label vflex --elements Cu,Zr --model " .. q(model) .. " --fraction Cu=0.1,Zr=0.1 --C 10 --out " .. q(dir .. "/cls.txt"))
  t.ok(ok, out)
  local acc = tonumber(out:match("Cu .-accuracy ([%d.]+)"))
  t.ok(acc and acc > 0.8, out)
  t.match(assert(io.open(dir .. "/cls.txt")):read("a"), "species n_train n_test")
end)

t.case("bad input: no partial model, clear message", function()
  local bad = dir .. "/bad.sfmodel"
  local ok, out = run("train.lua", "--train " .. q(files[1]) .. " --label nosuch --elements Cu,Zr --angstrom --out " .. q(bad))
  t.ok(not ok, "train.lua should fail")
  t.match(out, "glass1%.dump: no per%-atom column 'nosuch'")
  t.ok(io.open(bad) == nil, "no model file")
  ok, out = run("predict.lua", "--model " .. q(files[1]) .. " " .. q(files[1]) .. " --out " .. q(dir .. "/x.dump"))
  t.ok(not ok)
  t.match(out, "glass1%.dump:1: not an sflex model file")
end)

t.done()
