-- sflex.art helpers: per-atom summaries of ART nouveau events (sflex.art,
-- doc/activation.md).
--
--   local r = sflex.art(pot, atoms, {centers = c, events = 30})
--   local mean, count = sflex.art_barriers(r, #atoms)
local core = require "sflex_core"

local M = {}

local doc = require("sflex.help").doc   -- doc(f, text) registers help(f)

-- Mean barrier of the counted events (status new_minimum) of each centre.
function M.art_barriers(result, n)
  if type(result) ~= "table" or type(result.events) ~= "table" then
    error("art_barriers: expected the result of sflex.art", 2)
  end
  n = n or #result.minimum
  local sum, cnt = core.vector(n, 0), core.vector(n, 0)
  for _, e in ipairs(result.events) do
    if e.status == "new_minimum" then
      sum[e.center] = sum[e.center] + e.barrier
      cnt[e.center] = cnt[e.center] + 1
    end
  end
  local mean = core.vector(n, 0 / 0)
  for i = 1, n do
    if cnt[i] > 0 then mean[i] = sum[i] / cnt[i] end
  end
  return mean, cnt
end
doc(M.art_barriers,
  "sflex.art_barriers(result [, n]) -> mean (Vector per atom), count (Vector)\n" ..
  "  Mean barrier (eV) of the counted events (status 'new_minimum') of each centre\n" ..
  "  of a sflex.art result; NaN for atoms without a counted event.")

return M
