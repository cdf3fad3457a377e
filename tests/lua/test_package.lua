-- sflex.package: the manifest format (round trip, every rejection names
-- the line), package paths, argument lists, sha256sum files, and the
-- manifest check of the fuzz seed corpus.  pack/verify themselves run in
-- tests/shell/test_pack.sh.
local t = require "testlib"
local package = require "sflex.package"

local SHA = ("ab"):rep(32)

local function sample()
  local m = package.new_manifest()
  package.set(m, "name", "demo")
  package.set(m, "script", "run.lua")
  package.set(m, "args", package.encode_list({"outputs", "a b", 'q"uote', "back\\slash", ""}))
  package.set(m, "output_dir", "outputs")
  package.set(m, "threads", 2)
  m.inputs[1] = {path = "run.lua", sha256 = SHA, size = 10}
  m.inputs[2] = {path = "data/a b.dump.gz", sha256 = SHA, size = 0}
  m.outputs[1] = {path = "outputs/x.txt", sha256 = SHA, size = 123456789}
  return m
end

t.case("format and parse are inverse", function()
  local m = sample()
  local text = package.format_manifest(m)
  local m2 = package.parse_manifest(text, "M")
  t.eq(package.format_manifest(m2), text)
  t.eq(m2.fields.threads, "2")
  t.eq(m2.inputs[2].path, "data/a b.dump.gz")
  t.eq(m2.outputs[1].size, 123456789)
  t.eq(package.decode_list(m2.fields.args), {"outputs", "a b", 'q"uote', "back\\slash", ""})
end)

t.case("sha256sum format: paths relative, MANIFEST last", function()
  local m = sample()
  local text = package.format_sha256sums(m, SHA)
  t.eq(text, SHA .. "  run.lua\n" .. SHA .. "  data/a b.dump.gz\n" .. SHA .. "  outputs/x.txt\n" ..
             SHA .. "  MANIFEST\n")
  local sums, order = package.parse_sha256sums(text, "S")
  t.eq(sums["data/a b.dump.gz"], SHA)
  t.eq(#order, 4)
  t.raises(function() package.parse_sha256sums("xyz  a\n", "S") end, "^S:1: expected")
  t.raises(function() package.parse_sha256sums(SHA .. "  a\n" .. SHA .. "  a\n", "S") end, "^S:2: 'a' listed twice")
end)

t.case("bad manifests are refused with file and line", function()
  local good = package.format_manifest(sample())
  local function bad(text, pattern)
    t.raises(function() package.parse_manifest(text, "M") end, pattern)
  end
  bad("", "^M:1: empty file")
  bad("sflex-model 1\n", "^M:1: not an sflex package manifest")
  bad(good:gsub("end sflex%-package\n$", ""), "missing 'end sflex%-package'")
  bad(good .. "more\n", "text after 'end sflex%-package'")
  bad(good:gsub("threads = 2", "threads 2"), "^M:%d+: expected 'key = value'")
  bad(good:gsub("threads = 2", "threads = 2\nthreads = 3"), "^M:%d+: key 'threads' given twice")
  bad(good:gsub("%[outputs%]", "[other]"), "unknown section")
  bad(good:gsub(SHA .. " 10 run.lua", SHA:upper() .. " 10 run.lua"), "bad sha256")
  bad(good:gsub(SHA .. " 10 run.lua", SHA .. " 10 ../run.lua"), "'%.%.' part")
  bad(good:gsub(SHA .. " 10 run.lua", SHA .. " 10 /etc/passwd"), "absolute path")
  bad(good:gsub(SHA .. " 10 run.lua", SHA .. " 10 MANIFEST"), "is a manifest")
  bad(good:gsub(SHA .. " 0 data/a b.dump.gz", SHA .. " 0 run.lua"), "listed twice")
  bad(good:gsub("outputs/x.txt", "elsewhere/x.txt"), "not in the output folder")
  bad(good:gsub("data/a b.dump.gz", "outputs/in.txt"), "lies in the output folder")
  bad(good:gsub("script = run.lua\n", ""), "missing 'script")
  bad(good:gsub('args = %b[]', 'args = ["open]'), "args: unterminated string")
  bad(good:gsub('args = %b[]', 'args = [bare]'), "args: list items must be quoted")
  bad(good:gsub("name = demo", "name = a\1b"), "control character")
end)

t.case("package paths", function()
  t.eq(package.check_relpath("a/b.txt"), "a/b.txt")
  for _, p in ipairs {"", "/a", "a//b", "a/./b", "a/../b", "a/", "a\\b", "a\nb", "MANIFEST", "MANIFEST.sha256"} do
    t.eq(package.check_relpath(p), nil, "path " .. p)
  end
end)

t.case("the command line of a run", function()
  local run = {exe = "/x/sflex", script = "run.lua", args = {"outputs", "a b"}, output_dir = "outputs",
               sandbox = true, threads = 2, seed = 3, epoch = 0, max_memory = "8G"}
  t.eq(package.command_line(run), "OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 SOURCE_DATE_EPOCH=0 " ..
       "SFLEX_SEED=3 sflex --sandbox --output-dir outputs --max-memory 8G run.lua outputs 'a b'")
  local argv = package.run_argv(run)
  t.eq(argv[1], "env")
  t.eq(argv[#argv], "a b")
end)

t.case("the fuzz seed manifests parse", function()
  local src = os.getenv("SFLEX_SOURCE_DIR") or "."
  for _, name in ipairs {"small.MANIFEST", "edge.MANIFEST"} do
    local f = io.open(src .. "/fuzz/corpus/manifest/" .. name, "rb")
    if f then
      local text = f:read("a")
      f:close()
      local m = package.parse_manifest(text, name)
      t.eq(package.format_manifest(package.parse_manifest(package.format_manifest(m), "again")),
           package.format_manifest(m))
    end
  end
end)

t.done()
