-- sort: sort 1,000,000 floats in [0, 1) drawn from the Park-Miller LCG
-- (x <- x * 16807 mod 2^31-1, seed 42; exact in doubles), then print a
-- checksum: the sum of floor(a[i] * 1e6) over every 1000th element.
local n, m = 1000000, 2147483647

local function run()
  local a = {}
  local x = 42
  for i = 1, n do
    x = (x * 16807) % m
    a[i] = x / m
  end
  table.sort(a)
  local sum = 0
  for i = 1, n, 1000 do
    sum = sum + math.floor(a[i] * 1000000)
  end
  print(string.format("%d", sum))
end

run()
