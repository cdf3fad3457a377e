-- classify.lua: the paper's classification of the least flexible atoms.
--
--   sflex scripts/classify.lua --train FILES... [--label vflex]
--     [--elements Cu,Zr] [--fraction Cu=0.0036,Zr=0.0018] [--model MODEL]
--     [--split 0.8] [--C 1] [--cv K] [--method svc|sf|svr] [--out REPORT]
--     [--repeat R] [--cv-by atom|config] [--train-fraction Cu=F,Zr=F]
--     [--grid-C C1,C2,...] [--standardize] [--refit-cut]
--     [--learning-curve Q1,Q2,...] [--predictions FILE]
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
--
-- --repeat R runs the whole evaluation with the seeds S..S+R-1 (S = --seed;
-- new random others, splits and folds each time; repeat 1 is the run with
-- --seed S alone) and reports mean and standard deviation over the repeats.
-- The inflexible atoms are the same in every repeat, so the spread over
-- repeats understates the error of the estimate; the binomial standard
-- error of one repeat's accuracy is printed beside it.
--
-- --cv-by config holds out whole configurations: leave-one-configuration-out,
-- or --cv K folds of configurations; no atom of a test configuration is in
-- training.  Only then may the training set differ from the test task:
-- --train-fraction Cu=0.02 trains on the lowest 2 % of each training
-- configuration against as many random others, and tests the paper's task
-- (lowest --fraction of each held-out configuration against as many random
-- others of it).  --grid-C chooses C per fold by an inner
-- leave-one-configuration-out (--cv-by config) or inner k-fold (atoms) cross-
-- validation on the training part only (best pooled accuracy, ties to the
-- smaller C); --standardize scales every feature to zero mean and unit
-- variance on the training rows (constant columns kept).  --refit-cut keeps
-- the weights but moves the cut on w.x to the one that classifies the test
-- task's rows of the training configurations best.  --method svr (with
-- --cv-by config) fits per fold an L2-loss SVR (epsilon 0, C = --C) of
-- ln(label) on every atom of the training configurations -- the SF
-- regression without the shipped model's view of the test glasses -- and
-- thresholds it like --method sf.  --learning-curve Q1,Q2 trains on a
-- random fraction Q of each fold's training configurations and reports one
-- row per Q.  --predictions FILE writes every test prediction with its
-- repeat, fold, configuration, atom id and the configurations the fold
-- trained on.  --method sf fits its threshold on the training part in every mode.
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"
local learn, stats = sflex.learn, sflex.stats
local stack = sflex._core._learn_stack

local opt = cli.parse(arg, {
  usage = "sflex scripts/classify.lua --train FILES... [options]",
  options = {
    train = {type = "multi", required = true, help = "labelled configurations"},
    label = {type = "string", default = "vflex", help = "per-atom column"},
    elements = {type = "list", help = "species of types 1..k"},
    fraction = {type = "map", help = "lowest fraction per species (default Cu=0.0036,Zr=0.0018; others 0.0036)"},
    model = {type = "string", help = "take the descriptor definition from this model"},
    split = {type = "number", default = 0.8, help = "training fraction (4:1)"},
    C = {type = "number", default = 1, help = "SVC regularisation (--method svr: the regression's)"},
    solver = {type = "string", default = "primal", help = "primal | dual"},
    seed = {type = "integer", default = 1, help = "seed of the random others, the split and the solver"},
    cv = {type = "integer", help = "K-fold cross-validation instead of one split"},
    method = {type = "string", default = "svc",
      help = "svc (descriptors, the paper) | sf (threshold on the model's SF) | svr (regression per fold, --cv-by config)"},
    out = {type = "string", help = "write a results table here"},
    ["repeat"] = {type = "integer", default = 1, help = "repeat with seeds S..S+R-1; mean and sd over repeats"},
    ["cv-by"] = {type = "string", default = "atom", help = "atom | config (hold out whole configurations)"},
    ["train-fraction"] = {type = "map", help = "train on the lowest F per species (--cv-by config only; default --fraction)"},
    ["grid-C"] = {type = "list", help = "choose C from these by inner CV on the training part"},
    standardize = {type = "flag", help = "zero mean, unit variance features (fitted on the training rows)"},
    ["learning-curve"] = {type = "list", help = "fractions of the training configurations (--cv-by config)"},
    predictions = {type = "string", help = "write every test prediction (repeat, fold, configuration, atom id) here"},
    ["refit-cut"] = {type = "flag", help = "svc, svr: fit the decision cut to the test task of the training configs (--cv-by config)"},
  },
})

