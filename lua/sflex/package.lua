-- sflex.package: reproducibility packages (sflex pack / sflex verify).
--
-- A package is a folder with the analysis script(s), their inputs (data,
-- model files, ...), the outputs they made, and two manifests:
--
--   MANIFEST         human-readable: how the outputs were made (script,
--                    arguments, command line, seed, threads, sandbox limits,
--                    SOURCE_DATE_EPOCH) and with what (sflex, Lua,
--                    LIBLINEAR, OpenBLAS/LAPACK, FFTW, LAMMPS versions), then
--                    "sha256 size path" of every input and output file
--   MANIFEST.sha256  the same files (and MANIFEST itself) in the format of
--                    sha256sum, so `sha256sum -c MANIFEST.sha256` checks
--                    them with no sflex at all
--
-- pack and verify run the script the same way: the package's input files
-- are copied into a fresh folder, the script runs there (in the sandbox by
-- default) as `sflex --sandbox --output-dir OUT SCRIPT ARGS...` with OUT =
-- the manifest's output folder (relative), and what lands in OUT is the
-- output.  pack moves it into the package; verify compares it byte for byte
-- with the manifest.  See doc/packages.md.
local core = require "sflex_core"

local M = {}

M.MAGIC = "sflex-package 1"
M.MANIFEST = "MANIFEST"
M.SUMS = "MANIFEST.sha256"

local ok_sys, sys = pcall(require, "sflex_sandbox")
if not ok_sys then sys = nil end

local function need_sys()
  if not sys then error("sflex.package needs the sflex shell (module sflex_sandbox)", 3) end
  return sys
end

