-- verify.lua: check a reproducibility package.
--
--   sflex verify DIR [--threads N] [--no-sandbox] [--keep] [--workdir DIR]
--
-- Checks MANIFEST.sha256 against MANIFEST, every input and recorded output
-- against its sha256, then re-runs the script (in the sandbox) on a fresh
-- copy of the inputs and compares every output byte for byte.  Reports file
-- by file; exits 1 on any difference (the re-run folder is kept then).
-- doc/packages.md.
local cli = require "sflex.cli"
local package = require "sflex.package"

local opt = cli.parse(arg, {
  usage = "sflex verify DIR [options]",
  positional = {"dir"},
  options = {
    threads = {type = "integer", help = "threads of the re-run (default: as packed)"},
    ["no-sandbox"] = {type = "flag", help = "re-run with the full environment (only for scripts you trust)"},
    keep = {type = "flag", help = "keep the re-run folder even when everything matches"},
    workdir = {type = "string", help = "where to make the re-run folder (default $TMPDIR or /tmp)"},
  },
})

local ok, res, summary = pcall(package.verify, opt.dir, {
  threads = opt.threads, sandbox = not opt.no_sandbox, keep = opt.keep, workdir = opt.workdir,
})
if not ok then
  io.stderr:write("verify: ", tostring(res), "\n")
  os.exit(2)
end
os.exit(res and 0 or 1)
