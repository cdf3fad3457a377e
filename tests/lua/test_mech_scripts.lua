-- test_mech_scripts.lua: scripts/shear.lua, scripts/local_moduli.lua and
-- scripts/sample_properties.lua end to end on the 250-atom glass (small
-- strains; skipped without lmp).  Checks the tables against the library
-- calls and that the plots exist (when gnuplot is there).
package.path = (os.getenv("SFLEX_SOURCE_DIR") or ".") .. "/tests/lua/?.lua;" .. package.path
local t = require "testlib"
local sflex = require "sflex"
local plot = require "sflex.plot"

local src = os.getenv("SFLEX_SOURCE_DIR") or "."
local bin = (os.getenv("SFLEX_BINARY_DIR") or "build") .. "/sflex"
if not sflex.which(os.getenv("SFLEX_LMP") or "lmp") then t.skip("lmp not found") end
local glass = src .. "/tests/data/cuzr_is250.data"

local function run(args)
  local cmd = bin .. " " .. src .. "/scripts/" .. args .. " --quiet"
  local ok = os.execute(cmd .. " >/dev/null")
  if not ok then error("failed: " .. cmd) end
end

-- whitespace table with one header line (after # comments)
local function read_table(path)
  local names, rows = nil, {}
  for line in io.lines(path) do
    if not line:find("^#") then
      local w = {}
      for x in line:gmatch("%S+") do w[#w + 1] = x end
      if not names then names = w
      else
        local r = {}
        for i, n in ipairs(names) do r[n] = tonumber(w[i]) or w[i] end
        rows[#rows + 1] = r
      end
    end
  end
  return rows
end

local function exists(p)
  local f = io.open(p)
  if f then f:close() end
  return f ~= nil
end

local dir = t.tmpdir()

t.case("shear.lua: curve, D2min dump, baselines, layers", function()
  run("shear.lua " .. glass .. " --elements Cu,Zr --strain 0.004 --step 1e-3 --baselines " ..
      "--layers 4 --layer-every 0.002 --out " .. dir .. "/shear")
  local c = read_table(dir .. "/shear/curve.txt")
  t.eq(#c, 5)
  t.eq(c[1].strain, 0)
  t.near(c[5].strain, 0.004, 1e-12)
  t.ok(c[5].stress_GPa > c[1].stress_GPa, "stress rises")
  t.eq(c[1].dpe_meV_atom, 0)
  local d = sflex.read(dir .. "/shear/d2min.dump", {elements = {"Cu", "Zr"}})
  t.eq(#d, 250)
  t.ok(d.d2min:min() >= 0 and d.d2min:max() > 0, "d2min column")
  local e = read_table(dir .. "/shear/enrichment.txt")
  t.eq(#e, 10)
  local s = 0
  for _, r in ipairs(e) do s = s + r.Cu_volume_share end
  t.near(s, 1, 1e-9, "shares sum to 1")
  local l = read_table(dir .. "/shear/layers.txt")
  t.eq(#l, 8)   -- 2 profiles x 4 layers
  local n = 0
  for i = 1, 4 do n = n + l[i].count end
  t.eq(n, 250)
  if plot.available() then
    for _, f in ipairs {"curve.png", "enrichment.png", "slab.png", "layers.png"} do
      t.ok(exists(dir .. "/shear/" .. f), f)
    end
  end
end)

t.case("local_moduli.lua: dump and summary agree with the library", function()
  run("local_moduli.lua " .. glass .. " --elements Cu,Zr --mode xy --delta 5e-4 --out " .. dir .. "/lm")
  local a = sflex.read(dir .. "/lm/moduli.dump", {elements = {"Cu", "Zr"}})
  t.eq(#a, 250)
  local G
  for line in io.lines(dir .. "/lm/summary.txt") do
    G = G or tonumber(line:match("^G_global_GPa (%S+)"))
  end
  t.ok(G and G > 15 and G < 45, "G in the summary")
  local vw = (a.c66 * a.volume):sum() / a.volume:sum()
  t.near(vw, G, 1e-4 * G, "volume-weighted mean of the dumped moduli")
  local r = sflex.shear_modulus{atoms = sflex.read(glass, {elements = {"Cu", "Zr"}}), mode = "xy", delta = 5e-4}
  t.near(r, G, 1e-6 * G, "same as sflex.shear_modulus")
  if plot.available() then t.ok(exists(dir .. "/lm/slab.png"), "slab map") end
end)

t.case("sample_properties.lua: table and correlations", function()
  -- a second sample: the same glass expanded by 1 %
  local a = sflex.read(glass, {elements = {"Cu", "Zr"}})
  local b = a:copy()
  local x = b.x
  for i = 1, #b do
    local r = x[i]
    r[1], r[2], r[3] = r[1] * 1.01, r[2] * 1.01, r[3] * 1.01
  end
  local lo, hi = a.box.lo, a.box.hi
  b.box = sflex.box{lo = {lo[1] * 1.01, lo[2] * 1.01, lo[3] * 1.01}, hi = {hi[1] * 1.01, hi[2] * 1.01, hi[3] * 1.01}}
  sflex.write(dir .. "/expanded.data", b)
  run("sample_properties.lua " .. glass .. " " .. dir .. "/expanded.data --elements Cu,Zr --out " .. dir .. "/sp")
  local p = read_table(dir .. "/sp/properties.txt")
  t.eq(#p, 2)
  t.eq(p[1].sample, "cuzr_is250")
  t.near(p[1].x_Cu, 0.5, 1e-12)
  t.near(p[2].volume_Cu / p[1].volume_Cu, 1.01 ^ 3, 1e-9, "Voronoi volume scales")
  t.near(p[2].fivefold_Cu, p[1].fivefold_Cu, 1e-9, "topology unchanged")
  t.ok(exists(dir .. "/sp/correlations.txt"), "correlations written")
end)

t.case("--model paths: per-step SF, SF enrichment, SF map markers, sample SF", function()
  if type(sflex.descriptor) ~= "function" or type(sflex.train_sf) ~= "function" then
    print("note: no descriptor module in this build; model paths not exercised")
    return
  end
  -- a toy model (ln Voronoi volume as the label): it only has to be a
  -- model file that the scripts load and apply
  local a = sflex.read(glass, {elements = {"Cu", "Zr"}})
  a:set_column("label", sflex.voronoi(a).volume)
  sflex.write(dir .. "/lab.dump", a)
  local model = sflex.train_sf{train = {dir .. "/lab.dump"}, label = "label", log = true,
                               elements = {"Cu", "Zr"}}
  model:save(dir .. "/toy.sfmodel")
  local sf = model:sf(a:copy():sort_by_id())   -- the scripts' outputs are in id order
  run("shear.lua " .. glass .. " --elements Cu,Zr --model " .. dir .. "/toy.sfmodel --strain 0.002 " ..
      "--step 1e-3 --out " .. dir .. "/shm")
  local c = read_table(dir .. "/shm/curve.txt")
  t.eq(#c, 3)
  t.near(c[1].sf_Cu, model:sample_average(a).Cu, 1e-6, "SF at strain 0 is the model's average")
  t.eq(c[1].dsf_Cu, 0)
  local e = read_table(dir .. "/shm/enrichment.txt")
  local s = 0
  for _, r in ipairs(e) do s = s + r.Zr_SF_share end
  t.near(s, 1, 1e-9)
  local d = sflex.read(dir .. "/shm/d2min.dump", {elements = {"Cu", "Zr"}})
  t.near(d.sf[10], sf[10], 1e-9, "sf column")
  run("local_moduli.lua " .. glass .. " --elements Cu,Zr --mode xy --model " .. dir ..
      "/toy.sfmodel --out " .. dir .. "/lmm")
  t.eq(#read_table(dir .. "/lmm/by_sf.txt"), 10)
  run("sample_properties.lua " .. glass .. " --elements Cu,Zr --model " .. dir .. "/toy.sfmodel --out " .. dir .. "/spm")
  t.near(read_table(dir .. "/spm/properties.txt")[1].sf_Cu, model:sample_average(a).Cu, 1e-6)
end)

os.execute("rm -rf '" .. dir .. "'")
t.done()
