-- fig1_gr.lua: partial g(r) of the least and the most flexible atoms (paper
-- Fig. 1): centres are the atoms of each species with the lowest and the
-- highest 1 % of the label, pooled over the configurations.
--
--   sflex scripts/fig1_gr.lua CONFIG... [--elements Cu,Zr] [--label vflex]
--     [--fraction 0.01] [--rmax 8] [--dr 0.05] --out PREFIX
--
-- Writes PREFIX.txt (r, then g_A_B_low and g_A_B_high for every centre A
-- and neighbour B) and PREFIX.png (one panel per pair), and prints the
-- first-peak position of each curve (the r_p of the reduced descriptor).
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"
local learn = sflex.learn

local opt = cli.parse(arg, {
  usage = "sflex scripts/fig1_gr.lua CONFIG... [options] --out PREFIX",
  rest = "configs",
  options = {
    elements = {type = "list", help = "species of types 1..k"},
    label = {type = "string", default = "vflex", help = "per-atom column ranking the atoms"},
    fraction = {type = "number", default = 0.01, help = "fraction of lowest / highest atoms"},
    rmax = {type = "number", default = 8, help = "largest r (A)"},
    dr = {type = "number", default = 0.05, help = "bin width (A)"},
    out = {type = "string", required = true, help = "output prefix (PREFIX.txt, PREFIX.png)"},
    format = {type = "string", default = "png", help = "plot format: png | svg | pdf"},
  },
})
opt.configs = learn.expand_paths(opt.configs)
if #opt.configs == 0 then error("fig1_gr.lua: no configurations given", 0) end

local configs, low, high = {}, {}, {}
for i, path in ipairs(opt.configs) do
  local atoms = learn.read_config(path, opt.elements)
  local y = learn.label_of(atoms, opt.label, "none", path)
  configs[i] = atoms
  low[i] = learn.extreme_mask(atoms, y, opt.fraction)
  high[i] = learn.extreme_mask(atoms, y, -opt.fraction)
end
local r, glow, nlow = learn.partial_gr(configs, low, opt.rmax, opt.dr)
local _, ghigh = learn.partial_gr(configs, high, opt.rmax, opt.dr)

local species = configs[1].species
local columns, panels = {{"r", r}}, {}
local pct = string.format("%g%%", 100 * opt.fraction)
for a = 1, configs[1].ntypes do
  for b = 1, configs[1].ntypes do
    local key = species[a] .. "-" .. species[b]
    local name = species[a] .. "_" .. species[b]
    columns[#columns + 1] = {"g_" .. name .. "_low", glow[key]}
    columns[#columns + 1] = {"g_" .. name .. "_high", ghigh[key]}
    local pl = sflex._core._learn_first_peak(r, glow[key])
    local ph = sflex._core._learn_first_peak(r, ghigh[key])
    print(string.format("%-6s first peak: lowest %s %s A, highest %s %s A (%d centres each)", key, pct,
      pl and string.format("%.3f", pl) or "-", pct, ph and string.format("%.3f", ph) or "-", nlow[species[a]]))
    panels[#panels + 1] = {
      title = string.format("%s centres, %s neighbours", species[a], species[b]),
      xlabel = "r (Å)", ylabel = "g(r)", xrange = {0, opt.rmax},
      series = {{x = r, y = glow[key], title = "lowest " .. pct .. " " .. opt.label, style = "lines lw 2 lc rgb '#1f4e9e'"},
                {x = r, y = ghigh[key], title = "highest " .. pct .. " " .. opt.label, style = "lines lw 2 lc rgb '#c0392b'"}},
    }
  end
end

plot.write_table(opt.out .. ".txt", columns, {comment = string.format(
  "fig1_gr.lua: partial g(r) of the atoms with the lowest / highest %s %s (%d configurations)",
  pct, opt.label, #configs)})
print("wrote " .. opt.out .. ".txt")
if plot.available() then
  plot.render{out = opt.out .. "." .. opt.format, panels = panels,
              layout = {configs[1].ntypes, configs[1].ntypes}}
  print("wrote " .. opt.out .. "." .. opt.format)
else
  io.stderr:write("gnuplot not found: plot skipped\n")
end
