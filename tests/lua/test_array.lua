-- Vector / Matrix / Atoms / Box bindings.
local t = require "testlib"

t.case("vector basics", function()
  local v = sflex.vector{3, 1, 2}
  t.eq(#v, 3)
  t.eq(v[1], 3)
  t.eq(v[-1], 2)
  v[2] = 5
  t.eq(v:sum(), 10)
  t.near(v:mean(), 10 / 3, 1e-15)
  t.eq((v + 1):totable(), {4, 6, 3})
  t.eq((v * v):totable(), {9, 25, 4})
  t.eq((2 * v - v):totable(), {3, 5, 2})
  t.eq(v:sort():totable(), {2, 3, 5})
  t.eq(v:order():totable(), {3, 1, 2})
  local m = v:gt(2.5)
  t.eq(m:totable(), {1, 1, 0})
  t.eq(m:count(), 2)
  t.eq(v:select(m):totable(), {3, 5})
  t.eq(v:slice(2):totable(), {5, 2})
  t.eq(select(2, v:max()), 2)
  t.raises(function() return v[4] end, "out of range")
  t.raises(function() return v + sflex.vector(2) end, "shape mismatch")
end)

t.case("matrix basics", function()
  local m = sflex.matrix{{1, 2, 3}, {4, 5, 6}}
  t.eq(m.rows, 2); t.eq(m.cols, 3); t.eq(#m, 2)
  t.eq(m[2][3], 6)
  m[2][3] = 7                         -- a row view writes through
  t.eq(m:get(2, 3), 7)
  t.eq(m:col(2):totable(), {2, 5})
  t.eq(m:dot(sflex.vector{1, 1, 1}):totable(), {6, 16})
  t.eq(m:transpose():get(3, 1), 3)
  m:colnames{"a", "b", "c"}
  t.eq(m:col("c"):totable(), {3, 7})
  t.match(tostring(m), "^Matrix%(2x3")
end)

t.case("atoms and box", function()
  local box = sflex.box{lo = {0, 0, 0}, hi = {10, 10, 10}, tilt = {2, 0, 0}}
  t.eq(box.triclinic, true)
  t.near(box.volume, 1000, 1e-12)
  local a = sflex.atoms{
    x = {{1, 1, 1}, {9.5, 1, 1}, {5, 5, 5}},
    type = {1, 2, 1}, id = {30, 10, 20}, box = box, species = {"Cu", "Zr"},
  }
  t.eq(a.n, 3)
  t.match(tostring(a), "Atoms%(n=3, types={Cu=2, Zr=1}, box=triclinic")
  t.near(a:distance(1, 2), 1.5, 1e-12)
  a:sort_by_id()
  t.eq(a.id:totable(), {10, 20, 30})
  t.eq(a.x[1][1], 9.5)
  local cu = a:select("Cu")
  t.eq(cu.n, 2)
  a.q = {1, 2, 3}
  t.eq(a.q:totable(), {1, 2, 3})
  t.eq(a:columns(), {"q"})
  local big = a:replicate(2, 2, 2)
  t.eq(big.n, 24)
  t.near(big.box.volume, 8000, 1e-9)
  local both = a .. cu
  t.eq(both.n, 5)
  t.raises(function() sflex.atoms{x = {{0, 0, 0}}, id = {0}} end, "non%-positive")
  t.raises(function() a:select("Al") end, "no atom type")
end)

t.case("hstack", function()
  local A = sflex.matrix{{1, 2}, {3, 4}, {5, 6}}
  A:colnames{"a", "b"}
  local H = sflex.hstack{A, sflex.vector{7, 8, 9}, sflex.matrix{{10}, {11}, {12}}}
  t.eq(H.rows, 3)
  t.eq(H.cols, 4)
  t.eq(H:totable(), {{1, 2, 7, 10}, {3, 4, 8, 11}, {5, 6, 9, 12}})
  t.eq(H:colnames(), {"a", "b", "c3", "c4"})
  t.raises(function() sflex.hstack{A, sflex.vector{1, 2}} end, "block 2 has 2 rows, block 1 has 3")
  t.raises(function() sflex.hstack{A, 5} end, "block 2 is not a Vector or Matrix")
  t.raises(function() sflex.hstack{} end, "no blocks")
end)

t.done()
