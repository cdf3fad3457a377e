-- train.lua: train a structural-flexibility (SF) model, one linear SVR per
-- centre species, on per-atom labelled configurations.
--
--   sflex scripts/train.lua --train FILES... [--test FILES...] [--label vflex]
--     [--log] [--elements Cu,Zr] [--split 0.8] [--C 1] [--eps 0.1]
--     [--grid-search] --out MODEL
--
-- Without --test, a seeded 20 % of the atoms of each species is held out.
-- Prints, and stores in the model, the Pearson rho between SF and the
-- (transformed) label on the test atoms.  Works for any glass former and
-- any per-atom column (v_flex, propensity, ...).  doc/learning.md.
local sflex = require "sflex"
local cli = require "sflex.cli"
local learn = sflex.learn

local opt = cli.parse(arg, {
  usage = "sflex scripts/train.lua --train FILES... [--test FILES...] [options] --out MODEL",
  options = {
    train = {type = "multi", required = true, help = "labelled training configurations"},
    test = {type = "multi", help = "test configurations (default: hold out 1 - split of the atoms)"},
    label = {type = "string", default = "vflex", help = "per-atom column to learn"},
    log = {type = "flag", help = "learn ln(label) (the paper: ln v_flex)"},
    elements = {type = "list", help = "species of types 1..k, e.g. Cu,Zr"},
    centres = {type = "list", help = "centre species to train (default: all)"},
    split = {type = "number", default = 0.8, help = "training fraction without --test"},
    seed = {type = "integer", default = 1, help = "seed of split, folds and solver"},
    C = {type = "number", default = 1, help = "SVR regularisation C"},
    eps = {type = "number", default = 0.1, help = "SVR epsilon (loss insensitivity)"},
    solver = {type = "string", default = "primal", help = "primal | dual"},
    tol = {type = "number", help = "solver tolerance (default LIBLINEAR's)"},
    grid = {type = "string", help = "descriptor grid R0:R1:STEP (default 0.6:3.0:0.05 reduced)"},
    sigma = {type = "number", help = "descriptor Gaussian width (default 0.05)"},
    cutoff = {type = "number", help = "descriptor cutoff (default 3.0 reduced)"},
    rp = {type = "map", help = "first-peak positions, e.g. CuCu=2.5,CuZr=2.7,ZrZr=3.1 (default: from the lowest 1% of the label)"},
    angstrom = {type = "flag", help = "real distances (grid 1.5:6.6:0.1, sigma 0.1, cutoff 6.6 A)"},
    ["grid-search"] = {type = "flag", help = "choose C and eps by 5-fold cross-validation"},
    ["grid-C"] = {type = "list", help = "C values to search (default 0.01,0.1,1,10)"},
    ["grid-eps"] = {type = "list", help = "eps values to search (default 0,0.1,0.3)"},
    ["grid-sigma"] = {type = "list", help = "also search the descriptor sigma"},
    ["grid-cutoff"] = {type = "list", help = "also search the descriptor cutoff"},
    folds = {type = "integer", default = 5, help = "folds of the grid search"},
    out = {type = "string", required = true, help = "model file to write"},
    quiet = {type = "flag", help = "only the result lines"},
  },
})

local function numbers(list, name)
  if not list then return nil end
  local out = {}
  for i, s in ipairs(list) do
    out[i] = tonumber(s) or error("--" .. name .. ": '" .. s .. "' is not a number", 0)
  end
  return out
end

local desc = opt.angstrom and {grid = {1.5, 6.6, 0.1}, sigma = 0.1, cutoff = 6.6, reduced = false}
  or learn.default_descriptor()
if opt.grid then
  local a, b, h = opt.grid:match("^([^:]+):([^:]+):([^:]+)$")
  if not a then error("--grid: expected R0:R1:STEP", 0) end
  desc.grid = numbers({a, b, h}, "grid")
end
desc.sigma = opt.sigma or desc.sigma
desc.cutoff = opt.cutoff or desc.cutoff
if opt.rp then desc.rp = opt.rp end

local gs = false
if opt.grid_search or opt.grid_sigma or opt.grid_cutoff then
  gs = {C = numbers(opt.grid_C, "grid-C"), epsilon = numbers(opt.grid_eps, "grid-eps"),
        sigma = numbers(opt.grid_sigma, "grid-sigma"), cutoff = numbers(opt.grid_cutoff, "grid-cutoff"),
        k = opt.folds}
end

local words = {"sflex", arg[0]}
for i = 1, #arg do
  local a = arg[i]
  words[#words + 1] = a:match("^[%w%./_,:=+-]+$") and a or ("'" .. a:gsub("'", "'\\''") .. "'")
end

local model, report = learn.train_sf{
  train = opt.train, test = opt.test, label = opt.label, log = opt.log,
  elements = opt.elements, centres = opt.centres, split = opt.split, seed = opt.seed,
  C = opt.C, epsilon = opt.eps, solver = opt.solver, tol = opt.tol,
  descriptor = desc, grid_search = gs, command = table.concat(words, " "),
  progress = not opt.quiet and function(line) io.stderr:write(line, "\n") end or nil,
}
model:save(opt.out)

local y = (opt.log and "ln " or "") .. opt.label
for _, c in ipairs(model.order) do
  local s = report.centres[c]
  print(string.format("%-4s rho(SF, %s) = %.4f on %d test atoms (train %d, rho %.4f; spearman %.4f, rmse %.4f)",
    c, y, s["test.pearson"], s.n_test, s.n_train, s["train.pearson"], s["test.spearman"], s["test.rmse"]))
end
print("model written to " .. opt.out)
