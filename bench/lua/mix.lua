-- 90% reads (the four read routes, anonymous) and 10% writes (the bench user favorites
-- or unfavorites one of BENCH_SLUGS, a comma-separated list), chosen at random.
local slugs = {}
for slug in string.gmatch(os.getenv("BENCH_SLUGS"), "[^,]+") do
  slugs[#slugs + 1] = slug
end
local token = "Token " .. os.getenv("BENCH_TOKEN")
local counter = 0

function request()
  counter = counter + 1
  local slug = slugs[math.random(#slugs)]
  local roll = math.random(100)
  if roll <= 10 then
    local method = (counter % 2 == 0) and "POST" or "DELETE"
    return wrk.format(method, "/api/articles/" .. slug .. "/favorite",
      { ["Authorization"] = token, ["Content-Type"] = "application/json" }, "{}")
  elseif roll <= 33 then
    return wrk.format("GET", "/api/articles")
  elseif roll <= 56 then
    return wrk.format("GET", "/api/articles/" .. slug)
  elseif roll <= 78 then
    return wrk.format("GET", "/")
  else
    return wrk.format("GET", "/article/" .. slug)
  end
end
