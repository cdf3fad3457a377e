-- pool_enrichment.lua: Fig. 7 / S16-S20 pooled over samples.  Adds up the
-- top-D2min atoms of each group over several shear.lua runs (each sample
-- keeps its own groups and its own top --top atoms) and gives the pooled
-- share of each group, with the binomial standard error.
--
--   sflex scripts/pool_enrichment.lua SHEAR_DIR... [--table enrichment] --out PREFIX
--
-- Reads DIR/<table>.txt (enrichment: one loading direction; directions:
-- D2min averaged over directions) of each run; writes PREFIX.txt (group,
-- then per species and measure: flagged atoms, group atoms, share, its
-- standard error, rate) and PREFIX.png (bars).  doc/mechanics.md.
local sflex = require "sflex"
local cli = require "sflex.cli"
local plot = require "sflex.plot"

local opt = cli.parse(arg, {
  usage = "sflex scripts/pool_enrichment.lua SHEAR_DIR... [--table enrichment] --out PREFIX",
  rest = "dirs",
  options = {
    table = {type = "string", default = "enrichment", help = "table of each run: enrichment | directions"},
    out = {type = "string", required = true, help = "output prefix (PREFIX.txt, PREFIX.png)"},
    quiet = {type = "flag", help = "no summary on stdout"},
  },
})
opt.dirs = sflex.learn.expand_paths(opt.dirs)
if #opt.dirs == 0 then error("pool_enrichment.lua: give at least one shear.lua output directory", 0) end

local keys, sums, ngroups = {}, {}, nil   -- key "<sp>_<measure>" -> {flagged = {}, count = {}}
for _, dir in ipairs(opt.dirs) do
  local file = dir:gsub("/+$", "") .. "/" .. opt.table .. ".txt"
  local t = plot.read_table(file)
  if not t.columns.group then error(file .. ": no group column (not a shear.lua table)", 0) end
  if ngroups and t.n ~= ngroups then
    error(string.format("%s: %d groups, the first table has %d", file, t.n, ngroups), 0)
  end
  ngroups = t.n
  local found = 0
  for _, name in ipairs(t.names) do
    local key = name:match("^(.+)_flagged$")
    if key then
      local count = t.columns[key .. "_count"]
      if not count then error(file .. ": column " .. name .. " without " .. key .. "_count", 0) end
      if not sums[key] then
        if #opt.dirs > 1 and dir ~= opt.dirs[1] then
          error(string.format("%s: %s is not in the first table", file, key), 0)
        end
        sums[key] = {flagged = {}, count = {}, samples = 0}
        keys[#keys + 1] = key
        for g = 1, t.n do sums[key].flagged[g], sums[key].count[g] = 0, 0 end
      end
      local s = sums[key]
      for g = 1, t.n do
        s.flagged[g] = s.flagged[g] + t.columns[name][g]
        s.count[g] = s.count[g] + count[g]
      end
      s.samples = s.samples + 1
      found = found + 1
    end
  end
  if found == 0 then
    error(file .. ": no <species>_<measure>_flagged columns (written by shear.lua since the pooled tables)", 0)
  end
end
for _, key in ipairs(keys) do
  if sums[key].samples ~= #opt.dirs then
    error(string.format("%s is in %d of the %d tables", key, sums[key].samples, #opt.dirs), 0)
  end
end

local groups = {}
for g = 1, ngroups do groups[g] = g end
local cols, panels, lines = {{"group", groups}}, {}, {}
for _, key in ipairs(keys) do
  local s = sums[key]
  local total = 0
  for g = 1, ngroups do total = total + s.flagged[g] end
  local share, err, rate = {}, {}, {}
  for g = 1, ngroups do
    local p = total > 0 and s.flagged[g] / total or 0 / 0
    share[g] = p
    err[g] = total > 0 and math.sqrt(p * (1 - p) / total) or 0 / 0
    rate[g] = s.count[g] > 0 and s.flagged[g] / s.count[g] or 0 / 0
  end
  cols[#cols + 1] = {key .. "_flagged", s.flagged}
  cols[#cols + 1] = {key .. "_count", s.count}
  cols[#cols + 1] = {key .. "_share", share}
  cols[#cols + 1] = {key .. "_share_err", err}
  cols[#cols + 1] = {key .. "_rate", rate}
  local sp, measure = key:match("^([^_]+)_(.+)$")
  panels[#panels + 1] = {title = string.format("%s by %s: %d top-D2min atoms of %d samples", sp, measure, total,
                                               #opt.dirs),
                         xlabel = measure .. " group (1 = lowest)", ylabel = "share of top-D2min atoms",
                         key = false, xrange = {0.5, ngroups + 0.5}, yrange = {0, nil},
                         series = {{x = groups, y = share, style = "boxes fs solid 0.6 lc rgb '#c0392b'"}}}
  lines[#lines + 1] = string.format("%-12s %4d atoms: share lowest %.3f +- %.3f, lowest two %.3f, highest %.3f +- %.3f",
    key, total, share[1], err[1], share[1] + share[2], share[ngroups], err[ngroups])
end
plot.write_table(opt.out .. ".txt", cols, {comment = string.format(
  "%s.txt of %d shear.lua runs pooled: flagged/count summed per group; share = flagged / all flagged " ..
  "(+- binomial standard error); rate = flagged / count\n%s", opt.table, #opt.dirs, table.concat(opt.dirs, " "))})
plot.render{out = opt.out .. ".png", panels = panels}
if not opt.quiet then print(table.concat(lines, "\n")) end
