-- A ~4.4 KB JSON POST whose field values are new on every request.
local counter = 0
request = function()
  counter = counter + 1
  local n = counter * 104729 + math.random(1, 1000000)
  local items = {}
  for i = 1, 24 do
    items[#items + 1] = string.format(
      '{"sku":"SKU-%d-%d","name":"Item %d of order %d","qty":%d,"price":%d.%02d,"note":"gift wrap %d, deliver after %d pm"}',
      n, i, i, n, (n + i) % 9 + 1, (n * i) % 500, (n + i) % 100, n % 97, (n + i) % 12)
  end
  local body = string.format(
    '{"order":%d,"customer":{"name":"Customer %d","email":"user%d@example.com","address":"%d Main Street, Springfield"},"items":[%s],"comment":"Please call %d before delivery"}',
    n, n, n, n % 9999, table.concat(items, ","), n)
  return wrk.format("POST", "/api/orders", { ["Content-Type"] = "application/json" }, body)
end
