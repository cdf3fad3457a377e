-- float32 descriptors: sflex.descriptor / sflex.angular_descriptor with
-- precision = "float" give the double values rounded to float; the float32
-- Matrix supports indexing, #, views, get/set, slicing, reductions and
-- conversion; SVR training/prediction and model:sf accept it and give
-- exactly what the same (rounded) values give as doubles; every other use
-- is a clear error.
local t = require "testlib"
local sflex = sflex or require "sflex"

local srcdir = os.getenv("SFLEX_SOURCE_DIR") or "."
local path = srcdir .. "/data/glasses/Cu50Zr50_1e13_s1/vflex.dump.gz"
local a = sflex.read(path, {elements = {"Cu", "Zr"}})
local rp = {CuCu = 2.59, CuZr = 2.81, ZrZr = 3.13}

local X = sflex.descriptor(a, {rp = rp})
local F = sflex.descriptor(a, {rp = rp, precision = "float"})

-- the float nearest to x (round to nearest even), computed in Lua
local function tofloat(x)
  if x == 0 then return 0.0 end
  local m, e = math.frexp(x)            -- x = m 2^e, 0.5 <= |m| < 1
  local s = m * 2 ^ 24
  local r = math.floor(s + 0.5)
  if r - s == 0.5 and r % 2 == 1 then r = r - 1 end
  if e - 24 < -149 then                 -- subnormal float: fixed quantum 2^-149
    local q = x * 2 ^ 149
    local rq = math.floor(q + 0.5)
    if rq - q == 0.5 and rq % 2 == 1 then rq = rq - 1 end
    return rq * 2 ^ -149
  end
  return r * 2 ^ (e - 24)
end

t.case("values: the double descriptor rounded to float", function()
  t.eq(F:dtype(), "float")
  t.eq(X:dtype(), "double")
  t.eq(#F, a.n)
  t.eq(F.rows, X.rows)
  t.eq(F.cols, X.cols)
  t.eq(F:colnames()[7], X:colnames()[7])
  t.match(tostring(F), "^Matrix%(2000x99 float32: ")
  local bad, differ = 0, 0
  for i = 1, X.rows, 7 do
    for j = 1, X.cols do
      local x = X:get(i, j)
      if F:get(i, j) ~= tofloat(x) then bad = bad + 1 end
      if F:get(i, j) ~= x then differ = differ + 1 end
    end
  end
  t.eq(bad, 0, "float values = double values rounded")
  t.ok(differ > 1000, "the storage really is float (values differ from the doubles)")
  t.ok(F == X:float(), "x:float() rounds the same way")
  local Af = sflex.angular_descriptor(a, {rp = rp, precision = "float"})
  t.ok(Af == sflex.angular_descriptor(a, {rp = rp}):float(), "angular float = double rounded")
  t.eq(Af:dtype(), "float")
end)

t.case("indexing, views, slicing, reductions", function()
  local D = F:double()                  -- the float values, exactly, as doubles
  t.eq(D:dtype(), "double")
  t.ok(D == F, "== compares values")
  t.eq(F[5][9], D:get(5, 9))
  t.eq(F:row(5):dtype(), "double")
  t.ok(F:row(5) == D:row(5))
  t.ok(F:col("G_Zr_1.000") == D:col("G_Zr_1.000"))
  t.eq(F:sum(), D:sum())
  t.eq(F:mean(), D:mean())
  t.eq(F:std(1), D:std(1))
  t.eq(select(2, F:max()), select(2, D:max()))
  t.eq(F:count(), D:count())
  t.ok(F:col_mean() == D:col_mean())
  local S = F:slice(10, 20)
  t.eq(S:dtype(), "float")
  t.ok(S:double() == D:slice(10, 20))
  t.ok(F:take({3, 1}):double() == D:take({3, 1}))
  local mask = a.type:eq(1)
  t.ok(F:select(mask):double() == D:select(mask))
  local w = sflex.vector(F.cols, 0.5)
  t.ok(F:dot(w) == D:dot(w))
  -- writes round to float, through the matrix and through a row view
  local C = F:copy()
  C:set(1, 1, 1 / 3)
  t.eq(C:get(1, 1), tofloat(1 / 3))
  C[2][3] = 0.1
  t.eq(C:get(2, 3), tofloat(0.1))
  t.eq(F:get(2, 3), D:get(2, 3), "copy is deep")
  t.eq(F:float():dtype(), "float")
end)

t.case("SVR and model:sf accept float32", function()
  local y = a:column("vflex"):log()
  local D = F:double()
  local m1 = sflex.svr{C = 1, epsilon = 0.1, seed = 1}
  m1:fit(F, y)
  local m2 = sflex.svr{C = 1, epsilon = 0.1, seed = 1}
  m2:fit(D, y)
  t.ok(m1:weights() == m2:weights(), "same weights from float and its doubles")
  t.ok(m1:predict(F) == m2:predict(D), "same predictions")
  t.ok(sflex.problem(F).nonzeros == sflex.problem(D).nonzeros)
  local model = sflex.load_model(srcdir .. "/examples/CuZr.sfmodel")
  local XF = model:features_of(a):float()
  t.ok(model:sf(a, XF) == model:sf(a, XF:double()), "model:sf of a float descriptor")
  local st = sflex._core._learn_stack({XF, XF}, {a.type:eq(1), a.type:eq(2)})
  t.eq(st:dtype(), "float")
  t.eq(st.rows, a.n)
  t.raises(function() sflex._core._learn_stack({XF, XF:double()}) end, "block 2 is double, block 1 float32")
end)

t.case("other uses: a clear error", function()
  for _, f in ipairs({
    function() return F + 1 end,
    function() return F:log() end,
    function() return sflex.coarse_grain(a, F, 3.0) end,
    function() return sflex.hstack({F, X}) end,
    function() return F:transpose() end,
    function() return F[1]:order() end,
  }) do
    t.raises(f, "float32 array: this needs doubles %(convert with x:double%(%)%)")
  end
  t.raises(function() sflex.descriptor(a, {rp = rp, precision = "half"}) end, "precision must be")
end)

t.done()
