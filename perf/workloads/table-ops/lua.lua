-- table-ops: insert 1,000,000 integer keys (scattered by a multiplicative
-- hash modulo the prime 1000003), then look up the keys 0..999,999; print how
-- many were found and the sum of the values found.
local n, p = 1000000, 1000003

local function run()
  local t = {}
  for i = 0, n - 1 do
    t[(i * 7919) % p] = i
  end
  local found, sum = 0, 0
  for k = 0, n - 1 do
    local v = t[k]
    if v then
      found = found + 1
      sum = sum + v
    end
  end
  print(string.format("%d", found))
  print(string.format("%d", sum))
end

run()