local function fail(msg) error("classify.lua: " .. msg, 0) end

-- ---- options -------------------------------------------------------------------

local function fraction_map(name, map, hi)
  if not map then return nil end
  for c, v in pairs(map) do
    if type(v) ~= "number" or not (v > 0 and v <= hi) then
      fail(string.format("--%s: %s=%s is not a fraction in (0, %g]", name, c, tostring(v), hi))
    end
  end
  return map
end
local fractions = fraction_map("fraction", opt.fraction, 0.5) or {Cu = 0.0036, Zr = 0.0018}
local train_fractions = fraction_map("train-fraction", opt.train_fraction, 0.5)
local function fraction_of(c) return fractions[c] or 0.0036 end
local function train_fraction_of(c) return train_fractions and train_fractions[c] or fraction_of(c) end

local function number_list(name, list, lo, hi)
  if not list then return nil end
  local out = {}
  for i, s in ipairs(list) do
    local v = tonumber(s)
    if not v or not (v > lo and v <= hi) then
      fail(string.format("--%s: '%s' is not a number in (%g, %g]", name, s, lo, hi))
    end
    out[i] = v
  end
  table.sort(out)
  return out
end
local grid_C = number_list("grid-C", opt.grid_C, 0, math.huge)
local curve = number_list("learning-curve", opt.learning_curve, 0, 1)

if opt.method ~= "svc" and opt.method ~= "sf" and opt.method ~= "svr" then
  fail("--method: expected svc, sf or svr, got '" .. opt.method .. "'")
end
if opt.method == "sf" and not opt.model then fail("--method sf needs --model") end
if opt.cv and opt.cv < 2 then fail("--cv: need at least 2 folds") end
if opt.seed < 0 then fail("--seed: expected a non-negative integer, got " .. opt.seed) end
if opt["repeat"] < 1 or opt["repeat"] > 1000 then
  fail("--repeat: expected 1..1000, got " .. opt["repeat"])
end
if opt.cv_by ~= "atom" and opt.cv_by ~= "config" then
  fail("--cv-by: expected atom or config, got '" .. opt.cv_by .. "'")
end
local by_config = opt.cv_by == "config"
if train_fractions and not by_config then
  fail("--train-fraction needs --cv-by config (a glass's training and test atoms would overlap)")
end
if curve and not by_config then fail("--learning-curve needs --cv-by config") end
if opt.refit_cut and not by_config then fail("--refit-cut needs --cv-by config") end
if opt.method == "svr" and not by_config then
  fail("--method svr needs --cv-by config (the regression learns every atom of its configurations)")
end
if opt.method ~= "svc" and (grid_C or opt.standardize) then
  fail((grid_C and "--grid-C" or "--standardize") .. " applies to --method svc only")
end
if opt.method == "sf" and opt.refit_cut then fail("--refit-cut applies to --method svc or svr only") end
if not by_config and not opt.cv and not (opt.split > 0 and opt.split < 1) then
  fail("--split: expected a fraction in (0, 1), got " .. opt.split)
end

-- ---- data: descriptors, SF and label order of every configuration -----------

local configs, labels, lnlabels = {}, {}, {}
opt.train = learn.expand_paths(opt.train)
for i, path in ipairs(opt.train) do
  configs[i] = learn.read_config(path, opt.elements)
  labels[i] = learn.label_of(configs[i], opt.label, "none", path)
  if opt.method == "svr" then lnlabels[i] = learn.label_of(configs[i], opt.label, "ln", path) end
