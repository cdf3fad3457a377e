-- Safe mode, in-process: the path checks (.., symbolic links), the LAMMPS
-- command checks, the sflex allow list (every public function classified),
-- and the sandbox environment (blocked functions name what was blocked;
-- allowed ones work).  The limits and the command line are tested by
-- tests/shell/test_sandbox.sh.
local t = require "testlib"
local ok_sys = pcall(require, "sflex_sandbox")
if not ok_sys then t.skip("needs the sflex shell (module sflex_sandbox)") end
local sys = require "sflex_sandbox"
local sandbox = require "sflex.sandbox"
local sflex = sflex or require "sflex"

local src = os.getenv("SFLEX_SOURCE_DIR") or "."
local root = t.tmpdir()
local out = root .. "/out"
assert(os.execute("mkdir -p '" .. out .. "/sub' '" .. root .. "/elsewhere'"))
assert(os.execute("ln -s '" .. root .. "/elsewhere' '" .. out .. "/escape'"))
assert(os.execute("ln -s '" .. root .. "/elsewhere/target.txt' '" .. out .. "/link.txt'"))
local rout = sys.realpath(out)
local roots = {rout}

t.case("check_write: inside the output folder, resolved", function()
  t.eq(sandbox.check_write(out .. "/a.txt", roots), rout .. "/a.txt")
  t.eq(sandbox.check_write(out .. "/sub/../b.txt", roots), rout .. "/b.txt")
  t.eq(sandbox.check_write(out .. "/sub/c.txt", roots), rout .. "/sub/c.txt")
end)

t.case("check_write: .., symbolic links and missing folders are blocked", function()
  t.raises(function() sandbox.check_write(out .. "/../x.txt", roots) end,
           "sandbox: blocked write to .*outside the output folder")
  t.raises(function() sandbox.check_write(out .. "/escape/x.txt", roots) end,
           "resolves to .*/elsewhere/x.txt, outside the output folder")
  t.raises(function() sandbox.check_write(out .. "/link.txt", roots) end, "it is a symbolic link")
  t.raises(function() sandbox.check_write(out .. "/nope/x.txt", roots) end, "cannot be resolved")
  t.raises(function() sandbox.check_write("/etc/passwd", roots) end, "outside the output folder")
  t.raises(function() sandbox.check_write(out .. "/..", roots) end, "not a file name")
  t.raises(function() sandbox.check_write({}, roots) end, "expected a path string")
end)

t.case("check_mkdir: new folders only inside", function()
  t.eq(sandbox.check_mkdir(out .. "/new/deeper", roots), rout .. "/new/deeper")
  t.raises(function() sandbox.check_mkdir(out .. "/new/../../x", roots) end, "'%.%.' in the part")
  t.raises(function() sandbox.check_mkdir(out .. "/escape/new", roots) end, "outside the output folder")
  t.raises(function() sandbox.check_mkdir(root .. "/x", roots) end, "outside the output folder")
end)

local ctx = {roots = roots}
local function lammps_ok(cmd)
  local ok, err = pcall(sandbox.check_lammps, cmd, ctx)
  if not ok then error("expected '" .. cmd .. "' to pass, got: " .. tostring(err), 2) end
end
local function lammps_blocked(cmd, pattern)
  local ok, err = pcall(sandbox.check_lammps, cmd, ctx)
  if ok then error("expected '" .. cmd .. "' to be blocked", 2) end
  if not tostring(err):find("sandbox: blocked", 1, true) or not tostring(err):find(pattern) then
    error("'" .. cmd .. "': expected an error matching '" .. pattern .. "', got: " .. tostring(err), 2)
  end
end

