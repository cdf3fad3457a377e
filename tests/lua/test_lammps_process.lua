-- sflex.spawn (child processes with pipes), temporary directories and the
-- Voronoi cells: everything the LAMMPS driver stands on that does not need
-- LAMMPS itself.
local t = require "testlib"
local sflex = sflex or require "sflex"

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() return true end
  return false
end

t.case("spawn: write, read lines, exit status", function()
  local p = sflex.spawn({"sh", "-c", "while read l; do echo \"got $l\"; done; echo bye; exit 3"})
  t.match(tostring(p), "^Process%(pid=%d+, running%)$")
  t.ok(p:running())
  p:write("one\n", "two\n")
  t.eq(p:read_line(10), "got one")
  t.eq(p:read_line(10), "got two")
  p:close_input()
  t.eq(p:read_line(10), "bye")
  local line, why = p:read_line(10)
  t.eq(line, nil); t.eq(why, "eof")
  t.eq(p:wait(10), 3)
  t.eq(p:close(), 3)
  t.match(tostring(p), "closed, status=3")
end)

t.case("spawn: timeout keeps the partial line, stderr merged", function()
  local p = sflex.spawn({"sh", "-c", "echo err >&2; printf 'part'; sleep 0.5; echo ial; sleep 30"})
  t.eq(p:read_line(5), "err")
  local line, why = p:read_line(0.05)
  t.eq(line, nil); t.eq(why, "timeout")
  t.eq(p:read_line(10), "partial")
  local t0 = sflex.now()
  local status = p:close(0.2)  -- TERM after 0.2 s
  t.ok(sflex.now() - t0 < 5, "close must not wait for sleep 30")
  t.eq(status, 128 + 15)
end)

t.case("spawn: writing to a dead child is an error, not SIGPIPE", function()
  local p = sflex.spawn({"sh", "-c", "exit 0"})
  t.eq(p:wait(10), 0)
  local ok, msg
  for _ = 1, 3 do ok, msg = p:write(string.rep("x", 100000) .. "\n") end
  t.eq(ok, nil)
  t.match(msg, "exited")
  p:close()
end)

t.case("spawn: kill reaches the whole process group", function()
  local p = sflex.spawn({"sh", "-c", "sleep 60 & echo child $!; wait"})
  local child = tonumber(p:read_line(10):match("child (%d+)"))
  t.ok(child)
  p:close(0)
  -- the grandchild is gone too (or a zombie waiting for init to reap it)
  local alive
  for _ = 1, 50 do
    local f = io.open("/proc/" .. child .. "/stat")
    local stat = f and f:read("a")
    if f then f:close() end
    alive = stat and not stat:match("^%d+ %b() Z")
    if not alive then break end
    os.execute("sleep 0.05")
  end
  t.ok(not alive, "grandchild still running")
end)

t.case("spawn: bad input", function()
  t.raises(function() sflex.spawn({"/nonexistent/program"}) end, "spawn /nonexistent/program: No such file")
  t.raises(function() sflex.spawn({}) end, "empty command")
  t.raises(function() sflex.spawn({"true"}, {stderr = "bogus"}) end, "stderr must be")
  t.raises(function() sflex.spawn({"true"}, {cwd = "/nonexistent/dir"}) end, "nonexistent")
  local p = sflex.spawn({"pwd"}, {cwd = "/"})
  t.eq(p:read_line(10), "/")
  p:close()
end)

t.case("which, mkdtemp, remove_tree, make_dirs", function()
  t.match(sflex.which("sh"), "/sh$")
  local none, why = sflex.which("no-such-program-xyz")
  t.eq(none, nil); t.match(why, "not found in PATH")
  local d = sflex.mkdtemp("sflex-test-")
  t.match(d, "sflex%-test%-")
  sflex.make_dirs(d .. "/a/b/c")
  local f = assert(io.open(d .. "/a/b/c/file", "w")); f:write("x"); f:close()
  os.execute("ln -s / '" .. d .. "/a/root-link'")
  sflex.remove_tree(d)
  t.ok(not exists(d), "directory still there")
  t.ok(exists("/etc/passwd"), "followed a link")
  sflex.remove_tree(d) -- missing: fine
  t.raises(function() sflex.remove_tree("/") end, "refusing")
end)