end
local nconf = #configs
if by_config and nconf < 2 then fail("--cv-by config needs at least 2 configurations, got " .. nconf) end
if by_config and opt.cv and opt.cv > nconf then
  fail(string.format("--cv: %d folds of configurations, but only %d configurations", opt.cv, nconf))
end

local model = opt.model and sflex.load_model(opt.model)
local def
if model then
  def = model.descriptor
else
  def = learn.resolve_descriptor(learn.default_descriptor(), configs, labels)
end
local desc = sflex.descriptor(def)

-- per configuration: X, SF and, per type, the atoms of the species in
-- ascending label order
local data, order, seen = {}, {}, {}
for f, atoms in ipairs(configs) do
  local d = {X = desc:compute(atoms), sf = model and model:sf(atoms), types = {}}
  local all = sflex.range(1, atoms.n)
  for t = 1, atoms.ntypes do
    local c = atoms.species[t]
    if not c then fail(opt.train[f] .. ": type " .. t .. " has no species name; pass --elements") end
    local mask = atoms:mask(t)
    local idx = all:select(mask)
    d.types[t] = {c = c, sorted = idx:take(labels[f]:select(mask):order()),
                  idx = idx, ln = lnlabels[f] and lnlabels[f]:select(mask)}
    if not seen[c] then seen[c] = true; order[#order + 1] = c end
  end
  data[f] = d
end

-- The rows of one task, per species {X, y, sf, g (configuration)}: in every
-- configuration the lowest k = round(frac n) atoms of the species (-1) and
-- k others drawn at random (seeded) from the rest (+1).  The same seed and
-- fraction give the same rows.
local function draw(frac_of, seed)
  local parts = {}
  for f, d in ipairs(data) do
    for t, ty in ipairs(d.types) do
      local c, sorted = ty.c, ty.sorted
      local n = #sorted
      local k = math.max(1, math.floor(frac_of(c) * n + 0.5))
      if n >= 2 * k then
        local p = parts[c] or {X = {}, y = {}, sf = {}, g = {}, atom = {}, npos = 0}
        parts[c] = p
        local rest = sorted:slice(k + 1)
        local pick = stats.permutation(#rest, seed + 1000 * f + t):slice(1, k)
        local rows = stack({sorted:slice(1, k), rest:take(pick)})
        p.X[#p.X + 1] = d.X:take(rows)
        p.y[#p.y + 1] = stack({sflex.vector(k, -1), sflex.vector(k, 1)})
        p.g[#p.g + 1] = sflex.vector(2 * k, f)
        p.atom[#p.atom + 1] = rows
        if d.sf then p.sf[#p.sf + 1] = d.sf:take(rows) end
        p.npos = p.npos + k
      end
    end
  end
  local sets = {}
  for c, p in pairs(parts) do
    sets[c] = {X = stack(p.X), y = stack(p.y), g = stack(p.g), atom = stack(p.atom),
               sf = #p.sf > 0 and stack(p.sf) or nil, npos = p.npos}
  end
  return sets
end

-- --method svr: an L2-loss SVR (epsilon 0, C = --C) of ln(label) on every
-- atom of species c in the configurations of list, as the paper's SF
-- regression; the same list gives the same fit, so it is kept
local regressions = {}
local function regression(c, list)
  local key = c .. ":" .. table.concat(list, ",")
  if regressions[key] then return regressions[key] end
  local Xs, ys = {}, {}
  for _, f in ipairs(list) do
    for _, ty in ipairs(data[f].types) do
      if ty.c == c then
        Xs[#Xs + 1] = data[f].X:take(ty.idx)
        ys[#ys + 1] = ty.ln
      end
    end
  end
  local m = sflex.svr{C = opt.C, epsilon = 0, solver = "primal", tol = learn.PRIMAL_TOL, seed = opt.seed}
  m:fit(stack(Xs), stack(ys))
  regressions[key] = m
  return m
end

-- ---- one fit ------------------------------------------------------------------

-- zero mean, unit variance columns of A (training rows), applied to B and
-- C too; constant columns (the descriptor's column of ones) stay as they are
local function standardize(A, B, C)
  local ca, cb, cc = {}, {}, {}
  local _, ncol = A:shape()
  for j = 1, ncol do
    local a, b, c = A:col(j), B:col(j), C and C:col(j)
    local mu, sd = a:mean(), a:std()
    if sd > 0 then a, b, c = (a - mu) / sd, (b - mu) / sd, c and (c - mu) / sd end
    ca[j], cb[j], cc[j] = a, b, c
  end
  return sflex.hstack(ca), sflex.hstack(cb), C and sflex.hstack(cc)
end

-- training rows tr of set T, test rows te of set P (1-based Vectors); with
-- --refit-cut also the rows trp of P in the training configurations
local function prepare(T, tr, P, te, trp)
  local d = {ytr = T.y:take(tr), yte = P.y:take(te)}
  if opt.method ~= "sf" then
    d.Xtr, d.Xte = T.X:take(tr), P.X:take(te)
    if opt.refit_cut then d.Xcut, d.ycut = P.X:take(trp), P.y:take(trp) end
    if opt.standardize then d.Xtr, d.Xte, d.Xcut = standardize(d.Xtr, d.Xte, d.Xcut) end
  else
    d.sftr, d.sfte = T.sf:take(tr), P.sf:take(te)
  end
  return d
end

-- threshold on SF: the midpoint between consecutive sorted training SF
-- values that classifies the most training atoms right (ties: lowest)
local function sf_threshold(s, t)
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
  return function(v)
    local out = sflex.vector(#v, 1)
    for i = 1, #v do if v[i] < cut then out[i] = -1 end end
    return out
  end
end

-- fit on d's training rows -> predictions on its test rows, on its training
-- rows.  svr: the regression d.reg with the cut on its prediction that
-- classifies the training rows best.  --refit-cut: the cut on w.x that
-- classifies the test task's rows of the training configurations best
local function fit(d, C, seed)
  if opt.method == "svr" then
    local cut = sf_threshold(d.reg:predict(d.Xcut or d.Xtr), d.Xcut and d.ycut or d.ytr)
    return cut(d.reg:predict(d.Xte)), cut(d.reg:predict(d.Xtr))
  elseif opt.method == "svc" then
    local m = sflex.svc{C = C, solver = opt.solver, seed = seed}:fit(d.Xtr, d.ytr)
    if d.Xcut then
      local classify = sf_threshold(m:predict(d.Xcut), d.ycut)
      return classify(m:predict(d.Xte)), classify(m:predict(d.Xtr))
    end
    return m:classify(d.Xte), m:classify(d.Xtr)
  end
  local classify = sf_threshold(d.sftr, d.ytr)
  return classify(d.sfte), classify(d.sftr)
end

-- the C of grid_C with the best pooled accuracy over the inner folds
-- ({tr, te} of T and P rows); ties go to the smaller C
local function choose_C(T, P, inner, seed)
  local preps = {}
  for _, f in ipairs(inner) do
    if #f.tr > 0 and #f.te > 0 then preps[#preps + 1] = prepare(T, f.tr, P, f.te, f.trp) end
  end
  local bestC, best
  for _, C in ipairs(grid_C) do
    local truths, preds = {}, {}
    for j, d in ipairs(preps) do truths[j] = d.yte; preds[j] = (fit(d, C, seed)) end
    local acc = stats.confusion(stack(truths), stack(preds)).accuracy
    if not best or acc > best then bestC, best = C, acc end
  end
  return bestC
end

-- ---- folds --------------------------------------------------------------------

-- 1-based indices of the rows of set S whose configuration is in confs (a set)
local function rows_in(S, confs)
  local out, g = {}, S.g
  for i = 1, #g do if confs[g[i]] then out[#out + 1] = i end end
  return sflex.vector(out)
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

-- folds of whole configurations for one repeat: list of {train = {f...},
-- test = {f...}}; leave-one-out, or --cv K seeded folds
local function config_folds(seed)
  local fold = {}
  if opt.cv then
    local kf = stats.kfold(nconf, opt.cv, seed)
    for f = 1, nconf do fold[f] = kf[f] end
  else
    for f = 1, nconf do fold[f] = f end
  end
  local folds = {}
  for k = 1, opt.cv or nconf do
    local tr, te = {}, {}
    for f = 1, nconf do
      if fold[f] == k then te[#te + 1] = f else tr[#tr + 1] = f end
    end
    folds[k] = {train = tr, test = te}
  end
  return folds
end

-- a random fraction q of the configurations in list (at least one)
local function subsample(list, q, seed)
  if q >= 1 then return list end
  local m = math.max(1, math.floor(q * #list + 0.5))
  local perm = stats.permutation(#list, seed)
  local out = {}
  for i = 1, m do out[i] = list[perm[i]] end
  table.sort(out)
  return out
end

-- ---- one repeat ----------------------------------------------------------------

-- evaluate species c in one repeat: {truth, pred, train_acc, n_train,
-- n_train_pos, Cs}, or nil when the species has no test rows
local function evaluate(c, T, P, seed, q, cfolds)
  local folds = {}   -- {tr (T rows), te (P rows), inner = {...} | nil}
  if by_config then
    for k, cf in ipairs(cfolds) do
      local train = subsample(cf.train, q, (seed * 7919 + 31 * k + 1) & math.maxinteger)
      local fd = {tr = rows_in(T, set_of(train)), te = rows_in(P, set_of(cf.test)), trp = rows_in(P, set_of(train)),
                  train = train}
      if #fd.te > 0 and #fd.tr > 0 then
        if grid_C and #train >= 2 then
          fd.inner = {}
          for _, f in ipairs(train) do
            local others = {}
            for _, h in ipairs(train) do if h ~= f then others[#others + 1] = h end end
            local inner = {tr = rows_in(T, set_of(others)), te = rows_in(P, {[f] = true}), trp = rows_in(P, set_of(others))}
            if #inner.te > 0 and #inner.tr > 0 then fd.inner[#fd.inner + 1] = inner end
          end
        end
        folds[#folds + 1] = fd
      end
    end
  else
    local n = #P.y
    local function kfold(rows, K, s)
      local fold = stats.kfold(#rows, K, s)
      local out = {}
      for k = 1, K do
        local tr, te = {}, {}
        for i = 1, #rows do
          if fold[i] == k then te[#te + 1] = rows[i] else tr[#tr + 1] = rows[i] end
        end
        out[k] = {tr = sflex.vector(tr), te = sflex.vector(te)}
      end
      return out
    end
    if opt.cv then
      folds = kfold(sflex.range(1, n), opt.cv, seed)
    else
      local tr, te = stats.split(n, opt.split, seed)
      folds[1] = {tr = tr, te = te}
    end
    if grid_C then
      for _, fd in ipairs(folds) do fd.inner = kfold(fd.tr, opt.cv or 5, seed + 1) end
    end
  end
  if #folds == 0 then return nil end
  local truths, preds, right, ntr, npos, Cs = {}, {}, 0, 0, 0, {}
  local tested = {}   -- per fold {rows = P rows, train = "configurations"}
  for k, fd in ipairs(folds) do
    tested[k] = {rows = fd.te, train = fd.train and table.concat(fd.train, ",") or "all"}
    local C = opt.C
    if fd.inner and #fd.inner >= 2 then C = choose_C(T, P, fd.inner, seed) end
    Cs[#Cs + 1] = C
    local d = prepare(T, fd.tr, P, fd.te, fd.trp)
    if opt.method == "svr" then d.reg = regression(c, fd.train) end
    local pte, ptr = fit(d, C, seed)
    truths[k], preds[k] = d.yte, pte
    local cmt = stats.confusion(d.ytr, ptr)
    right, ntr = right + cmt.accuracy * cmt.n, ntr + cmt.n
    npos = npos + (#d.ytr - d.ytr:sum()) / 2
  end
  local r = {truth = stack(truths), pred = stack(preds), train_acc = right / ntr, Cs = Cs, tested = tested}
  if by_config then
    r.n_train, r.n_train_pos = ntr / #folds, npos / #folds
  else
    r.n_train = opt.cv and #P.y - #P.y // opt.cv or #folds[1].tr
    r.n_train_pos = r.n_train / 2
  end
  return r
end

-- ---- all repeats ------------------------------------------------------------------

local R = opt["repeat"]
local qs = curve or {1}
local acc = {}   -- [qi][species] -> list of per-repeat results
for qi = 1, #qs do acc[qi] = {} end
local n_inflexible = {}
local predictions = opt.predictions and {}
for r = 1, R do
  local seed = opt.seed + r - 1
  local P = draw(fraction_of, seed)
  local T = train_fractions and draw(train_fraction_of, seed) or P
  local cfolds = by_config and config_folds(seed)
  for qi, q in ipairs(qs) do
    for _, c in ipairs(order) do
      if P[c] and T[c] then
        n_inflexible[c] = P[c].npos
        local res = evaluate(c, T[c], P[c], seed, q, cfolds)
        if res and predictions then
          local i = 0
          for k, fd in ipairs(res.tested) do
            for j = 1, #fd.rows do
              i = i + 1
              local row = fd.rows[j]
              local f = P[c].g[row]
              local id = configs[f].id[P[c].atom[row]]
              predictions[#predictions + 1] = {r, q, c, k, f, math.tointeger(id) or id, res.truth[i], res.pred[i], fd.train}
            end
          end
        end
        if res then
          local list = acc[qi][c] or {}
          acc[qi][c] = list
          list[#list + 1] = res
        end
      end
    end
  end
end

-- ---- report -----------------------------------------------------------------------

local function mean_sd(list, key)
  local s, n = 0, #list
  for _, v in ipairs(list) do s = s + (key and v[key] or v) end
  local m = s / n
  local ss = 0
  for _, v in ipairs(list) do ss = ss + ((key and v[key] or v) - m) ^ 2 end
  return m, n > 1 and math.sqrt(ss / (n - 1)) or 0 / 0
end

local function protocol()
  local p = {opt.method}
  if by_config then
    p[#p + 1] = opt.cv and (opt.cv .. "-fold cv by config") or "leave-one-config-out"
  elseif opt.cv then
    p[#p + 1] = opt.cv .. "-fold cv"
  end
  if train_fractions then
    local t = {}
    for _, c in ipairs(order) do t[#t + 1] = string.format("%s=%g", c, train_fraction_of(c)) end
    p[#p + 1] = "train " .. table.concat(t, ",")
  end
  if grid_C then p[#p + 1] = "C by inner cv" end
  if opt.standardize then p[#p + 1] = "standardized" end
  if opt.refit_cut then p[#p + 1] = "cut refitted" end
  if R > 1 then p[#p + 1] = string.format("%d repeats, seeds %d..%d", R, opt.seed, opt.seed + R - 1) end
  return p
end

local function C_summary(list)
  local count, keys = {}, {}
  for _, res in ipairs(list) do
    for _, C in ipairs(res.Cs) do
      if not count[C] then count[C] = 0; keys[#keys + 1] = C end
      count[C] = count[C] + 1
    end
  end
  table.sort(keys)
  local t = {}
  for _, C in ipairs(keys) do t[#t + 1] = string.format("%g x%d", C, count[C]) end
  return table.concat(t, ", ")
end

local results = {}
local proto = protocol()
for qi, q in ipairs(qs) do
  local pooled = {}   -- per repeat: truths and preds of every species
  local tag = curve and string.format(", %g of the training configs", q) or ""
  for _, c in ipairs(order) do
    local list = acc[qi][c]
    if list then
      local m = {}
      for r, res in ipairs(list) do
        local cm = stats.confusion(res.truth, res.pred)
        -- the inflexible atoms are the class of interest: score them as positive
        local cmi = stats.confusion(-res.truth, -res.pred)
        m[r] = {acc = cm.accuracy, mcc = cm.mcc, prec = cmi.precision, rec = cmi.recall, n = cm.n,
                train = res.train_acc, ntr = res.n_train, npos = res.n_train_pos}
        pooled[r] = pooled[r] or {t = {}, p = {}}
        pooled[r].t[#pooled[r].t + 1] = res.truth
        pooled[r].p[#pooled[r].p + 1] = res.pred
      end
      local a, asd = mean_sd(m, "acc")
      local mc, msd = mean_sd(m, "mcc")
      local prec, rec, tra = mean_sd(m, "prec"), mean_sd(m, "rec"), mean_sd(m, "train")
      local ntr, npos = mean_sd(m, "ntr"), mean_sd(m, "npos")
      local ntest = m[1].n
      local k = n_inflexible[c]
      local p = table.concat(proto, ", ") .. tag
      if R == 1 then
        print(string.format("%-4s %d inflexible + %d others (%s): train %d / test %d, accuracy %.4f (train %.4f), " ..
          "precision %.4f, recall %.4f, MCC %.4f", c, k, k, p, math.floor(ntr + 0.5), ntest, a, tra, prec, rec, mc))
      else
        print(string.format("%-4s %d inflexible + %d others (%s): train %d / test %d, accuracy %.4f +- %.4f " ..
          "(binomial s.e. %.4f; train %.4f), precision %.4f, recall %.4f, MCC %.4f +- %.4f",
          c, k, k, p, math.floor(ntr + 0.5), ntest, a, asd, math.sqrt(a * (1 - a) / ntest), tra, prec, rec, mc, msd))
      end
      if by_config or grid_C then
        print(string.format("     training positives per fold %.1f%s", npos,
          grid_C and ("; C chosen: " .. C_summary(list)) or ""))
      end
      results[#results + 1] = {c, ntr, ntest, tra, a, prec, rec, mc, asd, msd, #m, npos, q}
    end
  end
  if #order > 1 and #pooled > 0 then
    local m = {}
    for r, pr in ipairs(pooled) do
      local cm = stats.confusion(stack(pr.t), stack(pr.p))
      m[r] = {acc = cm.accuracy, mcc = cm.mcc, n = cm.n}
    end
    local a, asd = mean_sd(m, "acc")
    local mc, msd = mean_sd(m, "mcc")
    if R == 1 then
      print(string.format("all  test %d%s: accuracy %.4f, MCC %.4f", m[1].n, tag, a, mc))
    else
      print(string.format("all  test %d%s: accuracy %.4f +- %.4f, MCC %.4f +- %.4f", m[1].n, tag, a, asd, mc, msd))
    end
    results[#results + 1] = {"all", 0 / 0, m[1].n, 0 / 0, a, 0 / 0, 0 / 0, mc, asd, msd, #m, 0 / 0, q}
  end
end

if opt.out then
  local cols = {"species", "n_train", "n_test", "train_accuracy", "accuracy", "precision", "recall", "mcc",
                "accuracy_sd", "mcc_sd", "repeats", "n_train_inflexible", "config_fraction"}
  local columns = {}
  for j, name in ipairs(cols) do
    local v = {}
    for i, r in ipairs(results) do v[i] = r[j] end
    columns[j] = {name, v}
  end
  plot.write_table(opt.out, columns, {comment =
    "classify.lua: lowest-fraction atoms (-1) vs random others (+1); precision/recall of the inflexible class\n" ..
    "protocol: " .. table.concat(proto, ", ") .. "; means over repeats, sd = standard deviation over repeats"})
  print("wrote " .. opt.out)
end

if predictions then
  local cols = {"repeat", "config_fraction", "species", "fold", "config", "id", "truth", "pred", "train_configs"}
  local columns = {}
  for j, name in ipairs(cols) do
    local v = {}
    for i, r in ipairs(predictions) do v[i] = r[j] end
    columns[j] = {name, v}
  end
  local files = {}
  for f, path in ipairs(opt.train) do files[f] = string.format("config %d: %s", f, path) end
  plot.write_table(opt.predictions, columns, {comment =
    "classify.lua test predictions: truth/pred -1 = inflexible, +1 = other; train_configs = the configurations\n" ..
    "the fold was trained on (\"all\": atoms of every configuration, --cv-by atom)\n" .. table.concat(files, "\n")})
  print("wrote " .. opt.predictions)
end
