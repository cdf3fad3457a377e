-- sflex.vdos: vibrational density of states from MD velocities (the
-- velocity autocorrelation of LAMMPS NVE runs), partial VDOS of atom groups,
-- the boson peak, and the comparison with the harmonic VDOS
-- (doc/vibrations.md, "VDOS from MD").
--
--   local vacf = sflex.md_vdos(atoms, {potential = POT, temp = 50, seeds = 4})
--   local all = vacf:vdos()                       -- g(nu) in 1/THz, nu in THz
--   local top = vacf:vdos(mask)                   -- partial VDOS of a group
--   local bp = sflex.boson_peak(top)              -- {nu =, intensity =}
--   local harm = sflex.mode_vdos(nu_modes, {like = all})
--   print(sflex.vdos_compare(all, harm).overlap)
local core = require "sflex_core"

local M = {}

local doc = require("sflex.help").doc   -- doc(f, text) registers help(f)

local function check_opts(opts, fname, known)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(fname .. ": options must be a table", 3) end
  for k in pairs(opts) do
    if not known[k] then error(fname .. ": unknown option '" .. tostring(k) .. "'", 3) end
  end
  return opts
end

local SPEC_KEYS = {window = true, pad = true, lags = true, nu_max = true}

-- The spectrum table of an autocorrelation c (lags 0..) normalised by c0
-- (the group's own C(0)) and by total0 (the C(0) of all atoms).
local function spectrum(c, dt, opts, c0, total0, extra)
  local window = opts.window or "hann"
  local pad = opts.pad or 4
  local lags = opts.lags or #c
  if math.type(lags) ~= "integer" or lags < 2 or lags > #c then
    error(string.format("vdos: lags must be an integer in 2..%d", #c), 3)
  end
  if lags < #c then c = c:slice(1, lags) end
  local nu, S = core.acf_spectrum(c, dt, {window = window, pad = pad})
  local dnu = nu[2] - nu[1]
  local m = #nu
  if opts.nu_max then
    if not (opts.nu_max > dnu) then error("vdos: nu_max must be > the grid spacing " .. dnu, 3) end
    m = math.min(m, math.floor(opts.nu_max / dnu + 1e-9) + 1)
    nu, S = nu:slice(1, m), S:slice(1, m)
  end
  local g = S / c0
  local reduced = g:copy()
  reduced[1] = 0 / 0 -- g/nu^2 is undefined at nu = 0
  for k = 2, m do reduced[k] = g[k] / (nu[k] * nu[k]) end
  local t = {nu = nu, g = g, partial = S / total0, reduced = reduced,
             weight = c0 / total0, dnu = dnu, dt = dt, lags = lags,
             tmax = (lags - 1) * dt, window = window, pad = pad, nu_max = opts.nu_max}
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

-- ---- Vacf:vdos -------------------------------------------------------------------
local VacfMT = debug.getregistry()["sflex.Vacf"]
local Vacf = VacfMT and VacfMT.__methods

local function vacf_vdos(self, mask, opts)
  if type(mask) == "table" and opts == nil then mask, opts = nil, mask end
  opts = check_opts(opts, "vacf:vdos", SPEC_KEYS)
  local total = self:acf()
  local c = mask and self:acf(mask) or total
  if not (total[1] > 0) then error("vacf:vdos: zero kinetic energy (all velocities zero?)", 2) end
  return spectrum(c, self.dt, opts, c[1], total[1],
                  {natoms = mask and math.tointeger(mask:ne(0):sum()) or self.natoms,
                   segments = self.segments})
end
if Vacf then
  Vacf.vdos = doc(vacf_vdos,
    "vacf:vdos([mask] [, {window='hann', pad=4, lags=, nu_max=}]) -> VDOS table\n" ..
    "  {nu = Vector (THz), g = the group's VDOS (1/THz, integrates to 1),\n" ..
    "   partial = its share of the total VDOS (partials of a partition add up to\n" ..
    "   the total g), reduced = g/nu^2 (NaN at nu = 0), weight = the group's share\n" ..
    "   of the kinetic energy, natoms, dnu, dt, lags, tmax, window, pad}\n" ..
    "  Cosine transform of the mass-weighted VACF of the atoms of mask (all by\n" ..
    "  default) times the lag window (Hann over lags 0..lags-1 by default: a\n" ..
    "  resolution of ~1/tmax).")
end

-- ---- harmonic comparison ------------------------------------------------------------
function M.mode_vdos(nu, opts)
  opts = check_opts(opts, "mode_vdos", {window = true, pad = true, lags = true, nu_max = true,
                                        dt = true, weights = true, like = true})
  local o = {}
  if opts.like then
    for _, k in ipairs {"window", "pad", "lags", "nu_max", "dt"} do o[k] = opts.like[k] end
  end
  for k, v in pairs(opts) do if k ~= "like" then o[k] = v end end
  if not o.dt or not o.lags then error("mode_vdos: give dt and lags (or like = a VDOS table)", 2) end
  local c = core.mode_acf(nu, o.lags, o.dt, o.weights)
  return spectrum(c, o.dt, o, c[1], c[1], {natoms = nil, modes = #nu})
end
doc(M.mode_vdos,
  "sflex.mode_vdos(nu [, {like = vdos | dt=, lags=, window=, pad=, nu_max=, weights=}])\n" ..
  "  -> VDOS table (as vacf:vdos)\n" ..
  "  The VDOS that the MD analysis (same lag window, grid) gives for a classical\n" ..
  "  harmonic system with mode frequencies nu (THz; weights: e.g. a group's\n" ..
  "  sum of |e_m,i|^2): the exact comparison for vacf:vdos at low temperature.")

-- trapezoid integral of f over the grid of v
local function trapz(v, f)
  local s = 0
  for k = 1, #f do
    local w = (k == 1 or k == #f) and 0.5 or 1
    s = s + w * f[k]
  end
  return s * v.dnu
end

function M.boson_peak(v, opts)
  opts = check_opts(opts, "boson_peak", {range = true})
  local range = opts.range or {0.5, 3.0}
  local best
  for k = 2, #v.nu do
    local nu = v.nu[k]
    if nu >= range[1] and nu <= range[2] and (not best or v.reduced[k] > v.reduced[best]) then
      best = k
    end
  end
  if not best then
    error(string.format("boson_peak: no grid point in %g..%g THz", range[1], range[2]), 2)
  end
  local at_edge = best == 2 or v.nu[best] - range[1] < v.dnu or range[2] - v.nu[best] < v.dnu
  return {nu = v.nu[best], intensity = v.reduced[best], index = best, at_edge = at_edge}
end
doc(M.boson_peak,
  "sflex.boson_peak(vdos [, {range = {0.5, 3}}]) -> {nu =, intensity =, index =, at_edge =}\n" ..
  "  Boson peak of a VDOS table: I_BP = the maximum of g(nu)/nu^2 (1/THz^3) over\n" ..
  "  the grid points in range (THz), nu = where (grid spacing vdos.dnu; the\n" ..
  "  window's smoothing is that of the VDOS).  at_edge: the maximum is at an end\n" ..
  "  of the range (no interior peak).")

function M.vdos_compare(a, b, opts)
  opts = check_opts(opts, "vdos_compare", {range = true})
  if #a.nu ~= #b.nu or math.abs(a.dnu - b.dnu) > 1e-12 * a.dnu then
    error("vdos_compare: the two VDOS are on different grids (use mode_vdos{like = ...})", 2)
  end
  local m = #a.nu
  local mn, ad, na, nb = core.vector(m, 0), core.vector(m, 0), core.vector(m, 0), core.vector(m, 0)
  local pa, pb = 1, 1
  for k = 1, m do
    local x, y = a.g[k], b.g[k]
    mn[k] = math.min(x, y)
    ad[k] = math.abs(x - y)
    na[k], nb[k] = a.nu[k] * x, a.nu[k] * y
    if x > a.g[pa] then pa = k end
    if y > b.g[pb] then pb = k end
  end
  local ba = M.boson_peak(a, {range = opts.range})
  local bb = M.boson_peak(b, {range = opts.range})
  return {overlap = trapz(a, mn), l1 = 0.5 * trapz(a, ad),
          mean_a = trapz(a, na) / trapz(a, a.g), mean_b = trapz(a, nb) / trapz(a, b.g),
          peak_a = a.nu[pa], peak_b = a.nu[pb],
          bp_nu_a = ba.nu, bp_nu_b = bb.nu, bp_a = ba.intensity, bp_b = bb.intensity}
end
doc(M.vdos_compare,
  "sflex.vdos_compare(a, b [, {range = {0.5, 3}}]) -> {overlap =, l1 =, mean_a =, mean_b =,\n" ..
  "  peak_a =, peak_b =, bp_nu_a =, bp_nu_b =, bp_a =, bp_b =}\n" ..
  "  Two VDOS tables on the same grid: overlap = int min(g_a, g_b) dnu (1 when\n" ..
  "  equal), l1 = half int |g_a - g_b| dnu, mean frequencies, positions of the\n" ..
  "  maxima of g, and the boson peaks of both.")

-- ---- MD driver ------------------------------------------------------------------------
local MD_KEYS = {potential = true, elements = true, temp = true, seeds = true, seed = true,
                 steps = true, every = true, dt = true, equil = true, velocity_scale = true,
                 lags = true, masses = true, np = true, launcher = true, lmp = true,
                 suffix = true, timeout = true, on_progress = true, precision = true,
                 thermostat = true, damp = true}

function M.md_vdos(atoms, opts)
  opts = check_opts(opts, "md_vdos", MD_KEYS)
  local sflex = require "sflex"
  local L = require "sflex.lammps"
  if not opts.potential then error("md_vdos: potential (EAM file) is required", 2) end
  local temp, seeds, seed = opts.temp or 50, opts.seeds or 4, opts.seed or 1
  local steps, every, dt = opts.steps or 4000, opts.every or 4, opts.dt or 0.002
  local equil, vscale = opts.equil or 500, opts.velocity_scale or 2
  local thermostat, damp = opts.thermostat or "langevin", opts.damp or 0.1
  if thermostat ~= "langevin" and thermostat ~= "none" then
    error("md_vdos: thermostat must be 'langevin' or 'none'", 2)
  end
  if not (damp > 0) then error("md_vdos: damp must be > 0 (ps)", 2) end
  local int = function(x) return math.type(x) == "integer" end
  if not (int(steps) and int(every) and int(equil) and int(seeds) and int(seed)) or steps < 1 or
     every < 1 or steps % every ~= 0 or seeds < 1 or equil < 0 then
    error("md_vdos: steps, every, seeds, equil, seed must be integers, steps a multiple of every", 2)
  end
  if not (temp > 0 and dt > 0 and vscale > 0) then error("md_vdos: temp, dt, velocity_scale must be > 0", 2) end
  local pinfo = L.eam_elements(opts.potential)
  local elements = opts.elements or atoms.species
  if not elements or #elements < atoms.ntypes then
    error("md_vdos: name the species of the atom types (elements = {'Cu', 'Zr'})", 2)
  end
  local file_mass = {}
  for i, el in ipairs(pinfo.names) do file_mass[el] = pinfo.masses[i] end
  local n = #atoms
  local masses = opts.masses
  if not masses then
    masses = core.vector(n, 0)
    local types = atoms.type
    for i = 1, n do
      local el = elements[math.tointeger(types[i])]
      local m = file_mass[el]
      if not m then error("md_vdos: element " .. tostring(el) .. " is not in " .. opts.potential, 2) end
      masses[i] = m
    end
  end
  local sorted = atoms:copy():sort_by_id()
  local nframes = steps // every + 1
  -- the accumulator keeps the atoms' own order (frames come sorted by id)
  local vacf = core.vacf(n, {frames = nframes, dt = every * dt, lags = opts.lags, masses = masses,
                             ids = atoms.id})
  local lmp = sflex.lammps{np = opts.np, launcher = opts.launcher, lmp = opts.lmp, elements = elements,
                           args = (opts.suffix or "opt") ~= "none" and {"-sf", opts.suffix or "opt"} or {},
                           timeout = opts.timeout}
  local info = {temps = {}, seconds = {}, read_seconds = {}, frames = nframes, dt_frame = every * dt}
  local ok, err = pcall(function()
    local data, dump = lmp:tmpfile("config.data"), lmp:tmpfile("vel.dump")
    sflex.write(data, sorted)
    for k = 1, seeds do
      local t0 = core.now()
      local c = {
        "clear", "units metal", "atom_style atomic", "atom_modify map array", "boundary p p p",
        "read_data " .. data,
        "pair_style " .. pinfo.style,
        "pair_coeff * * " .. opts.potential .. " " .. table.concat(elements, " ", 1, atoms.ntypes),
        "neighbor 1.0 bin", "neigh_modify every 1 delay 0 check yes",
        "timestep " .. dt,
        "thermo_style custom step temp pe etotal", "thermo_modify lost error",
        "thermo " .. math.max(equil + steps, 1),
        string.format("velocity all create %.10g %d dist gaussian mom yes rot no",
                      vscale * temp, 1000 * seed + k),
        "fix nve all nve",
      }
      if equil > 0 then
        -- a Langevin thermostat first: from the inherent structure every
        -- mode starts at zero displacement, a phase that NVE keeps (a
        -- coherent bias of the time-origin average); the thermostat
        -- randomises positions and velocities
        if thermostat == "langevin" then
          c[#c + 1] = string.format("fix lgv all langevin %.10g %.10g %.10g %d zero yes",
                                    temp, temp, damp, 1000 * seed + k + 500000)
        end
        c[#c + 1] = "run " .. equil
        if thermostat == "langevin" then c[#c + 1] = "unfix lgv" end
      end
      for _, l in ipairs {
        "reset_timestep 0",
        string.format("fix at all ave/time %d %d %d c_thermo_temp", every, steps // every, steps),
        string.format("dump v all custom %d %s id type x y z vx vy vz", every, dump),
        string.format("dump_modify v sort id format float %%.%dg", opts.precision or 10),
        "run " .. steps,
        "undump v",
      } do c[#c + 1] = l end
      lmp:commands(c)
      info.temps[k] = lmp:eval("f_at")
      local t1 = core.now()
      local count = 0
      for frame in sflex.frames(dump) do
        count = count + 1
        if count > nframes then break end
        vacf:add(frame)
      end
      if count ~= nframes then
        error(string.format("md_vdos: run %d gave %d velocity frames, expected %d", k, count, nframes))
      end
      os.remove(dump)
      info.seconds[k] = core.now() - t0
      info.read_seconds[k] = core.now() - t1
      if opts.on_progress then opts.on_progress(k, info) end
    end
  end)
  lmp:close()
  if not ok then error(err, 2) end
  return vacf, info
end
doc(M.md_vdos,
  "sflex.md_vdos(atoms, {potential=, elements=, temp=50, seeds=4, seed=1, steps=4000,\n" ..
  "   every=4, dt=0.002, equil=500, thermostat='langevin', damp=0.1, velocity_scale=2,\n" ..
  "   lags=, masses=, np=1, lmp=, launcher=, suffix='opt', timeout=, precision=10,\n" ..
  "   on_progress=fn(k, info)})\n" ..
  "  -> Vacf, info {temps = mean T per run, seconds, read_seconds, frames, dt_frame}\n" ..
  "  seeds independent LAMMPS NVE runs from atoms (an inherent structure) with\n" ..
  "  fresh Gaussian velocities at velocity_scale*temp (seed 1000*seed + k), equil\n" ..
  "  unsampled steps (NVE + Langevin at temp, damping damp ps, which randomises\n" ..
  "  the phases of the modes; thermostat='none': plain NVE), then steps NVE\n" ..
  "  steps with the velocities dumped every `every` steps (private temporary\n" ..
  "  folder, read back frame by frame and removed); the\n" ..
  "  per-atom mass-weighted VACF of every run is accumulated in a Vacf (one\n" ..
  "  segment per run), atoms in the order of `atoms` (masks index them).\n" ..
  "  Masses from the potential file unless given.")

return M
