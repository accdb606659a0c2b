-- The sustained 90/10 mix of bench/soak.sh, as many members (tokens from $BENCH_TOKENS):
-- 90 % reads (the list, an article, the home page and the article page, half of them
-- signed in) and 10 % writes: 6 % comments on one of $BENCH_SLUGS (each notifies the
-- article's author, and emails them), 3 % favorite or unfavorite, 1 % new articles
-- (each notifies the writer's followers).
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  tokens[#tokens + 1] = "Token " .. line
end
local slugs = {}
for slug in string.gmatch(os.getenv("BENCH_SLUGS"), "[^,]+") do
  slugs[#slugs + 1] = slug
end
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function request()
  counter = counter + 1
  local slug = slugs[math.random(#slugs)]
  local headers = { ["Content-Type"] = "application/json" }
  local roll = math.random(100)
  if roll <= 10 or roll % 2 == 0 then
    headers["Authorization"] = tokens[math.random(#tokens)]
  end
  if roll <= 6 then
    return wrk.format("POST", "/api/articles/" .. slug .. "/comments", headers,
      '{"comment":{"body":"A soak comment."}}')
  elseif roll <= 9 then
    local method = (counter % 2 == 0) and "POST" or "DELETE"
    return wrk.format(method, "/api/articles/" .. slug .. "/favorite", headers, "{}")
  elseif roll <= 10 then
    local body = string.format(
      '{"article":{"title":"Soak %s %d %d","description":"d","body":"A soak article.","tagList":["soak"]}}',
      os.getenv("BENCH_RUN") or "run", tid or 0, counter)
    return wrk.format("POST", "/api/articles", headers, body)
  elseif roll <= 33 then
    return wrk.format("GET", "/api/articles", headers)
  elseif roll <= 56 then
    return wrk.format("GET", "/api/articles/" .. slug, headers)
  elseif roll <= 78 then
    return wrk.format("GET", "/", headers)
  else
    return wrk.format("GET", "/article/" .. slug, headers)
  end
end
