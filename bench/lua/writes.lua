-- POST writes as many members (tokens from the file $BENCH_TOKENS), by $BENCH_WRITE:
--   comment-one   comments on the first of $BENCH_SLUGS (a comma-separated list)
--   comment-many  comments spread over all of $BENCH_SLUGS
--   create        new articles, each with its own title and one shared tag
--   edit          each member edits their own article (body and tags), from the
--                 "token slug" lines of $BENCH_OWNED
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  tokens[#tokens + 1] = "Token " .. line
end
local slugs = {}
for slug in string.gmatch(os.getenv("BENCH_SLUGS"), "[^,]+") do
  slugs[#slugs + 1] = slug
end
local owned = {}
if os.getenv("BENCH_OWNED") then
  for line in io.lines(os.getenv("BENCH_OWNED")) do
    local token, slug = string.match(line, "^(%S+) (%S+)$")
    owned[#owned + 1] = { "Token " .. token, slug }
  end
end
local mode = os.getenv("BENCH_WRITE")
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function request()
  counter = counter + 1
  local headers = {
    ["Authorization"] = tokens[math.random(#tokens)],
    ["Content-Type"] = "application/json",
  }
  if mode == "create" then
    local body = string.format(
      '{"article":{"title":"Bench %s %d %d","description":"d","body":"A benchmark article.","tagList":["bench"]}}',
      os.getenv("BENCH_RUN") or "run", tid or 0, counter)
    return wrk.format("POST", "/api/articles", headers, body)
  end
  if mode == "edit" then
    local pick = owned[math.random(#owned)]
    headers["Authorization"] = pick[1]
    local body = string.format(
      '{"article":{"body":"An edited benchmark article, revision %d %d.","tagList":["bench","edited"]}}',
      tid or 0, counter)
    return wrk.format("PUT", "/api/articles/" .. pick[2], headers, body)
  end
  local slug = slugs[1]
  if mode == "comment-many" then
    slug = slugs[math.random(#slugs)]
  end
  return wrk.format("POST", "/api/articles/" .. slug .. "/comments", headers,
    '{"comment":{"body":"A benchmark comment."}}')
end
