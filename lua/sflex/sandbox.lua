-- sflex.sandbox: the environment of safe mode (sflex --sandbox, sflex verify).
--
-- A sandboxed script sees only what an allow list gives it:
--   * the safe parts of the standard library (string, table, math, utf8,
--     coroutine, pairs, pcall, ...);  no os.execute, io.popen, io.tmpfile,
--     os.tmpname, package.loadlib, debug;
--   * load/loadfile/dofile/require of Lua *text* only (binary chunks are
--     refused), with the sandbox as their environment; require finds the
--     sflex modules and .lua files of the package folder (the script's);
--   * writes (io.open in a write mode, io.output, os.remove, os.rename and
--     sflex's own writers: sflex.write, model:save, plot outputs, ...) only
--     inside the output folder -- the parent folder of the target is
--     resolved with realpath, so ".." and symbolic links cannot lead out,
--     and a target that is itself a symbolic link is refused;
--   * sflex through a view with one entry per public function (pure, reads,
--     writes a path, runs LAMMPS, or blocked); functions not on the list
--     are blocked until someone classifies them here;
--   * LAMMPS with every command checked against an allow list: no shell,
--     python, plugin or include; files written only inside the output
--     folder (or the instance's private temporary folder); no variable
--     substitution outside quotes (it could smuggle in keywords).
-- Every refusal raises "sandbox: blocked ..." naming what was blocked.
-- The instruction and memory limits live in C (src/shell/sandbox.c).
-- See doc/sandbox.md.
local sys = require "sflex_sandbox"
local core = require "sflex_core"

local M = {}

-- ---- what is captured from the trusted environment ----------------------------------
local real = {
  open = io.open, lines = io.lines, input = io.input, output = io.output,
  remove = os.remove, rename = os.rename, setlocale = os.setlocale,
  load = load, pcall = pcall, xpcall = xpcall, error = error,
  getmetatable = getmetatable, setmetatable = setmetatable,
  resume = coroutine.resume, close = coroutine.close,
  type = type, pairs = pairs, next = next, tostring = tostring,
}

local function blocked(what, level)
  error("sandbox: blocked " .. what, (level or 1) + 1)
end

local function blocker(what)
  return function() blocked(what, 2) end
end

-- ---- paths -----------------------------------------------------------------------------

local function inside(path, root)
  return root == "/" or path == root or path:sub(1, #root + 1) == root .. "/"
end

local function inside_any(path, roots)
  for _, r in ipairs(roots) do
    if inside(path, r) then return true end
  end
  return false
end

local function describe_roots(roots)
  return table.concat(roots, " or ")
end

local function absolute(path)
  if path:sub(1, 1) == "/" then return path end
  local cwd = assert(sys.getcwd())
  return cwd .. "/" .. path
end

-- The resolved path of a file about to be written (created, replaced,
-- removed or renamed) if it lies inside one of the roots; else raises
-- "sandbox: blocked <what> ...".  level: for error().
function M.check_write(path, roots, what, level)
  level = (level or 1) + 1
  what = what or "write to"
  if type(path) ~= "string" then
    error("sandbox: blocked " .. what .. " a " .. type(path) .. " (expected a path string)", level)
  end
  if path == "" or path:find("%z") then
    error("sandbox: blocked " .. what .. " '" .. path .. "': not a file name", level)
  end
  local abs = absolute(path)
  local dir, base = abs:match("^(.*)/([^/]+)/*$")
  if not base or base == "." or base == ".." then
    error("sandbox: blocked " .. what .. " '" .. path .. "': not a file name", level)
  end
  if dir == "" then dir = "/" end
  local rdir, err = sys.realpath(dir)
  if not rdir then
    error("sandbox: blocked " .. what .. " '" .. path .. "': its folder cannot be resolved (" ..
          tostring(err) .. ")", level)
  end
  if not inside_any(rdir, roots) then
    error("sandbox: blocked " .. what .. " '" .. path .. "' (resolves to " .. rdir .. "/" .. base ..
          ", outside the output folder " .. describe_roots(roots) .. ")", level)
  end
  local target = (rdir == "/" and "" or rdir) .. "/" .. base
  local kind = sys.lstat(target)
  if kind == "link" then
    error("sandbox: blocked " .. what .. " '" .. path .. "': it is a symbolic link", level)
  end
  return target
end

-- make_dirs: the deepest existing ancestor must resolve inside a root and
-- the rest may not climb out with "..".
function M.check_mkdir(path, roots, level)
  level = (level or 1) + 1
  if type(path) ~= "string" or path == "" then
    error("sandbox: blocked creating the folder " .. tostring(path), level)
  end
  local parts = {}
  for p in absolute(path):gmatch("[^/]+") do parts[#parts + 1] = p end
  local k = #parts
  while k > 0 do
    local prefix = "/" .. table.concat(parts, "/", 1, k)
    if sys.lstat(prefix) then break end
    k = k - 1
  end
  local existing = "/" .. table.concat(parts, "/", 1, k)
  local rexisting = sys.realpath(existing) or existing
  for i = k + 1, #parts do
    if parts[i] == ".." or parts[i] == "." then
      error("sandbox: blocked creating the folder '" .. path .. "' ('" .. parts[i] ..
            "' in the part that does not exist yet)", level)
    end
  end
  if not inside_any(rexisting, roots) then
    error("sandbox: blocked creating the folder '" .. path .. "' (outside the output folder " ..
          describe_roots(roots) .. ")", level)
  end
  local rest = table.concat(parts, "/", k + 1)
  return rest == "" and rexisting or ((rexisting == "/" and "" or rexisting) .. "/" .. rest)
end

local function is_write_mode(mode)
  return mode ~= nil and tostring(mode):find("[wa+]") ~= nil
end

-- ---- Lua text only ---------------------------------------------------------------------

local function text_of_file(path)
  local f, err = real.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("a")
  f:close()
  if s:sub(1, 1) == "\27" then
    return nil, "sandbox: blocked loading the binary chunk " .. path .. " (only Lua text is allowed)"
  end
  if s:sub(1, 1) == "#" then s = "--" .. s end -- a #! line, as lua.c skips it
  return s
end

-- Load a file as Lua text with env as its environment.
function M.loadfile(path, env)
  local s, err = text_of_file(path)
  if not s then return nil, err end
  return real.load(s, "@" .. path, "t", env)
end

-- ---- read-only views of shared tables ---------------------------------------------------

local ro_cache = setmetatable({}, {__mode = "k"})

local function readonly(t)
  if real.type(t) ~= "table" then return t end
  local v = ro_cache[t]
  if v then return v end
  v = real.setmetatable({}, {
    __index = function(_, k) return readonly(rawget(t, k)) end,
    __newindex = function(_, k)
      error("sandbox: blocked changing a shared table (field '" .. real.tostring(k) .. "')", 2)
    end,
    __pairs = function()
      local k
      return function()
        local val
        k, val = real.next(t, k)
        return k, readonly(val)
      end
    end,
    __len = function() return #t end,
    __metatable = false,
  })
  ro_cache[t] = v
  return v
end
M.readonly = readonly

-- ---- LAMMPS commands -------------------------------------------------------------------

-- Characters allowed in a file name given to LAMMPS: LAMMPS hands names of
-- compressed files to a shell (popen "gzip -c > NAME"), so nothing the
-- shell would interpret.
local SAFE_PATH = "^[%w%._/%-+*%%=,:@]+$"

local COMPRESSED = {"%.gz$", "%.bz2$", "%.xz$", "%.zst$", "%.zstd$", "%.lzma$", "%.lz4$", "%.lz$"}

local function safe_path(p, ctx)
  if not p:match(SAFE_PATH) or p:sub(1, 1) == "-" then
    return "file name '" .. p .. "' (only letters, digits and . _ / - + * % = , : @ are allowed)"
  end
end

local function lmp_write_path(p, ctx)
  if p == nil then return "a missing file name" end
  local bad = safe_path(p, ctx)
  if bad then return bad end
  local ok, err = real.pcall(M.check_write, p, ctx.roots, "LAMMPS writing", 1)
  if not ok then return (tostring(err):gsub("^.-sandbox: blocked ", "")) end
end

-- Scan a LAMMPS line as LAMMPS does (input.cpp): quote state over the whole
-- line ('...', "...", """..."""), '#' outside quotes ends the line, '$'
-- outside quotes is substituted.  Returns the line without comment and
-- the list of unquoted '$' uses.
local function scan_line(line)
  local i, n = 1, #line
  local q = nil
  local dollars = {}
  while i <= n do
    local c = line:sub(i, i)
    if q then
      if q == '"""' then
        if line:sub(i, i + 2) == '"""' then q = nil; i = i + 2 end
      elseif c == q then
        q = nil
      end
    else
      if line:sub(i, i + 2) == '"""' then
        q = '"""'; i = i + 2
      elseif c == '"' or c == "'" then
        q = c
      elseif c == "#" then
        return line:sub(1, i - 1), dollars
      elseif c == "$" then
        dollars[#dollars + 1] = line:sub(i, i + 1)
      end
    end
    i = i + 1
  end
  return line, dollars
end

-- Words as LAMMPS splits them (a word that starts with a quote runs to the
-- matching quote, which the word loses).
local function lmp_words(line)
  local words, i, n = {}, 1, #line
  while true do
    i = line:find("%S", i)
    if not i then break end
    local w, quoted
    if line:sub(i, i + 2) == '"""' then
      local j = line:find('"""', i + 3, true)
      if not j then return nil, "unbalanced triple quotes" end
      w, quoted, i = line:sub(i + 3, j - 1), true, j + 3
    elseif line:sub(i, i) == '"' or line:sub(i, i) == "'" then
      local qc = line:sub(i, i)
      local j = line:find(qc, i + 1, true)
      if not j then return nil, "unbalanced quotes" end
      w, quoted, i = line:sub(i + 1, j - 1), true, j + 1
    else
      local j = line:find("%s", i) or (n + 1)
      w, i = line:sub(i, j - 1), j
    end
    words[#words + 1] = w
  end
  return words
end

local SUFFIXES = {"/kk/device", "/kk/host", "/opt", "/omp", "/intel", "/kk", "/gpu"}
local function strip_suffix(style)
  for _, s in ipairs(SUFFIXES) do
    if style:sub(-#s) == s then return style:sub(1, -#s - 1) end
  end
  return style
end

-- fix styles a sandboxed script may create (plain or with an accelerator
-- suffix); their 'file'/'append'/'out' keywords are checked as writes.
local FIX_STYLES = {}
for s in ([[nve nvt npt nph nve/limit nve/noforce nvt/sllod langevin temp/rescale
  temp/berendsen temp/csvr temp/csld press/berendsen box/relax deform setforce
  addforce aveforce spring spring/self momentum recenter viscous enforce2d
  wall/reflect wall/lj93 wall/lj126 wall/harmonic lineforce planeforce oneway
  gravity heat indent efield store/state vector halt dt/reset balance
  ave/time ave/atom ave/histo ave/histo/weight ave/chunk ave/correlate print
  property/atom restrain rigid rigid/nve rigid/nvt rigid/small]]):gmatch("%S+") do
  FIX_STYLES[s] = true
end

local FILE_KEYWORDS = {file = true, append = true, out = true, outfile = true, fileout = true}

local function keyword_writes(w, from, ctx)
  for k = from, #w do
    if FILE_KEYWORDS[w[k]] then
      local bad = lmp_write_path(w[k + 1], ctx)
      if bad then return "'" .. w[1] .. " ... " .. w[k] .. "': " .. bad end
    end
  end
end

local check_lammps_line -- forward

local function nested(cmds, ctx, depth)
  for _, c in ipairs(cmds) do
    if c ~= "NULL" then
      local bad = check_lammps_line(c, ctx, depth + 1)
      if bad then return bad end
    end
  end
end

local function all_safe(w, from, ctx)
  for k = from, #w do
    local bad = safe_path(w[k], ctx)
    if bad then return "'" .. w[1] .. "': " .. bad end
  end
end

local OK = true
local LAMMPS_COMMANDS = {
  units = OK, atom_style = OK, atom_modify = OK, boundary = OK, dimension = OK,
  newton = OK, processors = OK, lattice = OK, region = OK, create_box = OK,
  create_atoms = OK, delete_atoms = OK, displace_atoms = OK, change_box = OK,
  replicate = OK, mass = OK, velocity = OK, set = OK, group = OK, timestep = OK,
  reset_timestep = OK, neighbor = OK, neigh_modify = OK, comm_modify = OK,
  comm_style = OK, thermo = OK, thermo_style = OK, thermo_modify = OK,
  min_style = OK, min_modify = OK, minimize = OK, pair_modify = OK,
  kspace_style = OK, kspace_modify = OK, special_bonds = OK, uncompute = OK,
  unfix = OK, undump = OK, dump_modify = OK, fix_modify = OK, compute_modify = OK,
  echo = OK, clear = OK, label = OK, next = OK, quit = OK, suffix = OK,
  package = OK, timer = OK, run_style = OK, reset_atom_ids = OK, reset_atoms = OK,
  labelmap = OK, delete_bonds = OK, create_bonds = OK, box = OK,
  read_data = function(w, ctx) return all_safe(w, 2, ctx) end,
  read_dump = function(w, ctx) return all_safe(w, 2, ctx) end,
  read_restart = function(w, ctx) return all_safe(w, 2, ctx) end,
  rerun = function(w, ctx) return all_safe(w, 2, ctx) end,
  molecule = function(w, ctx) return all_safe(w, 3, ctx) end,
  ndx2group = function(w, ctx) return all_safe(w, 2, ctx) end,
  pair_coeff = function(w, ctx) return all_safe(w, 2, ctx) end,
  pair_style = function(w)
    for k = 2, #w do
      if w[k]:find("python") then return "pair style python (it runs Python)" end
    end
  end,
  compute = function(w, ctx)
    if w[4] and w[4]:find("python") then return "compute style " .. w[4] .. " (it runs Python)" end
    return keyword_writes(w, 5, ctx)
  end,
  fix = function(w, ctx)
    local style = w[4]
    if not style then return nil end -- LAMMPS reports the syntax error
    if not FIX_STYLES[strip_suffix(style)] then
      return "fix style '" .. style .. "' (not on the sandbox allow list)"
    end
    return keyword_writes(w, 5, ctx)
  end,
  variable = function(w, ctx)
    local style = w[3]
    if style == "python" then return "variable style python (it runs Python)" end
    if style == "file" or style == "atomfile" then return all_safe(w, 4, ctx) end
  end,
  dump = function(w, ctx)
    if w[4] == "movie" then return "dump style movie (it runs ffmpeg)" end
    local bad = lmp_write_path(w[6], ctx)
    if bad then return "'dump': " .. bad end
  end,
  write_dump = function(w, ctx)
    if w[3] == "movie" then return "dump style movie (it runs ffmpeg)" end
    local bad = lmp_write_path(w[4], ctx)
    if bad then return "'write_dump': " .. bad end
  end,
  write_data = function(w, ctx)
    local bad = lmp_write_path(w[2], ctx)
    if bad then return "'write_data': " .. bad end
  end,
  write_restart = function(w, ctx)
    local bad = lmp_write_path(w[2], ctx)
    if bad then return "'write_restart': " .. bad end
  end,
  write_coeff = function(w, ctx)
    local bad = lmp_write_path(w[2], ctx)
    if bad then return "'write_coeff': " .. bad end
  end,
  group2ndx = function(w, ctx)
    local bad = lmp_write_path(w[2], ctx)
    if bad then return "'group2ndx': " .. bad end
  end,
  restart = function(w, ctx)
    if w[2] == "0" then return nil end
    for k = 3, math.min(#w, 4) do
      if w[k] == "fileper" or w[k] == "nfile" then break end
      local bad = lmp_write_path(w[k], ctx)
      if bad then return "'restart': " .. bad end
    end
  end,
  log = function(w, ctx)
    if w[2] == "none" then return nil end
    local bad = lmp_write_path(w[2], ctx)
    if bad then return "'log': " .. bad end
  end,
  print = function(w, ctx) return keyword_writes(w, 3, ctx) end,
  balance = function(w, ctx) return keyword_writes(w, 2, ctx) end,
  jump = function(w)
    if w[2] ~= "SELF" then return "'jump' to another file (its commands would not be checked)" end
  end,
  run = function(w, ctx, depth)
    for k = 3, #w do
      if w[k] == "every" then
        local cmds = {}
        for j = k + 2, #w do cmds[#cmds + 1] = w[j] end
        return nested(cmds, ctx, depth)
      end
    end
  end,
  ["if"] = function(w, ctx, depth)
    local cmds, k = {}, 3
    while k <= #w do
      local x = w[k]
      if x == "then" or x == "else" then
        k = k + 1
      elseif x == "elif" then
        k = k + 2
      else
        cmds[#cmds + 1] = x
        k = k + 1
      end
    end
    return nested(cmds, ctx, depth)
  end,
}

local WHY_NOT = {
  shell = "it runs shell commands",
  python = "it runs Python",
  plugin = "it loads compiled code",
  include = "the included file's commands would not be checked; send them with lmp:file(path)",
  info = "it can write files",
  partition = "it runs commands on other partitions",
  kim = "it downloads and runs models",
  mdi = "it talks to other programs",
}

-- Check one command (a line without continuation).  Returns nil, or what
-- is blocked and why.
check_lammps_line = function(line, ctx, depth)
  depth = depth or 0
  if depth > 8 then return "commands nested deeper than 8 levels" end
  line = line:gsub("\r", " ")
  local text, dollars = scan_line(line)
  for _, d in ipairs(dollars) do
    if d ~= "$(" then
      return "LAMMPS variable substitution '" .. d .. "...' outside quotes in '" .. text ..
             "' (it could insert keywords; write the value, or use an immediate $(...) expression)"
    end
  end
  local w, err = lmp_words(text)
  if not w then return "LAMMPS command '" .. text .. "': " .. err end
  if #w == 0 then return nil end
  for k = 1, #w do
    for _, pat in ipairs(COMPRESSED) do
      if w[k]:find(pat) then
        local bad = safe_path(w[k], ctx)
        if bad then return "LAMMPS command '" .. text .. "': compressed " .. bad end
      end
    end
  end
  local rule = LAMMPS_COMMANDS[w[1]]
  if rule == nil then
    local why = WHY_NOT[w[1]] or "not on the sandbox allow list"
    return "LAMMPS command '" .. text .. "' (" .. why .. ")"
  end
  if rule ~= OK then
    local bad = rule(w, ctx, depth)
    if bad then return "LAMMPS command '" .. text .. "': " .. bad end
  end
  return nil
end

-- Check a batch of commands as sent to LAMMPS (lines joined at '&').
-- ctx.roots: folders LAMMPS may write.  Raises "sandbox: blocked ...".
function M.check_lammps(text, ctx, level)
  local pending = nil
  local function one(l)
    local bad = check_lammps_line(l, ctx)
    if bad then error("sandbox: blocked " .. bad, (level or 1) + 2) end
  end
  for line in (text .. "\n"):gmatch("(.-)\n") do
    if pending then line = pending .. " " .. line; pending = nil end
    local body = line:match("^(.-)%s*$")
    if body:sub(-1) == "&" then
      pending = body:sub(1, -2)
    else
      one(line)
    end
  end
  if pending then one(pending) end
end
M.check_lammps_line = check_lammps_line

-- sflex.lammps options a sandboxed script may give.
local LAMMPS_ARGS = {
  ["-sf"] = 1, ["-suffix"] = 1, ["-pk"] = "list", ["-package"] = "list",
  ["-var"] = "list", ["-v"] = "list", ["-nocite"] = 0, ["-nonbuf"] = 0,
  ["-skiprun"] = 0, ["-k"] = "list", ["-kokkos"] = "list", ["-echo"] = 1,
  ["-screen"] = "none", ["-log"] = "path",
}

function M.check_lammps_opts(opts, ctx, level)
  level = (level or 1) + 1
  if real.type(opts) ~= "table" then return end
  for _, k in ipairs({"lmp", "launcher", "cwd"}) do
    if opts[k] ~= nil then
      error("sandbox: blocked sflex.lammps option '" .. k .. "' (the sandbox runs the default LAMMPS, " ..
            "from $SFLEX_LMP or PATH, in the current folder)", level)
    end
  end
  if opts.tmpdir ~= nil then M.check_mkdir(opts.tmpdir, ctx.roots, level) end
  if opts.stdbuf ~= nil and real.type(opts.stdbuf) ~= "boolean" then
    error("sandbox: blocked sflex.lammps option stdbuf = " .. tostring(opts.stdbuf), level)
  end
  if opts.log ~= nil then
    local bad = lmp_write_path(tostring(opts.log), ctx)
    if bad then error("sandbox: blocked the LAMMPS log: " .. bad, level) end
  end
  if opts.echo ~= nil and not ({none = 1, screen = 1, log = 1, both = 1})[opts.echo] then
    error("sandbox: blocked sflex.lammps echo = " .. tostring(opts.echo), level)
  end
  local args = opts.args
  if args ~= nil then
    if real.type(args) ~= "table" then error("sandbox: blocked sflex.lammps args (expected a list)", level) end
    local i = 1
    while args[i] ~= nil do
      local a = tostring(args[i])
      local rule = LAMMPS_ARGS[a]
      if rule == nil then
        error("sandbox: blocked the LAMMPS command-line option '" .. a .. "' (allowed: -sf, -pk, -var, " ..
              "-nocite, -nonbuf, -skiprun, -k, -echo, -screen none, -log FILE)", level)
      elseif rule == 1 then
        i = i + 2
      elseif rule == 0 then
        i = i + 1
      elseif rule == "none" then
        if tostring(args[i + 1]) ~= "none" then
          error("sandbox: blocked LAMMPS '" .. a .. " " .. tostring(args[i + 1]) .. "' (only 'none')", level)
        end
        i = i + 2
      elseif rule == "path" then
        local bad = lmp_write_path(tostring(args[i + 1]), ctx)
        if bad then error("sandbox: blocked LAMMPS '" .. a .. "': " .. bad, level) end
        i = i + 2
      else -- values up to the next option
        i = i + 1
        while args[i] ~= nil and not tostring(args[i]):match("^%-%a") do i = i + 1 end
      end
    end
  end
end

-- ---- in-place patches of the trusted modules (sandbox mode only) -------------------------

local proxies = setmetatable({}, {__mode = "k"})   -- proxy -> real Lammps object
local private_tmp = setmetatable({}, {__mode = "k"}) -- real -> its temporary folder
local ctx_global = nil  -- {roots = {output}} once the sandbox is set up

local PROTECTED_FIELDS = {proc = true, tmpdir = true, alive = true, argv = true, np = true,
                          nsync = true}

local function lammps_proxy(obj, Lammps)
  local p = {}
  real.setmetatable(p, {
    __name = "sflex.Lammps",
    __index = function(_, k)
      if k == "proc" then
        error("sandbox: blocked access to the LAMMPS process (send commands with lmp:command)", 2)
      end
      local method = Lammps[k]
      if method ~= nil then
        return function(self, ...)
          local r = proxies[self]
          if not r then error("sandbox: lmp:" .. tostring(k) .. " called without a Lammps object", 2) end
          return Lammps[k](r, ...)
        end
      end
      return obj[k]
    end,
    __newindex = function(_, k, v)
      if PROTECTED_FIELDS[k] or Lammps[k] ~= nil or real.type(k) ~= "string" then
        error("sandbox: blocked setting the Lammps field '" .. real.tostring(k) .. "'", 2)
      end
      obj[k] = v
    end,
    __tostring = function() return real.tostring(obj) end,
    __close = function() obj:close() end,
    __metatable = false,
  })
  proxies[p] = obj
  return p
end

local patched = false

-- Wrap, in place, the writers and the LAMMPS driver of the loaded sflex
-- modules, so that trusted code running on behalf of the script is held to
-- the same rules.  Idempotent.
function M.patch(ctx)
  ctx_global = ctx
  if patched then return end
  patched = true
  local sflex = require "sflex"

  -- LAMMPS: the constructor returns a proxy; every command is checked
  local lmod = package.loaded["sflex.lammps"]
  local LammpsMT = debug.getregistry()["sflex.Lammps"]
  if lmod and LammpsMT then
    local Lammps = LammpsMT.__index
    local new = lmod.lammps
    local function checked_new(opts)
      M.check_lammps_opts(opts, ctx_global, 2)
      local obj = new(opts)
      private_tmp[obj] = obj.tmpdir and sys.realpath(obj.tmpdir) or nil
      return lammps_proxy(obj, Lammps)
    end
    lmod.lammps = checked_new
    if sflex.lammps == new then sflex.lammps = checked_new end
    local command = Lammps.command
    Lammps.command = function(self, text, timeout)
      if real.type(text) == "string" then
        local roots = {ctx_global.output}
        if private_tmp[self] then roots[2] = private_tmp[self] end
        M.check_lammps(text, {roots = roots}, 2)
      end
      return command(self, text, timeout)
    end
    Lammps.file = function(self, path, timeout)
      local f, err = real.open(path, "r")
      if not f then error("lmp:file: " .. tostring(err), 2) end
      local text = f:read("a")
      f:close()
      return self:command(text, timeout)
    end
  end

  -- the model writer
  local learn = package.loaded["sflex.learn"]
  if learn and learn.learn and learn.learn.SFModel then
    local SFModel = learn.learn.SFModel
    local save = SFModel.save
    SFModel.save = function(self, path)
      return save(self, M.check_write(path, ctx_global.roots or {ctx_global.output}, "model:save", 2))
    end
  end
end

-- ---- the sflex view ------------------------------------------------------------------------
-- Policy of every public name (sflex.*, and the same names in the modules
-- that define them):
--   "pure"   no files written, no programs run
--   "read"   reads files (allowed anywhere)
--   "write1" / "write2"  argument 1 / 2 is a file to write: checked
--   "write1-" as write1, "-" meaning standard output
--   "mkdir1" argument 1 is a folder to create: checked
--   "lammps" runs LAMMPS through the patched, checked driver
--   "table"  a shared table, handed out read-only
--   {view = POLICY}  a sub-table with a policy of its own
--   "block: reason"
local LEARN_POLICY = {
  SFModel = "table", PRIMAL_TOL = "pure", copy_table = "pure", decode_value = "pure",
  default_descriptor = "pure", encode_value = "pure", expand_paths = "read",
  extreme_mask = "pure", find_rp = "pure", format_number = "pure",
  grid_search = "pure", label_of = "pure", load_model = "read", new_model = "pure",
  parse_model = "pure", parse_number = "pure", partial_gr = "pure",
  read_config = "read", resolve_descriptor = "pure", sample_meta = "read",
  sample_name = "pure", train_sf = "read", write_dump = "write1",
}

local STATS_POLICY = {["*"] = "pure"} -- numeric functions of vectors

M.POLICY = {
  -- values
  DEFAULT_POTENTIAL = "pure", version = "pure", liblinear_version = "pure",
  -- arrays, atoms, structure, learning (pure computation)
  vector = "pure", matrix = "pure", range = "pure", hstack = "pure", atoms = "pure", box = "pure",
  neighbors = "pure", rdf = "pure", rdf_atoms = "pure", sq = "pure",
  first_peak = "pure", first_peaks = "pure", _resolve_rp = "pure",
  descriptor = "pure", angular_descriptor = "pure", coarse_grain = "pure", voronoi = "pure",
  svr = "pure", svc = "pure", problem = "pure", grid_search = "pure",
  train_sf = "read", stats = {view = STATS_POLICY}, learn = {view = LEARN_POLICY},
  d2min = "pure", d2min_fit = "pure", d2min_atoms = "pure", eigh = "pure",
  modes = "pure", participation = "pure", harmonic_msd = "pure",
  soft_modes = "pure", rank_split = "pure", harmonic_vdos = "read", eam = "read",
  shear_mode = "pure", all_shear_modes = "pure", permute_axes = "pure",
  frac_coords = "pure", top_mask = "pure", group_enrichment = "pure",
  slab_mask = "pure", slab_map = "pure", layer_profile = "pure",
  fictive_temperature = "pure", aqs_modulus = "pure", parse_composition = "pure",
  sha256 = "pure", now = "pure", help = "pure", doc = "pure",
  art = "pure", minimize = "pure", art_barriers = "pure",
  lammps_command = "pure",
  -- VDOS from MD (lua/sflex/vdos.lua, src/lua/l_vacf.c)
  vacf = "pure", acf_spectrum = "pure", mode_acf = "pure", mode_vdos = "pure",
  boson_peak = "pure", vdos_compare = "pure", md_vdos = "lammps",
  -- reading files
  read = "read", frames = "read", expand = "read", detect_format = "read",
  load_model = "read", sha256_file = "read", eam_elements = "read", which = "read",
  -- writing files
  write = "write1", write_columns = "write1-", make_dirs = "mkdir1", gzip_file = "write2",
  -- LAMMPS (the driver is patched: options and every command are checked)
  lammps = "lammps", mech_lammps = "lammps", lammps_minimize = "lammps",
  lammps_state = "lammps", lammps_peratom = "lammps", aqs = "lammps",
  local_moduli = "lammps", shear_modulus = "lammps", heating = "lammps",
  -- blocked
  spawn = "block: starting programs is not allowed",
  mkdtemp = "block: creating folders outside the output folder is not allowed",
  remove_tree = "block: removing folders is not allowed",
}

-- sflex._core, the C module: the public functions as above, and the
-- internal helpers the scripts use (fig2_sf_vflex.lua stacks vectors with
-- _learn_stack).
local CORE_POLICY = {
  _descriptor = "pure", _angular = "pure", _learn_apply = "pure", _learn_first_peak = "pure",
  _learn_rdf = "pure", _learn_stack = "pure", _luadir = "pure", _rdf = "pure",
  _model_format = "pure", _model_parse = "pure", _model_read = "read",
  _model_write = "write1", _write_columns = "write1-",
  _docs = "block: the documentation registry holds every function, blocked ones included",
}
for k, v in pairs(M.POLICY) do
  if CORE_POLICY[k] == nil then CORE_POLICY[k] = v end
end
M.POLICY._core = {view = CORE_POLICY}

local function policy_of(policy, k)
  local p = policy[k]
  if p == nil then p = policy["*"] end
  return p
end

local function wrap_value(v, p, name, ctx)
  if p == nil then
    return nil, "sandbox: blocked " .. name .. " (not on the sandbox allow list; see lua/sflex/sandbox.lua)"
  end
  if real.type(p) == "table" then
    return M.view(v, p.view, name, ctx)
  end
  if p:sub(1, 6) == "block:" then
    return nil, "sandbox: blocked " .. name .. " (" .. p:sub(8) .. ")"
  end
  if real.type(v) ~= "function" then
    -- shared tables are never handed out writable
    if real.type(v) == "table" then return readonly(v) end
    return v
  end
  if p == "write1-" then -- "-" is standard output
    return function(path, ...)
      if path == "-" then return v(path, ...) end
      return v(M.check_write(path, ctx.roots, name .. " to", 2), ...)
    end
  elseif p == "write1" then
    return function(path, ...)
      return v(M.check_write(path, ctx.roots, name .. " to", 2), ...)
    end
  elseif p == "write2" then
    return function(a, path, ...)
      if real.type(a) ~= "string" then error(name .. ": expected a path string", 2) end
      return v(a, M.check_write(path, ctx.roots, name .. " to", 2), ...)
    end
  elseif p == "mkdir1" then
    return function(path, ...)
      return v(M.check_mkdir(path, ctx.roots, 2), ...)
    end
  end
  return v -- pure, read, lammps (patched in place)
end

-- A read-only view of module table t under policy: allowed entries are
-- handed out (writers wrapped), blocked ones raise when used.
function M.view(t, policy, name, ctx)
  local cache = {}
  local view = {}
  real.setmetatable(view, {
    __name = "sflex (sandboxed)",
    __index = function(_, k)
      local c = cache[k]
      if c ~= nil then return c end
      local v = t[k]
      if v == nil then return nil end
      local full = name .. "." .. real.tostring(k)
      local w, why = wrap_value(v, policy_of(policy, k), full, ctx)
      if w == nil then
        -- something that names what was blocked when it is used (merely
        -- looking, e.g. for help or completion, is allowed)
        local function raise() error(why, 2) end
        if real.type(v) == "table" then
          w = real.setmetatable({}, {__index = raise, __newindex = raise, __call = raise,
                                     __pairs = raise, __metatable = false})
        else
          w = raise
        end
      end
      cache[k] = w
      return w
    end,
    __pairs = function(self)
      local k
      return function()
        local v
        repeat
          k, v = real.next(t, k)
        until k == nil or policy_of(policy, k) ~= nil
        if k == nil then return nil end
        return k, self[k]
      end
    end,
    __metatable = false,
  })
  return view
end

-- The plot module: writes checked, gnuplot styles limited to harmless words.
local STYLE_OK = "^[%w%s%.%-#',]*$"

local function check_style(s, what)
  if s == nil or s == false then return end
  if real.type(s) ~= "string" or not s:match(STYLE_OK) then
    error("sandbox: blocked the gnuplot " .. what .. " '" .. tostring(s) ..
          "' (only letters, digits, spaces and . - # ' , are allowed)", 4)
  end
end

local function check_plot_spec(spec, ctx)
  if real.type(spec) ~= "table" then return end
  if real.type(spec.out) ~= "string" then error("plot: out must be a path string", 3) end
  M.check_write(spec.out, ctx.roots, "plot output", 3)
  M.check_write(spec.out .. ".part", ctx.roots, "plot output", 3)
  local panels = spec.panels or {spec}
  for _, p in ipairs(panels) do
    if real.type(p) == "table" then
      check_style(p.key, "key")
      for _, s in ipairs(real.type(p.series) == "table" and p.series or {}) do
        if real.type(s) == "table" then check_style(s.style, "style") end
      end
      for _, s in ipairs(real.type(p.ys) == "table" and p.ys or {}) do
        if real.type(s) == "table" then check_style(s[3], "style") end
      end
    end
  end
end

local function plot_view(plot, ctx)
  return M.view(plot, {
    available = "pure",
    write_table = "write1", read_table = "read",
    render = "pure", lines = "pure",
  }, "plot", ctx), {
    render = function(spec)
      check_plot_spec(spec, ctx)
      return plot.render(spec)
    end,
    lines = function(spec)
      check_plot_spec(spec, ctx)
      return plot.lines(spec)
    end,
  }
end

-- ---- the environment ------------------------------------------------------------------------

local SAFE_GLOBALS = {"assert", "error", "ipairs", "next", "pairs", "print", "rawequal",
  "rawget", "rawlen", "rawset", "select", "tonumber", "tostring", "type", "_VERSION",
  "collectgarbage", "warn"}

local function copy(t, except)
  local c = {}
  for k, v in real.pairs(t) do
    if not (except and except[k]) then c[k] = v end
  end
  return c
end

local MEMORY_ERROR = "not enough memory"

local function rethrow_memory(ok, ...)
  if not ok and (...) == MEMORY_ERROR then real.error(MEMORY_ERROR, 0) end
  return ok, ...
end

-- Modules require may hand out: name -> how.
local TRUSTED_MODULES = {
  sflex = "sflex", ["sflex.learn"] = "learn", ["sflex.plot"] = "plot",
  ["sflex.cli"] = "all", ["sflex.help"] = "all", ["sflex.structure"] = "sflex",
  ["sflex.mech"] = "sflex", ["sflex.vib"] = "sflex", ["sflex.lammps"] = "sflex",
  ["sflex.vdos"] = "sflex", ["sflex.package"] = "package",
}

local function lua_dir()
  local src = debug.getinfo(1, "S").source
  local dir = src:match("^@(.*)/sflex/sandbox%.lua$")
  return dir and (sys.realpath(dir) or dir) or nil
end

-- Build the sandbox environment.
--   opts.output       the output folder (must exist; default ".")
--   opts.package_dir  folder of the script's own modules (default: the script's)
--   opts.arg          the script's arg table
-- Returns env, ctx.
function M.new_env(opts)
  opts = opts or {}
  local out, err = sys.realpath(opts.output or ".")
  if not out then error("sandbox: output folder " .. tostring(err), 2) end
  if sys.lstat(out) ~= "dir" then error("sandbox: output folder " .. out .. " is not a folder", 2) end
  local ldir = lua_dir()
  local ctx = {
    output = out, roots = {out},
    package_dir = opts.package_dir and sys.realpath(opts.package_dir) or nil,
    lua_dir = ldir,
    scripts_dir = ldir and (sys.realpath(ldir .. "/../scripts") or ldir .. "/../scripts"),
  }
  M.patch(ctx)

  local env = {}
  for _, k in ipairs(SAFE_GLOBALS) do env[k] = _G[k] end
  env._G = env
  env.string = copy(string, {dump = true})
  env.table = copy(table)
  env.math = copy(math)
  env.utf8 = copy(utf8)
  env.coroutine = copy(coroutine)
  env.coroutine.resume = function(co, ...) return rethrow_memory(real.resume(co, ...)) end
  env.coroutine.close = function(co) return rethrow_memory(real.close(co)) end
  env.pcall = function(f, ...) return rethrow_memory(real.pcall(f, ...)) end
  env.xpcall = function(f, h, ...) return rethrow_memory(real.xpcall(f, h, ...)) end

  -- metatables: the script's own are its own; shared ones are read-only
  local own_mts = setmetatable({}, {__mode = "k"})
  env.setmetatable = function(t, mt)
    if real.type(mt) == "table" then
      -- finalizers run with hooks off: the instruction limit could not
      -- stop one that loops
      if rawget(mt, "__gc") ~= nil then
        blocked("__gc metamethods (finalizers run outside the instruction limit)", 2)
      end
      own_mts[mt] = true
    end
    return real.setmetatable(t, mt)
  end
  env.getmetatable = function(o)
    local mt = real.getmetatable(o)
    if real.type(mt) == "table" and not own_mts[mt] then return readonly(mt) end
    return mt
  end

  -- loading code: text only, the sandbox as default environment
  env.load = function(chunk, name, mode, ...)
    if mode ~= nil and mode ~= "t" and mode ~= "bt" then
      return nil, "sandbox: blocked loading binary chunks (mode '" .. tostring(mode) .. "')"
    end
    if real.type(chunk) == "string" and chunk:sub(1, 1) == "\27" then
      return nil, "sandbox: blocked loading a binary chunk (only Lua text is allowed)"
    end
    local e = env
    if select("#", ...) > 0 then e = ... end
    return real.load(chunk, name, "t", e)
  end
  env.loadfile = function(path, mode, ...)
    if mode ~= nil and mode ~= "t" and mode ~= "bt" then
      return nil, "sandbox: blocked loading binary chunks (mode '" .. tostring(mode) .. "')"
    end
    if path == nil then blocked("loadfile from standard input", 2) end
    local e = env
    if select("#", ...) > 0 then e = ... end
    return M.loadfile(path, e)
  end
  env.dofile = function(path)
    local f, err = env.loadfile(path)
    if not f then error(err, 2) end
    return f()
  end

  -- io: reads anywhere, writes checked, no programs
  local io_ = {
    write = io.write, read = io.read, close = io.close, type = io.type,
    stdout = io.stdout, stderr = io.stderr, stdin = io.stdin,
  }
  io_.open = function(path, mode)
    if is_write_mode(mode) then
      return real.open(M.check_write(path, ctx.roots, "io.open for writing", 2), mode)
    end
    return real.open(path, mode)
  end
  io_.lines = function(path, ...)
    return real.lines(path, ...)
  end
  io_.input = function(f)
    return real.input(f)
  end
  io_.output = function(f)
    if real.type(f) == "string" then
      return real.output(M.check_write(f, ctx.roots, "io.output", 2))
    end
    return real.output(f)
  end
  io_.popen = blocker("io.popen (running programs is not allowed)")
  io_.tmpfile = blocker("io.tmpfile (files outside the output folder are not allowed)")
  env.io = io_

  -- os: clocks, dates and the environment; removals and renames checked
  env.os = {
    clock = os.clock, date = os.date, time = os.time, difftime = os.difftime,
    getenv = os.getenv, exit = os.exit,
    execute = blocker("os.execute (running programs is not allowed)"),
    tmpname = blocker("os.tmpname (files outside the output folder are not allowed; " ..
                      "use a name in the output folder)"),
    remove = function(path)
      return real.remove(M.check_write(path, ctx.roots, "os.remove of", 2))
    end,
    rename = function(a, b)
      local ra = M.check_write(a, ctx.roots, "os.rename of", 2)
      local rb = M.check_write(b, ctx.roots, "os.rename to", 2)
      return real.rename(ra, rb)
    end,
    setlocale = function(loc, cat)
      if loc ~= nil then blocked("os.setlocale (it would change how numbers are read and written)", 2) end
      return real.setlocale(nil, cat)
    end,
  }

  env.debug = real.setmetatable({}, {
    __index = function(_, k) return blocker("debug." .. real.tostring(k) .. " (the debug library is not available)") end,
    __metatable = false,
  })

  -- modules
  local loaded = {}
  local sflex_view = M.view(require "sflex", M.POLICY, "sflex", ctx)
  local plot_v, plot_fns
  local function trusted(name)
    local how = TRUSTED_MODULES[name]
    if how == "sflex" then
      if name == "sflex" then return sflex_view end
      return M.view(require(name), M.POLICY, name, ctx)
    elseif how == "learn" then
      return M.view(require(name), {train_sf = "read", load_model = "read", grid_search = "pure",
                                    learn = {view = LEARN_POLICY}}, name, ctx)
    elseif how == "plot" then
      if not plot_v then
        local plot = require "sflex.plot"
        plot_v, plot_fns = plot_view(plot, ctx)
      end
      -- the checked render/lines in front of the view
      return real.setmetatable({render = plot_fns.render, lines = plot_fns.lines},
                               {__index = plot_v, __metatable = false})
    elseif how == "all" then
      return readonly(require(name))
    elseif how == "package" then
      return M.package_view(env, ctx)
    end
  end
  local package_ = {
    loaded = loaded, preload = {}, config = package.config, cpath = "",
    path = ctx.package_dir and (ctx.package_dir .. "/?.lua;" .. ctx.package_dir .. "/?/init.lua") or "",
    loadlib = blocker("package.loadlib (compiled code is not allowed)"),
    searchpath = package.searchpath,
  }
  env.package = package_
  env.require = function(name)
    if real.type(name) ~= "string" then error("require: module name must be a string", 2) end
    local v = loaded[name]
    if v ~= nil then return v end
    if TRUSTED_MODULES[name] then
      v = trusted(name)
      loaded[name] = v
      return v
    end
    if name:match("^sflex") or name:match("^lua") then
      blocked("require '" .. name .. "' (not on the sandbox allow list)", 2)
    end
    if not name:match("^[%w_]+[%w_%.]*$") or name:find("%.%.") then
      blocked("require '" .. name .. "' (module names are letters, digits, _ and .)", 2)
    end
    local rel = name:gsub("%.", "/")
    local tried = {}
    if ctx.package_dir then
      for _, pat in ipairs({"%s/%s.lua", "%s/%s/init.lua"}) do
        local path = pat:format(ctx.package_dir, rel)
        tried[#tried + 1] = path
        if sys.lstat(path) then
          local f, err = M.loadfile(path, env)
          if not f then error(err, 2) end
          local r = f(name, path)
          if r == nil then r = loaded[name] ~= nil and loaded[name] or true end
          loaded[name] = r
          return r, path
        end
      end
    end
    error("module '" .. name .. "' not found (the sandbox loads the sflex modules and Lua text " ..
          "from the package folder; tried " .. (#tried > 0 and table.concat(tried, ", ") or "nothing") .. ")", 2)
  end

  env.sflex = sflex_view
  env.help = _G.help
  -- the script's arguments
  local a = {}
  if real.type(opts.arg) == "table" then
    for k, v in real.pairs(opts.arg) do a[k] = v end
  end
  env.arg = a
  return env, ctx
end

-- The sflex.package module as a sandboxed script sees it.
function M.package_view(env, ctx)
  return {
    in_sandbox = true,
    output = ctx.output,
    scripts = ctx.scripts_dir,
    --- run_script(name, {args}): run scripts/NAME.lua (text) in this sandbox
    run_script = function(name, args)
      if real.type(name) ~= "string" or not name:match("^[%w_]+$") then
        error("run_script: expected a script name such as 'train'", 2)
      end
      local path = ctx.scripts_dir .. "/" .. name .. ".lua"
      local f, err = M.loadfile(path, env)
      if not f then error(err, 2) end
      local saved = rawget(env, "arg")
      local a = {[0] = "scripts/" .. name .. ".lua"}
      for i, v in ipairs(args or {}) do a[i] = real.tostring(v) end
      env.arg = a
      local res = table.pack(real.pcall(f, table.unpack(a)))
      env.arg = saved
      if not res[1] then real.error(res[2], 0) end
      return table.unpack(res, 2, res.n)
    end,
  }
end

-- Called by the shell (src/shell/sandbox.c): the script's function, loaded
-- as text, with the sandbox environment.  opts: script, output.
function M.prepare(opts)
  local script = opts.script
  local dir = script:match("^(.*)/[^/]*$") or "."
  local env = M.new_env{output = opts.output or ".", package_dir = dir, arg = _G.arg}
  local f, err = M.loadfile(script, env)
  if not f then error(err, 0) end
  return f
end

return M
