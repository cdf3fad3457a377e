-- run.lua: the example reproducibility package of sflex.  Trains the
-- structural-flexibility model on the bundled Cu-Zr glasses (per-atom
-- ln v_flex, one linear SVR per species, 20 % of the atoms held out) and
-- reproduces Fig. 2: SF against ln v_flex, with the Pearson rho of every
-- species in every glass.
--
-- `sflex pack` and `sflex verify` run it (sandboxed) as
--     sflex --sandbox --output-dir outputs run.lua outputs
-- in a fresh copy of this folder; everything it writes lands in outputs/.
-- It uses the same scripts as the command line (sflex train ..., sflex
-- fig2_sf_vflex ...), through sflex.package.run_script.
local pkg = require "sflex.package"

local out = arg[1] or "outputs"
local seed = os.getenv("SFLEX_SEED") or "1"

local configs = sflex.expand("inputs/glasses/*/vflex.dump.gz")
if #configs == 0 then error("run.lua: no inputs/glasses/*/vflex.dump.gz (run examples/make_package.sh)", 0) end

local function with(list, ...)
  local t = {}
  for _, v in ipairs(list) do t[#t + 1] = v end
  for _, v in ipairs({...}) do t[#t + 1] = v end
  return t
end

-- the SF model: ln v_flex, paper descriptor, seeded 80/20 split
local train = {"--train"}
for _, c in ipairs(configs) do train[#train + 1] = c end
pkg.run_script("train", with(train, "--label", "vflex", "--log", "--elements", "Cu,Zr",
                             "--seed", seed, "--out", out .. "/CuZr.sfmodel", "--quiet"))

-- Fig. 2 with the model just trained (and with the shipped one, if any)
local fig = {"--model", out .. "/CuZr.sfmodel", "--elements", "Cu,Zr", "--out", out .. "/fig2"}
pkg.run_script("fig2_sf_vflex", with(fig, table.unpack(configs)))
if io.open("inputs/CuZr.sfmodel") then
  pkg.run_script("fig2_sf_vflex", with({"--model", "inputs/CuZr.sfmodel", "--elements", "Cu,Zr",
                                        "--out", out .. "/fig2_shipped_model"}, table.unpack(configs)))
end
