-- classify.lua's evaluation options on five of the shipped glasses:
-- --repeat (seeds S..S+R-1, reproducible), --cv-by config (no test atom
-- from a training glass), --train-fraction (the test task stays the
-- paper's), --learning-curve, --method svr, and the errors for bad values.
local t = require "testlib"
local sflex = sflex or require "sflex"

local bindir = os.getenv("SFLEX_BINARY_DIR")
local srcdir = os.getenv("SFLEX_SOURCE_DIR")
if not bindir or not srcdir then t.skip("SFLEX_BINARY_DIR / SFLEX_SOURCE_DIR not set") end
local exe = bindir .. "/sflex"
local plot = require "sflex.plot"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local names = {"Cu35Zr65_1e13_s1", "Cu50Zr50_1e13_s1", "Cu50Zr50_1e14_s1", "Cu65Zr35_1e13_s1", "Cu60Zr40_1e13_s1"}
local files = {}
for i, n in ipairs(names) do files[i] = srcdir .. "/data/glasses/" .. n .. "/vflex.dump.gz" end
for _, f in ipairs(files) do
  if not io.open(f) then t.skip("no " .. f) end
end
local model = srcdir .. "/examples/CuZr.sfmodel"
local train = {}
for i, f in ipairs(files) do train[i] = q(f) end
local base = "--train " .. table.concat(train, " ") .. " --elements Cu,Zr --model " .. q(model)
local dir = t.tmpdir()

-- run classify.lua; returns ok, combined output
local function run(args)
  local p = io.popen(q(exe) .. " " .. q(srcdir .. "/scripts/classify.lua") .. " " .. base .. " " .. args .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

local function slurp(path)
  local f = assert(io.open(path))
  local s = f:read("a")
  f:close()
  return s
end

-- the rows of a --predictions table as {repeat, species, config, id, truth, pred, train = {set}}
local function predictions(path)
  local tab = plot.read_table(path)
  local rows = {}
  for i = 1, tab.n do
    local c = tab.columns
    local tr = {}
    for f in tostring(c.train_configs[i]):gmatch("[^,]+") do tr[tonumber(f) or f] = true end
    rows[i] = {rep = c["repeat"][i], q = c.config_fraction[i], species = c.species[i], fold = c.fold[i],
               config = c.config[i], id = c.id[i], truth = c.truth[i], pred = c.pred[i], train = tr,
               ntrain = #tostring(c.train_configs[i]):gsub("[^,]", "") + 1}
  end
  return rows
end

local function key(r) return r.species .. ":" .. r.config .. ":" .. r.id end

t.case("--repeat: seeds S..S+R-1, same seed same bytes, other seed other atoms", function()
  local p3, p1, p2, pb = dir .. "/r3.txt", dir .. "/r1.txt", dir .. "/r2.txt", dir .. "/r3b.txt"
  local ok, out3 = run("--cv 5 --seed 4 --repeat 3 --predictions " .. q(p3) .. " --out " .. q(dir .. "/o3.txt"))
  t.ok(ok, out3)
  t.match(out3, "Cu .-accuracy [%d.]+ %+%- [%d.]+ %(binomial s%.e%. [%d.]+")
  t.match(out3, "3 repeats, seeds 4%.%.6")
  local ok2, out3b = run("--cv 5 --seed 4 --repeat 3 --predictions " .. q(pb) .. " --out " .. q(dir .. "/o3b.txt"))
  t.ok(ok2, out3b)
  t.eq(out3b:gsub("o3b", "o3"):gsub("r3b", "r3"), out3, "same seed, same output")
  t.eq(slurp(pb), slurp(p3), "same seed, same predictions")
  t.eq(slurp(dir .. "/o3b.txt"), slurp(dir .. "/o3.txt"), "same seed, same table")
  -- repeat r is the single run with seed 4 + r - 1
  t.ok(run("--cv 5 --seed 4 --predictions " .. q(p1)))
  t.ok(run("--cv 5 --seed 5 --predictions " .. q(p2)))
  local all, one, two = predictions(p3), predictions(p1), predictions(p2)
  local by = {{}, {}, {}}
  for _, r in ipairs(all) do local b = by[r.rep]; b[#b + 1] = r end
  t.ok(#by[1] > 0 and #by[1] == #one and #by[2] == #two, "rows per repeat")
  for i, r in ipairs(one) do
    t.eq({key(by[1][i]), by[1][i].pred}, {key(r), r.pred}, "repeat 1 = seed 4, row " .. i)
  end
  for i, r in ipairs(two) do
    t.eq({key(by[2][i]), by[2][i].pred}, {key(r), r.pred}, "repeat 2 = seed 5, row " .. i)
  end
  -- the inflexible atoms are the same in every repeat, the random others are not
  local others = {{}, {}}
  local same_low, nothers, shared = true, 0, 0
  local low1 = {}
  for _, r in ipairs(by[1]) do if r.truth < 0 then low1[key(r)] = true end end
  for _, r in ipairs(by[2]) do
    if r.truth < 0 then same_low = same_low and low1[key(r)] == true end
  end
  for _, r in ipairs(by[1]) do if r.truth > 0 then others[1][key(r)] = true end end
  for _, r in ipairs(by[2]) do
    if r.truth > 0 then
      nothers = nothers + 1
      if others[1][key(r)] then shared = shared + 1 end
    end
  end
  t.ok(same_low, "same inflexible atoms in every repeat")
  t.ok(nothers > 0 and shared < nothers / 2, "other random others: " .. shared .. " of " .. nothers .. " shared")
  -- the table has the mean and sd columns
  local tab = plot.read_table(dir .. "/o3.txt")
  t.eq(tab.columns.repeats[1], 3)
  t.ok(tab.columns.accuracy_sd[1] >= 0, "sd")
end)

-- every test atom of a --cv-by config fold comes from a glass that fold did not train on
local function check_grouped(rows, what)
  t.ok(#rows > 0, what .. ": no predictions")
  local seen = {}
  for _, r in ipairs(rows) do
    t.ok(not r.train[r.config], what .. ": config " .. r.config .. " tested and trained in fold " .. r.fold)
    local k = r.rep .. ":" .. r.q .. ":" .. key(r)
    t.ok(not seen[k], what .. ": atom tested twice " .. k)
    seen[k] = true
  end
end

t.case("--cv-by config: leave-one-config-out and K folds never test a training glass", function()
  local p = dir .. "/logo.txt"
  local ok, out = run("--cv-by config --repeat 2 --predictions " .. q(p))
  t.ok(ok, out)
  t.match(out, "leave%-one%-config%-out")
  local rows = predictions(p)
  check_grouped(rows, "logo")
  for _, r in ipairs(rows) do t.eq(r.ntrain, #files - 1, "leave one out trains on the others") end
  ok, out = run("--cv-by config --cv 2 --method sf --predictions " .. q(p))
  t.ok(ok, out)
  t.match(out, "2%-fold cv by config")
  check_grouped(predictions(p), "2 folds")
end)

t.case("--train-fraction trains on more atoms, tests the paper's lowest atoms", function()
  local p = dir .. "/tf.txt"
  local ok, out = run("--cv-by config --train-fraction Cu=0.02,Zr=0.02 --grid-C 0.1,1 --standardize --predictions " .. q(p))
  t.ok(ok, out)
  local rows = predictions(p)
  check_grouped(rows, "train-fraction")
  -- training positives per fold: 2 % of the species in four glasses, far more than 0.36 %
  local npos = tonumber(out:match("Cu .-\n%s+training positives per fold ([%d.]+)"))
  t.ok(npos and npos > 40, out)
  t.match(out, "C chosen: [%d. x,]+")
  for C in out:match("C chosen: ([^\n]+)"):gmatch("([%d.e+-]+) x") do
    t.ok(C == "0.1" or C == "1", "C from the grid: " .. C)
  end
  -- the test inflexible atoms are exactly the lowest 0.36 % (Cu) / 0.18 % (Zr) by v_flex
  local low = {}
  for _, r in ipairs(rows) do
    if r.truth < 0 then
      low[r.config] = low[r.config] or {}
      low[r.config][r.species .. ":" .. r.id] = true
    end
  end
  for f, path in ipairs(files) do
    local a = sflex.read(path, {elements = {"Cu", "Zr"}})
    local v = a:column("vflex")
    for typ, c in ipairs({"Cu", "Zr"}) do
      local frac = c == "Cu" and 0.0036 or 0.0018
      local idx = sflex.range(1, a.n):select(a:mask(typ))
      local ord = v:select(a:mask(typ)):order()
      local k = math.max(1, math.floor(frac * #idx + 0.5))
      local n = 0
      for key in pairs(low[f]) do if key:sub(1, #c + 1) == c .. ":" then n = n + 1 end end
      t.eq(n, k, c .. " inflexible atoms tested in config " .. f)
      for i = 1, k do
        local id = math.tointeger(a.id[idx[ord[i]]])
        t.ok(low[f][c .. ":" .. id], c .. " atom " .. id .. " of config " .. f .. " should be tested as inflexible")
      end
    end
  end
end)

t.case("--learning-curve trains on a fraction of the training glasses", function()
  local p = dir .. "/lc.txt"
  local ok, out = run("--cv-by config --learning-curve 0.5,1 --out " .. q(dir .. "/lc_table.txt") .. " --predictions " .. q(p))
  t.ok(ok, out)
  local rows = predictions(p)
  check_grouped(rows, "learning curve")
  for _, r in ipairs(rows) do
    t.eq(r.ntrain, r.q == 1 and 4 or 2, "training glasses at fraction " .. r.q)
  end
  local tab = plot.read_table(dir .. "/lc_table.txt")
  t.eq(tab.n, 6, "Cu, Zr, all at two fractions")
  t.eq(tab.columns.config_fraction[1], 0.5)
  t.ok(tab.columns.n_train_inflexible[1] < tab.columns.n_train_inflexible[4], "fewer positives at 0.5")
end)

t.case("--method svr: a regression per fold, threshold on the training glasses", function()
  local ok, out = run("--cv-by config --method svr --C 0.1")
  t.ok(ok, out)
  local acc = tonumber(out:match("Cu .-accuracy ([%d.]+)"))
  t.ok(acc and acc > 0.7, out)
end)

t.case("bad values: the option is named, exit status non-zero", function()
  local cases = {
    {"--repeat 0", "%-%-repeat: expected 1%.%.1000"},
    {"--cv-by glass", "%-%-cv%-by: expected atom or config"},
    {"--train-fraction Cu=0.02", "%-%-train%-fraction needs %-%-cv%-by config"},
    {"--cv-by config --train-fraction Cu=abc", "%-%-train%-fraction: Cu=abc is not a fraction"},
    {"--cv-by config --train-fraction Cu=0.7", "%-%-train%-fraction: Cu=0.7 is not a fraction"},
    {"--fraction Zr=0", "%-%-fraction: Zr=0 is not a fraction"},
    {"--cv-by config --grid-C 1,-1", "%-%-grid%-C: '%-1' is not a number"},
    {"--cv-by config --learning-curve 0.5,1.5", "%-%-learning%-curve: '1.5' is not a number in %(0, 1%]"},
    {"--learning-curve 0.5", "%-%-learning%-curve needs %-%-cv%-by config"},
    {"--method svr", "%-%-method svr needs %-%-cv%-by config"},
    {"--method sf --grid-C 1", "%-%-grid%-C applies to %-%-method svc only"},
    {"--cv-by config --cv 9", "%-%-cv: 9 folds of configurations, but only 5"},
    {"--method knn", "%-%-method: expected svc, sf or svr"},
  }
  for _, c in ipairs(cases) do
    local ok, out = run(c[1])
    t.ok(not ok, c[1] .. " should fail")
    t.match(out, c[2])
    t.match(out, "classify%.lua")
  end
end)

t.done()
