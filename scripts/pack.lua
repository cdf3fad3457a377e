-- pack.lua: make a reproducibility package of a folder.
--
--   sflex pack DIR [--script run.lua] [--output-dir outputs] [--seed 1]
--     [--threads N] [--epoch 0] [--no-sandbox] [--max-instructions N]
--     [--max-memory SIZE] [--name NAME] [-- ARGS...]
--
-- Runs DIR/SCRIPT (in the sandbox unless --no-sandbox) on a fresh copy of
-- the folder's files, as `sflex --sandbox --output-dir OUT SCRIPT ARGS`
-- (ARGS default: OUT), moves what it wrote in OUT into DIR/OUT, and writes
-- DIR/MANIFEST (command line, seed, threads, versions, sha256 of every input
-- and output) and DIR/MANIFEST.sha256 (for sha256sum -c).  Settings not
-- given are taken from an existing MANIFEST.  doc/packages.md.
local cli = require "sflex.cli"
local package = require "sflex.package"

local opt = cli.parse(arg, {
  usage = "sflex pack DIR [options] [-- ARGS...]",
  positional = {"dir"},
  rest = "args",
  options = {
    script = {type = "string", help = "the script to run, relative to DIR (default run.lua)"},
    ["output-dir"] = {type = "string", help = "output folder, relative to DIR (default outputs)"},
    seed = {type = "integer", help = "seed, exported to the script as SFLEX_SEED (default 1)"},
    threads = {type = "integer", help = "OMP_NUM_THREADS / OPENBLAS_NUM_THREADS of the run (default $OMP_NUM_THREADS or 1)"},
    epoch = {type = "integer", help = "SOURCE_DATE_EPOCH of the run, for dates written in outputs (default 0)"},
    ["no-sandbox"] = {type = "flag", help = "run the script with the full environment (your own scripts only)"},
    ["max-instructions"] = {type = "string", help = "sandbox instruction limit to record and use"},
    ["max-memory"] = {type = "string", help = "sandbox memory limit to record and use, e.g. 8G"},
    name = {type = "string", help = "package name (default: the folder's)"},
  },
})

local sandbox = nil -- default: as before, else sandboxed
if opt.no_sandbox then sandbox = false end
local ok, err = pcall(package.pack, opt.dir, {
  script = opt.script, output_dir = opt.output_dir, seed = opt.seed, threads = opt.threads,
  epoch = opt.epoch, sandbox = sandbox,
  args = #opt.args > 0 and opt.args or nil,
  max_instructions = opt.max_instructions, max_memory = opt.max_memory, name = opt.name,
})
if not ok then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