-- ---- Voronoi cells -----------------------------------------------------------

local function lattice(basis, a, nrep, box_tilt)
  local x, ty = {}, {}
  for i = 0, nrep - 1 do
    for j = 0, nrep - 1 do
      for k = 0, nrep - 1 do
        for _, b in ipairs(basis) do
          x[#x + 1] = {(i + b[1]) * a, (j + b[2]) * a, (k + b[3]) * a}
          ty[#ty + 1] = 1
        end
      end
    end
  end
  local L = a * nrep
  return sflex.atoms{x = x, type = ty, box = sflex.box{lo = {0, 0, 0}, hi = {L, L, L}}}
end

t.case("voronoi: fcc and bcc cells", function()
  local fcc = lattice({{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}}, 3.6, 3)
  local v = sflex.voronoi(fcc)
  for i = 1, #fcc do
    t.near(v.volume[i], 3.6 ^ 3 / 4, 1e-9, "fcc volume")
    t.eq(v.nfaces[i], 12)
    t.eq(v.fivefold[i], 0)
    t.near(v.a[i], 3.6 / math.sqrt(2), 1e-9, "fcc a")
  end
  t.eq(v.edges[1][5], 12) -- 12 rhombi: 4 edges each (column k+1)
  local bcc = lattice({{0, 0, 0}, {0.5, 0.5, 0.5}}, 3.2, 3)
  local w = sflex.voronoi(bcc)
  t.near(w.volume[1], 3.2 ^ 3 / 2, 1e-9, "bcc volume")
  t.eq(w.nfaces[1], 14)
  t.eq(w.edges[1][5], 6)  -- 6 squares
  t.eq(w.edges[1][7], 8)  -- 8 hexagons
  t.near(w.a[1], (8 * 3.2 * math.sqrt(3) / 2 + 6 * 3.2) / 14, 1e-9, "bcc a")
end)

t.case("voronoi: random triclinic configuration fills the box", function()
  -- a deterministic pseudo-random configuration
  local seed = 12345
  local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 end
  local n, x, ty = 300, {}, {}
  local box = sflex.box{lo = {0, 0, 0}, hi = {17, 16, 15}, tilt = {2.5, -1.5, 1.0}}
  for i = 1, n do
    local s = {rnd(), rnd(), rnd()}
    x[i] = {s[1] * 17 + s[2] * 2.5 - s[3] * 1.5, s[2] * 16 + s[3] * 1.0, s[3] * 15}
    ty[i] = 1 + i % 2
  end
  local atoms = sflex.atoms{x = x, type = ty, box = box}
  local v = sflex.voronoi(atoms, {face_min = 0})
  t.near(v.volume:sum(), box.volume, 1e-8 * box.volume, "sum of cell volumes")
  t.ok(v.fivefold:min() >= 0 and v.fivefold:max() <= 1)
  -- thresholds only drop faces
  local w = sflex.voronoi(atoms, {face_min = 0.02, edge_min = 0.05})
  for i = 1, n do t.ok(w.nfaces[i] <= v.nfaces[i]) end
  t.near(w.volume:sum(), box.volume, 1e-8 * box.volume, "volumes ignore thresholds")
  -- a translated copy gives the same cells
  local x2 = {}
  for i = 1, n do x2[i] = {x[i][1] + 3.3, x[i][2] - 7.1, x[i][3] + 0.2} end
  local v2 = sflex.voronoi(sflex.atoms{x = x2, type = ty, box = box}, {face_min = 0})
  for i = 1, n do t.near(v2.volume[i], v.volume[i], 1e-9, "translation") end
end)

t.case("voronoi: bad input", function()
  local atoms = sflex.atoms{x = {{1, 1, 1}, {1, 1, 1}, {3, 3, 3}}, type = {1, 1, 1},
                            box = sflex.box{lo = {0, 0, 0}, hi = {6, 6, 6}}}
  t.raises(function() sflex.voronoi(atoms) end, "same position")
  t.raises(function() sflex.voronoi(atoms, {face_min = 2}) end, "face_min")
  t.raises(function() sflex.voronoi(atoms, {bogus = 1}) end, "unknown option")
end)

t.done()
