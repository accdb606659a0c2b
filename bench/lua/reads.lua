-- Anonymous reads in turn: the tag list, the article list, one of $BENCH_SLUGS through
-- the API, the home page and that article's page.
local slugs = {}
for slug in string.gmatch(os.getenv("BENCH_SLUGS"), "[^,]+") do
  slugs[#slugs + 1] = slug
end
local counter = 0

function request()
  counter = counter + 1
  local slug = slugs[counter % #slugs + 1]
  local route = counter % 5
  if route == 0 then
    return wrk.format("GET", "/api/tags")
  elseif route == 1 then
    return wrk.format("GET", "/api/articles")
  elseif route == 2 then
    return wrk.format("GET", "/api/articles/" .. slug)
  elseif route == 3 then
    return wrk.format("GET", "/")
  end
  return wrk.format("GET", "/article/" .. slug)
end
