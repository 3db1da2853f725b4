-- A 64 KB multipart/form-data upload (a text file and two fields) whose
-- field values and file name are new on every request.
local counter = 0
local chunk = string.rep("lorem ipsum dolor sit amet consectetur ", 1680) -- ~64 KB
request = function()
  counter = counter + 1
  local n = counter * 7907 + math.random(1, 1000000)
  local b = "----rampartbench" .. n
  local body = "--" .. b .. "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nReport " .. n ..
    "\r\n--" .. b .. "\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\nq" .. (n % 4) .. ",team-" .. (n % 17) ..
    "\r\n--" .. b .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes-" .. n .. ".txt\"\r\nContent-Type: text/plain\r\n\r\n" ..
    chunk .. "\r\n--" .. b .. "--\r\n"
  return wrk.format("POST", "/upload", { ["Content-Type"] = "multipart/form-data; boundary=" .. b }, body)
end
