-- quickstart.lua: the main job on the bundled example (run by ./setup.sh example).
--
--   sflex examples/quickstart.lua [CONFIG] [--out DIR]
--
-- Reads a Cu-Zr glass (inherent structure with per-atom v_flex from
-- scripts/vflex.lua), prints a one-line summary and the first-peak positions
-- of the partial g(r), computes the structural flexibility SF of every atom
-- with the shipped model (examples/CuZr.sfmodel), prints rho(SF, ln v_flex)
-- per species, and writes the SF dump and the Fig. 2 density map.
local here = (arg[0]:match("^(.*)/[^/]*$") or ".")
local config = here .. "/Cu35Zr65_2000.vflex.dump.gz"
local outdir = "quickstart-out"
local i = 1
while arg[i] do
  if arg[i] == "--out" then outdir = arg[i + 1]; i = i + 2
  else config = arg[i]; i = i + 1 end
end
os.execute("mkdir -p '" .. outdir .. "'")

local atoms = sflex.read(config, {elements = {"Cu", "Zr"}})
print(string.format("%s: %s, density %.4f atoms/A^3", config, tostring(atoms), atoms:density()))

local peaks = sflex.first_peaks(atoms)
local keys = {}
for k in pairs(peaks) do keys[#keys + 1] = k end
table.sort(keys)
local parts = {}
for _, k in ipairs(keys) do parts[#parts + 1] = string.format("%s %.3f A", k, peaks[k]) end
print("first g(r) peaks: " .. table.concat(parts, ", "))

local model = sflex.load_model(here .. "/CuZr.sfmodel")
local sf = model:sf(atoms)
local lnv = atoms.vflex:log()
for t, name in ipairs(atoms.species) do
  local m = atoms:mask(t)
  print(string.format("%-2s  %4d atoms  mean SF %.4f  rho(SF, ln v_flex) = %.3f",
    name, m:count(), sf:select(m):mean(), sflex.stats.pearson(sf:select(m), lnv:select(m))))
end

atoms.sf = sf
local dump = outdir .. "/sf.dump"
sflex.write(dump, atoms, {columns = {"id", "type", "x", "y", "z", "sf"}})
print("wrote " .. dump)
local self = arg[-1] or "sflex"
local cmd = string.format("'%s' '%s/../scripts/fig2_sf_vflex.lua' --model '%s/CuZr.sfmodel' '%s' --out '%s/fig2' >/dev/null",
  self, here, here, config, outdir)
assert(os.execute(cmd), "fig2_sf_vflex.lua failed")
print("wrote " .. outdir .. "/fig2.png and " .. outdir .. "/fig2.txt")
