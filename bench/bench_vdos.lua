-- bench_vdos.lua: cost of the per-atom VACF by FFT (sflex.vacf) on
-- synthetic velocities, written to a raw file so that bench/ref_vdos.py
-- (numpy.fft) computes the same correlations from the same numbers.
--
--   OMP_NUM_THREADS=1 build/sflex bench/bench_vdos.lua [ATOMS] [FRAMES] [DIR] [REPS]
--
-- Writes DIR/vel.f64 (frames x atoms x 3 doubles, little-endian) and
-- DIR/acf_sflex.f64 (atoms x lags: m_i = 1 correlations per atom, mean over
-- the time origins), prints the best-of-REPS wall time of feeding the frames
-- (the FFTs run when the last frame of the segment arrives).
local sflex = require "sflex"
local n = math.tointeger(tonumber(arg[1] or 2000))
local T = math.tointeger(tonumber(arg[2] or 1001))
local dir = arg[3] or "/tmp/sflex-bench-vdos"
local reps = math.tointeger(tonumber(arg[4] or 3))
local lags = T // 2 + 1
os.execute("mkdir -p '" .. dir .. "'")

-- velocities: a few cosines per atom and component with pseudo-random
-- frequencies (0.5..9 THz), phases and amplitudes, frames 0.008 ps apart
local rng = 12345
local function rand()
  rng = (rng * 1103515245 + 12345) % 2147483648
  return rng / 2147483648
end
local par = {}
for c = 1, 3 * n do
  par[c] = {}
  for k = 1, 3 do par[c][k] = {0.5 + 8.5 * rand(), 2 * math.pi * rand(), 0.5 + rand()} end
end
local frames = {}
local f = assert(io.open(dir .. "/vel.f64", "wb"))
for t = 0, T - 1 do
  local m = sflex.matrix(n, 3)
  local buf = {}
  for i = 1, n do
    for c = 1, 3 do
      local s = 0
      for _, p in ipairs(par[3 * (i - 1) + c]) do s = s + p[3] * math.cos(2 * math.pi * p[1] * 0.008 * t + p[2]) end
      m:set(i, c, s)
      buf[#buf + 1] = string.pack("<d", s)
    end
  end
  f:write(table.concat(buf))
  frames[t + 1] = m
end
f:close()

local best, vacf = math.huge, nil
for _ = 1, reps do
  vacf = sflex.vacf(n, {frames = T, dt = 0.008, lags = lags})
  local t0 = sflex.now()
  for t = 1, T do vacf:add(frames[t]) end
  best = math.min(best, sflex.now() - t0)
end
local out = assert(io.open(dir .. "/acf_sflex.f64", "wb"))
for i = 1, n do
  local c = vacf:atom_acf(i)
  local buf = {}
  for k = 1, #c do buf[k] = string.pack("<d", c[k]) end
  out:write(table.concat(buf))
end
out:close()
print(string.format("sflex.vacf: %d atoms x 3 x %d frames, %d lags: best of %d %.3f s (threads %s)",
                    n, T, lags, reps, best, os.getenv("OMP_NUM_THREADS") or "default"))
