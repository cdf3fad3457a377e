-- sflex.mech: mechanical and thermal responses.
--
--   local d = sflex.d2min_atoms(ref, def, {cutoff = 4.0})   -- Atoms + d2min column
--   local r = sflex.aqs{atoms = a, mode = "xy", strain = 0.05, step = 1e-3}
--   print(r.strain[#r.strain], r.stress[#r.stress], sflex.aqs_modulus(r))
--   local m = sflex.local_moduli{atoms = a, mode = "yz"}   -- per-atom C44
--   local h = sflex.heating{atoms = a, T0 = 300, T1 = 1500, rate = 10}
--   local Tf = sflex.fictive_temperature(h.T, h.V)
--
-- LAMMPS runs through sflex.lammps (one child process per call; the
-- potential defaults to Debian's CuZr_mm.eam.fs).  Shear modes are named
-- "ab" with an optional sign: the displacement along a grows along b, the
-- engineering shear strain is du_a/db.  xy, xz and yz are LAMMPS tilts; yx,
-- zx and zy are run on a copy with two axes swapped (orthogonal boxes only),
-- so their configurations are in that swapped frame (D2min, SF and moduli
-- do not depend on the frame).
--
-- Units: LAMMPS metal.  Stresses and moduli in GPa, energies in eV,
-- volumes in A^3.  Shear stress is the Cauchy stress along the loading
-- direction: sigma_ab = -p_ab (LAMMPS pressure tensor), times the sign of
-- the mode.
local core = require "sflex_core"

local M = {}

local function S() return require "sflex" end

local BAR_TO_GPA = 1e-4
M.DEFAULT_POTENTIAL = "/usr/share/lammps/potentials/CuZr_mm.eam.fs"

-- ---- shear modes -------------------------------------------------------------

-- tilt: the LAMMPS tilt factor that carries the shear; len: the box length
-- it is divided by (strain = d tilt / len); p: the pressure component;
-- voigt: index of the stress component (xx yy zz xy xz yz order of
-- compute stress/atom); perm: axis swap for the lower-triangular modes
-- (new coordinate k = old coordinate perm[k]).
local MODES = {
  xy = {tilt = "xy", len = "ly", p = "pxy", col = 4, voigt = "c66"},
  xz = {tilt = "xz", len = "lz", p = "pxz", col = 5, voigt = "c55"},
  yz = {tilt = "yz", len = "lz", p = "pyz", col = 6, voigt = "c44"},
  yx = {tilt = "xy", len = "ly", p = "pxy", col = 4, voigt = "c66", perm = {2, 1, 3}},
  zx = {tilt = "xz", len = "lz", p = "pxz", col = 5, voigt = "c55", perm = {3, 2, 1}},
  zy = {tilt = "yz", len = "lz", p = "pyz", col = 6, voigt = "c44", perm = {1, 3, 2}},
}

--- sflex.shear_mode("xy" | "-yz" | ...) -> {name, sign, tilt, len, p, voigt, perm}
function M.shear_mode(s)
  if type(s) == "table" then return s end
  if type(s) ~= "string" then error("shear mode: expected a string such as \"xy\" or \"-yz\"", 2) end
  local sign, name = s:match("^([+-]?)(%a%a)$")
  local m = name and MODES[name:lower()]
  if not m then
    error("shear mode '" .. s .. "': expected [+|-] followed by one of xy xz yz yx zx zy", 2)
  end
  local r = {name = (sign == "-" and "-" or "") .. name:lower(), sign = sign == "-" and -1 or 1}
  for k, v in pairs(m) do r[k] = v end
  return r
end

--- sflex.all_shear_modes() -> the 12 simple-shear loading modes
-- (six planes and directions, both signs), in a fixed order.
function M.all_shear_modes()
  local out = {}
  for _, n in ipairs {"xy", "xz", "yz", "yx", "zx", "zy"} do
    out[#out + 1] = n
    out[#out + 1] = "-" .. n
  end
  return out
end

--- sflex.permute_axes(atoms, perm) -> Atoms with coordinate k taken from
-- old coordinate perm[k] (orthogonal boxes only).
function M.permute_axes(atoms, perm)
  local s = S()
  local box = atoms.box
  if box.triclinic then
    error("permute_axes: the box is triclinic; axis swaps need an orthogonal box", 2)
  end
  local x = atoms.x
  local n = #atoms
  local y = s.matrix(n, 3, 0)
  for i = 1, n do
    local r, q = x[i], y[i]
    q[1], q[2], q[3] = r[perm[1]], r[perm[2]], r[perm[3]]
  end
  local lo, hi = box.lo, box.hi
  local out = s.atoms{
    x = y, type = atoms.type, id = atoms.id, ntypes = atoms.ntypes,
    box = s.box{lo = {lo[perm[1]], lo[perm[2]], lo[perm[3]]},
                hi = {hi[perm[1]], hi[perm[2]], hi[perm[3]]}},
  }
  if atoms.species and #atoms.species > 0 then out:set_species(atoms.species) end
  return out
end

-- ---- LAMMPS sessions -------------------------------------------------------------

local LAMMPS_OPTS = {np = true, lmp = true, args = true, verbose = true, timeout = true,
                     launcher = true, log = true, suffix = true}

-- Options for sflex.lammps; suffix (default "opt": LAMMPS's OPT package,
-- eam/fs/opt, falls back to the plain style when absent; "none": plain)
-- becomes "-sf opt".
local function lammps_opts(opts)
  local t = {}
  for k in pairs(LAMMPS_OPTS) do t[k] = opts[k] end
  t.suffix = nil
  local suffix = opts.suffix or "opt"
  if suffix ~= "none" and suffix ~= "" then
    local args = {"-sf", suffix}
    for _, a in ipairs(opts.args or {}) do args[#args + 1] = a end
    t.args = args
  end
  return t
end

local function check_known(opts, known, who)
  for k in pairs(opts) do
    if not known[k] and not LAMMPS_OPTS[k] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = n end
      table.sort(names)
      error(string.format("%s: unknown option '%s' (known: %s, and the LAMMPS options np, lmp, args, verbose, timeout)",
                          who, tostring(k), table.concat(names, ", ")), 3)
    end
  end
end

-- Element names of types 1..ntypes.
local function type_elements(atoms, elements)
  local el = elements
  if type(el) == "string" then
    local t = {}
    for w in el:gmatch("[^,%s]+") do t[#t + 1] = w end
    el = t
  end
  el = el or atoms.species
  if not el or #el < atoms.ntypes then
    error(string.format("the configuration has %d atom types but %d element names; " ..
      "give elements = {\"Cu\", \"Zr\"} (or read it with elements)", atoms.ntypes,
      el and #el or 0), 3)
  end
  return el
end

--- sflex.mech_lammps(atoms, {potential=, elements=, np=, suffix = "opt", ...}) -> Lammps
-- A LAMMPS session holding the configuration with the EAM potential set
-- up: units metal, periodic, triclinic box (tilts allowed to grow), pair
-- style from the potential file, masses from it, thermo with the full
-- pressure tensor, CG minimiser.
function M.mech_lammps(atoms, opts)
  opts = opts or {}
  local s = S()
  local pot = opts.potential or os.getenv("SFLEX_POTENTIAL") or M.DEFAULT_POTENTIAL
  local info = s.eam_elements(pot)
  local el = type_elements(atoms, opts.elements)
  local lo = lammps_opts(opts)
  lo.elements = el
  local lmp = s.lammps(lo)
  local ok, err = pcall(function()
    lmp:commands{"units metal", "atom_style atomic", "atom_modify map array",
                 "boundary p p p", "box tilt large"}
    lmp:put_atoms(atoms, {elements = el})
    local cmds, names = {}, {}
    for t = 1, atoms.ntypes do
      local k
      for j, name in ipairs(info.names) do if name == el[t] then k = j end end
      if not k then
        error(string.format("element %s (type %d) is not in the potential %s (it has %s)",
              tostring(el[t]), t, pot, table.concat(info.names, " ")), 0)
      end
      cmds[#cmds + 1] = string.format("mass %d %.10g", t, info.masses[k])
      names[t] = el[t]
    end
    cmds[#cmds + 1] = "pair_style " .. info.style
    cmds[#cmds + 1] = "pair_coeff * * " .. pot .. " " .. table.concat(names, " ")
    cmds[#cmds + 1] = "neighbor 1.0 bin"
    cmds[#cmds + 1] = "neigh_modify every 1 delay 0 check yes"
    cmds[#cmds + 1] = "change_box all triclinic"
    cmds[#cmds + 1] = "thermo_style custom step pe press pxx pyy pzz pxy pxz pyz vol"
    cmds[#cmds + 1] = "thermo_modify norm no"
    cmds[#cmds + 1] = "min_style cg"
    lmp:commands(cmds)
  end)
  if not ok then
    lmp:close()
    error(err, 2)
  end
  lmp.natoms = #atoms
  return lmp
end

local function min_opts(o)
  o = o or {}
  return o.etol or 0.0, o.ftol or 1e-8, o.maxiter or 20000, o.maxeval or 200000
end

--- sflex.lammps_minimize(lmp [, {etol = 0, ftol = 1e-8, maxiter = 20000, maxeval = 200000}])
-- Energy minimisation at fixed box (CG).
function M.lammps_minimize(lmp, o)
  local etol, ftol, maxiter, maxeval = min_opts(o)
  return lmp:command(string.format("minimize %.10g %.10g %d %d", etol, ftol, maxiter, maxeval))
end

local STATE_KEYS = {"pe", "press", "pxx", "pyy", "pzz", "pxy", "pxz", "pyz", "vol",
                    "lx", "ly", "lz", "xy", "xz", "yz"}

--- sflex.lammps_state(lmp) -> {pe, press, pxx, ..., pyz (bar), vol, lx, ..., yz}
-- Thermo quantities at full precision (call after a run or minimize).
function M.lammps_state(lmp)
  local parts = {}
  for _, k in ipairs(STATE_KEYS) do parts[#parts + 1] = "$(" .. k .. ":%.17g)" end
  local out = lmp:command('print "SFLEX_STATE ' .. table.concat(parts, " ") .. '"')
  for i = #out, 1, -1 do
    local rest = out[i]:match("^SFLEX_STATE (.*)$")
    if rest then
      local st, k = {}, 0
      for w in rest:gmatch("%S+") do
        k = k + 1
        st[STATE_KEYS[k]] = tonumber(w)
      end
      if k == #STATE_KEYS then return st end
    end
  end
  error("lammps_state: LAMMPS printed no state line", 2)
end

--- sflex.lammps_peratom(lmp, {name = "expr", ...}) -> Atoms, {name = Vector}
-- Per-atom values (atom-style variable expressions, e.g. "c_sa[4]") of the
-- current state, in id order with the positions, through a dump written
-- at full precision after a `run 0`.
function M.lammps_peratom(lmp, exprs)
  local names = {}
  for k in pairs(exprs) do names[#names + 1] = k end
  table.sort(names)
  local cmds, cols = {}, {}
  for _, k in ipairs(names) do
    cmds[#cmds + 1] = string.format("variable sflex_%s atom %s", k, exprs[k])
    cols[#cols + 1] = "v_sflex_" .. k
  end
  local path = lmp:tmpfile("peratom.dump")
  cmds[#cmds + 1] = string.format("dump sflex_pa all custom 1 %s id type x y z %s", path,
                                  table.concat(cols, " "))
  cmds[#cmds + 1] = "dump_modify sflex_pa sort id format float %.17g"
  cmds[#cmds + 1] = "run 0"
  cmds[#cmds + 1] = "undump sflex_pa"
  lmp:commands(cmds)
  local atoms = S().read(path)
  os.remove(path)
  if lmp.elements then atoms:set_species(lmp.elements) end
  local vals = {}
  for _, k in ipairs(names) do vals[k] = atoms:column("v_sflex_" .. k) end
  for _, k in ipairs(names) do atoms:remove_column("v_sflex_" .. k) end
  return atoms, vals
end

-- Shear the box by a strain increment dg along the mode (affine remap of
-- the atoms); L is the length the tilt is divided by.
local function shear_box(lmp, mode, L, dg)
  lmp:command(string.format("change_box all %s delta %.17g remap units box", mode.tilt, dg * L))
end

local function shear_stress(st, mode)
  return -st[mode.p] * BAR_TO_GPA * mode.sign
end

-- ---- D2min -------------------------------------------------------------------------

--- sflex.d2min_atoms(ref, def, {cutoff = R, normalize = false}) -> Atoms
-- A copy of the deformed configuration with a per-atom column "d2min"
-- (atoms matched by id; see sflex.d2min), and the number of atoms whose
-- D2min is undefined (NaN: neighbours not spanning 3D).
function M.d2min_atoms(ref, def, opts)
  opts = opts or {}
  if type(opts) == "number" then opts = {cutoff = opts} end
  local d2 = core.d2min(ref, def, {cutoff = opts.cutoff, normalize = opts.normalize,
                                   order = "deformed"})
  local out = def:copy()
  out:set_column("d2min", d2)
  local nan = #d2 - d2:eq(d2):count()
  return out, nan
end

-- ---- athermal quasi-static shear --------------------------------------------------

local AQS_KNOWN = {atoms = true, mode = true, strain = true, step = true, model = true,
                   keep = true, on_step = true, minimize = true, potential = true,
                   elements = true, lammps = true}

local function keep_step(keep, k, n)
  if k == 0 or k == n then return true end
  if keep == "all" then return true end
  if math.type(keep) == "integer" and keep > 0 then return k % keep == 0 end
  return false
end

--- sflex.aqs{atoms =, mode = "xy", strain = 0.05, step = 1e-3, model =,
---   keep = "ends" | "all" | k, on_step = f, minimize = {...}, potential =,
---   elements =, np =, ...} -> result
-- Athermal quasi-static simple shear: the box is sheared by `step` (affine
-- remap) and the energy minimised at fixed box, up to `strain`.  The first
-- record (step 0) is the minimised input.  Result fields: mode, strain,
-- stress (GPa, along the loading direction), pe (eV/atom), pressure (GPa),
-- sf (per species: the system-averaged SF at each step, with a model),
-- configs (step -> Atoms, for the kept steps: "ends" keeps 0 and the last,
-- "all" every step, k every k-th), steps (the step numbers).
function M.aqs(opts)
  check_known(opts, AQS_KNOWN, "sflex.aqs")
  local atoms = opts.atoms or error("sflex.aqs: atoms is required", 2)
  local mode = M.shear_mode(opts.mode or "xy")
  local step = opts.step or 1e-3
  local gmax = opts.strain or 0.05
  if not (step > 0) or not (gmax > 0) then error("sflex.aqs: step and strain must be positive", 2) end
  local nsteps = math.floor(gmax / step + 0.5)
  if nsteps < 1 then error("sflex.aqs: strain is smaller than one step", 2) end
  local keep = opts.keep or "ends"
  if mode.perm then atoms = M.permute_axes(atoms, mode.perm) end
  local lmp = opts.lammps or M.mech_lammps(atoms, opts)
  local res = {mode = mode.name, sign = mode.sign, strain = {}, stress = {}, pe = {},
               pressure = {}, steps = {}, configs = {}, natoms = #atoms, perm = mode.perm}
  local model = opts.model
  if model then res.sf = {} end
  local ok, err = pcall(function()
    M.lammps_minimize(lmp, opts.minimize)
    local st0 = M.lammps_state(lmp)
    local L = st0[mode.len]
    for k = 0, nsteps do
      if k > 0 then
        shear_box(lmp, mode, L, mode.sign * step)
        M.lammps_minimize(lmp, opts.minimize)
      end
      local st = M.lammps_state(lmp)
      local rec = {step = k, strain = k * step, stress = shear_stress(st, mode),
                   pe = st.pe / res.natoms, pressure = st.press * BAR_TO_GPA}
      res.steps[#res.steps + 1] = k
      res.strain[#res.strain + 1] = rec.strain
      res.stress[#res.stress + 1] = rec.stress
      res.pe[#res.pe + 1] = rec.pe
      res.pressure[#res.pressure + 1] = rec.pressure
      local cfg
      if keep_step(keep, k, nsteps) or model then cfg = lmp:get_atoms() end
      if model then
        local avg = model:sample_average(cfg)
        rec.sf = avg
        for sp, v in pairs(avg) do
          if sp ~= "n" then
            res.sf[sp] = res.sf[sp] or {}
            res.sf[sp][k + 1] = v
          end
        end
      end
      if keep_step(keep, k, nsteps) then res.configs[k] = cfg end
      if opts.on_step then opts.on_step(rec, cfg) end
    end
  end)
  if not opts.lammps then lmp:close() end
  if not ok then error(err, 2) end
  res.nsteps = nsteps
  res.reference = res.configs[0]
  res.final = res.configs[nsteps]
  return res
end

-- Least-squares line y = a + b x over the points with x in [lo, hi].
local function fit_line(x, y, lo, hi)
  local n, sx, sy = 0, 0, 0
  for i = 1, #x do
    if x[i] >= lo and x[i] <= hi and y[i] == y[i] then
      n, sx, sy = n + 1, sx + x[i], sy + y[i]
    end
  end
  if n < 2 then return nil, n end
  local mx, my = sx / n, sy / n
  local sxx, sxy = 0, 0
  for i = 1, #x do
    if x[i] >= lo and x[i] <= hi and y[i] == y[i] then
      sxx = sxx + (x[i] - mx) ^ 2
      sxy = sxy + (x[i] - mx) * (y[i] - my)
    end
  end
  if sxx == 0 then return nil, n end
  local b = sxy / sxx
  return {intercept = my - b * mx, slope = b, n = n}
end

--- sflex.aqs_modulus(result [, fit_max = 0.005]) -> G (GPa), fit
-- Shear modulus from the initial slope of an AQS stress-strain curve: the
-- least-squares line through the points with strain <= fit_max.
function M.aqs_modulus(res, fit_max)
  fit_max = fit_max or 0.005
  local f, n = fit_line(res.strain, res.stress, 0, fit_max * (1 + 1e-9))
  if not f then
    error(string.format("aqs_modulus: %d points with strain <= %g (need 2)", n, fit_max), 2)
  end
  return f.slope, f
end

-- ---- elastic moduli -------------------------------------------------------------------

local MOD_KNOWN = {atoms = true, mode = true, delta = true, relax = true, coarse_grain = true,
                   minimize = true, potential = true, elements = true, lammps = true,
                   peratom = true, max_asymmetry = true}

--- sflex.local_moduli{atoms =, mode = "yz", delta = 1e-3, relax = true,
---   coarse_grain = R, minimize = {...}, potential =, elements =, np =} -> result
-- Athermal elastic shear modulus, global and per atom, from centred finite
-- differences: the configuration is minimised, sheared by +delta and by
-- -delta (each minimised again at fixed box unless relax = false, which
-- gives the affine, unrelaxed modulus) and
--     C_i = (S_i(+delta) - S_i(-delta)) / (2 delta V_i)
-- with S_i the per-atom virial stress (compute stress/atom, stress x volume)
-- and V_i the atom's Voronoi volume (compute voronoi/atom) at zero strain.
-- For mode yz this is C44 (xz: C55, xy: C66; equal for an isotropic glass).
-- The volume-weighted mean of C_i equals the global modulus G (their
-- difference only reflects how well the Voronoi volumes add up to V).
-- With coarse_grain = R (and sflex.coarse_grain available) each C_i is
-- replaced by sum(dS_j) / (2 delta sum(V_j)) over the atoms j within R.
-- Result: atoms (the minimised configuration in id order, with columns
-- <voigt> (e.g. c44, GPa), volume (A^3) and, coarse-grained, <voigt>_cg),
-- G (global, GPa), G_volume_mean, G_mean (plain mean of C_i), stress0
-- (residual shear stress, GPa), mode, delta, name ("C44"), G_plus and
-- G_minus (one-sided slopes) and, when they differ by more than
-- max_asymmetry (0.1) of G, warning: a plastic event happened during a
-- relaxation and the numbers are not elastic moduli.
function M.local_moduli(opts)
  check_known(opts, MOD_KNOWN, "sflex.local_moduli")
  local s = S()
  local atoms = opts.atoms or error("sflex.local_moduli: atoms is required", 2)
  local mode = M.shear_mode(opts.mode or "yz")
  local delta = opts.delta or 1e-3
  if not (delta > 0 and delta < 0.05) then error("sflex.local_moduli: delta must be in (0, 0.05)", 2) end
  local relax = opts.relax ~= false
  if mode.perm then atoms = M.permute_axes(atoms, mode.perm) end
  local lmp = opts.lammps or M.mech_lammps(atoms, opts)
  local res = {mode = mode.name, delta = delta, relax = relax, name = mode.voigt:upper()}
  local peratom = opts.peratom ~= false
  local ok, err = pcall(function()
    M.lammps_minimize(lmp, opts.minimize)
    lmp:commands{"compute sflex_sa all stress/atom NULL virial",
                 "compute sflex_vor all voronoi/atom"}
    local col = string.format("c_sflex_sa[%d]", mode.col)
    local function measure()
      if peratom then
        local a, v = M.lammps_peratom(lmp, {s = col, vol = "c_sflex_vor[1]"})
        return M.lammps_state(lmp), a, v
      end
      lmp:command("run 0")
      return M.lammps_state(lmp)
    end
    local st0, a0, v0 = measure()
    local L = st0[mode.len]
    local function go(dg)
      shear_box(lmp, mode, L, dg)
      if relax then M.lammps_minimize(lmp, opts.minimize) end
    end
    go(mode.sign * delta)
    local stp, _, vp = measure()
    go(-2 * mode.sign * delta)
    local stm, _, vm = measure()
    local s0, sp, sm = shear_stress(st0, mode), shear_stress(stp, mode), shear_stress(stm, mode)
    res.G = (sp - sm) / (2 * delta)
    res.stress0 = s0
    -- one-sided slopes: in the elastic range they agree to O(delta); a
    -- plastic event (or an instability) during either relaxation makes
    -- them differ, and the finite difference is then meaningless
    res.G_plus, res.G_minus = (sp - s0) / delta, (s0 - sm) / delta
    res.asymmetry = math.abs(res.G_plus - res.G_minus) / math.max(math.abs(res.G), 1e-300)
    if res.asymmetry > (opts.max_asymmetry or 0.1) then
      res.warning = string.format("local_moduli %s: the responses to +%g and -%g strain differ " ..
        "(slopes %.4g and %.4g GPa): a plastic event during relaxation; try a smaller delta " ..
        "or another mode", mode.name, delta, delta, res.G_plus, res.G_minus)
    end
    res.volume = st0.vol
    if peratom then
      -- sigma_i = S_i / V_i (bar), sign of the mode as for the global stress
      local dS = (vp.s - vm.s) * (mode.sign * BAR_TO_GPA)
      local V = v0.vol
      local C = dS / (V * (2 * delta))
      a0:set_column(mode.voigt, C)
      a0:set_column("volume", V)
      res.G_volume_mean = dS:sum() / (2 * delta * V:sum())
      res.G_mean = C:mean()
      res.voronoi_total = V:sum()
      if opts.coarse_grain then
        if type(s.coarse_grain) ~= "function" then
          error("local_moduli: coarse_grain needs sflex.coarse_grain, which this build lacks", 0)
        end
        local num = s.coarse_grain(a0, dS, opts.coarse_grain)
        local den = s.coarse_grain(a0, V, opts.coarse_grain)
        a0:set_column(mode.voigt .. "_cg", num / (den * (2 * delta)))
      end
      res.atoms = a0
    end
  end)
  if not opts.lammps then lmp:close() end
  if not ok then error(err, 2) end
  return res
end

--- sflex.shear_modulus{atoms =, mode = "xy", delta = 1e-3, relax = true, ...} -> G, result
-- The global athermal shear modulus alone (as local_moduli, without the
-- per-atom part).
function M.shear_modulus(opts)
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.peratom = false
  o.mode = o.mode or "xy"
  local r = M.local_moduli(o)
  return r.G, r
end

-- ---- heating run and fictive temperature ----------------------------------------------

local HEAT_KNOWN = {atoms = true, T0 = true, T1 = true, rate = true, dt = true, window = true,
                    pressure = true, seed = true, tdamp = true, pdamp = true, potential = true,
                    elements = true, lammps = true, equilibrate = true}

--- sflex.heating{atoms =, T0 = 300, T1 = 1500, rate = 10 (K/ps), dt = 0.002 (ps),
---   window = (T1 - T0) / rate / 60 (ps), equilibrate = 2 (ps), pressure = 0 (bar),
---   seed = 1, ...}
---   -> {T, V, pe, time}
-- Equilibrate at T0 (NPT, not recorded), then heat at constant rate in NPT
-- (Nose-Hoover, isotropic, zero pressure) and return window averages of
-- temperature (K), volume per atom (A^3) and potential energy per atom
-- (eV), one row per window (60 by default).  1e13 K/s is 10 K/ps.
function M.heating(opts)
  check_known(opts, HEAT_KNOWN, "sflex.heating")
  local atoms = opts.atoms or error("sflex.heating: atoms is required", 2)
  local T0, T1 = opts.T0 or 300, opts.T1 or 1500
  local rate = opts.rate or 10
  local dt = opts.dt or 0.002
  local window = opts.window or (T1 - T0) / rate / 60
  if not (T1 > T0 and rate > 0 and dt > 0 and window >= dt) then
    error("sflex.heating: need T1 > T0, rate > 0, dt > 0, window >= dt", 2)
  end
  local nsteps = math.floor((T1 - T0) / rate / dt + 0.5)
  -- a window of `every` steps, sampled 10 times (fix ave/time needs nfreq
  -- to be a multiple of nevery)
  local every = math.max(10, 10 * math.floor(window / dt / 10 + 0.5))
  nsteps = math.max(every, nsteps - nsteps % every)   -- whole windows
  local nsample = every // 10
  local lmp = opts.lammps or M.mech_lammps(atoms, opts)
  local n = #atoms
  local res = {T = {}, V = {}, pe = {}, time = {}, rate = rate}
  local ok, err = pcall(function()
    local P, tdamp, pdamp = opts.pressure or 0, opts.tdamp or 0.1, opts.pdamp or 1.0
    local neq = math.floor((opts.equilibrate or 2) / dt + 0.5)
    lmp:commands{
      string.format("timestep %.10g", dt),
      string.format("velocity all create %.10g %d dist gaussian mom yes rot yes", 2 * T0, opts.seed or 1),
    }
    if neq > 0 then
      lmp:commands{
        string.format("fix sflex_npt all npt temp %.10g %.10g %.10g iso %.10g %.10g %.10g",
                      T0, T0, tdamp, P, P, pdamp),
        "thermo 0",
        string.format("run %d", neq),
        "unfix sflex_npt",
      }
    end
    lmp:commands{
      "reset_timestep 0",
      string.format("fix sflex_npt all npt temp %.10g %.10g %.10g iso %.10g %.10g %.10g",
                    T0, T1, tdamp, P, P, pdamp),
      -- window averages: every nsample steps, averaged over the window
      "variable sflex_vol equal vol",
      string.format("fix sflex_avg all ave/time %d %d %d c_thermo_temp v_sflex_vol c_thermo_pe",
                    nsample, 10, every),
      "thermo_style custom step f_sflex_avg[1] f_sflex_avg[2] f_sflex_avg[3]",
      "thermo_modify norm no format float %.10g",
      string.format("thermo %d", every),
    }
    lmp:command(string.format("run %d", nsteps))
    local th = lmp:thermo()
    local steps = th.Step
    for i = 1, #steps do
      if steps[i] > 0 and steps[i] % every == 0 and steps[i] ~= steps[i - 1] then
        local T = th["f_sflex_avg[1]"][i]
        res.T[#res.T + 1] = T
        res.V[#res.V + 1] = th["f_sflex_avg[2]"][i] / n
        res.pe[#res.pe + 1] = th["f_sflex_avg[3]"][i] / n
        res.time[#res.time + 1] = steps[i] * dt
      end
    end
    lmp:commands{"unfix sflex_avg", "unfix sflex_npt"}
  end)
  if not opts.lammps then lmp:close() end
  if not ok then error(err, 2) end
  return res
end

--- sflex.fictive_temperature(T, V [, {glass = {lo, hi}, liquid = {lo, hi}}]) -> Tf, fits
-- The temperature where the glass line (V against T fitted over the glass
-- range) meets the equilibrium liquid line (fitted over the liquid range).
-- Defaults: glass = the lowest 30 % of the temperature span, liquid = the
-- highest 25 %.  fits = {glass = {slope, intercept, n}, liquid = {...}}.
function M.fictive_temperature(T, V, opts)
  opts = opts or {}
  local tmin, tmax = math.huge, -math.huge
  for i = 1, #T do
    if T[i] < tmin then tmin = T[i] end
    if T[i] > tmax then tmax = T[i] end
  end
  if #T < 4 or #T ~= #V then
    error("fictive_temperature: need at least 4 (T, V) points of equal count", 2)
  end
  local span = tmax - tmin
  local g = opts.glass or {tmin, tmin + 0.30 * span}
  local l = opts.liquid or {tmax - 0.25 * span, tmax}
  local fg, ng = fit_line(T, V, g[1], g[2])
  local fl, nl = fit_line(T, V, l[1], l[2])
  if not fg then error(string.format("fictive_temperature: %d points in the glass range [%g, %g]", ng, g[1], g[2]), 2) end
  if not fl then error(string.format("fictive_temperature: %d points in the liquid range [%g, %g]", nl, l[1], l[2]), 2) end
  if fg.slope == fl.slope then error("fictive_temperature: the glass and liquid lines are parallel", 2) end
  local Tf = (fl.intercept - fg.intercept) / (fg.slope - fl.slope)
  fg.range, fl.range = g, l
  return Tf, {glass = fg, liquid = fl}
end

-- ---- analysis helpers --------------------------------------------------------------------

--- sflex.top_mask(values, frac [, mask]) -> Vector (0/1)
-- The atoms (among mask, default all) with the largest frac of values
-- (round(frac * count) atoms; ties broken by position; NaN never selected).
function M.top_mask(values, frac, mask)
  local s = S()
  local n = #values
  local sel = mask and mask:band(values:eq(values)) or values:eq(values)
  local idx = {}
  for i = 1, n do if sel[i] ~= 0 then idx[#idx + 1] = i end end
  local sub = values:take(idx)
  local order = sub:order()
  local k = math.floor(frac * #idx + 0.5)
  local out = s.vector(n, 0)
  for r = #idx - k + 1, #idx do out[idx[order[r]]] = 1 end
  return out
end

--- sflex.group_enrichment(x, flag [, {groups = 10, mask =}]) -> table
-- Atoms (among mask) sorted by x into equal-count groups (deciles by
-- default); for each group: the mean x, the atom count, the number of
-- flagged atoms (flag ~= 0), share = flagged in the group / all flagged
-- (sums to 1; 1/groups without correlation) and rate = flagged / count.
function M.group_enrichment(x, flag, opts)
  opts = opts or {}
  local ng = opts.groups or 10
  local mask = opts.mask
  local idx = {}
  for i = 1, #x do
    if (not mask or mask[i] ~= 0) and x[i] == x[i] then idx[#idx + 1] = i end
  end
  if #idx < ng then error(string.format("group_enrichment: %d atoms for %d groups", #idx, ng), 2) end
  local xs = x:take(idx)
  local fs = flag:take(idx)
  local group, means, counts = core.stats.quantile_groups(xs, ng)
  local flagged = {}
  for g = 1, ng do flagged[g] = 0 end
  local total = 0
  for i = 1, #xs do
    if fs[i] ~= 0 then
      local g = math.tointeger(group[i])
      flagged[g] = flagged[g] + 1
      total = total + 1
    end
  end
  local out = {group = {}, mean = {}, count = {}, flagged = {}, share = {}, rate = {}, total = total}
  for g = 1, ng do
    out.group[g] = g
    out.mean[g] = means[g]
    out.count[g] = counts[g]
    out.flagged[g] = flagged[g]
    out.share[g] = total > 0 and flagged[g] / total or 0 / 0
    out.rate[g] = counts[g] > 0 and flagged[g] / counts[g] or 0 / 0
  end
  return out
end

--- sflex.frac_coords(atoms) -> Matrix
-- Fractional coordinates (n x 3, each in [0, 1)) of the atoms in their box.
local function fractions(atoms)
  local box = atoms.box
  local lo = box.lo
  local x = atoms.x
  local n = #atoms
  local s = S().matrix(n, 3, 0)
  local lx, ly, lz = box.len[1], box.len[2], box.len[3]
  local xy, xz, yz = box.xy, box.xz, box.yz
  for i = 1, n do
    local r, q = x[i], s[i]
    local dx, dy, dz = r[1] - lo[1], r[2] - lo[2], r[3] - lo[3]
    local c = dz / lz
    local b = (dy - yz * c) / ly
    local a = (dx - xy * b - xz * c) / lx
    q[1], q[2], q[3] = a - math.floor(a), b - math.floor(b), c - math.floor(c)
  end
  return s
end
M.frac_coords = fractions

local AXIS = {x = 1, y = 2, z = 3, [1] = 1, [2] = 2, [3] = 3}

--- sflex.slab_mask(atoms, {axis = "z", center = 0.5, thickness = 4.0}) -> mask, frac
-- Atoms in a slab normal to a cell axis: |s - center| * width < thickness / 2
-- (s the fractional coordinate, periodic; width the perpendicular box
-- width along that axis; center as a fraction).  Also returns the
-- fractional coordinates.
function M.slab_mask(atoms, opts)
  opts = opts or {}
  local ax = AXIS[opts.axis or "z"] or error("slab_mask: axis must be x, y or z", 2)
  local f = fractions(atoms)
  local w = atoms.box:widths()[ax]
  local c = opts.center or 0.5
  local half = (opts.thickness or 4.0) / 2
  local n = #atoms
  local mask = S().vector(n, 0)
  for i = 1, n do
    local d = f[i][ax] - c
    d = d - math.floor(d + 0.5)
    if math.abs(d) * w < half then mask[i] = 1 end
  end
  return mask, f
end

--- sflex.slab_map(atoms, values, mask, {axis = "z", spacing = 0.5, sigma = 1.5}) -> xc, yc, Z
-- A smooth map of per-atom values over the slab atoms (mask ~= 0): on a
-- periodic grid in the two in-plane cell directions (fractional
-- coordinates times the box lengths, A), each point gets the Gaussian-
-- weighted mean (width sigma, A) of the values.  Z is an nx x ny Matrix
-- (row = first in-plane axis), ready for plot.render's image panels.
function M.slab_map(atoms, values, mask, opts)
  opts = opts or {}
  local s = S()
  local ax = AXIS[opts.axis or "z"] or error("slab_map: axis must be x, y or z", 2)
  local a1, a2 = ({{2, 3}, {1, 3}, {1, 2}})[ax][1], ({{2, 3}, {1, 3}, {1, 2}})[ax][2]
  local len = atoms.box.len
  local L1, L2 = len[a1], len[a2]
  local h = opts.spacing or 0.5
  local sigma = opts.sigma or 1.5
  local n1, n2 = math.max(1, math.floor(L1 / h + 0.5)), math.max(1, math.floor(L2 / h + 0.5))
  local h1, h2 = L1 / n1, L2 / n2
  local f = opts.frac or fractions(atoms)
  local num, den = s.matrix(n1, n2, 0), s.matrix(n1, n2, 0)
  local reach = 3 * sigma
  local r1, r2 = math.ceil(reach / h1), math.ceil(reach / h2)
  local inv2s2 = 1 / (2 * sigma * sigma)
  for i = 1, #atoms do
    local v = values[i]
    if mask[i] ~= 0 and v == v then
      local p1, p2 = f[i][a1] * L1, f[i][a2] * L2
      local c1, c2 = math.floor(p1 / h1), math.floor(p2 / h2)
      for g1 = c1 - r1, c1 + r1 do
        local d1 = (g1 + 0.5) * h1 - p1
        local k1 = g1 % n1 + 1
        for g2 = c2 - r2, c2 + r2 do
          local d2 = (g2 + 0.5) * h2 - p2
          local r2sq = d1 * d1 + d2 * d2
          if r2sq <= reach * reach then
            local w = math.exp(-r2sq * inv2s2)
            local k2 = g2 % n2 + 1
            local rn, rd = num[k1], den[k1]
            rn[k2] = rn[k2] + w * v
            rd[k2] = rd[k2] + w
          end
        end
      end
    end
  end
  local Z = s.matrix(n1, n2, 0)
  for k1 = 1, n1 do
    local rz, rn, rd = Z[k1], num[k1], den[k1]
    for k2 = 1, n2 do rz[k2] = rd[k2] > 1e-12 and rn[k2] / rd[k2] or 0 / 0 end
  end
  local xc, yc = s.vector(n1, 0), s.vector(n2, 0)
  for k = 1, n1 do xc[k] = (k - 0.5) * h1 end
  for k = 1, n2 do yc[k] = (k - 0.5) * h2 end
  return xc, yc, Z, {a1, a2}
end

--- sflex.layer_profile(atoms, {axis = "y", n = 20, values = {name = Vector}}) -> table
-- Equal-thickness layers along a cell axis (fractional coordinate; the
-- layers follow a sheared box): count of atoms and mean of each value per
-- layer.  Result: {layer = {...}, center = {...} (A), count = {...}, [name] = {...}}.
function M.layer_profile(atoms, opts)
  opts = opts or {}
  local ax = AXIS[opts.axis or "y"] or error("layer_profile: axis must be x, y or z", 2)
  local nl = opts.n or 20
  local f = opts.frac or fractions(atoms)
  local w = atoms.box:widths()[ax]
  local out = {layer = {}, center = {}, count = {}}
  local sums = {}
  for name in pairs(opts.values or {}) do sums[name] = {}; out[name] = {} end
  for l = 1, nl do
    out.layer[l] = l
    out.center[l] = (l - 0.5) / nl * w
    out.count[l] = 0
    for name in pairs(sums) do sums[name][l] = {0, 0} end
  end
  for i = 1, #atoms do
    local l = math.min(nl, math.floor(f[i][ax] * nl) + 1)
    out.count[l] = out.count[l] + 1
    for name, v in pairs(opts.values or {}) do
      local x = v[i]
      if x == x then
        local t = sums[name][l]
        t[1], t[2] = t[1] + x, t[2] + 1
      end
    end
  end
  for name in pairs(sums) do
    for l = 1, nl do
      local t = sums[name][l]
      out[name][l] = t[2] > 0 and t[1] / t[2] or 0 / 0
    end
  end
  return out
end


-- ---- help texts: the "--- sflex.name(...)" comment blocks above --------------------------

do
  local docs = core._docs and core._docs()
  local src = debug.getinfo(1, "S").source
  local f = docs and src:sub(1, 1) == "@" and io.open(src:sub(2))
  if f then
    local name, buf = nil, nil
    local function flush()
      if name and type(M[name]) == "function" then docs[M[name]] = table.concat(buf, "\n") end
      name, buf = nil, nil
    end
    for line in f:lines() do
      local n = line:match("^%-%-%- sflex%.([%w_]+)")
      if n then
        flush()
        name, buf = n, {line:sub(5)}
      elseif name and line:find("^%-%-%-? ?") and line:find("^%-%-") then
        buf[#buf + 1] = (line:gsub("^%-%-%-? ?", ""))
      else
        flush()
      end
    end
    flush()
    f:close()
  end
end

return M
