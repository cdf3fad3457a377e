-- classify.lua: the paper's classification of the least flexible atoms.
--
--   sflex scripts/classify.lua --train FILES... [--label vflex]
--     [--elements Cu,Zr] [--fraction Cu=0.0036,Zr=0.0018] [--model MODEL]
--     [--split 0.8] [--C 1] [--cv K] [--method svc|sf] [--out REPORT]
--
-- For each centre species: in every configuration the atoms with the
-- lowest fraction of the label (paper: 0.36 % of Cu, 0.18 % of Zr) are
-- labelled -1, as many others drawn at random (seeded) +1; the pooled set
-- is split 4:1 and a linear L2-loss SVC (LIBLINEAR) is trained on the
-- descriptors.  Reports accuracy, precision, recall and the Matthews
-- correlation coefficient on the test set.  The descriptor is the model's
-- (--model) or the default one (r_p from the lowest 1 % of the label).
--
-- The paper's 0.36 %/0.18 % of a 500,000-atom sample are ~900-1,800 atoms; in
-- 2,000-atom glasses they are a handful per glass, so a 4:1 split tests a
-- dozen atoms.  --cv K scores K-fold cross-validated predictions instead
-- (every atom tested once, by a model that did not see it).  --method sf
-- classifies by the regression model's SF alone (--model required): atoms
-- with SF below a threshold, chosen on the training part to maximise
-- accuracy, are called inflexible -- one parameter instead of ~100.
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"
local learn, stats = sflex.learn, sflex.stats

local opt = cli.parse(arg, {
  usage = "sflex scripts/classify.lua --train FILES... [options]",
  options = {
    train = {type = "multi", required = true, help = "labelled configurations"},
    label = {type = "string", default = "vflex", help = "per-atom column"},
    elements = {type = "list", help = "species of types 1..k"},
    fraction = {type = "map", help = "lowest fraction per species (default Cu=0.0036,Zr=0.0018; others 0.0036)"},
    model = {type = "string", help = "take the descriptor definition from this model"},
    split = {type = "number", default = 0.8, help = "training fraction (4:1)"},
    C = {type = "number", default = 1, help = "SVC regularisation"},
    solver = {type = "string", default = "primal", help = "primal | dual"},
    seed = {type = "integer", default = 1, help = "seed of the random others, the split and the solver"},
    cv = {type = "integer", help = "K-fold cross-validation instead of one split"},
    method = {type = "string", default = "svc", help = "svc (descriptors, the paper) | sf (threshold on the model's SF)"},
    out = {type = "string", help = "write a results table here"},
  },
})

local fractions = opt.fraction or {Cu = 0.0036, Zr = 0.0018}

local configs, labels = {}, {}
opt.train = learn.expand_paths(opt.train)
for i, path in ipairs(opt.train) do
  configs[i] = learn.read_config(path, opt.elements)
  labels[i] = learn.label_of(configs[i], opt.label, "none", path)
end

if opt.method ~= "svc" and opt.method ~= "sf" then
  error("--method: expected svc or sf, got '" .. opt.method .. "'", 0)
end
if opt.method == "sf" and not opt.model then error("--method sf needs --model", 0) end
if opt.cv and opt.cv < 2 then error("--cv: need at least 2 folds", 0) end
local model = opt.model and sflex.load_model(opt.model)
local def
if model then
  def = model.descriptor
else
  def = learn.resolve_descriptor(learn.default_descriptor(), configs, labels)
end
local desc = sflex.descriptor(def)

