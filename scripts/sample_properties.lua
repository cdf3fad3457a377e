-- sample_properties.lua: sample-averaged structural flexibility against
-- sample-level properties across cooling rates and compositions (paper
-- Fig. 3, S9), with the Voronoi volume and five-fold symmetry as the
-- structural baselines.
--
--   sflex scripts/sample_properties.lua SAMPLE... --elements Cu,Zr
--     [--model M.sfmodel] [--species Cu,Zr] [--G] [--tf] [--ibp FILE]
--     [--reuse OLD/properties.txt,...] [--heat-rate 10] [--T0 300] [--T1 1500]
--     [--glass-range A:B] [--liquid-range A:B] [--np 1] [--potential FILE] --out DIR
--
-- A SAMPLE is a configuration file (inherent structure) or a data-set
-- directory (make_dataset.sh): DIR/is.dump.gz, with DIR/vflex.dump.gz
-- supplying v_flex and the Voronoi columns when present; any number of
-- them, in any order (a quoted glob such as 'data/glasses/*_s1' is
-- expanded).  Composition and cooling rate are taken from the name when it
-- has them (Cu50Zr50_1e13_s1).  For each sample, over the atoms of each
-- --species (default: every element; columns <name>_<species>):
--   sf        mean SF (with --model)
--   vflex     mean v_flex (when the configuration has a vflex column)
--   volume    mean Voronoi volume, fivefold: mean fraction of pentagonal
--             Voronoi faces (from the file's columns, or sflex.voronoi)
--   G         (--G) athermal global shear modulus, mean over the xy, xz and
--             yz modes (sflex.shear_modulus; a mode whose +/- responses
--             disagree, i.e. a plastic event, is retried --retries times
--             with a 10 times smaller --delta, then left out)
--   Tf        (--tf) fictive temperature from a heating run at --heat-rate
--             K/ps (sflex.heating + sflex.fictive_temperature)
--   IBP       (--ibp FILE: lines "SAMPLE value") boson-peak intensity
-- --reuse takes G, Tf and IBP of the samples of the same name from earlier
-- properties.txt tables when they are not computed in this run (they do
-- not depend on the SF model, so a new model needs no LAMMPS run).
-- In DIR: properties.txt (one row per sample), correlations.txt (Pearson
-- and Spearman r of each property with each structural measure across the
-- samples, per species) and properties.png (each property against each
-- measure).  doc/mechanics.md.
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"

local opt = cli.parse(arg, {
  usage = "sflex scripts/sample_properties.lua SAMPLE... --elements Cu,Zr [options] --out DIR",
  positional = {},
  rest = "samples",
  options = {
    elements = {type = "list", required = true, help = "species of types 1..k"},
    model = {type = "string", help = "SF model (sflex scripts/train.lua)"},
    species = {type = "list", help = "species averaged over (default: every element)"},
    G = {type = "flag", help = "compute the athermal shear modulus (LAMMPS)"},
    tf = {type = "flag", help = "compute the fictive temperature from a heating run (LAMMPS, slow)"},
    ibp = {type = "string", help = "file of 'SAMPLE I_BP' lines"},
    reuse = {type = "list", help = "earlier properties.txt tables to take G, Tf, IBP from"},
    delta = {type = "number", default = 1e-3, help = "strain of the G finite difference"},
    retries = {type = "integer", default = 1, help = "retries of a G mode with a plastic event, delta / 10 each"},
    ["heat-rate"] = {type = "number", default = 10, help = "heating rate for Tf (K/ps; 10 = 1e13 K/s)"},
    T0 = {type = "number", default = 300, help = "heating start (K)"},
    T1 = {type = "number", default = 1500, help = "heating end (K)"},
    ["glass-range"] = {type = "string", help = "T range of the glass line fit, A:B (default lowest 30%)"},
    ["liquid-range"] = {type = "string", help = "T range of the liquid line fit, A:B (default highest 25%)"},
    potential = {type = "string", help = "EAM potential (default Debian's CuZr_mm.eam.fs)"},
    np = {type = "integer", default = 1, help = "MPI ranks for LAMMPS"},
    out = {type = "string", required = true, help = "output directory"},
    quiet = {type = "flag", help = "no progress lines"},
  },
})
opt.samples = sflex.learn.expand_paths(opt.samples)
if #opt.samples == 0 then
  io.stderr:write("sample_properties.lua: give at least one SAMPLE\n", cli.usage({usage = "see --help"}))
  os.exit(2)
end
local function say(...) if not opt.quiet then print(string.format(...)) end end
local function path(name) return opt.out .. "/" .. name end
local function range(s, what)
  if not s then return nil end
  local a, b = s:match("^([^:]+):([^:]+)$")
  a, b = tonumber(a), tonumber(b)
  if not a or not b then error("--" .. what .. ": expected A:B", 0) end
  return {a, b}
end
local glass_range, liquid_range = range(opt.glass_range, "glass-range"), range(opt.liquid_range, "liquid-range")
assert(os.execute("mkdir -p '" .. opt.out:gsub("'", "'\\''") .. "'"))

local species = opt.species or opt.elements
for _, sp in ipairs(species) do
  local known = false
  for _, e in ipairs(opt.elements) do known = known or e == sp end
  if not known then
    error(string.format("--species %s: not one of --elements %s", sp, table.concat(opt.elements, ",")), 0)
  end
end
local model = opt.model and sflex.load_model(opt.model)
local ibp = {}
if opt.ibp then
  local ln = 0
  for line in io.lines(opt.ibp) do
    ln = ln + 1
    local k, v = line:match("^%s*(%S+)%s+(%S+)")
    if k and not k:find("^#") then
      if not tonumber(v) then error(string.format("%s:%d: expected 'SAMPLE value', got '%s'", opt.ibp, ln, line), 0) end
      ibp[k] = tonumber(v)
    end
  end
end

-- earlier tables: sample -> {G =, Tf =, IBP =} (NaN kept: computed, no value)
local reused = {}
for _, file in ipairs(opt.reuse or {}) do
  local t = plot.read_table(file)
  local samples = t.columns.sample
  if t.names[1] ~= "sample" then
    error(string.format("%s: not a properties.txt table (first column '%s')", file, t.names[1]), 0)
  end
  for i = 1, t.n do
    local r = reused[samples[i]] or {}
    for _, k in ipairs {"G", "Tf", "IBP"} do
      local v = t.columns[k] and t.columns[k][i]
      if type(v) == "number" then r[k] = v end
    end
    reused[samples[i]] = r
  end
end

local function exists(p)
  local f = io.open(p)
  if f then f:close() end
  return f ~= nil
end

-- the configuration of a sample and the file with its per-atom columns
local function locate(s)
  local dir = s:gsub("/+$", "")
  if exists(dir .. "/is.dump.gz") then
    local cols = exists(dir .. "/vflex.dump.gz") and dir .. "/vflex.dump.gz" or dir .. "/is.dump.gz"
    return dir .. "/is.dump.gz", cols, dir:match("([^/]+)$")
  end
  local name = s:match("([^/]+)$"):gsub("%.gz$", ""):gsub("%.[%w]+$", "")
  return s, s, name
end

local function mean_of(atoms, col, mask)
  local v = atoms:column(col, true)
  return v and v:select(mask):mean() or nil
end

local rows, seen = {}, {}
for _, s in ipairs(opt.samples) do
  local cfg, colfile, name = locate(s)
  if seen[name] then error(string.format("%s: two samples named %s (%s)", s, name, seen[name]), 0) end
  seen[name] = s
  local atoms = sflex.read(cfg, {elements = opt.elements})
  local colatoms = colfile == cfg and atoms or sflex.read(colfile, {elements = opt.elements})
  if #colatoms ~= #atoms then error(colfile .. ": not the same atoms as " .. cfg, 0) end
  local meta = sflex.learn.sample_meta(name)
  local row = {name = name, n = #atoms, rate = meta.rate}
  local vor
  local sfv = model and model:sf(atoms)
  for _, sp in ipairs(species) do
    local mask = atoms:mask(sp)
    local cmask = colatoms:mask(sp)
    row["x_" .. sp] = mask:count() / #atoms
    row["vflex_" .. sp] = mean_of(colatoms, "vflex", cmask)
    row["volume_" .. sp] = mean_of(colatoms, "volume", cmask)
    row["fivefold_" .. sp] = mean_of(colatoms, "fivefold", cmask)
    if not row["volume_" .. sp] or not row["fivefold_" .. sp] then
      vor = vor or sflex.voronoi(atoms)
      row["volume_" .. sp] = vor.volume:select(mask):mean()
      row["fivefold_" .. sp] = vor.fivefold:select(mask):mean()
    end
    if sfv then row["sf_" .. sp] = sfv:select(mask):mean() end
  end
  local lopts = {potential = opt.potential, np = opt.np}
  local old = reused[name] or {}
  if opt.G then
    -- a fast-quenched glass often rearranges at the first strain step (its
    -- energy drops): the +/- responses then disagree, and the mode is
    -- retried with a 10 times smaller delta before it is left out
    local sum, k = 0, 0
    for _, m in ipairs {"xy", "xz", "yz"} do
      local delta = opt.delta
      for try = 1, opt.retries + 1 do
        local o = {atoms = atoms, mode = m, delta = delta}
        for kk, v in pairs(lopts) do o[kk] = v end
        local g, r = sflex.shear_modulus(o)
        if not r.warning then
          sum, k = sum + g, k + 1
          if delta ~= opt.delta then say("%s: G_%s = %.4g GPa with delta %g", name, m, g, delta) end
          break
        end
        say("%s: %s (%s)", name, r.warning, try <= opt.retries and "retried with delta " .. delta / 10 or "left out")
        delta = delta / 10
      end
    end
    row.G = k > 0 and sum / k or 0 / 0
  else
    row.G = old.G
  end
  if opt.tf then
    local o = {atoms = atoms, T0 = opt.T0, T1 = opt.T1, rate = opt.heat_rate}
    for kk, v in pairs(lopts) do o[kk] = v end
    local h = sflex.heating(o)
    row.Tf = sflex.fictive_temperature(h.T, h.V, {glass = glass_range, liquid = liquid_range})
    -- the heating curve, for checking the fit ranges (Fig. S28)
    plot.write_table(path(name .. ".heating.txt"), {{"T", h.T}, {"V_atom", h.V}, {"pe_atom", h.pe}})
  else
    row.Tf = old.Tf
  end
  row.IBP = ibp[name] or ibp[s] or old.IBP
  rows[#rows + 1] = row
  local parts = {}
  for _, k in ipairs {"sf", "vflex", "volume", "fivefold"} do
    for _, sp in ipairs(species) do
      local v = row[k .. "_" .. sp]
      if v then parts[#parts + 1] = string.format("%s_%s=%.5g", k, sp, v) end
    end
  end
  for _, k in ipairs {"G", "Tf", "IBP"} do
    if row[k] then parts[#parts + 1] = string.format("%s=%.5g", k, row[k]) end
  end
  say("%-28s n=%d %s", name, row.n, table.concat(parts, " "))
end

-- the table: every column that some sample has
local names = {"n", "rate"}
for _, k in ipairs {"x", "sf", "vflex", "volume", "fivefold"} do
  for _, sp in ipairs(species) do names[#names + 1] = k .. "_" .. sp end
end
for _, k in ipairs {"G", "Tf", "IBP"} do names[#names + 1] = k end
local cols = {{"sample", {}}}
for _, r in ipairs(rows) do table.insert(cols[1][2], r.name) end
local present = {}
for _, k in ipairs(names) do
  local any = false
  for _, r in ipairs(rows) do if r[k] then any = true end end
  if any then
    local v = {}
    for i, r in ipairs(rows) do v[i] = r[k] or 0 / 0 end
    cols[#cols + 1] = {k, v}
    present[k] = v
  end
end
plot.write_table(path("properties.txt"), cols, {comment = "sample averages over the atoms of each species; " ..
  "G in GPa (athermal), Tf in K, volume in A^3, rate in K/s (from the name)"})

-- correlations and plots: each property against each structural measure
local measures = {{"sf", "<SF>"}, {"volume", "<Voronoi volume> (A^3)"}, {"fivefold", "<five-fold fraction>"}}
local props = {{"vflex", "<v_{flex}>", true}, {"G", "G (GPa)"}, {"Tf", "T_f (K)"}, {"IBP", "I_{BP}"}}
local lines, panels = {"species property measure pearson spearman n"}, {}
for _, sp in ipairs(species) do
  for _, p in ipairs(props) do
    local pv = present[p[3] and p[1] .. "_" .. sp or p[1]]
    if pv then
      for _, m in ipairs(measures) do
        local mv = present[m[1] .. "_" .. sp]
        if mv then
          local x, y = {}, {}
          for i = 1, #rows do
            if mv[i] == mv[i] and pv[i] == pv[i] then x[#x + 1], y[#y + 1] = mv[i], pv[i] end
          end
          local r, rho = 0 / 0, 0 / 0
          if #x >= 3 then
            r = sflex.stats.pearson(sflex.vector(x), sflex.vector(y))
            rho = sflex.stats.spearman(sflex.vector(x), sflex.vector(y))
          end
          lines[#lines + 1] = string.format("%s %s %s %.4f %.4f %d", sp, p[1], m[1], r, rho, #x)
          -- (gnuplot fails on a panel without points: a property that is
          -- NaN for every sample, e.g. G with every mode left out)
          if #x > 0 then panels[#panels + 1] = {xlabel = m[2] .. " (" .. sp .. ")",
                                 ylabel = p[3] and p[2]:gsub(">$", "") .. " (" .. sp .. ")>" or p[2], key = false,
                                 title = string.format("r = %.3f", r),
                                 series = {{x = x, y = y, style = "points pt 7 ps 1.2"}}} end
        end
      end
    end
  end
end
local f = assert(io.open(path("correlations.txt.part"), "w"))
f:write(table.concat(lines, "\n"), "\n")
assert(f:close())
assert(os.rename(path("correlations.txt.part"), path("correlations.txt")))
if #panels > 0 then plot.render{out = path("properties.png"), panels = panels} end
if not opt.quiet then print(table.concat(lines, "\n")) end
