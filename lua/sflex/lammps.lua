-- sflex.lammps: drive LAMMPS as a child process.
--
--   local lmp = sflex.lammps{np = 2, args = {"-sf", "opt"}}
--   lmp:commands{"units metal", "atom_style atomic", ...}
--   lmp:command("run 1000")
--   print(lmp:eval("pe"), lmp:thermo().Temp[1])
--   local atoms = lmp:get_atoms()
--   lmp:close()
--
-- LAMMPS reads its commands from stdin (rank 0 under mpirun).  After each
-- batch of commands the object sends `print "SFLEX_SYNC <n>"` and reads the
-- output until that line, so a call returns when LAMMPS has finished.  An
-- "ERROR" line, end of output or a timeout becomes a Lua error carrying
-- LAMMPS's own text; the process is then killed and the object is dead (make
-- a new one).  Files LAMMPS writes for get_atoms/put_atoms live in a private
-- temporary directory that close() (or the collector) removes.
local core = require "sflex_core"

local M = {}

local Lammps = {}  -- methods
local LammpsMT = {__index = Lammps, __name = "sflex.Lammps"}

local function shell_words(s)
  local words = {}
  for w in s:gmatch("%S+") do words[#words + 1] = w end
  return words
end

local is_root_cache
local function is_root()
  if is_root_cache == nil then
    local f = io.popen("id -u 2>/dev/null")
    local uid = f and f:read("l")
    if f then f:close() end
    is_root_cache = (uid == "0")
  end
  return is_root_cache
end

-- Default launcher for np > 1: $SFLEX_MPIRUN, else mpirun (allowed to run
-- as root when we are root, which OpenMPI otherwise refuses).
local function default_launcher()
  local env = os.getenv("SFLEX_MPIRUN")
  if env and env ~= "" then return env end
  return is_root() and "mpirun --allow-run-as-root" or "mpirun"
end

-- The argv the object spawns (exposed for the documentation and tests).
function M.lammps_command(opts)
  opts = opts or {}
  local np = opts.np or 1
  local argv = {}
  local launcher = opts.launcher
  if launcher == nil and np > 1 then launcher = default_launcher() end
  if launcher and launcher ~= "" then
    for _, w in ipairs(type(launcher) == "table" and launcher or shell_words(launcher)) do
      argv[#argv + 1] = w
    end
    -- "{np}" in the launcher is replaced; otherwise "-np N" is appended
    local placed = false
    for i, w in ipairs(argv) do
      if w:find("{np}", 1, true) then
        argv[i] = w:gsub("{np}", tostring(np))
        placed = true
      end
    end
    if not placed and opts.np_flag ~= false then
      argv[#argv + 1] = opts.np_flag or "-np"
      argv[#argv + 1] = tostring(np)
    end
  end
  -- LAMMPS writes its screen output with C stdio, fully buffered into a
  -- pipe: line-buffer it (OpenMPI's mpirun gives ranks a pty, MPICH and
  -- a plain exec do not).
  if opts.stdbuf ~= false then
    argv[#argv + 1] = opts.stdbuf_path or "stdbuf"
    argv[#argv + 1] = "-oL"
  end
  argv[#argv + 1] = opts.lmp or os.getenv("SFLEX_LMP") or "lmp"
  argv[#argv + 1] = "-log"
  argv[#argv + 1] = opts.log or "none"
  argv[#argv + 1] = "-echo"
  argv[#argv + 1] = opts.echo or (opts.log and "log" or "none")
  argv[#argv + 1] = "-nocite"
  for _, a in ipairs(opts.args or {}) do argv[#argv + 1] = tostring(a) end
  return argv
end

local function check_opts(opts)
  local known = {np = true, launcher = true, np_flag = true, lmp = true,
                 log = true, echo = true, args = true, timeout = true,
                 verbose = true, on_line = true, cwd = true, elements = true,
                 tmpdir = true, start_timeout = true, stdbuf = true}
  for k in pairs(opts) do
    if not known[k] then error("sflex.lammps: unknown option '" .. tostring(k) .. "'", 3) end
  end
  if opts.np ~= nil and (math.type(opts.np) ~= "integer" or opts.np < 1) then
    error("sflex.lammps: np must be a positive integer", 3)
  end
end

--- sflex.lammps{np=1, launcher=, lmp="lmp", args={}, log=, timeout=,
---   verbose=false, on_line=, cwd=, elements=} -> Lammps
function M.lammps(opts)
  opts = opts or {}
  check_opts(opts)
  local lmp = opts.lmp or os.getenv("SFLEX_LMP") or "lmp"
  local exe, why = core.which(lmp)
  if not exe then
    error("sflex.lammps: LAMMPS executable " .. why ..
          " (install the Debian 'lammps' package or pass lmp=PATH)", 2)
  end
  local cmd_opts = setmetatable({}, {__index = opts})
  if opts.stdbuf == nil then
    local sb = core.which("stdbuf")
    cmd_opts.stdbuf = sb and true or false
    cmd_opts.stdbuf_path = sb
  end
  local argv = M.lammps_command(cmd_opts)
  if (opts.np or 1) > 1 or (opts.launcher and opts.launcher ~= "") then
    local ok, why2 = core.which(argv[1])
    if not ok then error("sflex.lammps: MPI launcher " .. why2, 2) end
  end
  local self = setmetatable({
    argv = argv,
    np = opts.np or 1,
    timeout = opts.timeout,
    verbose = opts.verbose,
    on_line = opts.on_line,
    elements = opts.elements,
    nsync = 0,
    output = {},
    warnings = {},
    alive = false,
  }, LammpsMT)
  self.tmpdir = core.mkdtemp("sflex-lammps-", opts.tmpdir)
  local ok, proc = pcall(core.spawn, argv, {cwd = opts.cwd, stderr = "merge"})
  if not ok then
    core.remove_tree(self.tmpdir)
    self.tmpdir = nil
    error("sflex.lammps: " .. tostring(proc), 2)
  end
  self.proc = proc
  self.alive = true
  -- the banner, and proof that LAMMPS reads our commands
  local ok2, err = pcall(self.sync, self, opts.start_timeout or opts.timeout or 120)
  if not ok2 then
    self:close()
    error(err, 2)
  end
  self.banner = table.concat(self.output, "\n")
  return self
end

function LammpsMT.__tostring(self)
  if not self.alive then return "Lammps(closed)" end
  return string.format("Lammps(np=%d, pid=%d, %s)", self.np, self.proc:pid(),
                       table.concat(self.argv, " "))
end

local function fail(self, msg)
  self:_kill()
  error(msg, 0)
end

-- Kill the process, keep the object as a dead shell.
function Lammps:_kill()
  if self.proc then
    self.proc:close(0.5)
    self.proc = nil
  end
  self.alive = false
  if self.tmpdir then
    pcall(core.remove_tree, self.tmpdir)
    self.tmpdir = nil
  end
end

local function check_alive(self)
  if not self.alive then
    error("sflex.lammps: this LAMMPS instance is closed (after an error or close()); make a new one", 3)
  end
end

-- Send the sync marker and read output until it comes back.  Collects the
-- lines in self.output; raises on ERROR, end of output or timeout.
function Lammps:sync(timeout)
  check_alive(self)
  self.nsync = self.nsync + 1
  local marker = "SFLEX_SYNC " .. self.nsync
  local ok, werr = self.proc:write('print "' .. marker .. '"\n')
  local out = {}
  self.output = out
  local deadline = timeout and (core.now() + timeout)
  while true do
    local wait
    if timeout then wait = math.max(0, deadline - core.now()) end
    local line, why = self.proc:read_line(wait)
    if not line then
      if why == "timeout" then
        fail(self, string.format("LAMMPS did not finish within %g s (killed); last output:\n%s",
                                 timeout, table.concat(out, "\n", math.max(1, #out - 10))))
      end
      local status = self.proc:wait(2) or "unknown"
      local text = table.concat(out, "\n", math.max(1, #out - 20))
      if not ok then text = text .. "\n" .. tostring(werr) end
      fail(self, string.format("LAMMPS exited unexpectedly (status %s); last output:\n%s",
                               tostring(status), text))
    end
    if line == marker then break end
    out[#out + 1] = line
    if self.on_line then self.on_line(line) end
    if self.verbose then io.stdout:write(line, "\n"); io.stdout:flush() end
    if line:find("^ERROR") then
      -- LAMMPS prints "Last command: ..." right after; take it if it comes
      local msg = line
      local nxt = self.proc:read_line(1)
      if nxt and nxt:find("^Last command:") then msg = msg .. "\n" .. nxt end
      fail(self, "LAMMPS " .. msg)
    elseif line:find("^WARNING") and #self.warnings < 1000 then
      self.warnings[#self.warnings + 1] = line
    end
  end
  return out
end

--- lmp:command(text [, timeout]) -> output lines (table)
-- One or more commands (newline separated); returns when LAMMPS has run
-- them all.
function Lammps:command(text, timeout)
  check_alive(self)
  if type(text) ~= "string" then error("lmp:command: expected a string", 2) end
  if not text:find("\n$") then text = text .. "\n" end
  local ok, err = self.proc:write(text)
  if not ok then
    -- the process is gone: sync() reports its last words
  end
  local out = self:sync(timeout or self.timeout)
  self:_parse_thermo(out)
  return out
end

--- lmp:commands{...} -> output lines
function Lammps:commands(list, timeout)
  if type(list) ~= "table" then error("lmp:commands: expected a table of strings", 2) end
  return self:command(table.concat(list, "\n"), timeout)
end

--- lmp:file(path): run an input script (LAMMPS `include`).
function Lammps:file(path, timeout)
  local f = io.open(path, "r")
  if not f then error("lmp:file: cannot open " .. path, 2) end
  f:close()
  return self:command("include " .. path, timeout)
end

-- Thermo tables of the last command: a header starting with "Step" and the
-- numeric rows after it.
function Lammps:_parse_thermo(lines)
  local names, rows
  for _, line in ipairs(lines) do
    local w = shell_words(line)
    if w[1] == "Step" and #w >= 2 then
      names, rows = w, {}
      self._thermo = {names = names, rows = rows}
    elseif names then
      if #w == #names and tonumber(w[1]) then
        local row = {}
        for i, s in ipairs(w) do row[i] = tonumber(s) end
        if #row == #names then rows[#rows + 1] = row end
      else
        names = nil
      end
    end
  end
end

--- lmp:thermo() -> {Step = {...}, Temp = {...}, ..., columns = {...}}
-- The last thermo table printed (by the last run/minimize).
function Lammps:thermo()
  local t = self._thermo
  if not t then return nil end
  local res = {columns = {}}
  for j, name in ipairs(t.names) do
    res.columns[j] = name
    local col = {}
    for i, row in ipairs(t.rows) do col[i] = row[j] end
    res[name] = col
  end
  return res
end

--- lmp:eval(expr) -> number: an equal-style expression (thermo keywords,
-- variables, math) evaluated by LAMMPS, to full double precision.
function Lammps:eval(expr)
  local out = self:commands({
    "variable sflex_eval equal " .. expr,
    "variable sflex_fmt format sflex_eval %.17g",
    'print "SFLEX_VALUE ${sflex_fmt}"',
  })
  for i = #out, 1, -1 do
    local v = out[i]:match("^SFLEX_VALUE (%S+)$")
    if v then return tonumber(v) end
  end
  error("lmp:eval: no value printed for '" .. expr .. "'", 2)
end
--- lmp:extract(keyword) -> number (a thermo keyword such as "pe", "vol").
function Lammps:extract(keyword) return self:eval(keyword) end

-- path inside the private temporary directory
function Lammps:tmpfile(name)
  check_alive(self)
  return self.tmpdir .. "/" .. name
end

local function read_atoms(path, elements)
  local sflex = require "sflex"
  if not sflex.read then error("sflex.read is not available (io module missing)", 3) end
  return sflex.read(path, (elements and #elements > 0) and {elements = elements} or nil)
end

--- lmp:get_atoms([group="all"]) -> Atoms with ids, types, positions,
-- image flags and velocities, in id order, at full precision.
function Lammps:get_atoms(group)
  group = group or "all"
  local path = self:tmpfile("get_atoms.dump")
  self:command(string.format(
    "write_dump %s custom %s id type x y z ix iy iz vx vy vz modify sort id format float %%.17g",
    group, path))
  local atoms = read_atoms(path, self.elements)
  os.remove(path)
  return atoms
end

--- lmp:put_atoms(atoms [, {elements=}]): create the box and atoms from an
-- Atoms object (through a data file and read_data).  Send units and
-- atom_style before, pair_style/pair_coeff after.
function Lammps:put_atoms(atoms, opts)
  opts = opts or {}
  local sflex = require "sflex"
  if not sflex.write then error("sflex.write is not available (io module missing)", 2) end
  local path = self:tmpfile("put_atoms.data")
  sflex.write(path, atoms)
  self:command("read_data " .. path)
  os.remove(path)
  local el = opts.elements or atoms.species
  if el and #el > 0 then self.elements = el end
end

--- lmp:close() -> exit status; also done by the collector.
function Lammps:close()
  local status
  if self.proc then
    if self.alive then pcall(self.proc.write, self.proc, "quit\n") end
    status = self.proc:close(10)
    self.proc = nil
  end
  self.alive = false
  if self.tmpdir then
    pcall(core.remove_tree, self.tmpdir)
    self.tmpdir = nil
  end
  return status
end
LammpsMT.__gc = Lammps.close
LammpsMT.__close = Lammps.close

--- sflex.eam_elements(file) -> {names = {...}, masses = {...}, Z = {...}}
-- The elements of a setfl / eam/fs potential file (line 4) with their
-- masses (the header line of each element block).  Errors name the file
-- and line.
function M.eam_elements(path)
  local f, err = io.open(path, "r")
  if not f then error("potential file " .. tostring(err), 2) end
  local lines = {}
  for _ = 1, 5 do
    local l = f:read("l")
    if not l then f:close(); error(path .. ": not a setfl/eam.fs potential (fewer than 5 lines)", 2) end
    lines[#lines + 1] = l
  end
  local w4 = shell_words(lines[4])
  local ne = math.tointeger(tonumber(w4[1]))
  if not ne or ne < 1 or #w4 < ne + 1 then
    f:close()
    error(path .. ":4: expected 'N element1 ... elementN'", 2)
  end
  local w5 = shell_words(lines[5])
  local nrho, nr = math.tointeger(tonumber(w5[1])), math.tointeger(tonumber(w5[3]))
  if not nrho or not nr then f:close(); error(path .. ":5: expected 'Nrho drho Nr dr cutoff'", 2) end
  local info = {names = {}, masses = {}, Z = {}, cutoff = tonumber(w5[5])}
  for i = 1, ne do info.names[i] = w4[i + 1] end
  -- element blocks: "Z mass a lattice", Nrho values of F, then the
  -- densities (ne*Nr values for eam/fs, Nr for setfl): detect by count
  local rest = f:read("a")
  f:close()
  local tokens = {}
  for t in rest:gmatch("%S+") do tokens[#tokens + 1] = t end
  local pos = 1
  local function block_len(k) return 4 + nrho + k * nr end
  -- eam/fs has ne*Nr density values per element; setfl has Nr
  local per = ne
  local total_fs = ne * block_len(ne) + ne * (ne + 1) // 2 * nr
  local total_al = ne * block_len(1) + ne * (ne + 1) // 2 * nr
  if #tokens == total_al and total_al ~= total_fs then per = 1 end
  for i = 1, ne do
    info.Z[i] = tonumber(tokens[pos])
    info.masses[i] = tonumber(tokens[pos + 1])
    if not info.masses[i] then error(path .. ": cannot read the mass of element " .. info.names[i], 2) end
    pos = pos + block_len(per)
  end
  if ne == 1 then
    info.style = path:find("%.fs$") and "eam/fs" or "eam/alloy"
  else
    info.style = per == 1 and "eam/alloy" or "eam/fs"
  end
  return info
end

--- sflex.parse_composition("Cu50Zr50") -> {names = {"Cu","Zr"}, fractions = {0.5, 0.5}}
function M.parse_composition(s)
  local names, amounts, total = {}, {}, 0
  local rest = s:gsub("([A-Z][a-z]?)(%d*%.?%d*)", function(el, amt)
    names[#names + 1] = el
    local a = amt == "" and 1 or tonumber(amt)
    if not a then error("composition '" .. s .. "': bad amount '" .. amt .. "' for " .. el, 3) end
    amounts[#amounts + 1] = a
    total = total + a
    return ""
  end)
  if rest ~= "" or #names == 0 or total <= 0 then
    error("composition '" .. s .. "': expected element symbols with amounts, e.g. Cu50Zr50", 2)
  end
  local fractions = {}
  for i, a in ipairs(amounts) do fractions[i] = a / total end
  return {names = names, fractions = fractions}
end

--- sflex.gzip_file(src, dst): compress src into dst (deterministic bytes:
-- no name or time stamp), through dst.tmp renamed when complete.
function M.gzip_file(src, dst)
  local tmp = dst .. ".tmp"
  local cmd = string.format("gzip -n -9 -c '%s' > '%s'", src:gsub("'", "'\\''"), tmp:gsub("'", "'\\''"))
  local ok = os.execute(cmd)
  if not ok then os.remove(tmp); error("gzip " .. src .. " -> " .. dst .. " failed", 2) end
  local r, err = os.rename(tmp, dst)
  if not r then os.remove(tmp); error(err, 2) end
end

-- ---- help texts ------------------------------------------------------------
local DOCS = {
  [M.lammps] = [[sflex.lammps{np=1, launcher=, lmp="lmp", args={}, log=, timeout=, verbose=false,
             on_line=, cwd=, elements=, tmpdir=} -> Lammps
Run LAMMPS as a child process and talk to it through its stdin/stdout.
  np        MPI ranks; with np > 1 the launcher runs it (default "mpirun", with
            --allow-run-as-root when root; $SFLEX_MPIRUN overrides)
  launcher  e.g. "srun", "mpirun --bind-to core", "mpiexec -n {np}" ({np} is
            replaced; otherwise "-np N" is appended; np_flag="-n" changes that)
  lmp       the LAMMPS executable (default $SFLEX_LMP or "lmp")
  args      extra LAMMPS command-line words, e.g. {"-sf", "opt"}
  log       LAMMPS log file (default none); timeout: seconds per command
  elements  species of types 1..k (get_atoms names them)
A LAMMPS ERROR (or LAMMPS dying, or a timeout) raises a Lua error with
LAMMPS's text; the instance is then closed and a new one can be made.
See doc/lammps.md.]],
  [Lammps.command] = "lmp:command(text [, timeout]) -> {output lines}\nRun one or more commands (newline separated) and wait until LAMMPS has finished them.",
  [Lammps.commands] = "lmp:commands{cmd, ...} [, timeout] -> {output lines}\nRun a list of commands.",
  [Lammps.file] = "lmp:file(path [, timeout])\nRun an input script (LAMMPS include).",
  [Lammps.thermo] = "lmp:thermo() -> {columns = {...}, Step = {...}, Temp = {...}, ...}\nThe last thermo table printed (by the last run or minimize), one list per column.",
  [Lammps.eval] = "lmp:eval(expr) -> number\nEvaluate an equal-style expression in LAMMPS (thermo keywords, variables, math) at full precision.",
  [Lammps.get_atoms] = "lmp:get_atoms([group]) -> Atoms\nThe current configuration (ids, types, positions, image flags, velocities) at full precision, sorted by id.",
  [Lammps.put_atoms] = "lmp:put_atoms(atoms [, {elements=}])\nCreate the box and atoms from an Atoms object (read_data). Send units/atom_style before and pair_style after.",
  [Lammps.extract] = "lmp:extract(keyword) -> number\nA thermo keyword (pe, ke, temp, press, vol, ...) or any equal-style expression; same as eval.",
  [Lammps.tmpfile] = "lmp:tmpfile(name) -> path in the instance's private temporary directory (removed by close)",
  [Lammps.close] = "lmp:close() -> exit status\nEnd LAMMPS and remove the temporary directory (also done by the collector).",
  [Lammps.sync] = "lmp:sync([timeout]) -> {output lines}\nWait until LAMMPS has run everything sent so far.",
  [M.lammps_command] = "sflex.lammps_command(opts) -> {argv}\nThe command line sflex.lammps(opts) would start.",
  [M.eam_elements] = "sflex.eam_elements(file) -> {names=, masses=, Z=, cutoff=, style=}\nElements of an EAM setfl/eam.fs potential file and the pair style that reads it.",
  [M.parse_composition] = "sflex.parse_composition(\"Cu64Zr36\") -> {names = {\"Cu\",\"Zr\"}, fractions = {0.64, 0.36}}",
  [M.gzip_file] = "sflex.gzip_file(src, dst)\nCompress src into dst (gzip -n: the same bytes every time), atomically.",
  [LammpsMT] = "Lammps: a LAMMPS child process (sflex.lammps).  Methods: command, commands, file, eval, extract, thermo, get_atoms, put_atoms, tmpfile, sync, close.",
}
do
  local ok, reg = pcall(core._docs)
  if ok and type(reg) == "table" then
    for v, text in pairs(DOCS) do reg[v] = text end
  end
  -- let help(lmp) find the class like the C ones
  debug.getregistry()["sflex.Lammps"] = LammpsMT
end

return M