t.case("LAMMPS commands that are allowed", function()
  for _, c in ipairs {
    "units metal", "atom_style atomic", "boundary p p p", "box tilt large",
    "region box block 0 10 0 10 0 10", "create_box 2 box", "mass 1 63.546",
    "pair_style eam/fs", "pair_coeff * * /usr/share/lammps/potentials/CuZr_mm.eam.fs Cu Zr",
    "read_data " .. out .. "/in.data", "velocity all create 300 42 dist gaussian",
    "fix 1 all nvt temp 300 300 0.1", "fix 2 all npt/omp temp 1 1 0.1 iso 0 0 1",
    "fix av all ave/time 10 10 100 c_thermo_temp file " .. out .. "/temp.txt",
    "compute pe all pe/atom", "thermo_style custom step pe press", "run 100",
    "minimize 0 1e-8 1000 10000", "variable x equal $(2*3)", "variable s string hello",
    'print "SFLEX_VALUE ${x}"', 'print "done" file ' .. out .. "/log.txt",
    "dump d all custom 10 " .. out .. "/traj.*.dump.gz id type x y z",
    "write_data " .. out .. "/final.data", "write_dump all atom " .. out .. "/x.dump",
    "log none", "log " .. out .. "/log.lammps", 'if "${x} > 1" then "print hi" else "run 0"',
    "run 10 every 5 \"print 'tick'\"", "jump SELF loop", "# a comment", "",
    "thermo 10 # trailing comment with shell ls", "restart 0",
    "fix p all print 10 \"${x}\" append " .. out .. "/p.txt screen no",
    "units &\n  metal",
  } do lammps_ok(c) end
end)

t.case("LAMMPS commands that are blocked, each naming why", function()
  lammps_blocked("shell rm -rf /tmp/x", "it runs shell commands")
  lammps_blocked("python f input 1 v_x return v_y format ff here \"def f(x): return x\"", "it runs Python")
  lammps_blocked("plugin load /tmp/evil.so", "compiled code")
  lammps_blocked("include in.lammps", "would not be checked")
  lammps_blocked("jump other.in", "'jump' to another file")
  lammps_blocked("variable p python f", "variable style python")
  lammps_blocked("fix 1 all python/invoke 10 end_of_step f", "fix style 'python/invoke'")
  lammps_blocked("fix 1 all external pf/callback 1 1", "fix style 'external'")
  lammps_blocked("pair_style python 2.5", "pair style python")
  lammps_blocked("print hi file /tmp/evil.txt", "outside the output folder")
  lammps_blocked("print hi x\"#\" file /tmp/evil.txt", "outside the output folder")
  lammps_blocked("dump d all atom 1 " .. root .. "/evil.dump", "outside the output folder")
  lammps_blocked("dump d all atom 1 " .. out .. "/escape/evil.dump", "outside the output folder")
  lammps_blocked("dump d all atom 1 " .. out .. "/../evil.dump", "outside the output folder")
  lammps_blocked("dump m all movie 1 " .. out .. "/m.mpg type type", "ffmpeg")
  lammps_blocked("write_data /tmp/evil.data", "outside the output folder")
  lammps_blocked("write_restart ../evil.restart", "outside the output folder")
  lammps_blocked("log /tmp/evil.log", "outside the output folder")
  lammps_blocked("restart 100 " .. out .. "/a " .. root .. "/b", "outside the output folder")
  lammps_blocked("fix a all ave/time 1 1 1 c_t file /tmp/evil.txt", "outside the output folder")
  lammps_blocked("balance 1.0 shift xyz 10 1.1 out /tmp/evil.txt", "outside the output folder")
  lammps_blocked("${cmd} ls", "variable substitution")
  lammps_blocked("print hi ${kw}", "variable substitution")
  lammps_blocked("run $n", "variable substitution")
  lammps_blocked('if "1 > 0" then "shell ls"', "it runs shell commands")
  lammps_blocked('if "1 > 0" then "print a" elif "2 > 1" "shell ls"', "it runs shell commands")
  lammps_blocked('run 10 every 5 "print ok" "shell ls"', "it runs shell commands")
  lammps_blocked('if "1" then "if 1 then \'shell ls\'"', "it runs shell commands")
  lammps_blocked("read_data " .. out .. "/x;touch y.gz", "only letters, digits")
  lammps_blocked('dump d all atom 1 "' .. out .. '/a b.gz"', "compressed file name")
  lammps_blocked("shell &\n  ls", "it runs shell commands")
  lammps_blocked("units metal\nshell ls", "it runs shell commands")
  lammps_blocked("info all out log", "it can write files")
  lammps_blocked("no_such_command 1 2", "not on the sandbox allow list")
  lammps_blocked('print "unbalanced', "unbalanced quotes")
end)

