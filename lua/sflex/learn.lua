-- sflex.learn: the structural-flexibility (SF) model.
--
-- An SF model is one linear weight vector per centre species plus the exact
-- descriptor definition it was trained with: SF_i = w_species(i) . x_i,
-- where x_i is the atom's radial structure-function descriptor (paper eq. 5,
-- bias column included) and w was fitted by L2-loss SVR (LIBLINEAR) to a
-- per-atom label, usually ln v_flex.
--
--   local model, report = sflex.train_sf{train = {"a.dump", "b.dump"},
--                                        label = "vflex", log = true}
--   model:save("CuZr.sfmodel")
--   local m = sflex.load_model("CuZr.sfmodel")
--   local sf = m:sf(atoms)                 -- Vector, one SF per atom
--   m:sample_average(atoms, sf)            -- {Cu = .., Zr = .., all = ..}
--   m:coarse_grain(atoms, 5.0, sf)         -- mean SF within 5 A
--
-- The file format (versioned, text, never executed) is documented in
-- doc/learning.md and parsed by the C core (src/core/sf_model.c).
local core = require "sflex_core"

local M = {}
local stats = core.stats

local function sflex() return require "sflex" end

local FORMAT_KIND = "linear"

-- ---- small helpers ----------------------------------------------------------

local function fmt_num(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  if v ~= v or v == math.huge or v == -math.huge then return tostring(v) end
  if v == math.floor(v) and math.abs(v) < 2^53 then return string.format("%d", math.tointeger(v)) end
  -- the shortest of %.15g / %.16g / %.17g that reads back exactly
  for _, f in ipairs({"%.15g", "%.16g"}) do
    local s = string.format(f, v)
    if tonumber(s) == v then return s end
  end
  return string.format("%.17g", v)
end
M.format_number = fmt_num

-- strict decimal number (no hex, no nan/inf)
local function parse_num(s)
  if type(s) ~= "string" then return nil end
  if not s:match("^[+-]?%d+%.?%d*[eE][+-]?%d+$") and not s:match("^[+-]?%d+%.?%d*$")
     and not s:match("^[+-]?%.%d+[eE][+-]?%d+$") and not s:match("^[+-]?%.%d+$") then
    return nil
  end
  return tonumber(s)
end
M.parse_number = parse_num

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  return ks
end

local function is_array(t)
  local n = #t
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n and n > 0
end

-- ---- typed values for the descriptor definition ----------------------------------
-- number: %.17g (integers as integers); boolean: true/false; string: "..."
-- (\" and \\ escaped); list of those: [a b c].  Tables with string keys are
-- flattened into sub-keys (descriptor.rp.CuZr = 2.7).

local function encode_scalar(v, where)
  local t = type(v)
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      error(where .. ": cannot store the non-finite number " .. tostring(v), 0)
    end
    return fmt_num(v)
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "string" then
    if v:find("[%c]") then error(where .. ": string with control characters", 0) end
    return '"' .. v:gsub('[\\"]', "\\%0") .. '"'
  end
  error(where .. ": cannot store a value of type " .. t, 0)
end

function M.encode_value(v, where)
  where = where or "value"
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do
      if type(x) == "table" then error(where .. ": nested lists are not supported", 0) end
      parts[i] = encode_scalar(x, where)
    end
    return "[" .. table.concat(parts, " ") .. "]"
  end
  return encode_scalar(v, where)
end

local function decode_scalar(s, where)
  if s == "true" then return true end
  if s == "false" then return false end
  if s:sub(1, 1) == '"' then
    local body = s:match('^"(.*)"$')
    if not body then error(where .. ": unterminated string " .. s, 0) end
    local out, i = {}, 1
    while i <= #body do
      local c = body:sub(i, i)
      if c == "\\" then
        local nx = body:sub(i + 1, i + 1)
        if nx ~= "\\" and nx ~= '"' then error(where .. ": bad escape in " .. s, 0) end
        out[#out + 1] = nx
        i = i + 2
      elseif c == '"' then
        error(where .. ": unescaped quote in " .. s, 0)
      else
        out[#out + 1] = c
        i = i + 1
      end
    end
    return table.concat(out)
  end
  local n = parse_num(s)
  if n == nil then error(where .. ": cannot read value '" .. s .. "'", 0) end
  return n
end

function M.decode_value(s, where)
  where = where or "value"
  if s:sub(1, 1) == "[" then
    local body = s:match("^%[(.*)%]$")
    if not body then error(where .. ": unterminated list " .. s, 0) end
    local list = {}
    local i, n = 1, #body
    while i <= n do
      local c = body:sub(i, i)
      if c:match("%s") then
        i = i + 1
      elseif c == '"' then
        local j = i + 1
        while j <= n do
          local d = body:sub(j, j)
          if d == "\\" then j = j + 2
          elseif d == '"' then break
          else j = j + 1 end
        end
        if j > n then error(where .. ": unterminated string in list", 0) end
        list[#list + 1] = decode_scalar(body:sub(i, j), where)
        i = j + 1
      else
        local j = body:find("%s", i) or (n + 1)
        list[#list + 1] = decode_scalar(body:sub(i, j - 1), where)
        i = j
      end
    end
    return list
  end
  return decode_scalar(s, where)
end

-- flatten {grid = {..}, rp = {CuCu = 2.5}} into {{"descriptor.grid", "[..]"}, ...}
local function flatten(prefix, t, out)
  for _, k in ipairs(sorted_keys(t)) do
    local v = t[k]
    if type(k) ~= "string" or not k:match("^[%w_:+-]+$") then
      error("descriptor: key '" .. tostring(k) .. "' cannot be stored (letters, digits, _ : + -)", 0)
    end
    local key = prefix .. "." .. k
    if type(v) == "table" and not is_array(v) then
      if next(v) == nil then error("descriptor: empty table at " .. key, 0) end
      flatten(key, v, out)
    else
      out[#out + 1] = {key, M.encode_value(v, key)}
    end
  end
  return out
end

local function unflatten_into(t, path, value)
  local parts = {}
  for p in path:gmatch("[^.]+") do parts[#parts + 1] = p end
  if #parts == 0 then return false end
  local cur = t
  for i = 1, #parts - 1 do
    local p = parts[i]
    if cur[p] == nil then cur[p] = {} end
    if type(cur[p]) ~= "table" or is_array(cur[p]) then return false end
    cur = cur[p]
  end
  if cur[parts[#parts]] ~= nil then return false end
  cur[parts[#parts]] = value
  return true
end

-- ---- the SF model -----------------------------------------------------------------

local SFModel = {}
local SFModel_mt = {__index = SFModel, __name = "sflex.SFModel"}
M.SFModel = SFModel

-- Fields: label, transform ("ln" | "none"), elements (list or nil),
-- descriptor (definition table for sflex.descriptor), features (number of
-- descriptor columns), centres = {name = {weights = Vector, params = {...},
-- scores = {...}}}, order = {names}, provenance = {...}, training = {...},
-- extra = {{key, value}} (unknown header keys, kept verbatim).
function M.new_model(t)
  local m = setmetatable({
    label = t.label or "label",
    transform = t.transform or "none",
    elements = t.elements,
    descriptor = t.descriptor or {},
    features = t.features,
    centres = t.centres or {},
    order = t.order or {},
    provenance = t.provenance or {},
    training = t.training or {},
    extra = t.extra or {},
  }, SFModel_mt)
  if m.transform ~= "ln" and m.transform ~= "none" then
    error("model: transform must be 'ln' or 'none', got '" .. tostring(m.transform) .. "'", 2)
  end
  return m
end

function SFModel_mt.__tostring(self)
  local parts = {}
  for _, c in ipairs(self.order) do
    local e = self.centres[c]
    local rho = e.scores and e.scores["test.pearson"]
    parts[#parts + 1] = string.format("%s: %d weights%s", c, #e.weights,
      rho and string.format(", test rho=%.3f", rho) or "")
  end
  return string.format("SFModel(label=%s%s, centres={%s})",
    self.transform == "ln" and "ln " or "", self.label, table.concat(parts, "; "))
end

-- The descriptor object (cached).
function SFModel:descriptor_object()
  if not self._desc then
    local s = sflex()
    if type(s.descriptor) ~= "function" then
      error("sflex.descriptor is not available in this build", 2)
    end
    self._desc = s.descriptor(self.descriptor)
  end
  return self._desc
end

-- The descriptor has one block per neighbour type, in type order: the
-- atoms' types must name the species the model was trained with, in order.
function SFModel:check_species(atoms)
  local el = self.elements
  if not el then return end
  local species = atoms.species or {}
  local have = {}
  for t = 1, atoms.ntypes do have[t] = tostring(species[t] or ("type " .. t)) end
  local ok = atoms.ntypes == #el
  for t = 1, math.min(#el, atoms.ntypes) do ok = ok and species[t] == el[t] end
  if not ok then
    error(string.format("model: trained with types %s, the configuration has %s " ..
      "(read it with elements = {%s})", table.concat(el, " "), table.concat(have, " "),
      table.concat(el, ", ")), 3)
  end
end

-- Descriptor Matrix of every atom (one row per atom).
function SFModel:features_of(atoms)
  self:check_species(atoms)
  local X = self:descriptor_object():compute(atoms)
  if self.features and X.cols ~= self.features then
    error(string.format("model: descriptor gives %d columns, the model expects %d",
      X.cols, self.features), 2)
  end
  return X
end

-- Per-atom SF: w_species . x for every atom whose species has weights; NaN
-- for atoms of other species.  X (optional) is a precomputed descriptor.
function SFModel:sf(atoms, X)
  self:check_species(atoms)
  X = X or self:features_of(atoms)
  local tmap, any = {}, false
  local species = atoms.species or {}
  for t = 1, atoms.ntypes do
    local name = species[t]
    for k, c in ipairs(self.order) do
      if name == c then tmap[t] = k; any = true end
    end
  end
  if not any then
    local names = {}
    for t = 1, atoms.ntypes do names[#names + 1] = tostring(species[t] or ("type " .. t)) end
    error("model: no atom species matches the model's centres (" ..
      table.concat(self.order, ", ") .. "); the atoms have " .. table.concat(names, ", ") ..
      " (name the types with elements = {...})", 2)
  end
  local ws = {}
  for k, c in ipairs(self.order) do ws[k] = self.centres[c].weights end
  return core._learn_apply(X, atoms.type, tmap, ws)
end

-- Mean SF per centre species and over all atoms with an SF.
function SFModel:sample_average(atoms, sf)
  sf = sf or self:sf(atoms)
  local out = {}
  local total, count = 0, 0
  for _, c in ipairs(self.order) do
    local has, mask = pcall(atoms.mask, atoms, c)
    local sel = has and sf:select(mask) or {}
    if #sel > 0 then
      out[c] = sel:mean()
      total = total + sel:sum()
      count = count + #sel
    end
  end
  out.all = count > 0 and total / count or 0 / 0
  out.n = count
  return out
end

-- Spatially coarse-grained SF: the mean over atoms within radius (needs
-- sflex.coarse_grain from the structure module).
function SFModel:coarse_grain(atoms, radius, sf)
  local s = sflex()
  if type(s.coarse_grain) ~= "function" then
    error("sflex.coarse_grain is not available in this build", 2)
  end
  sf = sf or self:sf(atoms)
  return s.coarse_grain(atoms, sf, radius)
end

-- Predicted label in its original units (exp(SF) for the ln transform).
function SFModel:predict_label(atoms, sf)
  sf = sf or self:sf(atoms)
  if self.transform == "ln" then return sf:exp() end
  return sf
end

function SFModel:weights(centre)
  local e = self.centres[centre]
  return e and e.weights
end

function SFModel:scores(centre)
  local e = self.centres[centre]
  return e and e.scores
end

-- ---- model <-> raw file table ---------------------------------------------------

local PARAM_KEYS = {"solver", "C", "epsilon", "tol", "bias", "seed"}
local SCORE_PREFIXES = {"test.", "train.", "cv.", "n_"}

local function is_score_key(k)
  for _, p in ipairs(SCORE_PREFIXES) do
    if k:sub(1, #p) == p then return true end
  end
  return false
end

local function num_or_str(v)
  if type(v) == "number" then return fmt_num(v) end
  return tostring(v)
end

function SFModel:to_raw()
  local h = {}
  local function add(k, v) h[#h + 1] = {k, v} end
  add("kind", FORMAT_KIND)
  add("label", self.label)
  add("transform", self.transform)
  if self.elements and #self.elements > 0 then add("elements", table.concat(self.elements, " ")) end
  if self.features then add("features", fmt_num(self.features)) end
  for _, e in ipairs(flatten("descriptor", self.descriptor, {})) do add(e[1], e[2]) end
  for _, k in ipairs(sorted_keys(self.training)) do
    local v = self.training[k]
    add("training." .. k, type(v) == "boolean" and tostring(v) or num_or_str(v))
  end
  local p = self.provenance
  for _, k in ipairs({"sflex", "liblinear", "date", "command"}) do
    if p[k] then add("provenance." .. k, tostring(p[k])) end
  end
  for _, set in ipairs({"train", "test"}) do
    for i, f in ipairs(p[set] or {}) do
      add(string.format("provenance.%s.%d", set, i), (f.sha256 or "-") .. " " .. f.path)
    end
  end
  for _, e in ipairs(self.extra) do add(e[1], e[2]) end

  local cs = {}
  for _, c in ipairs(self.order) do
    local e = self.centres[c]
    local entries = {}
    for _, k in ipairs(PARAM_KEYS) do
      if e.params and e.params[k] ~= nil then entries[#entries + 1] = {k, num_or_str(e.params[k])} end
    end
    for _, k in ipairs(sorted_keys(e.scores or {})) do
      entries[#entries + 1] = {k, num_or_str(e.scores[k])}
    end
    for _, x in ipairs(e.extra or {}) do entries[#entries + 1] = {x[1], x[2]} end
    cs[#cs + 1] = {name = c, entries = entries, weights = e.weights}
  end
  return {header = h, centres = cs}
end

function SFModel:save(path)
  core._model_write(path, self:to_raw())
  return self
end

function SFModel:format()
  return core._model_format(self:to_raw())
end

local function from_raw(raw, name)
  local function fail(line, msg) error(string.format("%s:%d: %s", name, line or 0, msg), 0) end
  local m = {descriptor = {}, provenance = {}, training = {}, extra = {}, centres = {}, order = {}}
  local seen = {}
  for _, e in ipairs(raw.header) do
    local k, v, line = e[1], e[2], e[3]
    seen[k] = line
    if k == "kind" then
      if v ~= FORMAT_KIND then fail(line, "unsupported model kind '" .. v .. "' (this sflex reads '" .. FORMAT_KIND .. "')") end
    elseif k == "label" then
      if v == "" then fail(line, "empty label") end
      m.label = v
    elseif k == "transform" then
      if v ~= "ln" and v ~= "none" then fail(line, "transform must be 'ln' or 'none', got '" .. v .. "'") end
      m.transform = v
    elseif k == "elements" then
      local list = {}
      for w in v:gmatch("%S+") do list[#list + 1] = w end
      m.elements = list
    elseif k == "features" then
      local n = parse_num(v)
      if not n or n < 1 or n ~= math.floor(n) then fail(line, "features must be a positive integer, got '" .. v .. "'") end
      m.features = math.tointeger(n)
    elseif k:sub(1, 11) == "descriptor." then
      local ok, val = pcall(M.decode_value, v, k)
      if not ok then fail(line, val) end
      if not unflatten_into(m.descriptor, k:sub(12), val) then fail(line, "bad or conflicting descriptor key " .. k) end
    elseif k:sub(1, 9) == "training." then
      local val = parse_num(v)
      if val == nil then
        if v == "true" then val = true elseif v == "false" then val = false else val = v end
      end
      m.training[k:sub(10)] = val
    elseif k:sub(1, 11) == "provenance." then
      local rest = k:sub(12)
      local set, idx = rest:match("^(%a+)%.(%d+)$")
      if set == "train" or set == "test" then
        local sha, path = v:match("^(%S+) (.+)$")
        if not sha then fail(line, "expected 'SHA256 PATH', got '" .. v .. "'") end
        m.provenance[set] = m.provenance[set] or {}
        if type(m.provenance[set]) ~= "table" then
          fail(line, "provenance." .. set .. " is both a value and a list")
        end
        m.provenance[set][tonumber(idx)] = {sha256 = sha ~= "-" and sha or nil, path = path}
      elseif rest == "train" or rest == "test" or m.provenance[rest] ~= nil then
        fail(line, "bad provenance key " .. k .. " (the file lists are provenance." .. rest .. ".N)")
      else
        m.provenance[rest] = v
      end
    else
      m.extra[#m.extra + 1] = {k, v}
    end
  end
  if not seen.kind then fail(1, "missing 'kind = " .. FORMAT_KIND .. "'") end
  if not seen.label then fail(1, "missing 'label'") end
  if not seen.transform then fail(1, "missing 'transform'") end
  if next(m.descriptor) == nil then fail(1, "missing the descriptor definition (descriptor.* keys)") end
  for _, set in ipairs({"train", "test"}) do
    local list = m.provenance[set]
    if list then
      for i = 1, #list do if not list[i] then fail(seen["provenance." .. set .. "." .. (i + 1)], "provenance." .. set .. " entries must be numbered 1, 2, ...") end end
    end
  end
  for _, c in ipairs(raw.centres) do
    local e = {weights = c.weights, params = {}, scores = {}, extra = {}}
    for _, x in ipairs(c.entries) do
      local k, v, line = x[1], x[2], x[3]
      local isparam = false
      for _, p in ipairs(PARAM_KEYS) do if k == p then isparam = true end end
      if isparam then
        if k == "solver" then e.params[k] = v
        else
          local n = parse_num(v)
          if n == nil then fail(line, k .. " must be a number, got '" .. v .. "'") end
          e.params[k] = n
        end
      elseif is_score_key(k) then
        local n = parse_num(v)
        if n == nil and v ~= "nan" and v ~= "-nan" then fail(line, k .. " must be a number, got '" .. v .. "'") end
        e.scores[k] = n or (0 / 0)
      else
        e.extra[#e.extra + 1] = {k, v}
      end
    end
    if m.features and #c.weights ~= m.features then
      fail(c.line, string.format("[centre %s] has %d weights, features = %d", c.name, #c.weights, m.features))
    end
    m.centres[c.name] = e
    m.order[#m.order + 1] = c.name
  end
  return M.new_model(m)
end

-- Load a model file (raises "path:line: problem" on bad input).
function M.load_model(path)
  local raw = core._model_read(path)
  local model = from_raw(raw, path)
  model.path = path
  return model
end

function M.parse_model(text, name)
  return from_raw(core._model_parse(text, name or "model"), name or "model")
end

-- ---- data ------------------------------------------------------------------------

-- Paths with wildcards (* ? [) expanded by sflex.expand (sorted with
-- numbers compared by value); other entries (paths, Atoms) kept as given.
function M.expand_paths(list)
  if not list then return nil end
  local s = sflex()
  local out = {}
  for _, p in ipairs(list) do
    if type(p) == "string" and p:find("[%*%?%[]") and type(s.expand) == "function" then
      for _, q in ipairs(s.expand(p)) do out[#out + 1] = q end
    else
      out[#out + 1] = p
    end
  end
  return out
end

-- Read a configuration (path or Atoms) with optional element names.
function M.read_config(src, elements)
  if type(src) ~= "string" then return src, nil end
  local s = sflex()
  local reader = s.read
  if type(reader) ~= "function" then error("sflex.read is not available in this build", 2) end
  local atoms = reader(src, elements and {elements = elements} or nil)
  return atoms, src
end

-- Write a LAMMPS text dump with the given columns (temp file + rename).
function M.write_dump(path, atoms, columns)
  local s = sflex()
  if type(s.write) ~= "function" then error("sflex.write is not available in this build", 2) end
  return s.write(path, atoms, {format = "dump", columns = columns})
end

-- A short name for a sample: "DIR/FILE" without .gz and the format
-- extension (data/glasses/Cu50Zr50_1e13_s1/vflex.dump.gz ->
-- Cu50Zr50_1e13_s1/vflex).
function M.sample_name(path)
  local p = path:gsub("%.gz$", ""):gsub("%.[%w]+$", "")
  local dir, base = p:match("([^/]*)/([^/]+)$")
  if dir and dir ~= "" and dir ~= "." then return dir .. "/" .. base end
  return base or p
end

-- Composition and cooling rate of a sample from its path: the first
-- element-number run (Cu50Zr50 -> {Cu = 50, Zr = 50}) and the first
-- "_<number>e<exp>_" field (the rate in K/s), as make_dataset.sh names
-- samples.  Missing parts are nil.
function M.sample_meta(path)
  local meta = {}
  for run in path:gmatch("%u%l?%d+%.?%d*[%u%l%d.]*") do
    local comp, ok = {}, true
    local rest = run:gsub("(%u%l?)(%d+%.?%d*)", function(el, x) comp[el] = tonumber(x); return "" end)
    if rest ~= "" then ok = false end
    local count = 0
    for _ in pairs(comp) do count = count + 1 end
    if ok and count >= 2 then meta.composition = comp; meta.composition_name = run; break end
  end
  local rate = path:match("_(%d+%.?%d*[eE][+-]?%d+)_") or path:match("_(%d+%.?%d*[eE][+-]?%d+)[/_.]")
  meta.rate = rate and tonumber(rate)
  return meta
end

-- Label Vector of a configuration, transformed (ln) and checked.
function M.label_of(atoms, label, transform, where)
  local ok, y = pcall(atoms.column, atoms, label)
  if not ok or y == nil then
    local cols = atoms:columns()
    error(string.format("%s: no per-atom column '%s' (columns: %s)", where, label,
      #cols > 0 and table.concat(cols, ", ") or "none"), 0)
  end
  if transform == "ln" then
    local mn, at = y:min()
    if not (mn > 0) then
      error(string.format("%s: --log needs positive labels, but %s of atom %d is %s",
        where, label, math.tointeger(atoms.id[at]) or at, tostring(mn)), 0)
    end
    y = y:log()
  end
  return y
end

-- Default descriptor: the paper's (reduced distances 0.6..3.0, sigma 0.05).
function M.default_descriptor()
  return {grid = {0.6, 3.0, 0.05}, sigma = 0.05, cutoff = 3.0, reduced = true}
end

local function copy_table(t)
  if type(t) ~= "table" then return t end
  local c = {}
  for k, v in pairs(t) do c[k] = copy_table(v) end
  return c
end
M.copy_table = copy_table

-- Mask of the atoms with the lowest `frac` of y within each species (each
-- species ranked on its own, as in the paper's Fig. 1); frac < 0 takes the
-- highest |frac| instead.  At least one atom per species.
function M.extreme_mask(atoms, y, frac)
  local mask = core.vector(atoms.n, 0)
  local all = core.range(1, atoms.n)
  for t = 1, atoms.ntypes do
    local m = atoms:mask(t)
    local n = math.tointeger(m:count())
    if n > 0 then
      local idx = all:select(m)
      local ord = y:select(m):order()
      local k = math.max(1, math.floor(math.abs(frac) * n + 0.5))
      local pick = frac >= 0 and ord:slice(1, k) or ord:slice(n - k + 1, n)
      local rows = idx:take(pick)
      for i = 1, #rows do mask[rows[i]] = 1 end
    end
  end
  return mask
end

-- Partial g(r) of a group of centres pooled over configurations (weighted
-- by the number of centres of each type): returns r, {["Cu-Zr"] = Vector
-- (centre Cu, neighbour Zr)}, {Cu = centres}.  masks[f] selects the centres
-- of configuration f (nil: all atoms).
function M.partial_gr(configs, masks, rmax, dr)
  local r, sum, cnt = nil, {}, {}
  for f, atoms in ipairs(configs) do
    local rr, g, centres = core._learn_rdf(atoms, rmax, dr, masks and masks[f])
    r = r or rr
    if #rr ~= #r then error("partial_gr: configurations give different bin counts", 2) end
    local nt = atoms.ntypes
    for a = 1, nt do
      local na = centres[a]
      local sa = atoms.species[a] or tostring(a)
      cnt[sa] = (cnt[sa] or 0) + na
      if na > 0 then
        for b = 1, nt do
          local key = sa .. "-" .. (atoms.species[b] or tostring(b))
          local col = g:col((a - 1) * nt + b) * na
          sum[key] = sum[key] and (sum[key] + col) or col
        end
      end
    end
  end
  local out = {}
  for key, v in pairs(sum) do
    local a = key:match("^(.-)%-")
    out[key] = v / cnt[a]
  end
  return r, out, cnt
end

-- r_p per species pair (keys "CuCu", "CuZr", "ZrZr": types in order) from
-- the first peaks of the partial g(r) of the atoms with the lowest `frac`
-- (default 1 %) of the label, pooled over configurations (the paper's
-- choice, Fig. 1).  For unlike pairs the peaks of g_ab (a centres) and
-- g_ba (b centres) are averaged, since the descriptor needs rp symmetric.
function M.find_rp(configs, labels, frac, opts)
  opts = opts or {}
  frac = frac or 0.01
  local masks = {}
  for f, atoms in ipairs(configs) do masks[f] = M.extreme_mask(atoms, labels[f], frac) end
  local r, g = M.partial_gr(configs, masks, opts.rmax or 6.0, opts.dr or 0.02)
  local species = configs[1].species
  local rp = {}
  for a = 1, configs[1].ntypes do
    for b = a, configs[1].ntypes do
      local sa, sb = species[a], species[b]
      local peaks = {}
      for _, key in ipairs({sa .. "-" .. sb, sb .. "-" .. sa}) do
        if g[key] then
          local p, err = core._learn_first_peak(r, g[key])
          if p then peaks[#peaks + 1] = p
          elseif opts.strict then error("r_p of " .. key .. ": " .. err, 2) end
        end
      end
      if #peaks == 0 then
        error(string.format("cannot find the first peak of g(r) for %s-%s from the lowest %g%% of the label; " ..
          "give rp explicitly", sa, sb, 100 * frac), 2)
      end
      local s = 0
      for _, p in ipairs(peaks) do s = s + p end
      rp[sa .. sb] = s / #peaks
    end
  end
  return rp
end

-- Descriptor definition with r_p resolved to numbers (so the model stores
-- exactly what was used).
local function resolve_descriptor(def, configs, labels, progress)
  def = copy_table(def)
  if def.reduced ~= false and def.rp == nil then
    def.rp = M.find_rp(configs, labels, def.rp_fraction or 0.01)
    def.rp_fraction = nil
    if progress then
      local parts = {}
      for _, k in ipairs(sorted_keys(def.rp)) do parts[#parts + 1] = string.format("%s=%.4f", k, def.rp[k]) end
      progress("r_p from the lowest 1% of the label: " .. table.concat(parts, " "))
    end
  end
  return def
end
M.resolve_descriptor = resolve_descriptor

-- Compute descriptors of every configuration and stack the rows of each
-- centre species.  Returns {species = {X = Matrix, y = Vector, n = rows}}.
local function assemble(desc, configs, labels, centres)
  local Xs, masks = {}, {}
  for f, atoms in ipairs(configs) do
    Xs[f] = desc:compute(atoms)
    masks[f] = {}
    for _, c in ipairs(centres) do
      local ok, mk = pcall(atoms.mask, atoms, c)
      masks[f][c] = ok and mk or core.vector(atoms.n, 0)
    end
  end
  local out = {}
  for _, c in ipairs(centres) do
    local ms = {}
    for f = 1, #configs do ms[f] = masks[f][c] end
    local X = core._learn_stack(Xs, ms)
    local y = core._learn_stack(labels, ms)
    out[c] = {X = X, y = y, n = X.rows}
  end
  return out, Xs[1] and Xs[1].cols
end

-- ---- hyper-parameter search ----------------------------------------------------

local function as_list(v, default)
  if v == nil then return default end
  if type(v) == "table" then return v end
  return {v}
end

-- k-fold grid search over C and epsilon on (X | Problem, y).
-- opts: C = {...}, epsilon = {...}, k = 5, seed = 1, rows = (1-based),
-- solver, tol, score = "pearson" | "rmse".  Returns best = {C, epsilon,
-- score}, results = list of {C, epsilon, score}.
function M.grid_search(X, y, opts)
  opts = opts or {}
  local Cs = as_list(opts.C, {0.01, 0.1, 1, 10})
  local eps = as_list(opts.epsilon, {0, 0.1, 0.3})
  local data = X
  if getmetatable(X) and getmetatable(X).__name == "sflex.Matrix" then
    data = core.problem(X)
  end
  local rows = opts.rows
  local yy = rows and y:take(rows) or y
  local results, best = {}, nil
  local use_rmse = opts.score == "rmse"
  for _, C in ipairs(Cs) do
    for _, e in ipairs(eps) do
      local m = core.svr{C = C, epsilon = e, solver = opts.solver, tol = opts.tol, seed = opts.seed}
      local pred = m:cross_validate(data, y, {k = opts.k or 5, seed = opts.seed or 1, rows = rows})
      local score = use_rmse and -stats.rmse(pred, yy) or stats.pearson(pred, yy)
      local r = {C = C, epsilon = e, score = use_rmse and -score or score}
      results[#results + 1] = r
      if score == score and (not best or score > best._s) then
        best = {C = C, epsilon = e, score = r.score, _s = score}
      end
      if opts.progress then
        opts.progress(string.format("  C=%-8g epsilon=%-6g cv %s=%.4f", C, e,
          use_rmse and "rmse" or "pearson", r.score))
      end
    end
  end
  if best then best._s = nil end
  return best, results
end

-- ---- training --------------------------------------------------------------------

local function sflex_version()
  local ok, s = pcall(sflex)
  return ok and s.version or core.version
end

local function utc_date()
  local epoch = tonumber(os.getenv("SOURCE_DATE_EPOCH") or "")
  return os.date("!%Y-%m-%dT%H:%M:%SZ", epoch)
end

-- Train an SF model.  opts:
--   train      list of paths or Atoms (required)
--   test       list of paths or Atoms (optional; else a seeded hold-out)
--   label      per-atom column name ("vflex")
--   log        true: learn ln(label) (transform "ln")
--   elements   names of types 1..k for files without species names
--   centres    species to train (default: all species present)
--   split      training fraction of the hold-out split (0.8)
--   seed       seed of the split, the folds and LIBLINEAR (1)
--   C, epsilon, solver ("primal"|"dual"), tol
--   descriptor definition for sflex.descriptor (default: the paper's)
--   grid_search  false | true | {C = {...}, epsilon = {...},
--                sigma = {...}, cutoff = {...}, k = 5}
--   command    the command line, for provenance
--   progress   function(line) for progress messages (default: silent)
-- Returns model, report ({centres = {Cu = {n_train, n_test, test_pearson, ...}},
-- grid = {...}}).
M.PRIMAL_TOL = 1e-6

function M.train_sf(opts)
  assert(type(opts) == "table", "train_sf{...} expects a table of options")
  local progress = opts.progress or function() end
  local label = opts.label or "vflex"
  local transform = opts.log and "ln" or "none"
  local seed = opts.seed or 1
  local split = opts.split or 0.8
  -- LIBLINEAR's default stopping rule for the primal SVR (|f'(w)| <= 1e-3
  -- |f'(w0)|) stops short of the optimum on the unscaled descriptors: on the
  -- eight 1e13 K/s glasses the Zr test rho was 0.767 at 1e-3, 0.796 at 1e-4,
  -- 0.8025 at 1e-6 and 0.8024 at 1e-7 (doc/learning.md).  Models are trained
  -- to 1e-6 unless asked otherwise.
  local tol = opts.tol
  if tol == nil and (opts.solver or "primal") == "primal" then tol = M.PRIMAL_TOL end
  local s = sflex()
  if type(s.descriptor) ~= "function" then error("sflex.descriptor is not available in this build", 2) end
  local train_src = M.expand_paths(as_list(opts.train))
  if not train_src or #train_src == 0 then error("train_sf: no training configurations", 2) end
  local test_src = opts.test and M.expand_paths(as_list(opts.test)) or nil

  local provenance = {sflex = sflex_version(), liblinear = tostring(core.liblinear_version or ""),
                      date = utc_date(), command = opts.command, train = {}, test = {}}
  if provenance.liblinear == "" then provenance.liblinear = nil end
  local function load(list, set)
    local cfg, lab = {}, {}
    for i, src in ipairs(list) do
      local atoms, path = M.read_config(src, opts.elements)
      local where = path or (set .. " configuration " .. i)
      cfg[i] = atoms
      lab[i] = M.label_of(atoms, label, transform, where)
      if path then
        local sha, err = core.sha256_file(path)
        if not sha then error(err, 0) end
        provenance[set][#provenance[set] + 1] = {path = path, sha256 = sha}
      else
        provenance[set][#provenance[set] + 1] = {path = "<memory>"}
      end
      progress(string.format("%s %s: %d atoms", set, where, atoms.n))
    end
    return cfg, lab
  end
  local train_cfg, train_lab = load(train_src, "train")
  local test_cfg, test_lab
  if test_src then test_cfg, test_lab = load(test_src, "test") end

  -- the descriptor has one block per type: every configuration must have
  -- the same species in the same type order
  local function species_of(atoms)
    local list = {}
    for t = 1, atoms.ntypes do
      local name = atoms.species and atoms.species[t]
      if not name then
        error("train_sf: type " .. t .. " has no species name; pass elements = {...}", 3)
      end
      list[t] = name
    end
    return list
  end
  local elements = species_of(train_cfg[1])
  local function same_species(cfgs, set)
    for i, atoms in ipairs(cfgs) do
      local sp = species_of(atoms)
      if table.concat(sp, " ") ~= table.concat(elements, " ") then
        error(string.format("train_sf: %s configuration %d has types %s, the first training configuration %s " ..
          "(name the types the same way with elements = {...})", set, i, table.concat(sp, " "),
          table.concat(elements, " ")), 3)
      end
    end
  end
  same_species(train_cfg, "training")
  if test_cfg then same_species(test_cfg, "test") end

  -- centre species: given, or every named species present in training data
  local centres = opts.centres
  if not centres then
    centres = {}
    local seen = {}
    for _, atoms in ipairs(train_cfg) do
      for t = 1, atoms.ntypes do
        local name = atoms.species and atoms.species[t]
        if not name then
          error("train_sf: type " .. t .. " has no species name; pass elements = {...}", 2)
        end
        if not seen[name] then seen[name] = true; centres[#centres + 1] = name end
      end
    end
  end

  local base_def = resolve_descriptor(opts.descriptor or M.default_descriptor(), train_cfg, train_lab, progress)
  local gs = opts.grid_search
  if gs == true then gs = {} end
  local defs = {}
  if gs and (gs.sigma or gs.cutoff) then
    for _, sg in ipairs(as_list(gs.sigma, {base_def.sigma})) do
      for _, rc in ipairs(as_list(gs.cutoff, {base_def.cutoff})) do
        local d = copy_table(base_def)
        d.sigma, d.cutoff = sg, rc
        defs[#defs + 1] = d
      end
    end
  else
    defs[1] = base_def
  end

  local best_overall
  local grid_report = {}
  for di, def in ipairs(defs) do
    local desc = s.descriptor(def)
    local data, ncols = assemble(desc, train_cfg, train_lab, centres)
    local tdata = test_cfg and assemble(desc, test_cfg, test_lab, centres) or nil
    local per = {}
    local total, nscore = 0, 0
    for _, c in ipairs(centres) do
      local d = data[c]
      if d.n < 2 then error(string.format("train_sf: only %d %s atoms in the training data", d.n, c), 2) end
      local tr, te
      if tdata then
        tr = nil
      else
        tr, te = stats.split(d.n, split, seed)
        if #tr < 2 or #te < 2 then
          error(string.format("train_sf: %d %s atoms are too few for a %g split", d.n, c, split), 2)
        end
      end
      local entry = {train_rows = tr, test_rows = te,
                     C = opts.C or 1, epsilon = opts.epsilon or 0.1}
      if gs then
        progress(string.format("grid search %s (descriptor %d/%d: sigma=%s cutoff=%s)", c, di, #defs,
          tostring(def.sigma), tostring(def.cutoff)))
        local problem = core.problem(d.X)
        d.problem = problem
        local best, results = M.grid_search(problem, d.y, {
          C = gs.C, epsilon = gs.epsilon, k = gs.k or 5, seed = seed, rows = tr,
          solver = opts.solver, tol = tol, progress = progress})
        if not best then error("train_sf: grid search found no usable parameters for " .. c, 2) end
        entry.C, entry.epsilon, entry.cv = best.C, best.epsilon, best.score
        entry.grid = results
        total, nscore = total + best.score, nscore + 1
      end
      per[c] = entry
    end
    local mean_cv = nscore > 0 and total / nscore or nil
    grid_report[#grid_report + 1] = {sigma = def.sigma, cutoff = def.cutoff, cv = mean_cv, centres = per}
    if not best_overall or (mean_cv and mean_cv > (best_overall.cv or -math.huge)) then
      best_overall = {def = def, data = data, tdata = tdata, per = per, cv = mean_cv, ncols = ncols}
    end
  end

  -- final fit per centre with the chosen parameters
  local b = best_overall
  local model_centres, report = {}, {centres = {}, grid = gs and grid_report or nil}
  for _, c in ipairs(centres) do
    local d, e = b.data[c], b.per[c]
    local m = core.svr{C = e.C, epsilon = e.epsilon, solver = opts.solver, tol = tol, seed = seed}
    m:fit(d.problem or d.X, d.y, e.train_rows)
    d.problem = nil
    -- predictions of every row once; train/test are index subsets of them
    local pall = m:predict(d.X)
    local ptr, ytr, pte, yte
    if b.tdata then
      ptr, ytr = pall, d.y
      pte, yte = m:predict(b.tdata[c].X), b.tdata[c].y
    else
      ptr, ytr = pall:take(e.train_rows), d.y:take(e.train_rows)
      pte, yte = pall:take(e.test_rows), d.y:take(e.test_rows)
    end
    local sc = {["n_train"] = #ytr, ["n_test"] = #yte}
    sc["train.pearson"] = stats.pearson(ptr, ytr)
    if #yte >= 2 then
      sc["test.pearson"] = stats.pearson(pte, yte)
      sc["test.spearman"] = stats.spearman(pte, yte)
      sc["test.rmse"] = stats.rmse(pte, yte)
    end
    if e.cv then sc["cv.pearson"] = e.cv end
    local params = m:params()
    model_centres[c] = {
      weights = m:weights(),
      params = {solver = params.solver, C = params.C, epsilon = params.epsilon,
                tol = params.tol, seed = params.seed},
      scores = sc,
    }
    report.centres[c] = sc
    progress(string.format("%s: %d train / %d test atoms, C=%g epsilon=%g, test rho=%.4f",
      c, sc.n_train, sc.n_test, e.C, e.epsilon, sc["test.pearson"] or 0 / 0))
  end

  local training = {seed = seed, grid_search = gs and true or false}
  if not test_src then training.split = split end
  local model = M.new_model{
    label = label, transform = transform, elements = elements,
    descriptor = b.def, features = b.ncols, centres = model_centres, order = centres,
    provenance = provenance, training = training,
  }
  return model, report
end

-- ---- help texts (help(sflex.train_sf), help(model)) ---------------------------------

do
  local docs = core._docs and core._docs()
  local function doc(v, text) if docs then docs[v] = text end end
  doc(M.train_sf, "sflex.train_sf{train = {...}, test =, label = \"vflex\", log =, elements =, centres =,\n" ..
    "                split = 0.8, seed = 1, C = 1, epsilon = 0.1, solver =, tol =, descriptor =,\n" ..
    "                grid_search =, command =, progress =} -> SFModel, report\n" ..
    "Train one linear SVR per centre species on labelled configurations (paths or Atoms):\n" ..
    "descriptors, seeded hold-out (or the test set), optional k-fold grid search over C,\n" ..
    "epsilon and the descriptor's sigma/cutoff.  See doc/learning.md.")
  doc(M.load_model, "sflex.load_model(path) -> SFModel\n" ..
    "Read a model file (versioned text, never executed); errors name file and line.")
  doc(M.grid_search, "sflex.grid_search(X | Problem, y, {C = {...}, epsilon = {...}, k = 5, seed = 1,\n" ..
    "                  rows =, solver =, tol =, score = \"pearson\" | \"rmse\"}) -> best, results\n" ..
    "k-fold cross-validated grid search of an SVR; best = {C, epsilon, score}.")
  doc(SFModel_mt, "SFModel: one weight vector per centre species + the descriptor definition.\n" ..
    "model:sf(atoms), model:sample_average(atoms), model:coarse_grain(atoms, r), model:save(path).")
  doc(SFModel.sf, "model:sf(atoms [, X]) -> Vector\nPer-atom SF = w_species . x (NaN for species without weights).")
  doc(SFModel.features_of, "model:features_of(atoms) -> Matrix\nThe model's descriptor of every atom.")
  doc(SFModel.sample_average, "model:sample_average(atoms [, sf]) -> {species = mean, all = mean, n = count}")
  doc(SFModel.coarse_grain, "model:coarse_grain(atoms, radius [, sf]) -> Vector\nMean SF over the atoms within radius.")
  doc(SFModel.predict_label, "model:predict_label(atoms [, sf]) -> Vector\nSF back in label units (exp for a log model).")
  doc(SFModel.save, "model:save(path) -> model\nWrite the model file (temporary name, renamed when complete).")
  doc(SFModel.format, "model:format() -> string\nThe model file text.")
  doc(SFModel.weights, "model:weights(species) -> Vector")
  doc(SFModel.scores, "model:scores(species) -> table\ntest.pearson, test.spearman, test.rmse, train.pearson, n_train, n_test, ...")
  doc(SFModel.descriptor_object, "model:descriptor_object() -> descriptor\nsflex.descriptor(model.descriptor), cached.")
  doc(SFModel.check_species, "model:check_species(atoms)\nError unless the types name the model's species in order.")
  doc(SFModel.to_raw, "model:to_raw() -> table\nThe file's entries (internal).")
  local more = {
    partial_gr = "learn.partial_gr(configs, masks, rmax, dr) -> {r =, pairs = {CuCu = Vector, ...}}\n" ..
      "Partial g(r) of the masked centre atoms pooled over configurations (Fig. 1).",
    parse_model = "learn.parse_model(text [, name]) -> SFModel\nA model from file text (errors name the line).",
    copy_table = "learn.copy_table(t) -> table\nA deep copy of a plain table.",
    new_model = "learn.new_model{elements =, order =, descriptor =, label =, transform =, centres =, ...} -> SFModel\n" ..
      "Build a model from its parts (as train_sf does).",
    default_descriptor = "learn.default_descriptor() -> table\nThe paper's descriptor: grid {0.6, 3.0, 0.05}, sigma 0.05, cutoff 3.0, reduced.",
    decode_value = "learn.decode_value(text [, where]) -> value\nOne value of the model file format (number, string, list).",
    encode_value = "learn.encode_value(value [, where]) -> text\nThe inverse of decode_value.",
    format_number = "learn.format_number(x) -> string\nShortest text that reads back to the same double.",
    sample_name = "learn.sample_name(path) -> string\nDIR/FILE without .gz and format extension.",
    resolve_descriptor = "learn.resolve_descriptor(def, configs, labels [, progress]) -> def\n" ..
      "Fill in r_p (first peaks of the lowest 1 % of the label) where the definition lacks it.",
    parse_number = "learn.parse_number(text) -> number | nil\nA number in the C locale.",
    read_config = "learn.read_config(path | Atoms [, elements]) -> Atoms, path",
    label_of = "learn.label_of(atoms, column, transform, where) -> Vector\nThe per-atom label, ln-transformed and checked.",
    find_rp = "learn.find_rp(configs, labels [, frac = 0.01, opts]) -> {CuCu = r, ...}\n" ..
      "First-peak positions of the partial g(r) of the lowest-label atoms.",
    extreme_mask = "learn.extreme_mask(atoms, y, frac) -> Vector mask\nThe lowest (frac > 0) or highest (frac < 0) fraction of y per species.",
    expand_paths = "learn.expand_paths(list) -> list\nPaths with glob patterns (* ? [) expanded by sflex.expand.",
    write_dump = "learn.write_dump(path, atoms, columns)\nA LAMMPS dump with id type x y z and extra columns (temp name + rename).",
    sample_meta = "learn.sample_meta(path) -> {composition =, composition_name =, rate =}\n" ..
      "Composition and cooling rate from a make_dataset.sh sample path.",
  }
  for name, text in pairs(more) do
    if M[name] then doc(M[name], text) end
  end
end

return {
  train_sf = M.train_sf,
  load_model = M.load_model,
  grid_search = M.grid_search,
  learn = M,
}
