-- fig3_samples.lua: sample-averaged SF against the sample-averaged label,
-- the cooling rate and the composition (paper Fig. 3a-b, S9, S10).
--
--   sflex scripts/fig3_samples.lua --model MODEL CONFIG... [--elements Cu,Zr]
--     [--x-element Cu] --out PREFIX
--
-- Composition and cooling rate come from each path (make_dataset.sh names
-- samples <composition>_<rate>_s<seed>/...: Cu50Zr50_1e13_s1); samples
-- without them are left out of those panels.  Writes PREFIX.txt (one row
-- per sample and species) and PREFIX.png (three panels).
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"
local learn, stats = sflex.learn, sflex.stats

local opt = cli.parse(arg, {
  usage = "sflex scripts/fig3_samples.lua --model MODEL CONFIG... [options] --out PREFIX",
  rest = "configs",
  options = {
    model = {type = "string", required = true, help = "SF model (train.lua)"},
    elements = {type = "list", help = "species of types 1..k (default: the model's)"},
    ["x-element"] = {type = "string", help = "composition axis: at.% of this element (default: the first)"},
    out = {type = "string", required = true, help = "output prefix"},
    format = {type = "string", default = "png", help = "plot format: png | svg | pdf"},
  },
})
opt.configs = learn.expand_paths(opt.configs)
if #opt.configs == 0 then error("fig3_samples.lua: no configurations given", 0) end

local model = sflex.load_model(opt.model)
local xel = opt.x_element or (model.elements and model.elements[1]) or model.order[1]
local rows = {sample = {}, species = {}, x = {}, rate = {}, n = {}, sf = {}, label = {}, lnlabel = {}}
local by = {}   -- species -> {sf = {}, label = {}, x = {}, rate = {}}
for _, path in ipairs(opt.configs) do
  local atoms = learn.read_config(path, opt.elements or model.elements)
  local raw = learn.label_of(atoms, model.label, "none", path)
  local sf = model:sf(atoms)
  local meta = learn.sample_meta(path)
  local x = 0 / 0
  if meta.composition and meta.composition[xel] then
    local total = 0
    for _, v in pairs(meta.composition) do total = total + v end
    x = 100 * meta.composition[xel] / total
  else
    -- fall back to the configuration's own composition
    local ok, m = pcall(atoms.mask, atoms, xel)
    if ok then x = 100 * m:count() / atoms.n end
  end
  for _, c in ipairs(model.order) do
    local ok, mask = pcall(atoms.mask, atoms, c)
    if ok and mask:count() > 0 then
      local k = #rows.sample + 1
      local lab = raw:select(mask)
      rows.sample[k], rows.species[k], rows.x[k], rows.rate[k] = learn.sample_name(path), c, x, meta.rate or 0 / 0
      rows.n[k], rows.sf[k] = math.tointeger(mask:count()), sf:select(mask):mean()
      rows.label[k] = lab:mean()
      rows.lnlabel[k] = (lab:min() > 0) and lab:log():mean() or 0 / 0
      local b = by[c] or {sf = {}, label = {}, x = {}, rate = {}}
      by[c] = b
      b.sf[#b.sf + 1], b.label[#b.label + 1] = rows.sf[k], rows.label[k]
      b.x[#b.x + 1], b.rate[#b.rate + 1] = x, rows.rate[k]
    end
  end
end

plot.write_table(opt.out .. ".txt", {{"sample", rows.sample}, {"species", rows.species},
  {"x_" .. xel, rows.x}, {"rate", rows.rate}, {"n", rows.n}, {"mean_sf", rows.sf},
  {"mean_" .. model.label, rows.label}, {"mean_ln_" .. model.label, rows.lnlabel}},
  {comment = "fig3_samples.lua: sample averages per centre species (model " .. opt.model .. ")"})
print("wrote " .. opt.out .. ".txt")

local colours = {"#1f4e9e", "#c0392b", "#27ae60", "#8e44ad", "#d35400"}
local pa, pb, pc = {}, {}, {}
local function finite(list)
  local keep = {}
  for i, v in ipairs(list) do keep[i] = (v == v) and 1 or 0 end
  return sflex.vector(keep)
end
for i, c in ipairs(model.order) do
  local b = by[c]
  if b and #b.sf > 0 then
    local sfv, lab = sflex.vector(b.sf), sflex.vector(b.label)
    local rho = #b.sf >= 3 and stats.pearson(sfv, lab) or 0 / 0
    print(string.format("%-4s %d samples: rho(<SF>, <%s>) = %.4f", c, #b.sf, model.label, rho))
    local style = "points pt 7 ps 1.3 lc rgb '" .. colours[(i - 1) % #colours + 1] .. "'"
    pa[#pa + 1] = {x = lab, y = sfv, title = string.format("%s (ρ = %.3f)", c, rho), style = style}
    local mr, mx = finite(b.rate), finite(b.x)
    if mr:count() > 0 then
      pb[#pb + 1] = {x = sflex.vector(b.rate):select(mr), y = sfv:select(mr), title = c, style = style}
    end
    if mx:count() > 0 then
      pc[#pc + 1] = {x = sflex.vector(b.x):select(mx), y = sfv:select(mx), title = c, style = style}
    end
  end
end

if plot.available() then
  local panels = {{title = "(a) sample averages", xlabel = "<" .. model.label .. ">", ylabel = "<SF>",
                   series = pa, key = "top left"}}
  if #pb > 0 then
    panels[#panels + 1] = {title = "(b) cooling rate", xlabel = "cooling rate (K/s)", ylabel = "<SF>",
                           logx = true, series = pb, key = "top left"}
  end
  if #pc > 0 then
    panels[#panels + 1] = {title = "(c) composition", xlabel = "at.% " .. xel, ylabel = "<SF>",
                           series = pc, key = "top right"}
  end
  plot.render{out = opt.out .. "." .. opt.format, panels = panels, layout = {1, #panels}}
  print("wrote " .. opt.out .. "." .. opt.format)
else
  io.stderr:write("gnuplot not found: plot skipped\n")
end
