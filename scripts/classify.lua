-- classify.lua: the paper's classification of the least flexible atoms.
--
--   sflex scripts/classify.lua --train FILES... [--label vflex]
--     [--elements Cu,Zr] [--fraction Cu=0.0036,Zr=0.0018] [--model MODEL]
--     [--split 0.8] [--C 1] [--out REPORT]
--
-- For each centre species: in every configuration the atoms with the
-- lowest fraction of the label (paper: 0.36 % of Cu, 0.18 % of Zr) are
-- labelled -1, as many others drawn at random (seeded) +1; the pooled set
-- is split 4:1 and a linear L2-loss SVC (LIBLINEAR) is trained on the
-- descriptors.  Reports accuracy, precision, recall and the Matthews
-- correlation coefficient on the test set.  The descriptor is the model's
-- (--model) or the default one (r_p from the lowest 1 % of the label).
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

local def
if opt.model then
  def = sflex.load_model(opt.model).descriptor
else
  def = learn.resolve_descriptor(learn.default_descriptor(), configs, labels)
end
local desc = sflex.descriptor(def)

-- per species: rows of the inflexible (-1) and random other (+1) atoms
local parts = {}   -- species -> {X = {...}, y = {...}}
local order = {}
for f, atoms in ipairs(configs) do
  local X = desc:compute(atoms)
  local all = sflex.range(1, atoms.n)
  for t = 1, atoms.ntypes do
    local c = atoms.species[t]
    if not c then error(opt.train[f] .. ": type " .. t .. " has no species name; pass --elements", 0) end
    local mask = atoms:mask(t)
    local n = mask:count()
    local frac = fractions[c] or 0.0036
    local k = math.max(1, math.floor(frac * n + 0.5))
    if n >= 2 * k then
      if not parts[c] then parts[c] = {X = {}, y = {}}; order[#order + 1] = c end
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
    end
  end
end

local results = {}
local all_truth, all_pred = {}, {}
for _, c in ipairs(order) do
  local X = sflex._core._learn_stack(parts[c].X)
  local y = sflex._core._learn_stack(parts[c].y)
  local tr, te = stats.split(#y, opt.split, opt.seed)
  local m = sflex.svc{C = opt.C, solver = opt.solver, seed = opt.seed}:fit(X, y, tr)
  local truth, pred = y:take(te), m:classify(X:take(te))
  local cm = stats.confusion(truth, pred)
  local train_acc = stats.confusion(y:take(tr), m:classify(X:take(tr))).accuracy
  -- the inflexible atoms are the class of interest: score them as positive
  local cmi = stats.confusion(-truth, -pred)
  results[#results + 1] = {c, #tr, #te, train_acc, cm.accuracy, cmi.precision, cmi.recall, cm.mcc}
  print(string.format("%-4s %d inflexible + %d others: train %d / test %d, accuracy %.4f (train %.4f), " ..
    "precision %.4f, recall %.4f, MCC %.4f",
    c, #y // 2, #y // 2, #tr, #te, cm.accuracy, train_acc, cmi.precision, cmi.recall, cm.mcc))
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
