-- sflex.plot: tables and headless plots through gnuplot.
--
--   local plot = require "sflex.plot"
--   plot.write_table("gr.txt", {{"r", r}, {"g_low", g1}, {"g_high", g2}})
--   plot.render{out = "fig1.png", panels = {{
--       xlabel = "r (A)", ylabel = "g(r)",
--       series = {{x = r, y = g1, title = "lowest 1%"},
--                 {x = r, y = g2, title = "highest 1%", style = "lines dt 2"}}}}}
--   plot.render{out = "map.png", panels = {{image = {x = xc, y = yc, z = counts,
--       log = true}, xlabel = "SF", ylabel = "ln v_flex"}}}
--
-- The output format follows the extension: .png (pngcairo, or png when
-- cairo is missing), .svg, .pdf (pdfcairo).  Data and script go to temporary
-- files; gnuplot writes OUT.part, renamed to OUT only when it succeeded, so
-- a failed plot never leaves a partial file.  Nothing needs a display.
-- Tables are whitespace-separated with one header line of column names.
local M = {}

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- a gnuplot single-quoted string ('' stands for ')
local function gp_string(s)
  return "'" .. tostring(s):gsub("'", "''") .. "'"
end

local function len(v)
  return #v
end

local cache = {}

local function gnuplot_ok(cmd)
  local ok = os.execute(cmd .. " >/dev/null 2>&1")
  return ok == true or ok == 0
end

-- Is gnuplot on the PATH (and which PNG terminal does it have)?
function M.available()
  if cache.available == nil then
    cache.available = gnuplot_ok("gnuplot -e " .. shell_quote("set terminal dumb"))
    if cache.available then
      cache.pngcairo = gnuplot_ok("gnuplot -e " .. shell_quote("set terminal pngcairo"))
    end
  end
  return cache.available
end

local function terminal_for(out, size)
  local ext = out:match("%.([%a]+)$")
  ext = ext and ext:lower() or ""
  local w, h = size and size[1] or 900, size and size[2] or 650
  if ext == "png" then
    if cache.pngcairo then
      return string.format("pngcairo size %d,%d enhanced font 'Sans,11'", w, h)
    end
    return string.format("png size %d,%d", w, h)
  elseif ext == "svg" then
    return string.format("svg size %d,%d enhanced font 'Sans,11' background '#ffffff'", w, h)
  elseif ext == "pdf" then
    return string.format("pdfcairo size %gin,%gin enhanced font 'Sans,9'", w / 100, h / 100)
  end
  error("plot: unsupported output type '" .. out .. "' (use .png, .svg or .pdf)", 3)
end

local function num(v)
  if v ~= v then return "NaN" end
  if v == math.huge then return "Inf" end
  if v == -math.huge then return "-Inf" end
  return string.format("%.10g", v)
end

-- Write a table: columns = {{name, Vector|table}, ...}, all the same length.
-- opts.comment: lines written first, each prefixed by "# ".  Written to a
-- temporary name and renamed when complete.
function M.write_table(path, columns, opts)
  opts = opts or {}
  local n = nil
  for _, c in ipairs(columns) do
    local l = len(c[2])
    if n and l ~= n then
      error(string.format("write_table: column '%s' has %d values, expected %d", c[1], l, n), 2)
    end
    n = l
  end
  n = n or 0
  local tmp = path .. ".part"
  local f, err = io.open(tmp, "w")
  if not f then error("write_table: " .. err, 2) end
  local fmt = opts.format or "%.10g"
  if opts.comment then
    for line in (opts.comment .. "\n"):gmatch("(.-)\n") do f:write("# ", line, "\n") end
  end
  local names = {}
  for i, c in ipairs(columns) do names[i] = c[1] end
  f:write(table.concat(names, " "), "\n")
  local row = {}
  for i = 1, n do
    for j, c in ipairs(columns) do
      local v = c[2][i]
      if type(v) == "number" then
        row[j] = (v ~= v or v == math.huge or v == -math.huge) and num(v) or string.format(fmt, v)
      else
        row[j] = tostring(v)
      end
    end
    f:write(table.concat(row, " ", 1, #columns), "\n")
  end
  local ok, werr = f:close()
  if not ok then os.remove(tmp); error("write_table: " .. tostring(werr), 2) end
  local rok, rerr = os.rename(tmp, path)
  if not rok then os.remove(tmp); error("write_table: " .. tostring(rerr), 2) end
  return path
end

-- Read a table written by write_table (or any whitespace table with one
-- header line after optional "# " comment lines) -> {names = {...},
-- n = rows, columns = {[name] = {values...}}}.  Numbers (NaN, Inf included) become
-- numbers, anything else stays a string.  Errors name the file and line.
function M.read_table(path)
  local f, err = io.open(path)
  if not f then error("read_table: " .. tostring(err), 2) end
  local out, ln = {n = 0, columns = {}}, 0
  local cols = out.columns
  local special = {NaN = 0 / 0, nan = 0 / 0, ["-nan"] = 0 / 0, Inf = math.huge, inf = math.huge,
                   ["-Inf"] = -math.huge, ["-inf"] = -math.huge}
  for line in f:lines() do
    ln = ln + 1
    if not line:find("^%s*#") and line:find("%S") then
      local w = {}
      for x in line:gmatch("%S+") do w[#w + 1] = x end
      if not out.names then
        out.names = w
        for _, name in ipairs(w) do
          if cols[name] then f:close(); error(string.format("read_table: %s:%d: column '%s' twice", path, ln, name), 2) end
          cols[name] = {}
        end
      else
        if #w ~= #out.names then
          f:close()
          error(string.format("read_table: %s:%d: %d values for %d columns", path, ln, #w, #out.names), 2)
        end
        out.n = out.n + 1
        for j, name in ipairs(out.names) do
          local v = tonumber(w[j])
          if v == nil and special[w[j]] then v = special[w[j]] end
          cols[name][out.n] = v == nil and w[j] or v
        end
      end
    end
  end
  f:close()
  if not out.names then error(string.format("read_table: %s: no header line", path), 2) end
  return out
end

-- ---- rendering -------------------------------------------------------------------

local function write_block(f, s)
  if s.kind == "image" then
    local im = s.image
    local nx, ny = len(im.x), len(im.y)
    if im.z.rows ~= nx or im.z.cols ~= ny then
      error(string.format("plot: image z is %dx%d, expected %dx%d", im.z.rows, im.z.cols, nx, ny), 4)
    end
    for i = 1, nx do
      for j = 1, ny do
        local z = im.z:get(i, j)
        if im.log and z <= 0 then z = 0 / 0 end
        f:write(num(im.x[i]), " ", num(im.y[j]), " ", num(z), "\n")
      end
      f:write("\n")
    end
  else
    local n = len(s.x)
    if len(s.y) ~= n then error(string.format("plot: series '%s' has %d x and %d y values",
      tostring(s.title), n, len(s.y)), 4) end
    for i = 1, n do f:write(num(s.x[i]), " ", num(s.y[i]), "\n") end
  end
  f:write("\n\n")
end

local function range(r)
  if not r then return "[*:*]" end
  return string.format("[%s:%s]", r[1] and num(r[1]) or "*", r[2] and num(r[2]) or "*")
end

-- spec = {out = path, size = {w, h}, title = "...", layout = {rows, cols},
--         panels = {panel, ...}}
-- panel = {title, xlabel, ylabel, cblabel, xrange = {a, b}, yrange, logx,
--          logy, key = "top left" | false, series = {{x, y, title, style}},
--          image = {x = centres, y = centres, z = Matrix (nx x ny), log},
--          labels = {{x, y, text}} (graph coordinates 0..1),
--          diagonal = true (y = x line), pad = false (no 4-6 % margins
--          around autoscaled data)}
-- A bare panel's fields may be given in spec itself (single-panel plot).
function M.render(spec)
  assert(type(spec) == "table" and spec.out, "plot.render{out = ..., panels = {...}}")
  if not M.available() then
    error("plot: gnuplot not found on PATH (apt-get install gnuplot-nox); tables are still written", 2)
  end
  local panels = spec.panels or {spec}
  local rows = spec.layout and spec.layout[1] or 1
  local cols = spec.layout and spec.layout[2] or #panels
  if not spec.layout and #panels > 3 then
    cols = math.ceil(math.sqrt(#panels))
    rows = math.ceil(#panels / cols)
  end
  local dataf = os.tmpname()
  local scriptf = os.tmpname()
  local logf = os.tmpname()
  local part = spec.out .. ".part"
  local function cleanup()
    os.remove(dataf); os.remove(scriptf); os.remove(logf)
  end

  local ok, err = pcall(function()
    local df = assert(io.open(dataf, "w"))
    local sf = assert(io.open(scriptf, "w"))
    local size = spec.size or {math.max(1, cols) * 600, math.max(1, rows) * 480}
    sf:write("set terminal ", terminal_for(spec.out, size), "\n")
    sf:write("set output ", gp_string(part), "\n")
    sf:write("set encoding utf8\nset datafile missing 'NaN'\n")
    if #panels > 1 or spec.title then
      sf:write(string.format("set multiplot layout %d,%d%s\n", rows, cols,
        spec.title and (" title " .. gp_string(spec.title)) or ""))
    end
    local block = 0
    for _, p in ipairs(panels) do
      sf:write("reset\n")
      if p.title then sf:write("set title ", gp_string(p.title), "\n") end
      if p.xlabel then sf:write("set xlabel ", gp_string(p.xlabel), "\n") end
      if p.ylabel then sf:write("set ylabel ", gp_string(p.ylabel), "\n") end
      if p.cblabel then sf:write("set cblabel ", gp_string(p.cblabel), "\n") end
      if p.logx then sf:write("set logscale x\n") end
      if p.logy then sf:write("set logscale y\n") end
      sf:write("set xrange ", range(p.xrange), "\nset yrange ", range(p.yrange), "\n")
      if p.key == false then sf:write("unset key\n")
      else sf:write("set key ", p.key or "top right", " noautotitle\n") end
      for _, l in ipairs(p.labels or {}) do
        sf:write(string.format("set label %s at graph %s,%s front\n", gp_string(l[3]), num(l[1]), num(l[2])))
      end
      if not p.image and p.pad ~= false then
        sf:write("set offsets graph 0.04, graph 0.04, graph 0.06, graph 0.06\n")
      end
      local parts = {}
      if p.image then
        write_block(df, {kind = "image", image = p.image})
        if p.image.log then sf:write("set logscale cb\n") end
        sf:write("set palette defined (0 '#440154', 1 '#3b528b', 2 '#21908d', 3 '#5dc963', 4 '#fde725')\nset grid front\n")
        parts[#parts + 1] = string.format("%s index %d using 1:2:3 with image", gp_string(dataf), block)
        block = block + 1
      end
      for _, s in ipairs(p.series or {}) do
        write_block(df, s)
        local style = s.style or "lines lw 2"
        parts[#parts + 1] = string.format("%s index %d using 1:2 with %s%s", gp_string(dataf), block,
          style, s.title and (" title " .. gp_string(s.title)) or " notitle")
        block = block + 1
      end
      if p.diagonal then parts[#parts + 1] = "x with lines dt 2 lc 'gray' notitle" end
      if #parts == 0 then error("plot: panel without series or image", 3) end
      sf:write("plot ", table.concat(parts, ", \\\n     "), "\n")
    end
    if #panels > 1 or spec.title then sf:write("unset multiplot\n") end
    sf:write("set output\n")
    assert(df:close()); assert(sf:close())
    local r = os.execute("gnuplot " .. shell_quote(scriptf) .. " >" .. shell_quote(logf) .. " 2>&1")
    if not (r == true or r == 0) then
      local lf = io.open(logf)
      local msg = lf and lf:read("a") or ""
      if lf then lf:close() end
      error("plot: gnuplot failed for " .. spec.out .. ":\n" .. msg, 0)
    end
    local rok, rerr = os.rename(part, spec.out)
    if not rok then error("plot: " .. tostring(rerr), 0) end
  end)
  cleanup()
  if not ok then
    os.remove(part)
    error(err, 2)
  end
  return spec.out
end

-- One panel of lines: plot.lines{out =, x =, ys = {{y, title}}, xlabel =, ...}
function M.lines(spec)
  local series = {}
  for _, s in ipairs(spec.ys or {}) do
    series[#series + 1] = {x = spec.x, y = s[1], title = s[2], style = s[3]}
  end
  local p = {}
  for k, v in pairs(spec) do p[k] = v end
  p.series = series
  p.ys, p.x = nil, nil
  return M.render(p)
end

return M