-- per species: rows of the inflexible (-1) and random other (+1) atoms
local parts = {}   -- species -> {X = {...}, y = {...}}
local order = {}
for f, atoms in ipairs(configs) do
  local X = desc:compute(atoms)
  local sf = model and model:sf(atoms)
  local all = sflex.range(1, atoms.n)
  for t = 1, atoms.ntypes do
    local c = atoms.species[t]
    if not c then error(opt.train[f] .. ": type " .. t .. " has no species name; pass --elements", 0) end
    local mask = atoms:mask(t)
    local n = mask:count()
    local frac = fractions[c] or 0.0036
    local k = math.max(1, math.floor(frac * n + 0.5))
    if n >= 2 * k then
      if not parts[c] then parts[c] = {X = {}, y = {}, sf = {}}; order[#order + 1] = c end
      local idx = all:select(mask)
      local ord = labels[f]:select(mask):order()
      local low = idx:take(ord:slice(1, k))
      local rest = idx:take(ord:slice(k + 1))
      local pick = stats.permutation(#rest, opt.seed + 1000 * f + t):slice(1, k)
      local rows = sflex._core._learn_stack({low, rest:take(pick)})
      local y = sflex._core._learn_stack({sflex.vector(k, -1), sflex.vector(k, 1)})
      local p = parts[c]
      p.X[#p.X + 1] = X:take(rows)
      p.y[#p.y + 1] = y
      if sf then p.sf[#p.sf + 1] = sf:take(rows) end
    end
  end
end

-- a classifier fitted on rows tr: returns predict(rows) -> Vector of +-1
local function fit(X, sfv, y, tr)
  if opt.method == "svc" then
    local m = sflex.svc{C = opt.C, solver = opt.solver, seed = opt.seed}:fit(X, y, tr)
    return function(rows) return m:classify(X:take(rows)) end
  end
  -- threshold on SF: the midpoint between consecutive sorted training SF
  -- values that classifies the most training atoms right (ties: lowest)
  local s, t = sfv:take(tr), y:take(tr)
  local ord = s:order()
  local n = #ord
  local right = 0
  for i = 1, n do if t[i] > 0 then right = right + 1 end end  -- threshold below all
  local best, cut = right, s[ord[1]] - 1
  for k = 1, n do
    right = right + (t[ord[k]] < 0 and 1 or -1)
    if right > best then
      best = right
      cut = k < n and 0.5 * (s[ord[k]] + s[ord[k + 1]]) or s[ord[k]] + 1
    end
  end
  return function(rows)
    local v = sfv:take(rows)
    local out = sflex.vector(#v, 1)
    for i = 1, #v do if v[i] < cut then out[i] = -1 end end
    return out
  end
end

local results = {}
local all_truth, all_pred = {}, {}
for _, c in ipairs(order) do
  local X = sflex._core._learn_stack(parts[c].X)
  local y = sflex._core._learn_stack(parts[c].y)
  local sfv = model and sflex._core._learn_stack(parts[c].sf)
  local splits = {}
  if opt.cv then
    local fold = stats.kfold(#y, opt.cv, opt.seed)
    for k = 1, opt.cv do
      local tr, te = {}, {}
      for i = 1, #y do
        if fold[i] == k then te[#te + 1] = i else tr[#tr + 1] = i end
      end
      splits[k] = {sflex.vector(tr), sflex.vector(te)}
    end
  else
    splits[1] = {stats.split(#y, opt.split, opt.seed)}
  end
  local truths, preds, train_right, train_n = {}, {}, 0, 0
  for k, sp in ipairs(splits) do
    local tr, te = sp[1], sp[2]
    local predict = fit(X, sfv, y, tr)
    truths[k], preds[k] = y:take(te), predict(te)
    local cmt = stats.confusion(y:take(tr), predict(tr))
    train_right, train_n = train_right + cmt.accuracy * cmt.n, train_n + cmt.n
  end
  local truth = sflex._core._learn_stack(truths)
  local pred = sflex._core._learn_stack(preds)
  local cm = stats.confusion(truth, pred)
  local train_acc = train_right / train_n
  local ntr = opt.cv and #y - #y // opt.cv or #splits[1][1]
  -- the inflexible atoms are the class of interest: score them as positive
  local cmi = stats.confusion(-truth, -pred)
  results[#results + 1] = {c, ntr, #truth, train_acc, cm.accuracy, cmi.precision, cmi.recall, cm.mcc}
  print(string.format("%-4s %d inflexible + %d others (%s%s): train %d / test %d, accuracy %.4f (train %.4f), " ..
    "precision %.4f, recall %.4f, MCC %.4f",
    c, #y // 2, #y // 2, opt.method, opt.cv and (", " .. opt.cv .. "-fold cv") or "",
    ntr, #truth, cm.accuracy, train_acc, cmi.precision, cmi.recall, cm.mcc))
  all_truth[#all_truth + 1] = truth
  all_pred[#all_pred + 1] = pred
end
if #order > 1 then
  local cm = stats.confusion(sflex._core._learn_stack(all_truth), sflex._core._learn_stack(all_pred))
  print(string.format("all  test %d: accuracy %.4f, MCC %.4f", cm.n, cm.accuracy, cm.mcc))
  results[#results + 1] = {"all", 0 / 0, cm.n, 0 / 0, cm.accuracy, 0 / 0, 0 / 0, cm.mcc}
end

if opt.out then
  local cols = {"species", "n_train", "n_test", "train_accuracy", "accuracy", "precision", "recall", "mcc"}
  local columns = {}
  for j, name in ipairs(cols) do
    local v = {}
    for i, r in ipairs(results) do v[i] = r[j] end
    columns[j] = {name, v}
  end
  plot.write_table(opt.out, columns, {comment = "classify.lua: lowest-fraction atoms (-1) vs random others (+1); precision/recall of the inflexible class"})
  print("wrote " .. opt.out)
end
