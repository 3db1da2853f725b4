-- A GET whose query and cookie values are new on every request (search
-- terms, ids, session cookies), as real traffic rarely repeats them.
local counter = 0
local words = { "shoes", "red", "winter", "jacket", "size", "cheap", "review", "blue", "sale", "men" }
request = function()
  counter = counter + 1
  local n = counter * 7919 + math.random(1, 1000000)
  local q = words[(n % #words) + 1] .. "+" .. words[(math.floor(n / 7) % #words) + 1] .. "+" .. n
  local path = "/search?q=" .. q .. "&page=" .. (n % 50) .. "&id=" .. string.format("%x", n * 2654435761 % 4294967296)
  local headers = {
    ["Cookie"] = "session=" .. string.format("%08x%08x", n, n * 31 % 4294967296) .. "; theme=dark; last=" .. n,
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    ["Accept"] = "text/html,application/xhtml+xml",
  }
  return wrk.format("GET", path, headers)
end