t.case("sflex.lammps options", function()
  local ok = function(o) sandbox.check_lammps_opts(o, ctx) end
  ok({np = 2, args = {"-sf", "opt", "-pk", "omp", "2", "-nocite", "-var", "T", "300"}})
  ok({log = out .. "/log.lammps", echo = "none", timeout = 10})
  t.raises(function() ok({lmp = "/bin/sh"}) end, "option 'lmp'")
  t.raises(function() ok({launcher = "sh -c"}) end, "option 'launcher'")
  t.raises(function() ok({cwd = "/"}) end, "option 'cwd'")
  t.raises(function() ok({args = {"-in", "evil.in"}}) end, "option '%-in'")
  t.raises(function() ok({args = {"-screen", "/tmp/x"}}) end, "only 'none'")
  t.raises(function() ok({log = "/tmp/evil.log"}) end, "outside the output folder")
  t.raises(function() ok({tmpdir = "/tmp"}) end, "outside the output folder")
end)

-- Every public function of sflex and of the modules that make it up must
-- have a policy: a new function is blocked in the sandbox until someone
-- decides what it does (pure, reads, writes, runs LAMMPS).
t.case("every public sflex function is classified in sflex.sandbox", function()
  local missing = {}
  local function check(tbl, policy, name)
    for k in pairs(tbl) do
      if policy[k] == nil and policy["*"] == nil then missing[#missing + 1] = name .. "." .. tostring(k) end
    end
  end
  check(sflex, sandbox.POLICY, "sflex")
  for _, m in ipairs {"sflex.structure", "sflex.mech", "sflex.vib", "sflex.lammps", "sflex.vdos"} do
    local ok, mod = pcall(require, m)
    if ok and type(mod) == "table" then check(mod, sandbox.POLICY, m) end
  end
  check(sflex.learn, sandbox.POLICY.learn.view, "sflex.learn")
  check(sflex._core, sandbox.POLICY._core.view, "sflex._core")
  table.sort(missing)
  t.ok(#missing == 0, "not classified in lua/sflex/sandbox.lua POLICY: " .. table.concat(missing, ", "))
  for k, p in pairs(sandbox.POLICY) do
    t.ok(type(p) == "table" or p == "pure" or p == "read" or p == "write1" or p == "write1-" or
         p == "write2" or p == "mkdir1" or p == "lammps" or p == "table" or p:match("^block: "),
         "bad policy for " .. k .. ": " .. tostring(p))
  end
end)

-- ---- the environment ------------------------------------------------------------------------

local pkgdir = root .. "/pkg"
assert(os.execute("mkdir -p '" .. pkgdir .. "/lib'"))
do
  local f = assert(io.open(pkgdir .. "/helper.lua", "w"))
  f:write("local M = {}\nfunction M.twice(x) return 2 * x end\nM.has_io = io ~= nil\nreturn M\n")
  f:close()
  f = assert(io.open(pkgdir .. "/lib/deep.lua", "w"))
  f:write("return {name = ...}\n")
  f:close()
  f = assert(io.open(pkgdir .. "/binary.lua", "wb"))
  f:write(string.dump(function() return 1 end))
  f:close()
end
local env = sandbox.new_env{output = out, package_dir = pkgdir, arg = {[0] = "test", "a1"}}

-- run code in the sandbox; returns the results or raises
local function run(code)
  local f = assert(load(code, "=sandboxed", "t", env))
  return f()
end

local function blocked(code, pattern)
  local ok, err = pcall(run, code)
  if ok then error("expected the sandbox to block: " .. code, 2) end
  if not tostring(err):find("sandbox: blocked", 1, true) or not tostring(err):find(pattern) then
    error("'" .. code .. "': expected 'sandbox: blocked' and '" .. pattern .. "', got: " .. tostring(err), 2)
  end
end

t.case("programs, compiled code and the debug library are blocked", function()
  blocked("os.execute('touch " .. root .. "/evil')", "os.execute")
  blocked("io.popen('ls')", "io.popen")
  blocked("package.loadlib('/lib/x86_64-linux-gnu/libc.so.6', '*')", "package.loadlib")
  blocked("debug.getinfo(1)", "debug.getinfo")
  blocked("debug.sethook()", "debug.sethook")
  blocked("sflex.spawn({'ls'})", "sflex.spawn")
  blocked("sflex.remove_tree('" .. root .. "')", "sflex.remove_tree")
  blocked("sflex.mkdtemp('x')", "sflex.mkdtemp")
  blocked("sflex._core.spawn({'ls'})", "sflex._core.spawn")
  blocked("sflex._core._docs()", "sflex._core._docs")
  blocked("sflex._core.write('" .. root .. "/evil.data', sflex.read('" .. src .. "/tests/data/cuzr_tri.data'))",
          "sflex._core.write to")
  blocked("sflex._core._model_write('" .. root .. "/evil.sfmodel', {})", "sflex._core._model_write to")
  blocked("require 'sflex_core'", "require 'sflex_core'")
  blocked("require 'sflex.sandbox'", "require 'sflex.sandbox'")
  blocked("os.tmpname()", "os.tmpname")
  blocked("io.tmpfile()", "io.tmpfile")
  blocked("os.setlocale('C')", "os.setlocale")
  blocked("setmetatable({}, {__gc = function() end})", "__gc")
  t.eq(run("return string.dump"), nil, "string.dump")
  t.ok(not os.execute("test -e '" .. root .. "/evil'"), "os.execute did not run")
end)

t.case("binary chunks are refused, text loads in the sandbox", function()
  local dumped = string.format("%q", string.dump(function() return 1 end))
  local f, err = run("return load(" .. dumped .. ")")
  t.eq(f, nil)
  t.match(err, "sandbox: blocked loading a binary chunk")
  f, err = run("return load('return 1', 'x', 'b')")
  t.eq(f, nil)
  t.match(err, "sandbox: blocked loading binary chunks")
  local g, gerr = run("return loadfile('" .. pkgdir .. "/binary.lua')")
  t.eq(g, nil)
  t.match(gerr, "sandbox: blocked loading the binary chunk")
end)

t.case("load defaults to the sandbox environment", function()
  t.raises(function() run("return load('return os.execute(\"true\")')()") end, "sandbox: blocked os.execute")
  t.eq(run("return load('return x', 'c', 't', {x = 5})()"), 5)
  t.eq(run("return dofile('" .. pkgdir .. "/helper.lua').twice(2)"), 4)
end)

t.case("require: package modules as text, sflex views, nothing else", function()
  t.eq(run("return require('helper').twice(21)"), 42)
  t.eq(run("return require('helper').has_io"), true)
  t.eq(run("return require('lib.deep').name"), "lib.deep")
  t.raises(function() run("return require('binary')") end, "binary chunk")
  t.raises(function() run("return require('nosuch')") end, "module 'nosuch' not found")
  t.raises(function() run("return require('../etc/passwd')") end, "sandbox: blocked require")
  t.eq(run("return require('sflex') == sflex"), true)
  t.eq(run("return type(require('sflex.cli').parse)"), "function")
  t.eq(run("return require('sflex.package').in_sandbox"), true)
end)

t.case("writes only inside the output folder", function()
  run("local f = assert(io.open('" .. out .. "/ok.txt', 'w')); f:write('x'); f:close()")
  t.eq(io.open(out .. "/ok.txt"):read("a"), "x")
  blocked("io.open('" .. root .. "/evil.txt', 'w')", "io.open for writing")
  blocked("io.open('" .. out .. "/../evil.txt', 'a')", "outside the output folder")
  blocked("io.open('" .. out .. "/escape/evil.txt', 'w')", "outside the output folder")
  blocked("io.open('" .. out .. "/link.txt', 'r+')", "symbolic link")
  blocked("io.output('" .. root .. "/evil.txt')", "io.output")
  blocked("os.remove('" .. src .. "/CMakeLists.txt')", "os.remove")
  blocked("os.rename('" .. out .. "/ok.txt', '" .. root .. "/moved.txt')", "os.rename to")
  run("assert(os.rename('" .. out .. "/ok.txt', '" .. out .. "/sub/moved.txt'))")
  run("assert(os.remove('" .. out .. "/sub/moved.txt'))")
  t.ok(io.open(src .. "/CMakeLists.txt") ~= nil, "reading is allowed")
  t.ok(run("return io.open('" .. src .. "/CMakeLists.txt') ~= nil"), "reading in the sandbox")
  local f = io.open(root .. "/evil.txt")
  t.ok(f == nil, "nothing written outside")
end)

t.case("sflex writers are checked; reading works", function()
  local path = src .. "/tests/data/cuzr_tri.dump"
  local n = run("local a = sflex.read('" .. path .. "'); sflex.write('" .. out .. "/x.data', a); return a.n")
  t.eq(n, 32)
  t.ok(io.open(out .. "/x.data") ~= nil, "written inside")
  blocked("sflex.write('" .. root .. "/evil.data', sflex.read('" .. path .. "'))", "sflex.write to")
  blocked("sflex.write_columns('" .. root .. "/evil.txt', {sflex.vector(3)}, {'a'})", "sflex.write_columns to")
  blocked("sflex.gzip_file('" .. path .. "', '" .. root .. "/evil.gz')", "sflex.gzip_file to")
  blocked("sflex.make_dirs('" .. root .. "/evildir')", "creating the folder")
  run("sflex.make_dirs('" .. out .. "/made/here')")
  t.ok(sys.lstat(out .. "/made/here") == "dir", "make_dirs inside")
  blocked("require('sflex.plot').write_table('" .. root .. "/evil.txt', {{'a', {1}}})", "plot.write_table to")
  blocked("require('sflex.plot').render{out = '" .. root .. "/evil.png', series = {{x = {1}, y = {1}}}}",
          "plot output")
  blocked("require('sflex.plot').render{out = '" .. out .. "/p.png', series = {{x = {1}, y = {1}, " ..
          "style = 'lines; system(\"touch " .. root .. "/evil\")'}}}", "gnuplot style")
  blocked("sflex.learn.write_dump('" .. root .. "/evil.dump', sflex.read('" .. path .. "'))", "write_dump to")
  t.ok(io.open(root .. "/evil.txt") == nil and io.open(root .. "/evil.data") == nil, "nothing written outside")
end)

t.case("model:save is checked", function()
  local learn = require("sflex.learn").learn
  local m = learn.new_model{label = "y", descriptor = {grid = {1, 2, 0.5}, sigma = 0.1, cutoff = 2},
                            centres = {Cu = {weights = sflex.vector({1, 2, 3})}}, order = {"Cu"}}
  env.test_model = m
  blocked("test_model:save('" .. root .. "/evil.sfmodel')", "model:save")
  run("test_model:save('" .. out .. "/ok.sfmodel')")
  t.ok(io.open(out .. "/ok.sfmodel") ~= nil, "saved inside")
  env.test_model = nil
end)

t.case("shared tables are read-only, the script's own are its own", function()
  blocked("getmetatable('').__index.gsub = function() end", "changing a shared table")
  blocked("getmetatable(sflex.vector(2)).__name = 'x'", "changing a shared table")
  blocked("sflex.learn.SFModel.save = print", "changing a shared table")
  t.eq(run("local mt = {__index = function() return 7 end}; local o = setmetatable({}, mt); " ..
           "getmetatable(o).extra = 1; return o.x, getmetatable(o) == mt"), 7)
  t.ok(("x"):rep(2) == "xx" and string.gsub ~= nil, "string library intact")
  t.eq(run("string.rep = nil; return ('ab'):rep(2)"), "abab")
  t.ok(string.rep ~= nil, "the real string table is untouched")
end)

t.case("the allow list hides unknown names but lets them be seen", function()
  t.eq(run("return type(sflex.read)"), "function")
  t.eq(run("local n = 0; for k in pairs(sflex) do n = n + 1 end; return n > 20"), true)
  blocked("sflex.spawn({'true'})", "starting programs is not allowed")
end)

os.execute("rm -rf '" .. root .. "'")
t.done()
