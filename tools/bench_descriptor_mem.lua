-- bench_descriptor_mem.lua: time and memory of the radial or angular descriptor
-- on the Cu50Zr50 glass replicated 8x8x8 (1,024,000 atoms), double or float32.
--   /usr/bin/time -f "maxrss %M KB" sflex tools/bench_descriptor_mem.lua radial|angular double|float
local what, prec = arg[1], arg[2]
if (what ~= "radial" and what ~= "angular") or (prec ~= "double" and prec ~= "float") then
  error("usage: sflex tools/bench_descriptor_mem.lua radial|angular double|float", 0)
end
local a = sflex.read("data/glasses/Cu50Zr50_1e13_s1/vflex.dump.gz", {elements = {"Cu", "Zr"}}):replicate(8, 8, 8)
local rp = {CuCu = 2.5923, CuZr = 2.8142, ZrZr = 3.1264}
collectgarbage()
local t0 = sflex.now()
local X
if what == "radial" then X = sflex.descriptor(a, {rp = rp, precision = prec})
else X = sflex.angular_descriptor(a, {rp = rp, precision = prec}) end
local dt = sflex.now() - t0
print(string.format("%s %s: %d atoms x %d columns (%s) in %.2f s", what, prec, X.rows, X.cols, X:dtype(), dt))
