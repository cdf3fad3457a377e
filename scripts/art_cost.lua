-- art_cost.lua: where the force calls of ART nouveau events go, and what an
-- event costs (doc/activation.md, "Cost and scaling").
--
--   sflex scripts/art_cost.lua CONFIG --elements Cu,Zr [--centers 10]
--     [--events 3] [--seed 1] [--local-radius 10] [--threads 1]
--     [--art key=value,...] [--events-out FILE]
--
-- Runs --events searches on --centers random atoms of CONFIG (taken as the
-- minimum: no relaxation first) and prints the counts per status, the force
-- calls per event split by phase (Lanczos, escape pushes with their
-- perpendicular FIRE, activation, relaxation from the saddle, refinement
-- with --art refine=1), the time per force call and per event, and the mean
-- barrier of the counted events (with refine=1 also their mean local
-- barrier).  --events-out: one row per event.
local sflex = require "sflex"
local cli = require "sflex.cli"

local opt = cli.parse(arg, {
  usage = "sflex scripts/art_cost.lua CONFIG --elements Cu,Zr [options]",
  positional = {"config"},
  options = {
    elements = {type = "list", help = "species of types 1..k (pair_coeff order)"},
    centers = {type = "integer", default = 10, help = "number of random centres"},
    events = {type = "integer", default = 3, help = "ART searches per centre"},
    seed = {type = "integer", default = 1, help = "seed of the centre sample and the events"},
    ["local-radius"] = {type = "number", default = 10, help = "mobile radius (A); 0: every atom moves"},
    threads = {type = "integer", default = 1, help = "OpenMP threads"},
    art = {type = "list", help = "more sflex.art parameters, key=value"},
    potential = {type = "string", default = sflex.DEFAULT_POTENTIAL, help = "EAM potential"},
    ["events-out"] = {type = "string", help = "write one row per event here"},
  },
})

local atoms = sflex.read(opt.config, {elements = opt.elements}):sort_by_id()
local perm = sflex.stats.permutation(#atoms, opt.seed)
local centers = {}
for k = 1, math.min(opt.centers, #atoms) do centers[k] = perm[k] end
table.sort(centers)
local params = {centers = centers, events = opt.events, seed = opt.seed, minimize = false,
                local_radius = opt.local_radius, threads = opt.threads}
cli.assignments(opt.art, params, "art_cost.lua")
local pot = sflex.eam(opt.potential, {elements = opt.elements})
local t0 = sflex.now()
local r = sflex.art(pot, atoms, params)
local wall = sflex.now() - t0

local ne = #r.events
local sum = {force_calls = 0, calls_lanczos = 0, calls_escape = 0, calls_activation = 0,
             calls_relax = 0, calls_refine = 0, iterations = 0, escapes = 0, lost = 0, builds = 0, seconds = 0, nmobile = 0}
local rows = {}
for _, e in ipairs(r.events) do
  for k in pairs(sum) do sum[k] = sum[k] + e[k] end
  rows[#rows + 1] = string.format("%d %d %s %.6f %.6f %d %d %d %d %d %d %d %d %.4f %s %d %.6f", e.id, e.event,
    e.status, e.barrier, e.relaxation, e.force_calls, e.calls_lanczos, e.calls_escape,
    e.calls_activation, e.calls_relax, e.iterations, e.escapes, e.lost, e.seconds,
    (e.why or ""):gsub(" ", "_"), e.calls_refine, e.local_barrier)
end
if opt.events_out then
  local f = assert(io.open(opt.events_out .. ".part", "w"))
  f:write("# id event status barrier_eV relaxation_eV calls lanczos escape activation relax " ..
          "iterations escapes lost seconds why refine local_barrier_eV\n", table.concat(rows, "\n"), "\n")
  assert(f:close())
  assert(os.rename(opt.events_out .. ".part", opt.events_out))
end
local c = r.counts
print(string.format("events %d: new_minimum %d returned %d delocalised %d failed %d disconnected %d",
  ne, c.new_minimum, c.returned, c.delocalised, c.failed, c.disconnected))
local function per(k) return sum[k] / ne end
print(string.format("mobile atoms %.0f; per event: force calls %.0f = Lanczos %.0f + escape %.0f + " ..
  "activation %.0f + relax %.0f + refine %.0f; iterations %.1f, escapes %.1f, curvature lost %.2f, list builds %.1f",
  per("nmobile"), per("force_calls"), per("calls_lanczos"), per("calls_escape"),
  per("calls_activation"), per("calls_relax"), per("calls_refine"), per("iterations"), per("escapes"), per("lost"),
  per("builds")))
print(string.format("%.3f ms per force call, %.3f s per event, %.3f s per counted event; wall %.1f s",
  1e3 * sum.seconds / sum.force_calls, sum.seconds / ne,
  c.new_minimum > 0 and sum.seconds / c.new_minimum or 0 / 0, wall))
local b, bl = {}, {}
for _, e in ipairs(r.events) do
  if e.status == "new_minimum" then
    b[#b + 1] = e.barrier
    if e.local_barrier == e.local_barrier then bl[#bl + 1] = e.local_barrier end
  end
end
local function mean_se(t)
  local v = sflex.vector(t)
  return v:mean(), #t > 1 and math.sqrt(v:var() / (#t - 1)) or 0 / 0
end
if #b > 0 then
  print(string.format("mean barrier of the %d counted events %.3f +- %.3f eV (standard error)", #b, mean_se(b)))
end
if #bl > 0 then
  print(string.format("their local barrier before refinement %.3f +- %.3f eV", mean_se(bl)))
end
local fails = {}
for _, e in ipairs(r.events) do
  if e.why then fails[e.why] = (fails[e.why] or 0) + 1 end
end
for why, k in pairs(fails) do print(string.format("failed: %s %d", why, k)) end
