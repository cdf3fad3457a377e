-- art_neb_check.lua: ART nouveau barriers against LAMMPS climbing-image NEB
-- between the same two minima (doc/activation.md, "Cross-check with NEB").
--
--   sflex scripts/art_neb_check.lua CONFIG --elements Cu,Zr --out DIR
--     [--centers 4] [--events 2] [--seed 1] [--local-radius 10]
--     [--count 3] [--free] [--replicas 5] [--ftol 0.01] [--steps 5000]
--     [--art key=value,...]
--
-- Runs ART (sflex.art, configs = true) on --centers random atoms of CONFIG
-- (taken as the minimum), takes the first --count events that reached a new
-- minimum, and for each writes the initial minimum (init.data) and the final
-- one (final.txt) and runs LAMMPS NEB between them: --replicas images
-- (`mpirun -np R lmp -partition Rx1`), fix neb with spring 5 eV/A^2, quickmin,
-- climbing image, max atom force < --ftol.  With a local region the atoms
-- outside it are held where they are (fix setforce 0 0 0, as in ART) unless
-- --free or --art refine=1 (the saddle and the final minimum of a refined
-- event are those of the free system, so its NEB is free too).  Prints and writes DIR/neb_check.txt: ART barrier, NEB forward
-- barrier (EBF), their difference, and the NEB's final max atom force.
local sflex = require "sflex"
local cli = require "sflex.cli"

local opt = cli.parse(arg, {
  usage = "sflex scripts/art_neb_check.lua CONFIG --elements Cu,Zr --out DIR [options]",
  positional = {"config"},
  options = {
    elements = {type = "list", help = "species of types 1..k (pair_coeff order)"},
    centers = {type = "integer", default = 4, help = "number of random centres"},
    events = {type = "integer", default = 2, help = "ART searches per centre"},
    seed = {type = "integer", default = 1, help = "seed of the centre sample and the events"},
    ["local-radius"] = {type = "number", default = 10, help = "mobile radius (A); 0: every atom moves"},
    count = {type = "integer", default = 3, help = "events to check"},
    free = {type = "flag", help = "NEB with every atom free (default: the ART region only)"},
    replicas = {type = "integer", default = 5, help = "NEB images (MPI ranks)"},
    ftol = {type = "number", default = 0.01, help = "NEB max atom force (eV/A)"},
    steps = {type = "integer", default = 5000, help = "NEB steps per stage"},
    art = {type = "list", help = "more sflex.art parameters, key=value"},
    potential = {type = "string", default = sflex.DEFAULT_POTENTIAL, help = "EAM potential"},
    out = {type = "string", required = true, help = "output directory"},
  },
})

local function sh(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
assert(os.execute("mkdir -p " .. sh(opt.out)))
local atoms = sflex.read(opt.config, {elements = opt.elements}):sort_by_id()
local perm = sflex.stats.permutation(#atoms, opt.seed)
local centers = {}
for k = 1, math.min(opt.centers, #atoms) do centers[k] = perm[k] end
table.sort(centers)
local params = {centers = centers, events = opt.events, seed = opt.seed, minimize = false,
                local_radius = opt.local_radius, threads = 1, configs = true}
cli.assignments(opt.art, params, "art_neb_check.lua")
local pot = sflex.eam(opt.potential, {elements = opt.elements})
local r = sflex.art(pot, atoms, params)
local refined = params.refine and params.refine ~= 0
local free = opt.free or (refined and (params.refine_radius or 0) == 0)
if refined and not free then
  error("art_neb_check.lua: --art refine=1 with refine_radius > 0 is not checked (NEB holds no shell)", 0)
end
local a = r.minimum

local input = [[
units metal
atom_style atomic
atom_modify map array
boundary p p p
read_data init.data
pair_style eam/fs
pair_coeff * * %s %s
%s
timestep 0.005
min_style quickmin
fix 1 all neb 5.0 parallel ideal
thermo 100
neb 0.0 %g %d %d 100 final final.txt
]]

local rows, done = {}, 0
for _, e in ipairs(r.events) do
  if done >= opt.count then break end
  if e.status == "new_minimum" then
    done = done + 1
    local dir = string.format("%s/event_%d_%d", opt.out, e.id, e.event)
    assert(os.execute("mkdir -p " .. sh(dir)))
    sflex.write(dir .. "/init.data", a)
    local f = assert(io.open(dir .. "/final.txt", "w"))
    local x = e.final.x
    f:write(#e.final, "\n")
    for i = 1, #e.final do
      f:write(string.format("%d %.12f %.12f %.12f\n", e.final.id[i], x[i][1], x[i][2], x[i][3]))
    end
    assert(f:close())
    local hold = ""
    if opt.local_radius > 0 and not free then
      local ids = {}
      for i = 1, #a do
        if a:distance(e.center, i) > opt.local_radius then ids[#ids + 1] = string.format("%d", a.id[i]) end
      end
      local g = {}
      for k = 1, #ids, 200 do
        g[#g + 1] = "group outside id " .. table.concat(ids, " ", k, math.min(k + 199, #ids))
      end
      hold = table.concat(g, "\n") .. "\nfix 0 outside setforce 0.0 0.0 0.0"
    end
    f = assert(io.open(dir .. "/in.neb", "w"))
    f:write(string.format(input, opt.potential, table.concat(opt.elements, " "), hold, opt.ftol,
                          opt.steps, opt.steps))
    assert(f:close())
    local t0 = sflex.now()
    local ok = os.execute("cd " .. sh(dir) .. " && mpirun --allow-run-as-root --oversubscribe -np " ..
                          opt.replicas .. " lmp -partition " .. opt.replicas .. "x1 -in in.neb " ..
                          "-screen none > mpirun.out 2>&1")
    if not ok then error("art_neb_check.lua: LAMMPS NEB failed, see " .. dir .. "/mpirun.out", 0) end
    local last
    for line in io.lines(dir .. "/log.lammps") do
      if line:match("^%s*%d+%s+%S+%s+%S+") and select(2, line:gsub("%S+", "")) > 10 then last = line end
    end
    if not last then error("art_neb_check.lua: no NEB table in " .. dir .. "/log.lammps", 0) end
    local cols = {}
    for w in last:gmatch("%S+") do cols[#cols + 1] = tonumber(w) end
    rows[#rows + 1] = string.format("%d %d %d %.4f %.4f %.4f %.4f %.3g %d %.0f %.4f", e.id, e.event,
      e.nmobile, e.barrier, e.relaxation, cols[7], cols[7] - e.barrier, cols[3], cols[1],
      sflex.now() - t0, e.local_barrier)
    print(rows[#rows])
  end
end
local head = string.format("# %s, local_radius %g, NEB %s, %d replicas, ftol %g\n" ..
  "# id event nmobile art_barrier art_relaxation neb_ebf neb_minus_art neb_max_force neb_steps seconds art_local_barrier\n",
  opt.config, opt.local_radius, free and "every atom free" or "outside atoms held",
  opt.replicas, opt.ftol)
local f = assert(io.open(opt.out .. "/neb_check.txt.part", "w"))
f:write(head, table.concat(rows, "\n"), "\n")
assert(f:close())
assert(os.rename(opt.out .. "/neb_check.txt.part", opt.out .. "/neb_check.txt"))
