-- The learning layer from Lua: LinearModel (svr/svc), Problem,
-- cross-validation and grid search, sflex.stats, SHA-256, the SF model
-- format (round trip, typed descriptor values, rejection with file:line).
local t = require "testlib"
local sflex = sflex or require "sflex"
local learn = require("sflex.learn").learn
local stats = sflex.stats

-- synthetic regression data: y = w.x + noise, a constant column last
local function make_data(n, d, seed, noise)
  local perm = stats.permutation(n * d + n, seed)     -- deterministic "noise"
  local X = sflex.matrix(n, d, 0)
  local w = {}
  for j = 1, d - 1 do w[j] = (j % 3 - 1) * 0.5 + j / d end
  w[d] = 0.7
  local y = sflex.vector(n, 0)
  local k = 0
  for i = 1, n do
    local s = 0
    for j = 1, d - 1 do
      k = k + 1
      local v = (perm[k] / (n * d + n)) * 2 - 1
      X:set(i, j, v)
      s = s + w[j] * v
    end
    X:set(i, d, 1)
    s = s + w[d]
    k = k + 1
    y[i] = s + noise * ((perm[k] / (n * d + n)) - 0.5)
  end
  return X, y, w
end

t.case("svr recovers a linear model, deterministically", function()
  local X, y, w = make_data(1500, 8, 3, 0.05)
  for _, solver in ipairs {"primal", "dual"} do
    local m = sflex.svr{C = 10, epsilon = 0, solver = solver, tol = 1e-5}
    t.match(tostring(m), "^LinearModel%(svr%-" .. solver)
    m:fit(X, y)
    local wf = m:weights()
    t.eq(#wf, 8)
    for j = 1, 8 do t.near(wf[j], w[j], 0.02, solver .. " w" .. j) end
    local pred = m:predict(X)
    t.ok(stats.pearson(pred, y) > 0.99, "pearson")
    local m2 = sflex.svr{C = 10, epsilon = 0, solver = solver, tol = 1e-5}
    m2:fit(X, y)
    t.eq(m2:weights():totable(), wf:totable(), "identical weights")
  end
end)

t.case("problem, rows, cross-validation, grid search", function()
  local X, y = make_data(800, 6, 5, 0.1)
  local p = sflex.problem(X)
  t.eq(#p, 800); t.eq(p.cols, 6)
  t.match(tostring(p), "^Problem%(rows=800, features=6")
  local rows = stats.split(800, 0.5, 9)
  local a = sflex.svr{}:fit(p, y, rows)
  local b = sflex.svr{}:fit(X:take(rows), y:take(rows))
  t.eq(a:weights():totable(), b:weights():totable(), "subset == copy")
  local cv = sflex.svr{}:cross_validate(p, y, {k = 4, seed = 2})
  t.eq(#cv, 800)
  t.ok(stats.pearson(cv, y) > 0.98)
  local cv2 = sflex.svr{}:cross_validate(p, y, {k = 4, seed = 2, rows = rows})
  t.eq(#cv2, #rows)
  local best, results = sflex.grid_search(p, y, {C = {0.001, 1}, epsilon = {0, 0.5}, k = 3})
  t.eq(#results, 4)
  t.ok(best.C == 1 and best.epsilon == 0, "best C=1 eps=0, got " .. best.C .. " " .. best.epsilon)
  t.raises(function() sflex.svr{C = 0} end, "C must be")
  t.raises(function() sflex.svr{solver = "rbf"} end, "unknown solver")
  t.raises(function() sflex.svr{}:predict(X) end, "no weights")
  t.raises(function() sflex.svr{}:fit(X, sflex.vector(3, 0)) end, "3 labels for 800 rows")
  t.raises(function() sflex.svr{}:fit(X, y, {0}) end, "out of range")
  t.raises(function() sflex.svr{bias = 1}:fit(p, y) end, "bias")
end)

t.case("svc classifies and scores", function()
  local X, y = make_data(1000, 5, 7, 0)
  local lab = y:map(function(v) return v > 0.7 and 1 or -1 end)
  local tr, te = stats.split(1000, 0.8, 1)
  for _, solver in ipairs {"primal", "dual"} do
    local m = sflex.svc{C = 10, solver = solver}:fit(X, lab, tr)
    local pred = m:classify(X:take(te))
    local c = stats.confusion(lab:take(te), pred)
    t.ok(c.accuracy > 0.95, solver .. " accuracy " .. c.accuracy)
    t.ok(c.mcc > 0.9, solver .. " mcc " .. c.mcc)
    t.eq(c.tp + c.fp + c.tn + c.fn, #te)
  end
  t.raises(function() sflex.svc{}:fit(X, sflex.vector(1000, 1)) end, "both classes")
end)

t.case("stats", function()
  t.near(stats.pearson({1, 2, 3, 4, 5}, {2, 4, 5, 4, 5}), 0.7745966692414834, 1e-15)
  t.near(stats.spearman({1, 2, 2, 3, 4}, {1, 3, 2, 2, 5}), 0.7631578947368421, 1e-15)
  t.eq(stats.rank({10, 20, 20, 30}):totable(), {1, 2.5, 2.5, 4})
  t.near(stats.rmse({1, 2, 3, 4}, {1, 2, 3, 6}), 1, 1e-15)
  local c = stats.confusion({1, 1, -1, -1, 1}, {1, -1, -1, 1, 1})
  t.eq({c.tp, c.fp, c.tn, c.fn}, {2, 1, 1, 1})
  t.near(c.mcc, (2 * 1 - 1 * 1) / math.sqrt(3 * 3 * 2 * 2), 1e-15)
  t.near(stats.quantile({3.5, 1, 7.25, 2, 9, 4, 6}, 0.3), 3.2, 1e-12)
  t.eq(#stats.quantile({1, 2, 3}, {0, 0.5, 1}), 3)
  local x = sflex.range(1, 100)
  local g, means, counts = stats.quantile_groups(x, 10)
  t.eq(g[1], 1); t.eq(g[100], 10)
  t.eq(means[1], 5.5); t.eq(counts[10], 10)
  local gm, gc = stats.group_means(x, g, 10)
  t.eq(gm:totable(), means:totable())
  t.eq(gc[3], 10)
  local h, xc, yc = stats.hist2d({0.1, 0.9, 0.9}, {0.1, 0.1, 0.9}, {xlo = 0, xhi = 1, nx = 2, ylo = 0, yhi = 1, ny = 2})
  t.eq(h:get(1, 1), 1); t.eq(h:get(2, 1), 1); t.eq(h:get(2, 2), 1); t.eq(h:get(1, 2), 0)
  t.eq(xc:totable(), {0.25, 0.75})
  local hc = stats.hist({0, 0.2, 0.7, 1}, {lo = 0, hi = 1, bins = 2})
  t.eq(hc:totable(), {2, 2})
  local tr, te = stats.split(10, 0.8, 3)
  t.eq(#tr, 8); t.eq(#te, 2)
  local tr2 = stats.split(10, 0.8, 3)
  t.eq(tr:totable(), tr2:totable())
  local f = stats.kfold(10, 5, 1)
  local cnt = {}
  for i = 1, 10 do cnt[f[i]] = (cnt[f[i]] or 0) + 1 end
  t.eq(cnt, {2, 2, 2, 2, 2})
  local p = stats.permutation(5, 1):sort()
  t.eq(p:totable(), {1, 2, 3, 4, 5})
end)

t.case("sha256", function()
  t.eq(sflex.sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  local dir = t.tmpdir()
  local f = assert(io.open(dir .. "/x", "wb")); f:write(""); f:close()
  t.eq(sflex.sha256_file(dir .. "/x"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  local h, err = sflex.sha256_file(dir .. "/missing")
  t.eq(h, nil); t.match(err, "missing")
end)

t.case("value codec", function()
  local cases = {1, 2.5, -1e-300, 1 / 3, true, false, "Cu", 'a "q" \\ b', {0.6, 3, 0.05}, {"Cu", "Zr"}}
  for _, v in ipairs(cases) do
    local s = learn.encode_value(v, "k")
    t.eq(learn.decode_value(s, "k"), v, "round trip of " .. s)
  end
  t.raises(function() learn.decode_value("os.exit(1)", "descriptor.x") end, "descriptor.x: cannot read value")
  t.raises(function() learn.decode_value("0x10", "k") end, "cannot read")
  t.raises(function() learn.encode_value(0 / 0, "k") end, "non%-finite")
end)

local function sample_model()
  local w1 = sflex.vector{0.5, -1 / 3, 2e-17, 1}
  local w2 = sflex.vector{-0.25, 0.125, 7, -2}
  return learn.new_model{
    label = "vflex", transform = "ln", elements = {"Cu", "Zr"}, features = 4,
    descriptor = {grid = {0.6, 3.0, 0.05}, sigma = 0.05, cutoff = 3.0, reduced = true,
                  rp = {CuCu = 2.55, CuZr = 2.75, ZrZr = 3.15}},
    centres = {Cu = {weights = w1, params = {solver = "svr-primal", C = 1, epsilon = 0.1},
                     scores = {["test.pearson"] = 0.84, n_train = 100, n_test = 25}},
               Zr = {weights = w2, params = {solver = "svr-primal", C = 4, epsilon = 0},
                     scores = {["test.pearson"] = 0.82}}},
    order = {"Cu", "Zr"},
    provenance = {sflex = "0.1.0", date = "2025-01-01T00:00:00Z", command = "sflex scripts/train.lua --train a.dump",
                  train = {{path = "a.dump", sha256 = string.rep("ab", 32)}}},
    training = {seed = 1, split = 0.8},
  }
end

t.case("model round trip", function()
  local m = sample_model()
  local dir = t.tmpdir()
  local path = dir .. "/m.sfmodel"
  m:save(path)
  local text = assert(io.open(path)):read("a")
  t.match(text, "^sflex%-model 1\n")
  t.match(text, "\ndescriptor%.rp%.CuZr = 2%.75\n")
  t.match(text, "\ndescriptor%.grid = %[0%.6 3 0%.05%]\n")
  local r = sflex.load_model(path)
  t.eq(r.label, "vflex"); t.eq(r.transform, "ln")
  t.eq(r.descriptor, m.descriptor)
  t.eq(r.elements, {"Cu", "Zr"})
  t.eq(r.order, {"Cu", "Zr"})
  t.eq(r:weights("Cu"):totable(), m:weights("Cu"):totable())
  t.eq(r:scores("Zr")["test.pearson"], 0.82)
  t.eq(r.provenance.train[1].sha256, string.rep("ab", 32))
  t.eq(r:format(), text, "byte-identical re-save")
  t.match(tostring(r), "^SFModel%(label=ln vflex, centres={Cu: 4 weights, test rho=0%.840")

  -- per-atom SF from a given descriptor matrix
  local atoms = sflex.atoms{x = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}, type = {1, 2, 1},
                            species = {"Cu", "Zr"}, box = sflex.box{5, 5, 5}}
  local X = sflex.matrix{{1, 0, 0, 1}, {0, 1, 0, 1}, {2, 3, 1, 1}}
  local sf = r:sf(atoms, X)
  t.near(sf[1], 0.5 + 1, 1e-15)
  t.near(sf[2], 0.125 - 2, 1e-15)
  t.near(sf[3], 1 - 1 + 2e-17 + 1, 1e-15)
  local avg = r:sample_average(atoms, sf)
  t.near(avg.Cu, (sf[1] + sf[3]) / 2, 1e-15)
  t.near(avg.Zr, sf[2], 1e-15)
  t.raises(function() r:sf(atoms, sflex.matrix(3, 5, 0)) end, "5 descriptor columns")
  local other = sflex.atoms{x = {{0, 0, 0}}, species = {"Al"}, box = sflex.box{5, 5, 5}}
  t.raises(function() r:sf(other, sflex.matrix(1, 4, 0)) end, "trained with types Cu Zr, the configuration has Al")
  r.elements = nil
  t.raises(function() r:sf(other, sflex.matrix(1, 4, 0)) end, "no atom species matches")
end)

t.case("model files are rejected with file:line", function()
  local good = sample_model():format()
  local function bad(text, pattern)
    t.raises(function() learn.parse_model(text, "bad.sfmodel") end, pattern)
  end
  bad(good:gsub("kind = linear", "kind = mlp"), "bad%.sfmodel:3: unsupported model kind 'mlp'")
  bad(good:gsub("transform = ln", "transform = sqrt"), "bad%.sfmodel:5: transform must be")
  bad(good:gsub("descriptor%.sigma = 0%.05", "descriptor.sigma = os.exit(3)"), "bad%.sfmodel:%d+: descriptor%.sigma: cannot read value")
  bad(good:gsub("features = 4", "features = 5"), "bad%.sfmodel:%d+: %[centre Cu%] has 4 weights, features = 5")
  bad(good:gsub("\nC = 1\n", "\nC = one\n"), "bad%.sfmodel:%d+: C must be a number")
  bad(good:gsub("end sflex%-model\n$", ""), "bad%.sfmodel:%d+: truncated file")
  bad(good:gsub("label = vflex\n", ""), "missing 'label'")
  bad(good:gsub("\ndescriptor%.[^\n]*", ""), "missing the descriptor")
  bad("return {}", "bad%.sfmodel:1: not an sflex model file")
  t.raises(function() sflex.load_model("/nonexistent/model") end, "/nonexistent/model: cannot open")
end)

t.done()
