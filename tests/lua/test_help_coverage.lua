-- Every public function of sflex and of its sub-tables (learn, stats, ...)
-- has a help text: help(sflex.NAME) must never answer "no documentation".
local t = require "testlib"
local sflex = require "sflex"
local docs = sflex._core._docs()

local function missing_in(tbl, prefix, out)
  for k, v in pairs(tbl) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" then
      if type(v) == "function" and not docs[v] then
        out[#out + 1] = prefix .. k
      end
    end
  end
end

t.case("every public function has a help text", function()
  local out = {}
  missing_in(sflex, "sflex.", out)
  for k, v in pairs(sflex) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" and type(v) == "table" and k ~= "POLICY" then
      missing_in(v, "sflex." .. k .. ".", out)
    end
  end
  table.sort(out)
  t.eq(out, {}, "functions without help")
end)

t.case("a Lua-side function's help text is registered", function()
  t.match(docs[sflex.learn.sample_meta], "composition")
  t.match(docs[sflex.train_sf], "grid search")
end)

t.done()
