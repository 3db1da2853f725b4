-- GETs with new values on every request, one in twenty an attack (SQL
-- injection, XSS, path traversal, command injection, in turn).
local counter = 0
local attacks = {
  "/search?q=1%27%20OR%20%271%27%3D%271&id=",
  "/search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E&id=",
  "/download?file=..%2F..%2F..%2Fetc%2Fpasswd&id=",
  "/ping?host=127.0.0.1%3Bcat%20%2Fetc%2Fpasswd&id=",
}
request = function()
  counter = counter + 1
  local n = counter * 7919 + math.random(1, 1000000)
  if counter % 20 == 0 then
    return wrk.format("GET", attacks[(math.floor(counter / 20) % #attacks) + 1] .. n)
  end
  return wrk.format("GET", "/search?q=winter+jacket+" .. n .. "&page=" .. (n % 50),
    { ["Cookie"] = "session=" .. string.format("%08x", n % 4294967296) })
end