-- ---- values -----------------------------------------------------------------------------
-- Scalars and lists as in the model files: numbers, true/false, "strings"
-- (\" and \\ escaped), lists [a b "c d"].

local function encode_string(s)
  return '"' .. s:gsub('[\\"]', "\\%0") .. '"'
end

function M.encode_list(list)
  local parts = {}
  for i, v in ipairs(list) do
    local s = tostring(v)
    if s:find("%c") then error("package: control character in list item " .. i, 2) end
    parts[i] = encode_string(s)
  end
  return "[" .. table.concat(parts, " ") .. "]"
end

-- "[\"a\" \"b c\"]" -> {"a", "b c"}; nil, message on bad input
function M.decode_list(s)
  local body = s:match("^%[(.*)%]$")
  if not body then return nil, "expected a list [\"...\" ...]" end
  local list, i, n = {}, 1, #body
  while i <= n do
    local c = body:sub(i, i)
    if c == " " or c == "\t" then
      i = i + 1
    elseif c == '"' then
      local out, j = {}, i + 1
      while true do
        if j > n then return nil, "unterminated string in list" end
        local d = body:sub(j, j)
        if d == "\\" then
          local e = body:sub(j + 1, j + 1)
          if e ~= "\\" and e ~= '"' then return nil, "bad escape in list" end
          out[#out + 1] = e
          j = j + 2
        elseif d == '"' then
          break
        else
          out[#out + 1] = d
          j = j + 1
        end
      end
      list[#list + 1] = table.concat(out)
      i = j + 1
      local nx = body:sub(i, i)
      if nx ~= "" and nx ~= " " and nx ~= "\t" then return nil, "expected a blank after a list item" end
    else
      return nil, "list items must be quoted strings"
    end
  end
  return list
end

-- ---- paths inside a package ---------------------------------------------------------------

-- A relative path with '/' separators, no '.', '..' or empty parts, no
-- control characters or backslashes (sha256sum would escape them).
function M.check_relpath(p)
  if type(p) ~= "string" or p == "" then return nil, "empty path" end
  if p:sub(1, 1) == "/" then return nil, "absolute path '" .. p .. "'" end
  if p:find("[%c\\]") then return nil, "control character or backslash in path" end
  for part in (p .. "/"):gmatch("([^/]*)/") do
    if part == "" or part == "." or part == ".." then
      return nil, "path '" .. p .. "' has an empty, '.' or '..' part"
    end
  end
  if p == M.MANIFEST or p == M.SUMS then return nil, "path '" .. p .. "' is a manifest" end
  return p
end

-- ---- the manifest -------------------------------------------------------------------------
-- m = {entries = {{key, value}, ...}, inputs = {{path, sha256, size}},
--      outputs = {...}}; m.fields[key] = value.

local KEY = "^[%w_][%w_.%-]*$"
local SECTIONS = {inputs = true, outputs = true}

function M.new_manifest()
  return {entries = {}, fields = {}, inputs = {}, outputs = {}}
end

function M.set(m, key, value)
  if not key:match(KEY) then error("package: bad key '" .. key .. "'", 2) end
  value = tostring(value)
  if value:find("%c") then error("package: control character in the value of " .. key, 2) end
  value = value:match("^%s*(.-)%s*$")
  if m.fields[key] == nil then
    m.entries[#m.entries + 1] = {key, value}
  else
    for _, e in ipairs(m.entries) do
      if e[1] == key then e[2] = value end
    end
  end
  m.fields[key] = value
end

-- Parse MANIFEST text; errors read "NAME:LINE: problem".
function M.parse_manifest(text, name)
  name = name or M.MANIFEST
  local m = M.new_manifest()
  local function fail(line, msg) error(string.format("%s:%d: %s", name, line, msg), 0) end
  if type(text) ~= "string" then fail(0, "not text") end
  local lineno, section, ended, started = 0, nil, false, false
  local seen = {}
  local pos = 1
  while pos <= #text do
    local nl = text:find("\n", pos, true)
    local line = text:sub(pos, (nl or #text + 1) - 1)
    pos = (nl or #text) + 1
    lineno = lineno + 1
    if line:sub(-1) == "\r" then line = line:sub(1, -2) end
    if line:find("%c") then fail(lineno, "control character") end
    local s = line:match("^%s*(.-)%s*$")
    if not started then
      if s ~= M.MAGIC then
        fail(lineno, "not an sflex package manifest (first line must be '" .. M.MAGIC .. "')")
      end
      started = true
    elseif s == "" or s:sub(1, 1) == "#" then
      -- blank or comment
    elseif ended then
      fail(lineno, "text after 'end sflex-package'")
    elseif s == "end sflex-package" then
      ended = true
    elseif s:sub(1, 1) == "[" then
      local sec = s:match("^%[(%a+)%]$")
      if not sec or not SECTIONS[sec] then fail(lineno, "unknown section '" .. s .. "' (expected [inputs] or [outputs])") end
      if seen["[" .. sec] then fail(lineno, "section [" .. sec .. "] given twice") end
      seen["[" .. sec] = lineno
      section = sec
    elseif section then
      local sha, size, path = s:match("^(%x+)%s+(%d+)%s+(.+)$")
      if not sha then fail(lineno, "expected 'SHA256 SIZE PATH'") end
      if #sha ~= 64 or sha:find("%u") then fail(lineno, "bad sha256 '" .. sha .. "' (64 lower-case hex digits)") end
      local n = math.tointeger(tonumber(size))
      if not n or #size > 15 then fail(lineno, "bad size '" .. size .. "'") end
      local ok, why = M.check_relpath(path)
      if not ok then fail(lineno, why) end
      if seen[path] then fail(lineno, "file '" .. path .. "' listed twice (line " .. seen[path] .. ")") end
      seen[path] = lineno
      local list = m[section]
      list[#list + 1] = {path = path, sha256 = sha, size = n}
    else
      local k, v = s:match("^([^=%s]+)%s*=%s*(.-)$")
      if not k then fail(lineno, "expected 'key = value'") end
      if not k:match(KEY) then fail(lineno, "bad key '" .. k .. "'") end
      if m.fields[k] ~= nil then fail(lineno, "key '" .. k .. "' given twice") end
      if k == "args" then
        local _, why = M.decode_list(v)
        if why then fail(lineno, "args: " .. why) end
      end
      m.entries[#m.entries + 1] = {k, v}
      m.fields[k] = v
    end
  end
  if not started then fail(1, "empty file (expected '" .. M.MAGIC .. "')") end
  if not ended then fail(lineno, "missing 'end sflex-package' (truncated file?)") end
  for _, k in ipairs({"script", "output_dir"}) do
    if not m.fields[k] then fail(1, "missing '" .. k .. " = ...'") end
  end
  local ok, why = M.check_relpath(m.fields.script)
  if not ok then fail(seen.script or 1, "script: " .. why) end
  ok, why = M.check_relpath(m.fields.output_dir)
  if not ok then fail(1, "output_dir: " .. why) end
  for _, f in ipairs(m.inputs) do
    if f.path == m.fields.output_dir or f.path:sub(1, #m.fields.output_dir + 1) == m.fields.output_dir .. "/" then
      fail(seen[f.path], "input '" .. f.path .. "' lies in the output folder")
    end
  end
  for _, f in ipairs(m.outputs) do
    if f.path:sub(1, #m.fields.output_dir + 1) ~= m.fields.output_dir .. "/" then
      fail(seen[f.path], "output '" .. f.path .. "' is not in the output folder " .. m.fields.output_dir)
    end
  end
  return m
end

function M.read_manifest(path)
  local f, err = io.open(path, "rb")
  if not f then error("cannot read the manifest: " .. tostring(err), 0) end
  local text = f:read("a")
  f:close()
  return M.parse_manifest(text, path), text
end

function M.format_manifest(m)
  local out = {M.MAGIC,
    "# A reproducibility package made by `sflex pack`.  Check it with `sflex verify DIR`",
    "# (re-runs the script and compares every output), or only the files with",
    "# `sha256sum -c " .. M.SUMS .. "` in this folder.  Format: doc/packages.md."}
  for _, e in ipairs(m.entries) do out[#out + 1] = e[1] .. " = " .. e[2] end
  for _, sec in ipairs({"inputs", "outputs"}) do
    out[#out + 1] = ""
    out[#out + 1] = "[" .. sec .. "]"
    for _, f in ipairs(m[sec]) do
      out[#out + 1] = string.format("%s %d %s", f.sha256, f.size, f.path)
    end
  end
  out[#out + 1] = "end sflex-package"
  return table.concat(out, "\n") .. "\n"
end

-- sha256sum -c format: inputs, outputs, then the MANIFEST (its hash
-- binds the two files together).
function M.format_sha256sums(m, manifest_sha)
  local out = {}
  for _, sec in ipairs({"inputs", "outputs"}) do
    for _, f in ipairs(m[sec]) do out[#out + 1] = f.sha256 .. "  " .. f.path end
  end
  if manifest_sha then out[#out + 1] = manifest_sha .. "  " .. M.MANIFEST end
  return table.concat(out, "\n") .. (#out > 0 and "\n" or "")
end

-- Parse sha256sum output lines: {path = sha}; errors name the line.
function M.parse_sha256sums(text, name)
  local sums, order = {}, {}
  local lineno = 0
  for line in text:gmatch("([^\n]*)\n?") do
    lineno = lineno + 1
    if line ~= "" then
      local sha, path = line:match("^(%x+)  (.+)$")
      if not sha then sha, path = line:match("^(%x+) %*(.+)$") end
      if not sha or #sha ~= 64 then error(string.format("%s:%d: expected 'SHA256  PATH'", name, lineno), 0) end
      if sums[path] then error(string.format("%s:%d: '%s' listed twice", name, lineno, path), 0) end
      sums[path] = sha:lower()
      order[#order + 1] = path
    end
  end
  return sums, order
end

-- ---- files ----------------------------------------------------------------------------------

local function join(a, b) return a == "" and b or (a .. "/" .. b) end

-- Regular files below dir (relative paths, sorted), skipping the names in
-- skip (relative paths, files or folders).  Symbolic links and special
-- files are errors: a package holds plain files.
function M.walk(dir, skip)
  local s = need_sys()
  skip = skip or {}
  local files = {}
  local function rec(rel)
    local names, err = s.listdir(join(dir, rel))
    if not names then error("package: " .. tostring(err), 0) end
    for _, n in ipairs(names) do
      local r = join(rel, n)
      if not skip[r] then
        local kind = s.lstat(join(dir, r))
        if kind == "dir" then
          rec(r)
        elseif kind == "file" then
          files[#files + 1] = r
        else
          error("package: " .. join(dir, r) .. " is a " .. tostring(kind) ..
                " (a package holds plain files and folders only)", 0)
        end
      end
    end
  end
  rec("")
  table.sort(files)
  return files
end

function M.file_entry(dir, rel)
  local path = join(dir, rel)
  local sha, err = core.sha256_file(path)
  if not sha then error("package: " .. tostring(err), 0) end
  local _, size = need_sys().lstat(path)
  return {path = rel, sha256 = sha, size = size}
end

local function copy_file(src, dst)
  local fi, err = io.open(src, "rb")
  if not fi then error("package: " .. tostring(err), 0) end
  local fo, err2 = io.open(dst, "wb")
  if not fo then fi:close(); error("package: " .. tostring(err2), 0) end
  while true do
    local chunk = fi:read(1 << 20)
    if not chunk then break end
    fo:write(chunk)
  end
  fi:close()
  assert(fo:close())
end

-- Copy the listed files (relative paths) from src to dst, checking each
-- copy against sha256 when given.  Returns the list of files whose copy
-- differs (should be empty).
function M.copy_files(src, dst, files)
  for _, f in ipairs(files) do
    local rel = type(f) == "table" and f.path or f
    local dir = rel:match("^(.*)/[^/]*$")
    if dir then core.make_dirs(join(dst, dir)) end
    copy_file(join(src, rel), join(dst, rel))
  end
end

-- Write text to path through path.part + rename.
function M.write_file(path, text)
  local tmp = path .. ".part"
  local f, err = io.open(tmp, "wb")
  if not f then error("package: " .. tostring(err), 0) end
  f:write(text)
  local ok, err2 = f:close()
  if not ok then os.remove(tmp); error("package: " .. tostring(err2), 0) end
  local r, err3 = os.rename(tmp, path)
  if not r then os.remove(tmp); error("package: " .. tostring(err3), 0) end
end

-- ---- versions -----------------------------------------------------------------------------

-- {name = version} from `sflex --version`, plus LAPACK.
function M.versions(exe)
  local v = {}
  local ok, proc = pcall(core.spawn, {exe, "--version"}, {stderr = "null"})
  if ok then
    proc:close_input()
    while true do
      local line = proc:read_line(30)
      if not line then break end
      local name, rest = line:match("^(%S+) (.+)$")
      if name then v[name] = rest end
    end
    proc:close(5)
  end
  local lapack = sys and sys.lapack_version and sys.lapack_version()
  if lapack then v.LAPACK = lapack end
  return v
end

M.VERSION_ORDER = {"sflex", "Lua", "LIBLINEAR", "FFTW", "OpenBLAS", "LAPACK", "zlib", "readline", "LAMMPS"}

-- ---- running the script ----------------------------------------------------------------------

local function shell_word(s)
  if s:match("^[%w%./_,:=+%-]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- The argv that runs a package's script in folder rundir.
--   run = {exe, script, args, output_dir, sandbox, threads, seed, epoch,
--          max_instructions, max_memory}
function M.run_argv(run)
  local argv = {"env",
    "OMP_NUM_THREADS=" .. run.threads, "OPENBLAS_NUM_THREADS=" .. run.threads,
    "SOURCE_DATE_EPOCH=" .. run.epoch, "SFLEX_SEED=" .. run.seed,
    run.exe}
  if run.sandbox then
    argv[#argv + 1] = "--sandbox"
    argv[#argv + 1] = "--output-dir"
    argv[#argv + 1] = run.output_dir
    if run.max_instructions then
      argv[#argv + 1] = "--max-instructions"
      argv[#argv + 1] = tostring(run.max_instructions)
    end
    if run.max_memory then
      argv[#argv + 1] = "--max-memory"
      argv[#argv + 1] = tostring(run.max_memory)
    end
  end
  argv[#argv + 1] = run.script
  for _, a in ipairs(run.args) do argv[#argv + 1] = a end
  return argv
end

-- The command line, as a person would type it (sflex instead of the
-- executable's path).
function M.command_line(run)
  local argv = M.run_argv(run)
  local words = {}
  for i, a in ipairs(argv) do
    if i > 1 then words[#words + 1] = (a == run.exe) and "sflex" or shell_word(a) end
  end
  return table.concat(words, " ")
end

-- Run the script in rundir; its output lines go to on_line (default:
-- stderr, indented).  Returns true | false, status, last lines.
function M.run(run, rundir, on_line)
  on_line = on_line or function(l) io.stderr:write("  | ", l, "\n") end
  core.make_dirs(join(rundir, run.output_dir))
  local proc = core.spawn(M.run_argv(run), {cwd = rundir, stderr = "merge"})
  proc:close_input()
  local tail = {}
  while true do
    local line = proc:read_line()
    if not line then break end
    on_line(line)
    tail[#tail + 1] = line
    if #tail > 20 then table.remove(tail, 1) end
  end
  local status = proc:wait()
  proc:close()
  return status == 0, status, tail
end

-- ---- pack -------------------------------------------------------------------------------------

local DEFAULTS = {script = "run.lua", output_dir = "outputs", seed = 1, epoch = 0}

local function default_threads()
  local t = tonumber(os.getenv("OMP_NUM_THREADS") or "")
  return t and math.tointeger(t) or 1
end

local function fields_of_previous(dir)
  local f = io.open(join(dir, M.MANIFEST), "rb")
  if not f then return nil end
  f:close()
  local ok, m = pcall(M.read_manifest, join(dir, M.MANIFEST))
  return ok and m or nil
end

-- Make (or remake) the package in dir.  opts: script, args (list; default
-- {output_dir}), output_dir, sandbox (true), threads, seed, epoch,
-- max_instructions, max_memory, exe, name, log (function(line)),
-- on_line.  Returns the manifest.
function M.pack(dir, opts)
  local s = need_sys()
  opts = opts or {}
  local log = opts.log or function(l) io.stderr:write(l, "\n") end
  local rdir, err = s.realpath(dir)
  if not rdir or s.lstat(rdir) ~= "dir" then error("pack: " .. tostring(err or (dir .. " is not a folder")), 0) end
  local prev = fields_of_previous(rdir)
  local pf = prev and prev.fields or {}
  local function pick(k, default)
    if opts[k] ~= nil then return opts[k] end
    if pf[k] ~= nil then return pf[k] end
    return default
  end
  local script = pick("script", DEFAULTS.script)
  local output_dir = pick("output_dir", DEFAULTS.output_dir)
  assert(M.check_relpath(script), "pack: bad script path " .. tostring(script))
  local okp, why = M.check_relpath(output_dir)
  if not okp then error("pack: output folder: " .. why, 0) end
  if s.lstat(join(rdir, script)) ~= "file" then
    error("pack: " .. join(rdir, script) .. " not found (give the script with --script)", 0)
  end
  local args = opts.args
  if not args and pf.args then args = M.decode_list(pf.args) end
  args = args or {output_dir}
  local sandbox = opts.sandbox
  if sandbox == nil then sandbox = pf.sandbox ~= "false" end
  local run = {
    exe = opts.exe or s.exe(), script = script, args = args, output_dir = output_dir,
    sandbox = sandbox, threads = math.tointeger(tonumber(opts.threads or default_threads())),
    seed = math.tointeger(tonumber(pick("seed", DEFAULTS.seed))),
    epoch = math.tointeger(tonumber(pick("source_date_epoch", DEFAULTS.epoch))),
    max_instructions = opts.max_instructions or pf.max_instructions,
    max_memory = opts.max_memory or pf.max_memory,
  }
  if opts.epoch then run.epoch = math.tointeger(tonumber(opts.epoch)) end
  if not run.threads or run.threads < 1 then error("pack: bad thread count", 0) end

  -- inputs: everything but the manifests, the output folder and leftovers
  local skip = {[M.MANIFEST] = true, [M.SUMS] = true, [output_dir] = true,
                [M.MANIFEST .. ".part"] = true, [M.SUMS .. ".part"] = true}
  for _, n in ipairs(s.listdir(rdir)) do
    if n:match("^%.sflex%-") then skip[n] = true end
  end
  local inputs = M.walk(rdir, skip)
  for _, p in ipairs(inputs) do
    local okr, whyr = M.check_relpath(p)
    if not okr then error("pack: input " .. whyr, 0) end
  end
  log(string.format("pack: %s: %d input files; running %s", rdir, #inputs, M.command_line(run)))

  -- run in a fresh copy, inside the package folder (same file system)
  local work = core.mkdtemp(".sflex-pack-", rdir)
  local okrun, res = pcall(function()
    M.copy_files(rdir, work, inputs)
    local ok, status, tail = M.run(run, work, opts.on_line)
    if not ok then
      error(string.format("pack: the script failed (exit status %s); last lines:\n  %s",
            tostring(status), table.concat(tail, "\n  ")), 0)
    end
    local outputs = M.walk(join(work, output_dir))
    local m = M.new_manifest()
    M.set(m, "name", opts.name or pf.name or rdir:match("([^/]+)$"))
    M.set(m, "script", script)
    M.set(m, "args", M.encode_list(args))
    M.set(m, "output_dir", output_dir)
    M.set(m, "command", M.command_line(run))
    M.set(m, "sandbox", tostring(sandbox))
    M.set(m, "threads", run.threads)
    M.set(m, "seed", run.seed)
    M.set(m, "source_date_epoch", run.epoch)
    if run.max_instructions then M.set(m, "max_instructions", run.max_instructions) end
    if run.max_memory then M.set(m, "max_memory", run.max_memory) end
    M.set(m, "packed", os.date("!%Y-%m-%dT%H:%M:%SZ"))
    local vers = M.versions(run.exe)
    for _, k in ipairs(M.VERSION_ORDER) do
      if vers[k] then M.set(m, "version." .. k, vers[k]) end
    end
    for _, p in ipairs(inputs) do m.inputs[#m.inputs + 1] = M.file_entry(rdir, p) end
    for _, p in ipairs(outputs) do
      local e = M.file_entry(join(work, output_dir), p)
      e.path = output_dir .. "/" .. p
      m.outputs[#m.outputs + 1] = e
    end
    -- the new outputs replace the old ones
    local dest = join(rdir, output_dir)
    if s.lstat(dest) then
      local old = work .. "/old-outputs"
      assert(os.rename(dest, old))
    end
    local pdir = output_dir:match("^(.*)/[^/]*$")
    if pdir then core.make_dirs(join(rdir, pdir)) end
    assert(os.rename(join(work, output_dir), dest))
    local text = M.format_manifest(m)
    M.write_file(join(rdir, M.MANIFEST), text)
    M.write_file(join(rdir, M.SUMS), M.format_sha256sums(m, core.sha256(text)))
    return m
  end)
  core.remove_tree(work)
  if not okrun then error(res, 0) end
  log(string.format("pack: wrote %s and %s (%d inputs, %d outputs)", join(rdir, M.MANIFEST),
                    join(rdir, M.SUMS), #res.inputs, #res.outputs))
  return res
end

-- ---- verify -----------------------------------------------------------------------------------

-- Verify the package in dir.  opts: threads (default: the manifest's),
-- sandbox (default: true), keep (keep the run folder), workdir (where to
-- make it; default $TMPDIR or /tmp), report (function(line)), exe,
-- on_line.  Returns ok, summary = {checked, failures, run_dir}.
function M.verify(dir, opts)
  local s = need_sys()
  opts = opts or {}
  local report = opts.report or print
  local failures = {}
  local function fail(kind, path, detail)
    failures[#failures + 1] = {kind = kind, path = path, detail = detail}
    report(string.format("  %-9s %s%s", kind, path, detail and ("  (" .. detail .. ")") or ""))
  end
  local function okline(kind, path)
    report(string.format("  %-9s %s", kind, path))
  end
  local rdir = s.realpath(dir)
  if not rdir or s.lstat(rdir) ~= "dir" then error("verify: " .. tostring(dir) .. " is not a folder", 0) end
  local m, text = M.read_manifest(join(rdir, M.MANIFEST))
  local f = m.fields
  report(string.format("verify: %s: %d inputs, %d outputs, made by: %s", rdir, #m.inputs,
                       #m.outputs, f.command or "?"))

  -- 1. MANIFEST.sha256 agrees with MANIFEST (both may be checked by hand)
  local sf = io.open(join(rdir, M.SUMS), "rb")
  if not sf then
    fail("MISSING", M.SUMS)
  else
    local stext = sf:read("a")
    sf:close()
    local okp, sums = pcall(M.parse_sha256sums, stext, M.SUMS)
    if not okp then
      fail("BROKEN", M.SUMS, sums)
    else
      local want = M.parse_sha256sums(M.format_sha256sums(m, core.sha256(text)), "expected")
      local agree = true
      for p, sha in pairs(want) do if sums[p] ~= sha then agree = false end end
      for p in pairs(sums) do if not want[p] then agree = false end end
      if agree then okline("ok", M.SUMS .. " (agrees with " .. M.MANIFEST .. ")")
      else fail("MISMATCH", M.SUMS, "does not agree with " .. M.MANIFEST .. ": one of them was edited") end
    end
  end

  -- 2. the recorded files
  local function check(list, what)
    local bad = 0
    for _, e in ipairs(list) do
      local path = join(rdir, e.path)
      local kind = s.lstat(path)
      if kind ~= "file" then
        fail("MISSING", e.path, what .. (kind and (" is a " .. kind) or " not found"))
        bad = bad + 1
      else
        local sha = core.sha256_file(path)
        if sha == e.sha256 then okline("ok", e.path)
        else
          fail("MISMATCH", e.path, string.format("%s: sha256 %s..., the manifest says %s...", what,
                                                  sha:sub(1, 12), e.sha256:sub(1, 12)))
          bad = bad + 1
        end
      end
    end
    return bad
  end
  report("inputs:")
  local bad_inputs = check(m.inputs, "input")
  report("recorded outputs:")
  check(m.outputs, "recorded output")
  local listed = {[M.MANIFEST] = true, [M.SUMS] = true}
  for _, e in ipairs(m.inputs) do listed[e.path] = true end
  for _, e in ipairs(m.outputs) do listed[e.path] = true end
  local okw, all = pcall(M.walk, rdir)
  if okw then
    for _, p in ipairs(all) do
      if not listed[p] and not p:match("^%.sflex%-") then
        report(string.format("  %-9s %s  (not in the manifest; not used by the re-run)", "note", p))
      end
    end
  end

  -- 3. re-run into a fresh folder and compare
  local run_dir
  if bad_inputs > 0 then
    report("re-run: skipped (inputs differ from the manifest)")
  else
    local args, why = M.decode_list(f.args or "[]")
    if not args then error("verify: MANIFEST args: " .. why, 0) end
    local sandbox = opts.sandbox
    if sandbox == nil then sandbox = true end
    local run = {
      exe = opts.exe or s.exe(), script = f.script, args = args, output_dir = f.output_dir,
      sandbox = sandbox, threads = math.tointeger(tonumber(opts.threads or f.threads or 1)) or 1,
      seed = math.tointeger(tonumber(f.seed or 1)) or 1,
      epoch = math.tointeger(tonumber(f.source_date_epoch or 0)) or 0,
      max_instructions = f.max_instructions, max_memory = f.max_memory,
    }
    run_dir = core.mkdtemp("sflex-verify-", opts.workdir)
    report(string.format("re-run: %s (in %s, %d thread%s%s)", M.command_line(run), run_dir,
                         run.threads, run.threads == 1 and "" or "s", sandbox and ", sandboxed" or ""))
    M.copy_files(rdir, run_dir, m.inputs)
    local okr, status, tail = M.run(run, run_dir, opts.on_line)
    if not okr then
      fail("FAILED", f.script, "exit status " .. tostring(status) .. "; last lines:\n    " ..
           table.concat(tail, "\n    "))
    end
    report("re-made outputs:")
    local made = {}
    local out_root = join(run_dir, f.output_dir)
    local okm, produced = pcall(M.walk, out_root)
    if not okm then produced = {} end
    for _, p in ipairs(produced) do made[f.output_dir .. "/" .. p] = true end
    for _, e in ipairs(m.outputs) do
      local path = join(run_dir, e.path)
      if not made[e.path] then
        fail("MISSING", e.path, "not made by the re-run")
      else
        local sha = core.sha256_file(path)
        made[e.path] = nil
        if sha == e.sha256 then okline("ok", e.path)
        else
          fail("DIFFERS", e.path, string.format("re-run sha256 %s..., recorded %s...; the new file is %s",
                                                 sha:sub(1, 12), e.sha256:sub(1, 12), path))
        end
      end
    end
    local extra = {}
    for p in pairs(made) do extra[#extra + 1] = p end
    table.sort(extra)
    for _, p in ipairs(extra) do fail("EXTRA", p, "made by the re-run, not in the manifest") end
  end

  -- 4. the environment, for the record
  local vers = M.versions(opts.exe or s.exe())
  for _, k in ipairs(M.VERSION_ORDER) do
    local rec = f["version." .. k]
    if rec and vers[k] and rec ~= vers[k] then
      report(string.format("  %-9s %s %s here, %s when packed", "note", k, vers[k], rec))
    end
  end

  local ok = #failures == 0
  if run_dir and ok and not opts.keep then
    core.remove_tree(run_dir)
    run_dir = nil
  end
  if ok then
    report(string.format("verify: OK: %d inputs and %d outputs match", #m.inputs, #m.outputs))
  else
    local kinds = {}
    for _, x in ipairs(failures) do kinds[#kinds + 1] = x.kind .. " " .. x.path end
    report(string.format("verify: FAILED: %d problem%s: %s%s", #failures, #failures == 1 and "" or "s",
                         table.concat(kinds, ", "), run_dir and ("; the re-run is in " .. run_dir) or ""))
  end
  return ok, {failures = failures, run_dir = run_dir, manifest = m}
end

-- ---- scripts of sflex inside a package -------------------------------------------------------

local function scripts_dir()
  local src = debug.getinfo(1, "S").source
  local dir = src:match("^@(.*)/sflex/package%.lua$") or "."
  return dir .. "/../scripts"
end
M.scripts = scripts_dir()
M.in_sandbox = false

--- run_script(name, {args}): run sflex's scripts/NAME.lua with arguments,
--- as `sflex NAME args` would (arg[0] = "scripts/NAME.lua", a stable name
--- for provenance).  In the sandbox the same call runs it sandboxed.
function M.run_script(name, args)
  if type(name) ~= "string" or not name:match("^[%w_]+$") then
    error("run_script: expected a script name such as 'train'", 2)
  end
  local path = M.scripts .. "/" .. name .. ".lua"
  local fn, err = loadfile(path, "t")
  if not fn then error(err, 2) end
  local saved = _G.arg
  local a = {[0] = "scripts/" .. name .. ".lua"}
  for i, v in ipairs(args or {}) do a[i] = tostring(v) end
  _G.arg = a
  local res = table.pack(pcall(fn, table.unpack(a)))
  _G.arg = saved
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end

return M
