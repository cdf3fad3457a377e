-- transfer.lua: does one SF model serve the whole alloy system?  Leave one
-- group of glasses out, train on the rest, and compare the rho on the
-- left-out glasses with the rho on held-out atoms of the training glasses
-- (the paper's central claim; issue target: within 0.03).  The fairest
-- baseline is the same glass seen in training (rho_seen): a pooled rho over
-- several compositions also counts the spread between glasses.
--
--   sflex scripts/transfer.lua --train FILES... [--by composition|rate|file]
--     [--label vflex] [--log] [--elements Cu,Zr] [--split 0.8] [--C 1]
--     [--eps 0.1] [--grid-search] [--seed 1] [--out TABLE]
--
-- Groups come from the paths (make_dataset.sh names samples
-- <composition>_<rate>_s<seed>/...): --by composition leaves out every glass
-- of one composition, --by rate every glass of one cooling rate, --by file
-- one file at a time.  A group that would leave nothing to train on is
-- skipped.  For each left-out group and centre species the table has the
-- test rho on the training glasses' held-out atoms (rho_in), the rho on
-- every atom of the left-out glasses (rho_out) and their difference.
-- doc/learning.md, doc/reproduction.md.
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"
local learn = sflex.learn

local opt = cli.parse(arg, {
  usage = "sflex scripts/transfer.lua --train FILES... [options]",
  options = {
    train = {type = "multi", required = true, help = "labelled configurations"},
    by = {type = "string", default = "composition", help = "composition | rate | file"},
    label = {type = "string", default = "vflex", help = "per-atom column to learn"},
    log = {type = "flag", help = "learn ln(label)"},
    elements = {type = "list", help = "species of types 1..k, e.g. Cu,Zr"},
    split = {type = "number", default = 0.8, help = "training fraction of the training glasses"},
    seed = {type = "integer", default = 1, help = "seed of split, folds and solver"},
    C = {type = "number", default = 1, help = "SVR regularisation C"},
    eps = {type = "number", default = 0.1, help = "SVR epsilon"},
    tol = {type = "number", help = "solver tolerance (default: train_sf's)"},
    ["grid-search"] = {type = "flag", help = "choose C and eps by 5-fold cross-validation per fold"},
    out = {type = "string", help = "write the table here"},
  },
})
if opt.by ~= "composition" and opt.by ~= "rate" and opt.by ~= "file" then
  error("--by: expected composition, rate or file, got '" .. opt.by .. "'", 0)
end

local files = learn.expand_paths(opt.train)
local groups, order = {}, {}
for _, path in ipairs(files) do
  local key
  if opt.by == "file" then
    key = learn.sample_name(path)
  else
    local meta = learn.sample_meta(path)
    key = opt.by == "rate" and meta.rate and string.format("%g", meta.rate) or meta.composition_name
    if not key then error(path .. ": no " .. opt.by .. " in the path (expected <composition>_<rate>_s<seed>)", 0) end
  end
  if not groups[key] then groups[key] = {}; order[#order + 1] = key end
  table.insert(groups[key], path)
end
if #order < 2 then error("transfer.lua: need at least two " .. opt.by .. " groups, got " .. #order, 0) end

local rows = {group = {}, species = {}, n_train = {}, n_out = {}, rho_in = {}, rho_same = {},
              rho_out = {}, diff = {}}
local y = (opt.log and "ln " or "") .. opt.label
local common = {label = opt.label, log = opt.log, elements = opt.elements, split = opt.split,
                seed = opt.seed, C = opt.C, epsilon = opt.eps, tol = opt.tol,
                grid_search = opt.grid_search or false}
local function with(t)
  for k, v in pairs(common) do t[k] = v end
  return t
end

-- the same glasses seen in training: the model of all groups (split
-- atoms), scored on every atom of each group; its training fit equals its
-- test fit to ~0.005, so this is the in-distribution rho of that very glass
local full = learn.train_sf(with{train = files})
local function group_rho(model, paths)
  local sf, lab = {}, {}
  for _, c in ipairs(model.order) do sf[c], lab[c] = {}, {} end
  for _, path in ipairs(paths) do
    local atoms = learn.read_config(path, opt.elements or model.elements)
    local s = model:sf(atoms)
    local l = learn.label_of(atoms, opt.label, opt.log and "ln" or "none", path)
    for _, c in ipairs(model.order) do
      local mask = atoms:mask(c)
      table.insert(sf[c], s:select(mask))
      table.insert(lab[c], l:select(mask))
    end
  end
  local rho = {}
  for _, c in ipairs(model.order) do
    rho[c] = sflex.stats.pearson(sflex._core._learn_stack(sf[c]), sflex._core._learn_stack(lab[c]))
  end
  return rho
end
for _, key in ipairs(order) do
  local train = {}
  for _, other in ipairs(order) do
    if other ~= key then for _, p in ipairs(groups[other]) do train[#train + 1] = p end end
  end
  -- the same training glasses twice: held-out atoms (rho_in), left-out glasses (rho_out)
  local _, rin = learn.train_sf(with{train = train})
  local mb, rout = learn.train_sf(with{train = train, test = groups[key]})
  local same = group_rho(full, groups[key])
  for _, c in ipairs(mb.order) do
    local si, so = rin.centres[c], rout.centres[c]
    local n = #rows.group + 1
    rows.group[n], rows.species[n] = key, c
    rows.n_train[n], rows.n_out[n] = so.n_train, so.n_test
    rows.rho_in[n], rows.rho_out[n] = si["test.pearson"], so["test.pearson"]
    rows.rho_same[n] = same[c]
    rows.diff[n] = so["test.pearson"] - same[c]
    print(string.format("%-10s %-3s rho(SF, %s): left out %.4f, seen %.4f (%+.4f); held-out atoms of the rest %.4f (%d train / %d left-out atoms)",
      key, c, y, rows.rho_out[n], same[c], rows.diff[n], rows.rho_in[n], rows.n_train[n], rows.n_out[n]))
  end
end

if opt.out then
  plot.write_table(opt.out, {
    {"left_out", rows.group}, {"species", rows.species}, {"n_train", rows.n_train},
    {"n_left_out", rows.n_out}, {"rho_out", rows.rho_out}, {"rho_seen", rows.rho_same},
    {"rho_out_minus_seen", rows.diff}, {"rho_in", rows.rho_in},
  }, {comment = string.format("transfer.lua --by %s: rho_out = model of all other groups on every atom of the left-out group; " ..
       "rho_seen = model of all groups (%g%% of atoms) on the same atoms; rho_in = model of the other groups on their %g%% held-out atoms",
       opt.by, 100 * opt.split, 100 * (1 - opt.split))})
  print("wrote " .. opt.out)
end
