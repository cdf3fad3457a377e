-- barriers.lua: activation barriers of thermally activated events (ART
-- nouveau) against structural flexibility and atomic volume (paper Fig. 9).
--
--   sflex scripts/barriers.lua CONFIG --elements Cu,Zr --out DIR
--     [--model M.sfmodel] [--volume vflex.dump.gz] [--centers N | --ids 1,2,..]
--     [--events 30] [--seed 1] [--local-radius R] [--refine-radius 0 | --no-refine]
--     [--threads T] [--art key=value,...] [--extreme 0.1] [--auc-extreme 0.05]
--     [--replay DIR] [--bootstrap 1000]
--
-- CONFIG is relaxed to a minimum (FIRE), then --events ART searches run on
-- each centre (all atoms, --centers N random ones, or --ids).  The barrier
-- of an atom is the mean over its counted events (a new minimum).  The
-- atomic volume is the Voronoi volume (sflex.voronoi), or the `volume`
-- column of --volume (a vflex.dump of the same atoms).  With --local-radius
-- R the search moves only the atoms within R of the centre, and each saddle
-- it finds is converged again with the atoms within --refine-radius free (0,
-- the default: every atom, the paper's "overall force of the total system"
-- below 0.05 eV/A); --no-refine keeps the local saddles (biased upwards by
-- the frozen shell, doc/activation.md).  In DIR:
--   events.txt   one row per event: centre id, type, event, status,
--                barrier, relaxation, displaced atoms, force calls, the
--                barrier of the local saddle before refinement, why an
--                event failed
--   atoms.txt    per centre: id type counted mean_barrier volume [sf]
--   summary.txt  event counts, per species the mean barrier of the
--                highest/lowest --extreme SF and volume groups and their
--                difference, ROC AUC of SF for the lowest vs highest
--                --auc-extreme barriers, the cost per event
-- --replay DIR takes the events from DIR/events.txt of an earlier run on the
-- same CONFIG instead of running ART (CONFIG is relaxed the same way for the
-- SF and volumes), to re-analyse them, e.g. with another model.  The
-- differences between groups carry a standard error from a bootstrap over
-- the atoms of each group (--bootstrap resamples, seeded by --seed; the
-- events of one atom are resampled together).
--   fig9_hist.txt  barrier distributions of those groups (Fig. 9a: SF,
--                9b: volume), fig9_deciles.txt mean barrier per SF decile
--                (9c), fig9.png all panels, per species
-- doc/activation.md.
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"

local opt = cli.parse(arg, {
  usage = "sflex scripts/barriers.lua CONFIG --elements Cu,Zr [options] --out DIR",
  positional = {"config"},
  options = {
    elements = {type = "list", help = "species of types 1..k (pair_coeff order)"},
    model = {type = "string", help = "SF model (sflex.load_model) for the SF groups"},
    volume = {type = "string", help = "dump with a `volume` column (default: Voronoi volumes)"},
    centers = {type = "integer", help = "number of random centres (default: every atom)"},
    ids = {type = "list", help = "ids of the centres"},
    events = {type = "integer", default = 30, help = "ART searches per centre"},
    seed = {type = "integer", default = 1, help = "seed of the centre sample and the events"},
    ["local-radius"] = {type = "number", default = 0, help = "mobile radius (A); 0: every atom moves"},
    ["refine-radius"] = {type = "number", default = 0, help = "with --local-radius: radius (A) freed to refine each saddle; 0: every atom"},
    ["no-refine"] = {type = "flag", help = "with --local-radius: keep the local saddles unrefined"},
    threads = {type = "integer", default = 0, help = "OpenMP threads (0: default)"},
    art = {type = "list", help = "more sflex.art parameters, key=value"},
    extreme = {type = "number", default = 0.1, help = "fraction of highest/lowest SF and volume atoms"},
    ["auc-extreme"] = {type = "number", default = 0.05, help = "fraction of highest/lowest barriers for the AUC"},
    bins = {type = "integer", default = 25, help = "histogram bins"},
    potential = {type = "string", default = sflex.DEFAULT_POTENTIAL, help = "EAM potential"},
    out = {type = "string", required = true, help = "output directory"},
    quiet = {type = "flag", help = "no summary on stdout"},
    replay = {type = "string", help = "re-analyse DIR/events.txt of an earlier run instead of running ART"},
    bootstrap = {type = "integer", default = 1000, help = "bootstrap resamples for the standard errors"},
  },
})

local function path(name) return opt.out .. "/" .. name end
assert(os.execute("mkdir -p '" .. opt.out:gsub("'", "'\\''") .. "'"))
local function write_text(name, text)
  local f = assert(io.open(path(name .. ".part"), "w"))
  f:write(text)
  assert(f:close())
  assert(os.rename(path(name .. ".part"), path(name)))
