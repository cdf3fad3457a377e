-- sflex.structure: pair distribution functions, structure factors, first
-- peaks and the radial structure-function descriptors (paper eqs. 2, 3, 5),
-- on top of the C kernels in sflex_core (l_neighbor.c).
--
--   local r = sflex.rdf(atoms, {rmax = 10, dr = 0.02})     -- Rdf object
--   print(r:peaks())                  --> {CuCu = 2.55, CuZr = 2.78, ZrZr = 3.17}
--   local S = sflex.sq(r, {q = {0.5, 12, 0.02}})           -- Matrix q, S_..
--   local desc = sflex.descriptor{grid = {0.6, 3.0, 0.05}, sigma = 0.05,
--                                 cutoff = 3.0, reduced = true}   -- rp: auto
--   local X = desc:compute(atoms)                          -- Matrix, n x 99
local core = require "sflex_core"

local M = {}

local function is_atoms(x)
  local mt = getmetatable(x)
  return type(mt) == "table" and mt.__name == "sflex.Atoms"
end

local function is_rdf(x)
  local mt = getmetatable(x)
  return type(mt) == "table" and mt.__name == "sflex.Rdf"
end

local function check_keys(t, known, what, level)
  for k in pairs(t) do
    if not known[k] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = n end
      table.sort(names)
      error(string.format("%s: unknown option '%s' (known: %s)", what, tostring(k),
        table.concat(names, ", ")), level or 3)
    end
  end
end

-- Species labels of types 1..ntypes (the type number when unnamed).
local function labels(atoms)
  local out = {}
  local sp = atoms.species or {}
  for t = 1, atoms.ntypes do out[t] = sp[t] or tostring(t) end
  return out
end

-- ---- g(r) ------------------------------------------------------------------------

local RDF_KNOWN = {rmax = true, dr = true, centres = true, group = true}

--- sflex.rdf(atoms [, {rmax=10, dr=0.02, centres=mask}]) -> Rdf
function M.rdf(atoms, opts)
  opts = opts or {}
  if not is_atoms(atoms) then error("sflex.rdf: expected Atoms, got " .. type(atoms), 2) end
  check_keys(opts, RDF_KNOWN, "sflex.rdf")
  local centres = opts.centres or opts.group
  return core._rdf(atoms, opts.rmax or 10.0, opts.dr or 0.02, centres)
end

-- Methods added to the Rdf class from Lua.
local function pair_key(a, b) return a .. b end

local function rdf_peaks(self, opts)
  local sp = self:species()
  local out = {}
  for a = 1, #sp do
    for b = a, #sp do
      local r, err = self:peak(a, b, opts)
      if not r then error("rdf:peaks: " .. err, 2) end
      out[pair_key(sp[a], sp[b])] = r
    end
  end
  return out
end

local function rdf_shells(self, opts)
  local sp = self:species()
  local out = {}
  for a = 1, #sp do
    for b = 1, #sp do
      local rmin, cn = self:shell(a, b, opts)
      out[sp[a] .. "-" .. sp[b]] = rmin and {rmin = rmin, cn = cn} or {error = cn}
    end
  end
  return out
end

do
  -- a throw-away Rdf gives the class table (methods are shared)
  local ok, mt = pcall(function()
    local a = core.atoms{x = {{0, 0, 0}}, type = {1}, box = core.box{2, 2, 2}}
    return getmetatable(core._rdf(a, 1.0, 0.5))
  end)
  if ok and type(mt) == "table" and type(mt.__index) == "table" then
    local idx = mt.__index
    idx.peaks = rdf_peaks
    idx.shells = rdf_shells
    if core._docs then
      local docs = core._docs()
      docs[rdf_peaks] = "rdf:peaks([opts]) -> {CuCu = r, CuZr = r, ...}\n" ..
        "  First-peak positions of every pair of species (A <= B), see rdf:peak."
      docs[rdf_shells] = "rdf:shells([opts]) -> {[\"Cu-Zr\"] = {rmin=, cn=}, ...}\n" ..
        "  First coordination shell of every ordered pair (see rdf:shell)."
    end
  end
