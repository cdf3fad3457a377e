-- compare_features.lua: does adding bond-angle (Cubuk) or coarse-grained
-- radial features to the paper's radial descriptor predict ln(label) better?
-- Test-set Pearson rho(prediction, ln label) per species for each feature
-- set, with LIBLINEAR SVR (doc/learning.md, "Beyond the paper").
--
--   sflex scripts/compare_features.lua CONFIG... [--elements Cu,Zr]
--     [--label vflex] [--split 0.8] [--seed 1] [--logo] [--cg 3.8,6.3]
--     [--sets R,R*,R+A*,...] [--out TABLE]
--
-- Feature sets: R = the paper's radial descriptor (rp from the lowest 1 %
-- of the label, as train.lua; raw features, C=1, epsilon=0.1: exactly the
-- train.lua model); a trailing * = standardised features (training-row
-- mean/std, constant columns dropped, a column of ones added) with C and
-- epsilon chosen by 5-fold cross-validation on the training rows.  A =
-- angular (sflex.angular_descriptor, defaults, same rp), CG1/CG2 = the
-- radial descriptor coarse-grained over radius cg[1]/cg[2] (A).
-- Split: the seeded 80/20 split of each species' stacked rows (train.lua);
-- --logo: leave one configuration out (train on the others, test on it).
local sflex = require "sflex"
local cli = require "sflex.cli"
local learn, stats, core = sflex.learn, sflex.stats, sflex._core

local opt = cli.parse(arg, {
  usage = "sflex scripts/compare_features.lua CONFIG... [options]",
  rest = "configs",
  options = {
    elements = {type = "list", default = {"Cu", "Zr"}, help = "species of types 1..k"},
    label = {type = "string", default = "vflex", help = "per-atom column (learnt as ln label)"},
    split = {type = "number", default = 0.8, help = "training fraction"},
    seed = {type = "integer", default = 1, help = "seed of split, folds and solver"},
    logo = {type = "flag", help = "leave one configuration out instead of the split"},
    cg = {type = "list", default = {"3.8", "6.3"}, help = "coarse-graining radii CG1,CG2 (A)"},
    sets = {type = "list", default = {"R", "R*", "A*", "R+A*", "R+CG1*", "R+CG1+CG2*", "R+A+CG1+CG2*"},
            help = "feature sets to compare"},
    out = {type = "string", help = "whitespace table: set species test n rho C epsilon"},
  },
})
opt.configs = learn.expand_paths(opt.configs)
if #opt.configs < 1 then error("compare_features.lua: no configurations given", 0) end
local radii = {}
for i, s in ipairs(opt.cg) do radii[i] = tonumber(s) or error("--cg: '" .. s .. "' is not a number", 0) end

-- per configuration: atoms, ln label, feature blocks
local cfg, lab = {}, {}
for f, path in ipairs(opt.configs) do
  cfg[f] = learn.read_config(path, opt.elements)
  lab[f] = learn.label_of(cfg[f], opt.label, "ln", path)
end
local rp = learn.find_rp(cfg, lab, 0.01)
local desc = sflex.descriptor{grid = {0.6, 3.0, 0.05}, sigma = 0.05, cutoff = 3.0, rp = rp}
local blocks = {}
for f, a in ipairs(cfg) do
  local R = desc:compute(a)
  blocks[f] = {R = R, A = sflex.angular_descriptor(a, {rp = rp}),
               CG1 = sflex.coarse_grain(a, R, radii[1]), CG2 = sflex.coarse_grain(a, R, radii[2] or radii[1])}
end

-- standardise the columns of X by the training rows; constant columns
-- dropped, a column of ones appended
local function standardise(X, tr)
  local cols = {}
  for j = 1, X.cols do
    local v = X:col(j)
    local t = v:take(tr)
    local mu, sd = t:mean(), t:std()
    if sd > 1e-12 * math.max(1, math.abs(mu)) then cols[#cols + 1] = (v - mu) / sd end
  end
  cols[#cols + 1] = sflex.vector(X.rows, 1.0)
  return sflex.hstack(cols)
end

-- rho on the test rows for one feature set and species
local function fit(set, X, y, tr, te)
  local C, eps = 1, 0.1
  if set:sub(-1) == "*" then
    X = standardise(X, tr)
    local best = learn.grid_search(X, y, {rows = tr, k = 5, seed = opt.seed, tol = learn.PRIMAL_TOL,
                                          C = {0.001, 0.01, 0.1, 1}, epsilon = {0, 0.1, 0.3}})
    C, eps = best.C, best.epsilon
  end
  -- the tolerance train.lua uses (sflex.learn.PRIMAL_TOL, doc/learning.md)
  local m = sflex.svr{C = C, epsilon = eps, seed = opt.seed, tol = learn.PRIMAL_TOL}
  m:fit(X, y, tr)
  local p = m:predict(X)
  return stats.pearson(p:take(te), y:take(te)), C, eps, X.cols
end

-- stacked rows of one species over the configurations in `which`
local function stack(set, species, which)
  local parts = {}
  for name in set:gsub("%*$", ""):gmatch("[^+]+") do parts[#parts + 1] = name end
  local Xs, ys, ms = {}, {}, {}
  for k, f in ipairs(which) do
    local b = {}
    for _, name in ipairs(parts) do
      b[#b + 1] = blocks[f][name] or error("unknown feature block '" .. name .. "' in " .. set, 0)
    end
    Xs[k], ys[k], ms[k] = sflex.hstack(b), lab[f], cfg[f]:mask(species)
  end
  return core._learn_stack(Xs, ms), core._learn_stack(ys, ms)
end

local rows = {}
local function report(set, species, test, n, rho, C, eps, ncol)
  local r = {set, species, test, tostring(n or "-"), string.format("%.6f", rho),
             C and string.format("%g", C) or "-", eps and string.format("%g", eps) or "-",
             tostring(ncol or "-")}
  rows[#rows + 1] = r
  print(string.format("%-14s %-3s %-24s n_test=%-5s rho=%.4f  (C=%s eps=%s, %s features)",
    set, species, test, r[4], rho, r[6], r[7], r[8]))
end

for _, set in ipairs(opt.sets) do
  for _, sp in ipairs(opt.elements) do
    if opt.logo then
      local sum = 0
      for out = 1, #cfg do
        local which = {}
        for f = 1, #cfg do if f ~= out then which[#which + 1] = f end end
        which[#which + 1] = out
        local X, y = stack(set, sp, which)
        local nte = math.tointeger(cfg[out]:mask(sp):count())
        local tr, te = sflex.range(1, X.rows - nte), sflex.range(X.rows - nte + 1, X.rows)
        local rho, C, eps, nc = fit(set, X, y, tr, te)
        report(set, sp, (learn.sample_name(opt.configs[out]):gsub("/.*$", "")), nte, rho, C, eps, nc)
        sum = sum + rho
      end
      report(set, sp, "mean", nil, sum / #cfg)
    else
      local all = {}
      for f = 1, #cfg do all[f] = f end
      local X, y = stack(set, sp, all)
      local tr, te = stats.split(X.rows, opt.split, opt.seed)
      local rho, C, eps, nc = fit(set, X, y, tr, te)
      report(set, sp, "split", #te, rho, C, eps, nc)
    end
  end
end

if opt.out then
  local tmp = opt.out .. ".part"
  local fh = assert(io.open(tmp, "w"))
  fh:write("set species test n_test rho C epsilon features\n")
  for _, r in ipairs(rows) do
    fh:write(table.concat(r, " "), "\n")
  end
  assert(fh:close())
  assert(os.rename(tmp, opt.out))
end