end

local atoms = sflex.read(opt.config, {elements = opt.elements}):sort_by_id()
local n = #atoms

-- centres
local centers = {}
if opt.ids then
  for _, s in ipairs(opt.ids) do
    local i = atoms:index_of(tonumber(s))
    if not i then error("barriers.lua: no atom with id " .. s, 0) end
    centers[#centers + 1] = i
  end
elseif opt.centers then
  local perm = sflex.stats.permutation(n, opt.seed)
  for k = 1, math.min(opt.centers, n) do centers[k] = perm[k] end
  table.sort(centers)
else
  for i = 1, n do centers[i] = i end
end

-- ART
local params = {centers = centers, events = opt.events, seed = opt.seed,
                local_radius = opt.local_radius, threads = opt.threads,
                refine = opt.local_radius > 0 and not opt.no_refine, refine_radius = opt.refine_radius}
cli.assignments(opt.art, params, "barriers.lua")
local pot = sflex.eam(opt.potential, {elements = opt.elements})
local t0 = sflex.now()

-- numbers as events.txt writes them (%.6f), nan included
local function num(x)
  if x and x:match("^%-?nan$") then return 0 / 0 end
  return tonumber(x)
end

-- the events of an earlier run (events.txt), as sflex.art would return them;
-- the minimum is sflex.art's own (the same options, no events)
local function replay(dir)
  local file = dir .. "/events.txt"
  local f, err = io.open(file)
  if not f then error("barriers.lua: " .. err, 0) end
  local p0 = {}
  for k, v in pairs(params) do p0[k] = v end
  p0.centers, p0.events = {}, 0
  local r0 = sflex.art(pot, atoms, p0)
  local m = r0.minimum
  local rr = {minimum = m, e0 = r0.e0, events = {}, force_calls = 0,
              counts = {new_minimum = 0, returned = 0, delocalised = 0, failed = 0, disconnected = 0}}
  local ln = 0
  for line in f:lines() do
    ln = ln + 1
    if not line:match("^%s*#") and line:match("%S") then
      local w = {}
      for x in line:gmatch("%S+") do w[#w + 1] = x end
      local id, status, b, calls = tonumber(w[1]), w[4], num(w[5]), tonumber(w[8])
      local i = id and m:index_of(id)
      if not (i and status and rr.counts[status] and b and calls) then
        error(string.format("barriers.lua: %s:%d: expected 'id type event status barrier relaxation " ..
                            "ndisplaced force_calls ...' with an id of CONFIG", file, ln), 0)
      end
      rr.events[#rr.events + 1] = {center = i, status = status, barrier = b, local_barrier = num(w[9]) or 0 / 0,
                                   relaxation = num(w[6]), ndisplaced = tonumber(w[7]),
                                   force_calls = calls, event = tonumber(w[3]),
                                   why = status == "failed" and (w[10] and w[10] ~= "-" and w[10]:gsub("_", " ")
                                         or "reason not recorded") or nil}
      rr.counts[status] = rr.counts[status] + 1
      rr.force_calls = rr.force_calls + calls
    end
  end
  f:close()
  return rr
end

local r
if opt.replay then
  r = replay(opt.replay)
  local seen = {}
  centers = {}
  for _, e in ipairs(r.events) do
    if not seen[e.center] then seen[e.center] = true; centers[#centers + 1] = e.center end
  end
  table.sort(centers)
else
  r = sflex.art(pot, atoms, params)
end
local wall = sflex.now() - t0
local a = r.minimum
local barrier, counted = sflex.art_barriers(r, n)

-- structure: volume and SF of each atom (of the minimum)
local volume
if opt.volume then
  local v = sflex.read(opt.volume, {elements = opt.elements}):sort_by_id()
  if #v ~= n then error("barriers.lua: " .. opt.volume .. " has " .. #v .. " atoms, not " .. n, 0) end
  for i = 1, n do
    if v.id[i] ~= a.id[i] then error("barriers.lua: ids of " .. opt.volume .. " differ from CONFIG", 0) end
  end
  volume = v:column("volume")
else
  volume = sflex.voronoi(a).volume
end
local sf = opt.model and sflex.load_model(opt.model):sf(a)

-- tables
local ev = {}
for _, e in ipairs(r.events) do
  ev[#ev + 1] = string.format("%d %d %d %s %.6f %.6f %d %d %.6f %s", a.id[e.center], a.type[e.center],
    e.event, e.status, e.barrier, e.relaxation, e.ndisplaced, e.force_calls, e.local_barrier,
    e.why and e.why ~= "" and e.why:gsub(" ", "_") or "-")
end
write_text("events.txt", "# id type event status barrier_eV relaxation_eV ndisplaced force_calls local_barrier_eV why\n" ..
           table.concat(ev, "\n") .. "\n")
local rows = {}
for _, i in ipairs(centers) do
  rows[#rows + 1] = string.format("%d %d %d %.6f %.6f%s", a.id[i], a.type[i], math.tointeger(counted[i]),
    barrier[i], volume[i], sf and string.format(" %.6f", sf[i]) or "")
end
write_text("atoms.txt", "# id type counted mean_barrier_eV volume_A3" .. (sf and " sf" or "") .. "\n" ..
           table.concat(rows, "\n") .. "\n")

-- groups: sampled centres of a species with a counted event
local isc = sflex.vector(n, 0)
for _, i in ipairs(centers) do if counted[i] > 0 then isc[i] = 1 end end
local function event_barriers(mask)
  local b = {}
  for _, e in ipairs(r.events) do
    if e.status == "new_minimum" and mask[e.center] ~= 0 then b[#b + 1] = e.barrier end
  end
  return sflex.vector(b)
end
local function mean_of(v) return #v > 0 and v:mean() or 0 / 0 end

-- counted barriers per atom of a mask, for the bootstrap over atoms
local function per_atom(mask)
  local by = {}
  for _, e in ipairs(r.events) do
    if e.status == "new_minimum" and mask[e.center] ~= 0 then
      by[e.center] = by[e.center] or {}
      local t = by[e.center]
      t[#t + 1] = e.barrier
    end
  end
  local list = {}
  for _, t in pairs(by) do list[#list + 1] = t end
  table.sort(list, function(x, y) return x[1] < y[1] or (x[1] == y[1] and #x < #y) end)
  return list
end
-- standard error of mean(events of b) - mean(events of a), resampling atoms
local function diff_se(a_atoms, b_atoms)
  if #a_atoms < 2 or #b_atoms < 2 or opt.bootstrap < 2 then return 0 / 0 end
  math.randomseed(opt.seed)
  local function draw(list)
    local s, c = 0, 0
    for _ = 1, #list do
      local t = list[math.random(#list)]
      for _, x in ipairs(t) do s = s + x end
      c = c + #t
    end
    return s / c
  end
  local d = {}
  for k = 1, opt.bootstrap do d[k] = draw(b_atoms) - draw(a_atoms) end
  local v = sflex.vector(d)
  return math.sqrt(v:var() * #d / (#d - 1))
end

local c = r.counts
local lines = {
  string.format("config %s (%d atoms), E0 %.6f eV, %d centres x %d events, local_radius %g, refine %s, seed %d",
                opt.config, n, r.e0, #centers, opt.events, opt.local_radius,
                params.refine and (opt.refine_radius > 0 and opt.refine_radius .. " A" or "all atoms") or "no",
                opt.seed),
  string.format("events new_minimum %d returned %d delocalised %d failed %d disconnected %d",
                c.new_minimum, c.returned, c.delocalised, c.failed, c.disconnected),
  string.format("force_calls_per_event %.1f", r.force_calls / math.max(#r.events, 1)),
}
if params.refine then
  -- what refinement did: counted events, their local and refined barriers;
  -- failures by reason
  local nb, sl, sr, why = 0, 0, 0, {}
  for _, e in ipairs(r.events) do
    if e.status == "new_minimum" then nb, sl, sr = nb + 1, sl + e.local_barrier, sr + e.barrier end
    if e.status == "failed" then why[e.why] = (why[e.why] or 0) + 1 end
  end
  lines[#lines + 1] = string.format("refinement counted %d mean_local_barrier %.4f mean_refined_barrier %.4f",
                                    nb, nb > 0 and sl / nb or 0 / 0, nb > 0 and sr / nb or 0 / 0)
  local keys = {}
  for k in pairs(why) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do lines[#lines + 1] = string.format("failed %d: %s", why[k], k) end
end
local hist_a, hist_b, deciles, hcols, dcols = {}, {}, {}, nil, nil
local lo, hi = 0, 0
for _, e in ipairs(r.events) do
  if e.status == "new_minimum" and e.barrier > hi then hi = e.barrier end
end
hi = math.max(hi, 1e-6) * 1.0001
for _, sp in ipairs(a.species) do
  local mask = a:mask(sp):band(isc)
  local m = math.tointeger(mask:sum())
  lines[#lines + 1] = string.format("%s centres_with_barriers %d mean_barrier %.4f", sp, m,
                                    mean_of(barrier:select(mask)))
  local function groups(values, name, into)
    local top = sflex.top_mask(values, opt.extreme, mask)
    local bot = sflex.top_mask(-values, opt.extreme, mask)
    local bt, bb = event_barriers(top), event_barriers(bot)
    lines[#lines + 1] = string.format(
      "%s %s highest_%g%% atoms %d events %d mean %.4f | lowest atoms %d events %d mean %.4f | difference_low_minus_high %.4f +- %.4f",
      sp, name, 100 * opt.extreme, math.tointeger(top:sum()), #bt, mean_of(bt), math.tointeger(bot:sum()), #bb,
      mean_of(bb), mean_of(bb) - mean_of(bt), diff_se(per_atom(top), per_atom(bot)))
    local series = {}
    for _, g in ipairs {{bt, "highest", "high"}, {bb, "lowest", "low"}} do
      if #g[1] > 0 then
        local h, xc = sflex.stats.hist(g[1], {lo = lo, hi = hi, bins = opt.bins})
        local frac = h / #g[1]
        series[#series + 1] = {x = xc, y = frac, style = "steps lw 2", title = g[2] .. " " .. name}
        hcols = hcols or {{"barrier_bin_centre_eV", xc}}
        hcols[#hcols + 1] = {sp .. "_" .. name .. "_" .. g[3] .. "_fraction", frac}
      end
    end
    if #series > 0 then into[#into + 1] = {title = string.format("%s: %g%% highest / lowest %s", sp, 100 * opt.extreme, name),
                       xlabel = "barrier (eV)", ylabel = "fraction of events", series = series} end
  end
  if m > 0 then
    if sf then groups(sf, "SF", hist_a) end
    groups(volume, "volume", hist_b)
  end
  if sf and m >= 10 then
    local bsp, ssp = barrier:select(mask), sf:select(mask)
    local grp, sfm = sflex.stats.quantile_groups(ssp, 10)
    local bm = sflex.stats.group_means(bsp, grp, 10)
    lines[#lines + 1] = string.format("%s pearson_sf_barrier %.4f spearman %.4f", sp,
      sflex.stats.pearson(ssp, bsp), sflex.stats.spearman(ssp, bsp))
    -- ROC AUC: SF as the score of "lowest barriers" (positive) vs "highest"
    local low = sflex.top_mask(-bsp, opt.auc_extreme)
    local high = sflex.top_mask(bsp, opt.auc_extreme)
    local truth, score = {}, {}
    for i = 1, #bsp do
      if low[i] ~= 0 or high[i] ~= 0 then
        truth[#truth + 1] = low[i] ~= 0 and 1 or -1
        score[#score + 1] = ssp[i]
      end
    end
    lines[#lines + 1] = string.format("%s auc_sf_lowest_vs_highest_%g%%_barriers %.4f (%d + %d atoms)", sp,
      100 * opt.auc_extreme, sflex.stats.auc(truth, score), math.tointeger(low:sum()),
      math.tointeger(high:sum()))
    deciles[#deciles + 1] = {title = sp .. ": mean barrier per SF decile", xlabel = "<SF> of the decile",
                             ylabel = "<barrier> (eV)", key = false,
                             series = {{x = sfm, y = bm, style = "linespoints pt 7"}}}
    dcols = dcols or {{"decile", sflex.range(1, 10)}}
    dcols[#dcols + 1] = {sp .. "_decile_sf_mean", sfm}
    dcols[#dcols + 1] = {sp .. "_decile_barrier_mean", bm}
  end
end
if hcols then
  plot.write_table(path("fig9_hist.txt"), hcols, {comment = "Fig. 9a,b: barrier distributions (fraction of events per bin) of the highest/lowest SF and volume atoms, per species"})
end
if dcols then
  plot.write_table(path("fig9_deciles.txt"), dcols, {comment = "Fig. 9c: mean barrier (eV) of the centres in each SF decile, per species"})
end
local panels = {}
for _, set in ipairs {hist_a, hist_b, deciles} do
  for _, p in ipairs(set) do panels[#panels + 1] = p end
end
if #panels > 0 and plot.available() then plot.render{out = path("fig9.png"), panels = panels} end
write_text("summary.txt", table.concat(lines, "\n") .. "\n")
if not opt.quiet then
  print(table.concat(lines, "\n"))
  if opt.replay then
    print(string.format("replayed %d events of %s", #r.events, opt.replay))
  else
    print(string.format("wall %.1f s for %d events (%.3f s per event, %d threads)", wall, #r.events,
                        wall / math.max(#r.events, 1), opt.threads))
  end
end