end

-- ---- S(q) ------------------------------------------------------------------------

local function qgrid(q)
  if q == nil then q = {0.5, 12.0, 0.02} end
  if type(q) == "table" and #q == 3 and q[3] < q[2] and q[3] > 0 and q[2] > q[1] then
    local n = math.floor((q[2] - q[1]) / q[3] + 1e-9) + 1
    local v = core.vector(n)
    for i = 1, n do v[i] = q[1] + (i - 1) * q[3] end
    return v
  end
  if type(q) == "table" then return core.vector(q) end
  return q
end

local SQ_KNOWN = {q = true, window = true, rmax = true, dr = true}

--- sflex.sq(atoms | rdf [, {q={qmin,qmax,dq}|Vector, window="lorch", rmax=, dr=}])
--- -> Matrix: q, S_A_B (A <= B, Faber-Ziman), S_total
function M.sq(x, opts)
  opts = opts or {}
  check_keys(opts, SQ_KNOWN, "sflex.sq")
  local rdf = x
  if is_atoms(x) then
    rdf = M.rdf(x, {rmax = opts.rmax or 12.0, dr = opts.dr or 0.01})
  elseif not is_rdf(x) then
    error("sflex.sq: expected Atoms or Rdf", 2)
  end
  local q = qgrid(opts.q)
  local sp = rdf:species()
  local cols, names = {q}, {"q"}
  for a = 1, #sp do
    for b = a, #sp do
      cols[#cols + 1] = rdf:sq(q, a, b, {window = opts.window})
      names[#names + 1] = "S_" .. sp[a] .. "_" .. sp[b]
    end
  end
  cols[#cols + 1] = rdf:sq(q, {window = opts.window})
  names[#names + 1] = "S_total"
  local m = core.matrix(#q, #cols)
  for j, c in ipairs(cols) do
    for i = 1, #q do m:set(i, j, c[i]) end
  end
  m:colnames(names)
  return m
end

-- ---- first peaks -------------------------------------------------------------------

--- sflex.first_peaks(atoms | rdf [, {group=mask, rmax=6, dr=0.02, smooth=2,
--- threshold=0.5}]) -> {CuCu = r, CuZr = r, ZrZr = r}
function M.first_peaks(x, opts)
  opts = opts or {}
  local rdf = x
  if is_atoms(x) then
    rdf = core._rdf(x, opts.rmax or 6.0, opts.dr or 0.02, opts.group or opts.centres)
  elseif not is_rdf(x) then
    error("sflex.first_peaks: expected Atoms or Rdf", 2)
  end
  return rdf:peaks({smooth = opts.smooth, threshold = opts.threshold})
end

-- ---- descriptors -------------------------------------------------------------------

-- rp table -> flat ntypes x ntypes list in type order.  Keys: "CuZr",
-- "Cu-Zr", "Cu_Zr" or nested {Cu = {Zr = ...}}; either order; must agree.
local function resolve_rp(rp, atoms)
  local sp = labels(atoms)
  local nt = #sp
  if type(rp) == "table" and #rp == nt * nt and nt > 0 and type(rp[1]) == "number" then
    return rp
  end
  local used = {}
  local function lookup(a, b)
    local found, where
    local keys = {sp[a] .. sp[b], sp[a] .. "-" .. sp[b], sp[a] .. "_" .. sp[b],
                  sp[b] .. sp[a], sp[b] .. "-" .. sp[a], sp[b] .. "_" .. sp[a]}
    for _, k in ipairs(keys) do
      local v = rp[k]
      if v ~= nil then
        used[k] = true
        if type(v) ~= "number" then error("descriptor: rp." .. k .. " is not a number", 4) end
        if found and found ~= v then
          error(string.format("descriptor: rp.%s = %g and rp.%s = %g disagree", where, found, k, v), 4)
        end
        found, where = v, k
      end
    end
    for _, pr in ipairs({{sp[a], sp[b]}, {sp[b], sp[a]}}) do
      local t = rp[pr[1]]
      if type(t) == "table" and t[pr[2]] ~= nil then
        used[pr[1]] = true
        local v = t[pr[2]]
        if found and found ~= v then
          error(string.format("descriptor: rp for %s-%s given twice with different values", sp[a], sp[b]), 4)
        end
        found = v
      end
    end
    return found
  end
  local flat, missing = {}, {}
  for a = 1, nt do
    for b = a, nt do
      local v = lookup(a, b)
      if v == nil then missing[#missing + 1] = sp[a] .. sp[b]
      else
        flat[(a - 1) * nt + b] = v
        flat[(b - 1) * nt + a] = v
      end
    end
  end
  if #missing > 0 then
    error("descriptor: rp lacks " .. table.concat(missing, ", ") ..
      " (species of the configuration: " .. table.concat(sp, " ") .. ")", 3)
  end
  for k in pairs(rp) do
    if not used[k] then
      error("descriptor: rp." .. tostring(k) .. " names no pair of the species " ..
        table.concat(sp, " "), 3)
    end
  end
  return flat
end
M._resolve_rp = resolve_rp

local Descriptor = {}
Descriptor.__index = Descriptor
Descriptor.__name = "sflex.Descriptor"

local DESC_KNOWN = {grid = true, sigma = true, cutoff = true, reduced = true, rp = true,
                    group = true, window = true, rdf = true, precision = true}

local function check_precision(p, what)
  if p ~= nil and p ~= "double" and p ~= "float" then
    error(what .. ": precision must be \"double\" or \"float\", got " .. tostring(p), 4)
  end
  return p
end

local function new_descriptor(def)
  def = def or {}
  if type(def) ~= "table" then error("sflex.descriptor: expected a table of options", 3) end
  check_keys(def, DESC_KNOWN, "sflex.descriptor", 4)
  local reduced = def.reduced ~= false
  local d = {
    reduced = reduced,
    grid = def.grid or (reduced and {0.6, 3.0, 0.05} or {1.5, 6.6, 0.1}),
    sigma = def.sigma or (reduced and 0.05 or 0.1),
    cutoff = def.cutoff or (reduced and 3.0 or 6.6),
    rp = def.rp,
    group = def.group,
    window = def.window,
    rdf = def.rdf or {},
    precision = check_precision(def.precision, "sflex.descriptor"),
  }
  local g = d.grid
  if type(g) == "string" then
    local a, b, c = g:match("^([^:]+):([^:]+):([^:]+)$")
    g = {tonumber(a), tonumber(b), tonumber(c)}
    d.grid = g
  end
  if type(g) ~= "table" or #g ~= 3 or type(g[1]) ~= "number" or type(g[2]) ~= "number"
     or type(g[3]) ~= "number" then
    error("sflex.descriptor: grid must be {start, stop, step}", 3)
  end
  if d.rp == "auto" then d.rp = nil end
  if d.rp ~= nil and type(d.rp) ~= "table" then
    error("sflex.descriptor: rp must be a table like {CuCu=2.5, CuZr=2.7, ZrZr=3.1} or \"auto\"", 3)
  end
  return setmetatable(d, Descriptor)
end

function Descriptor.__tostring(self)
  local n = math.floor((self.grid[2] - self.grid[1]) / self.grid[3] + 1e-9) + 1
  local rp = "auto"
  if type(self.rp) == "table" then
    local parts = {}
    for k, v in pairs(self.rp) do
      if type(v) == "number" then parts[#parts + 1] = string.format("%s=%g", k, v) end
    end
    table.sort(parts)
    rp = table.concat(parts, ",")
  end
  return string.format("Descriptor(%s, grid %g:%g:%g (%d points), sigma=%g, cutoff=%g%s)",
    self.reduced and "reduced" or "angstrom", self.grid[1], self.grid[2], self.grid[3], n,
    self.sigma, self.cutoff, self.reduced and (", rp=" .. rp) or "")
end

--- desc:rp_for(atoms) -> flat rp list (type order) and the {CuCu=...} table used
function Descriptor:rp_for(atoms)
  if not self.reduced then return nil end
  local rp = self.rp
  if rp == nil then
    local r = core._rdf(atoms, self.rdf.rmax or 6.0, self.rdf.dr or 0.02, self.group)
    rp = r:peaks({smooth = self.rdf.smooth, threshold = self.rdf.threshold})
  end
  return resolve_rp(rp, atoms), rp
end

--- desc:compute(atoms) -> Matrix (n x (ntypes*ngrid + 1)), column names
--- "G_Cu_0.600" ... "bias"; desc.last_rp holds the rp that was used.
function Descriptor:compute(atoms)
  if not is_atoms(atoms) then error("descriptor:compute: expected Atoms", 2) end
  local flat, used = self:rp_for(atoms)
  self.last_rp = used
  return core._descriptor(atoms, {
    r0 = self.grid[1], r1 = self.grid[2], h = self.grid[3], sigma = self.sigma,
    cutoff = self.cutoff, reduced = self.reduced, rp = flat, window = self.window,
    precision = self.precision,
  })
end

--- desc:definition() -> plain table (for saving with a model)
function Descriptor:definition()
  return {grid = {self.grid[1], self.grid[2], self.grid[3]}, sigma = self.sigma,
          cutoff = self.cutoff, reduced = self.reduced, rp = self.rp or self.last_rp,
          window = self.window, precision = self.precision}
end

--- sflex.descriptor{...} -> Descriptor;  sflex.descriptor(atoms, {...}) -> Matrix
function M.descriptor(a, b)
  if is_atoms(a) then
    return new_descriptor(b):compute(a)
  end
  return new_descriptor(a)
end

-- ---- bond-angle descriptors ---------------------------------------------------------

local ANG_KNOWN = {xi = true, lambda = true, zeta = true, cutoff = true, reduced = true,
                   rp = true, group = true, rdf = true, precision = true}

--- sflex.angular_descriptor(atoms [, {xi=, lambda=, zeta=, cutoff=, reduced=true,
--- rp="auto"|{CuCu=...}, group=mask, rdf={rmax, dr}}]) -> Matrix, rp
function M.angular_descriptor(atoms, opts)
  opts = opts or {}
  if not is_atoms(atoms) then error("sflex.angular_descriptor: expected Atoms, got " .. type(atoms), 2) end
  if type(opts) ~= "table" then error("sflex.angular_descriptor: expected a table of options", 2) end
  check_keys(opts, ANG_KNOWN, "sflex.angular_descriptor")
  local reduced = opts.reduced ~= false
  local rp = opts.rp
  if rp == "auto" then rp = nil end
  if rp ~= nil and type(rp) ~= "table" then
    error("sflex.angular_descriptor: rp must be a table like {CuCu=2.5, CuZr=2.7, ZrZr=3.1} or \"auto\"", 2)
  end
  local flat
  if reduced then
    if rp == nil then
      local r = core._rdf(atoms, (opts.rdf or {}).rmax or 6.0, (opts.rdf or {}).dr or 0.02, opts.group)
      rp = r:peaks({smooth = (opts.rdf or {}).smooth, threshold = (opts.rdf or {}).threshold})
    end
    flat = resolve_rp(rp, atoms)
  end
  check_precision(opts.precision, "sflex.angular_descriptor")
  local X = core._angular(atoms, {xi = opts.xi, lambda = opts.lambda, zeta = opts.zeta,
                                  cutoff = opts.cutoff, reduced = reduced, rp = flat,
                                  precision = opts.precision})
  return X, reduced and rp or nil
end

-- ---- output ------------------------------------------------------------------------

--- sflex.write_columns(path, {Vector|Matrix, ...}, {names} [, order]) -> path
--- Whitespace table: header of names, then one row per index of order
--- (default 1..n), the blocks side by side.  Written to a temporary name
--- and renamed when complete.
function M.write_columns(path, blocks, names, order)
  return core._write_columns(path, blocks, names, order)
end

local docs = core._docs and core._docs()
if docs then
  docs[M.rdf] = "sflex.rdf(atoms [, {rmax=10, dr=0.02, centres=mask}]) -> Rdf\n" ..
    "  Partial pair distribution functions g_ab(r) (paper eq. 2) of every pair of\n" ..
    "  species, from centre atoms (all, or those where the mask is non-zero).\n" ..
    "  Methods: r, g, cn, total, table, peak, peaks, shell, shells, sq, species, info."
  docs[M.sq] = "sflex.sq(atoms | rdf [, {q={0.5,12,0.02}, window=\"lorch\", rmax=12, dr=0.01}])\n" ..
    "  -> Matrix: q, S_A_B (Faber-Ziman partials, A <= B), S_total (number-number)."
  docs[M.first_peaks] = "sflex.first_peaks(atoms | rdf [, {group=mask, rmax=6, dr=0.02}])\n" ..
    "  -> {CuCu = r, CuZr = r, ZrZr = r}: first peak of each partial g(r)."
  docs[M.descriptor] = "sflex.descriptor{grid={0.6,3.0,0.05}, sigma=0.05, cutoff=3.0, reduced=true,\n" ..
    "                 rp={CuCu=2.5, CuZr=2.7, ZrZr=3.1} | \"auto\", group=mask, window=9,\n" ..
    "                 precision=\"double\" | \"float\"}\n" ..
    "  -> Descriptor, with desc:compute(atoms) -> Matrix (one row per atom: a block of\n" ..
    "  G_i^b(rbar) per neighbour species, then a bias column of ones; paper eq. 5).\n" ..
    "  rp auto: first peaks of the partial g(r) of the group's atoms (all by default).\n" ..
    "  reduced=false works in Angstrom (defaults grid 1.5:6.6:0.1, sigma 0.1, cutoff 6.6).\n" ..
    "  precision=\"float\": float32 storage (half the memory; each value the double one\n" ..
    "  rounded), accepted by SVR training/prediction and model:sf (see x:dtype()).\n" ..
    "  sflex.descriptor(atoms, {...}) computes directly."
  docs[M.angular_descriptor] = "sflex.angular_descriptor(atoms [, {xi={1,1.5,2}, lambda={-1,1}, zeta={1,2,4,16},\n" ..
    "                         cutoff=1.4, reduced=true, rp=\"auto\"|{CuCu=2.5,...}, group=mask,\n" ..
    "                         precision=\"double\"|\"float\"}])\n" ..
    "  -> Matrix, rp.  Bond-angle structure functions (Cubuk et al. 2015): per atom i and\n" ..
    "  neighbour species pair b <= c, Psi = sum over pairs {j,k} of neighbours within the cutoff of\n" ..
    "  exp(-(r_ij^2 + r_ik^2 + r_jk^2)/xi^2) (1 + lambda cos theta_jik)^zeta.  Columns\n" ..
    "  Psi_<b>_<c>_xi<xi>_l<lambda>_z<zeta> (pair, then xi, lambda, zeta); no bias column.\n" ..
    "  reduced: distances, xi and cutoff in units of the pair's first-peak position rp (auto:\n" ..
    "  from g(r)); reduced=false: Angstrom (defaults xi={2.5,4,5.5}, cutoff 4.2).  doc/structure.md."
  docs[M.write_columns] = "sflex.write_columns(path, {blocks}, {names} [, order]) -> path\n" ..
    "  Fast whitespace table of Vectors/Matrices side by side (rows in order)."
end

return M
