-- string-build: append the decimal forms of 0..999,999 to one buffer,
-- separated by commas, then split it on commas. Prints the byte length, the
-- number of parts, and the total length of the parts. Lua's buffer idiom is
-- a table of pieces joined by table.concat.
local n = 1000000

local function run()
  local pieces = {}
  for i = 0, n - 1 do
    pieces[#pieces + 1] = tostring(i)
  end
  local s = table.concat(pieces, ",")
  local parts = {}
  local pos = 1
  while true do
    local at = string.find(s, ",", pos, true)
    if not at then
      parts[#parts + 1] = string.sub(s, pos)
      break
    end
    parts[#parts + 1] = string.sub(s, pos, at - 1)
    pos = at + 1
  end
  local chars = 0
  for _, part in ipairs(parts) do
    chars = chars + #part
  end
  print(#s)
  print(#parts)
  print(chars)
end

run()
