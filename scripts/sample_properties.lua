-- sample_properties.lua: sample-averaged structural flexibility against
-- sample-level properties across cooling rates and compositions (paper
-- Fig. 3, S9), with the Voronoi volume and five-fold symmetry as the
-- structural baselines.
--
--   sflex scripts/sample_properties.lua SAMPLE... --elements Cu,Zr
--     [--model M.sfmodel] [--species Cu] [--G] [--tf] [--ibp FILE]
--     [--heat-rate 10] [--T0 300] [--T1 1500] [--glass-range A:B]
--     [--liquid-range A:B] [--np 1] [--potential FILE] --out DIR
--
-- A SAMPLE is a configuration file (inherent structure) or a data-set
-- directory (make_dataset.sh): DIR/is.dump.gz, with DIR/vflex.dump.gz
-- supplying v_flex and the Voronoi columns when present.  For each sample,
-- over the atoms of --species (default: the first element):
--   sf        mean SF (with --model)
--   vflex     mean v_flex (when the configuration has a vflex column)
--   volume    mean Voronoi volume, fivefold: mean fraction of pentagonal
--             Voronoi faces (from the file's columns, or sflex.voronoi)
--   G         (--G) athermal global shear modulus, mean over the xy, xz and
--             yz modes (sflex.shear_modulus; modes whose +/- responses
--             disagree, i.e. a plastic event, are left out)
--   Tf        (--tf) fictive temperature from a heating run at --heat-rate
--             K/ps (sflex.heating + sflex.fictive_temperature)
--   IBP       (--ibp FILE: lines "SAMPLE value") boson-peak intensity
-- In DIR: properties.txt (one row per sample), correlations.txt (Pearson r
-- of each property with each structural measure across the samples) and
-- properties.png (each property against each measure).  doc/mechanics.md.
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
    species = {type = "string", help = "species averaged over (default: the first element)"},
    G = {type = "flag", help = "compute the athermal shear modulus (LAMMPS)"},
    tf = {type = "flag", help = "compute the fictive temperature from a heating run (LAMMPS, slow)"},
    ibp = {type = "string", help = "file of 'SAMPLE I_BP' lines"},
    delta = {type = "number", default = 1e-3, help = "strain of the G finite difference"},
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
assert(os.execute("mkdir -p '" .. opt.out:gsub("'", "'\\''") .. "'"))

local species = opt.species or opt.elements[1]
local model = opt.model and sflex.load_model(opt.model)
local ibp = {}
if opt.ibp then
  for line in io.lines(opt.ibp) do
    local k, v = line:match("^%s*(%S+)%s+(%S+)")
    if k and tonumber(v) and not k:find("^#") then ibp[k] = tonumber(v) end
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

local rows = {}
for _, s in ipairs(opt.samples) do
  local cfg, colfile, name = locate(s)
  local atoms = sflex.read(cfg, {elements = opt.elements})
  local colatoms = colfile == cfg and atoms or sflex.read(colfile, {elements = opt.elements})
  if #colatoms ~= #atoms then error(colfile .. ": not the same atoms as " .. cfg, 0) end
  local mask = atoms:mask(species)
  local cmask = colatoms:mask(species)
  local row = {name = name, n = #atoms, x = mask:count() / #atoms}
  row.vflex = mean_of(colatoms, "vflex", cmask)
  row.volume = mean_of(colatoms, "volume", cmask)
  row.fivefold = mean_of(colatoms, "fivefold", cmask)
  if not row.volume or not row.fivefold then
    local vor = sflex.voronoi(atoms)
    row.volume = vor.volume:select(mask):mean()
    row.fivefold = vor.fivefold:select(mask):mean()
  end
  if model then row.sf = model:sf(atoms):select(mask):mean() end
  local lopts = {potential = opt.potential, np = opt.np}
  if opt.G then
    local sum, k = 0, 0
    for _, m in ipairs {"xy", "xz", "yz"} do
      local o = {atoms = atoms, mode = m, delta = opt.delta}
      for kk, v in pairs(lopts) do o[kk] = v end
      local g, r = sflex.shear_modulus(o)
      if r.warning then say("%s: %s (left out)", name, r.warning) else sum, k = sum + g, k + 1 end
    end
    row.G = k > 0 and sum / k or 0 / 0
  end
  if opt.tf then
    local o = {atoms = atoms, T0 = opt.T0, T1 = opt.T1, rate = opt.heat_rate}
    for kk, v in pairs(lopts) do o[kk] = v end
    local h = sflex.heating(o)
    row.Tf = sflex.fictive_temperature(h.T, h.V, {glass = range(opt.glass_range, "glass-range"),
                                                  liquid = range(opt.liquid_range, "liquid-range")})
    -- the heating curve, for checking the fit ranges (Fig. S28)
    plot.write_table(path(name .. ".heating.txt"), {{"T", h.T}, {"V_atom", h.V}, {"pe_atom", h.pe}})
  end
  row.IBP = ibp[name] or ibp[s]
  rows[#rows + 1] = row
  say("%-28s n=%d x_%s=%.3f sf=%s vflex=%s vol=%.4f fivefold=%.4f G=%s Tf=%s", name, row.n, species,
      row.x, tostring(row.sf), tostring(row.vflex), row.volume, row.fivefold, tostring(row.G), tostring(row.Tf))
end

-- the table: every column that some sample has
local names = {"n", "x", "sf", "vflex", "volume", "fivefold", "G", "Tf", "IBP"}
local cols = {{"sample", {}}}
for _, r in ipairs(rows) do table.insert(cols[1][2], r.name) end
local present = {}
for _, k in ipairs(names) do
  for _, r in ipairs(rows) do if r[k] then present[k] = true end end
  if present[k] then
    local v = {}
    for i, r in ipairs(rows) do v[i] = r[k] or 0 / 0 end
    local label = (k == "x" and "x_" .. species) or ((k == "sf" or k == "vflex" or k == "volume" or k == "fivefold")
                  and k .. "_" .. species) or k
    cols[#cols + 1] = {label, v}
    present[k] = v
  end
end
plot.write_table(path("properties.txt"), cols, {comment = "sample averages over " .. species ..
  " atoms; G in GPa (athermal), Tf in K, volume in A^3"})

-- correlations and plots: each property against each structural measure
local measures = {{"sf", "<SF>"}, {"volume", "<Voronoi volume> (A^3)"}, {"fivefold", "<five-fold fraction>"}}
local props = {{"vflex", "<v_{flex}>"}, {"G", "G (GPa)"}, {"Tf", "T_f (K)"}, {"IBP", "I_{BP}"}}
local lines, panels = {"property measure pearson_r n"}, {}
for _, p in ipairs(props) do
  local pv = present[p[1]]
  if type(pv) == "table" then
    for _, m in ipairs(measures) do
      local mv = present[m[1]]
      if type(mv) == "table" then
        local x, y = {}, {}
        for i = 1, #rows do
          if mv[i] == mv[i] and pv[i] == pv[i] then x[#x + 1], y[#y + 1] = mv[i], pv[i] end
        end
        local r = #x >= 3 and sflex.stats.pearson(sflex.vector(x), sflex.vector(y)) or 0 / 0
        lines[#lines + 1] = string.format("%s %s %.4f %d", p[1], m[1], r, #x)
        panels[#panels + 1] = {xlabel = m[2] .. " (" .. species .. ")", ylabel = p[2], key = false,
                               title = string.format("r = %.3f", r),
                               series = {{x = x, y = y, style = "points pt 7 ps 1.2"}}}
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
