-- fig2_sf_vflex.lua: SF against the (transformed) label, as density maps
-- with the Pearson rho of every species in every sample (paper Fig. 2, S3).
--
--   sflex scripts/fig2_sf_vflex.lua --model MODEL CONFIG... [--elements Cu,Zr]
--     [--bins 60] [--pool] --out PREFIX
--
-- Writes PREFIX.txt (sample, species, n, rho, spearman, means),
-- PREFIX_hist.txt (the non-empty 2-D histogram bins) and PREFIX.png: one
-- map per species and sample (or per species with --pool), colour = number
-- of atoms (log scale).
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"
local learn, stats = sflex.learn, sflex.stats

local opt = cli.parse(arg, {
  usage = "sflex scripts/fig2_sf_vflex.lua --model MODEL CONFIG... [options] --out PREFIX",
  rest = "configs",
  options = {
    model = {type = "string", required = true, help = "SF model (train.lua)"},
    elements = {type = "list", help = "species of types 1..k (default: the model's)"},
    bins = {type = "integer", default = 60, help = "bins per axis"},
    pool = {type = "flag", help = "one map per species over all configurations"},
    out = {type = "string", required = true, help = "output prefix"},
    format = {type = "string", default = "png", help = "plot format: png | svg | pdf"},
  },
})
opt.configs = learn.expand_paths(opt.configs)
if #opt.configs == 0 then error("fig2_sf_vflex.lua: no configurations given", 0) end

local model = sflex.load_model(opt.model)
local ylabel = (model.transform == "ln" and "ln " or "") .. model.label

-- per sample and species: SF and label
local sets = {}     -- {sample, species, sf, y}
for _, path in ipairs(opt.configs) do
  local atoms = learn.read_config(path, opt.elements or model.elements)
  local y = learn.label_of(atoms, model.label, model.transform, path)
  local sf = model:sf(atoms)
  for _, c in ipairs(model.order) do
    local ok, mask = pcall(atoms.mask, atoms, c)
    if ok and mask:count() >= 2 then
      sets[#sets + 1] = {sample = learn.sample_name(path), species = c,
                         sf = sf:select(mask), y = y:select(mask)}
    end
  end
end
if opt.pool then
  local pooled, order = {}, {}
  for _, s in ipairs(sets) do
    if not pooled[s.species] then pooled[s.species] = {sf = {}, y = {}}; order[#order + 1] = s.species end
    local p = pooled[s.species]
    p.sf[#p.sf + 1], p.y[#p.y + 1] = s.sf, s.y
  end
  sets = {}
  for _, c in ipairs(order) do
    sets[#sets + 1] = {sample = "all", species = c, sf = sflex._core._learn_stack(pooled[c].sf),
                       y = sflex._core._learn_stack(pooled[c].y)}
  end
end

-- common axes per species: 0.1 % .. 99.9 % quantiles
local ranges = {}
for _, s in ipairs(sets) do
  local r = ranges[s.species] or {sf = {}, y = {}}
  r.sf[#r.sf + 1], r.y[#r.y + 1] = s.sf, s.y
  ranges[s.species] = r
end
for c, r in pairs(ranges) do
  local sf, y = sflex._core._learn_stack(r.sf), sflex._core._learn_stack(r.y)
  local qs, qy = stats.quantile(sf, {0.001, 0.999}), stats.quantile(y, {0.001, 0.999})
  ranges[c] = {sf = qs, y = qy}
end

local summary = {sample = {}, species = {}, n = {}, rho = {}, spearman = {}, mean_sf = {}, mean_label = {}}
local hist = {sample = {}, species = {}, sf = {}, label = {}, count = {}}
local panels = {}
for _, s in ipairs(sets) do
  local rho, rs = stats.pearson(s.sf, s.y), stats.spearman(s.sf, s.y)
  local k = #summary.sample + 1
  summary.sample[k], summary.species[k], summary.n[k] = s.sample, s.species, #s.sf
  summary.rho[k], summary.spearman[k] = rho, rs
  summary.mean_sf[k], summary.mean_label[k] = s.sf:mean(), s.y:mean()
  print(string.format("%-28s %-4s n=%-8d rho(SF, %s)=%.4f  spearman=%.4f", s.sample, s.species, #s.sf, ylabel, rho, rs))
  local rg = ranges[s.species]
  local h, xc, yc = stats.hist2d(s.sf, s.y, {xlo = rg.sf[1], xhi = rg.sf[2], nx = opt.bins,
                                            ylo = rg.y[1], yhi = rg.y[2], ny = opt.bins})
  for i = 1, #xc do
    for j = 1, #yc do
      local cnt = h:get(i, j)
      if cnt > 0 then
        local m = #hist.sample + 1
        hist.sample[m], hist.species[m], hist.sf[m], hist.label[m], hist.count[m] = s.sample, s.species, xc[i], yc[j], cnt
      end
    end
  end
  panels[#panels + 1] = {
    title = string.format("%s %s", s.sample, s.species), xlabel = "SF", ylabel = ylabel,
    cblabel = "atoms", key = false, image = {x = xc, y = yc, z = h, log = true},
    xrange = {rg.sf[1], rg.sf[2]}, yrange = {rg.y[1], rg.y[2]},
    labels = {{0.04, 0.92, string.format("ρ = %.3f", rho)}},
  }
end

plot.write_table(opt.out .. ".txt", {{"sample", summary.sample}, {"species", summary.species}, {"n", summary.n},
  {"rho", summary.rho}, {"spearman", summary.spearman}, {"mean_sf", summary.mean_sf},
  {"mean_label", summary.mean_label}},
  {comment = "fig2_sf_vflex.lua: Pearson rho between SF and " .. ylabel .. " (model " .. opt.model .. ")"})
plot.write_table(opt.out .. "_hist.txt", {{"sample", hist.sample}, {"species", hist.species}, {"sf", hist.sf},
  {"label", hist.label}, {"count", hist.count}}, {comment = "non-empty bins of the SF / " .. ylabel .. " histograms"})
print("wrote " .. opt.out .. ".txt, " .. opt.out .. "_hist.txt")
if plot.available() then
  plot.render{out = opt.out .. "." .. opt.format, panels = panels}
  print("wrote " .. opt.out .. "." .. opt.format)
else
  io.stderr:write("gnuplot not found: plot skipped\n")
end
