-- loop-sum: sum 1..50,000,000 in a loop inside a function.
-- string.format("%d") keeps LuaJIT (doubles only) from printing 1.25e+15.
local function sum_to(n)
  local s = 0
  for i = 1, n do
    s = s + i
  end
  return s
end

print(string.format("%d", sum_to(50000000)))
