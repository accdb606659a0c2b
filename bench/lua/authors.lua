-- Anonymous GET /api/articles?author=NAME, NAME picked at random from the file
-- $BENCH_AUTHORS (one username per line): a list as broad as the members' feeds, whose
-- pages together take in most of the site's articles, for comparison with the feed row.
-- Requests are formatted once, in `init` (after wrk sets the Host header).
local requests = {}
function init(args)
  for name in io.lines(os.getenv("BENCH_AUTHORS")) do
    requests[#requests + 1] = wrk.format("GET", "/api/articles?author=" .. name)
  end
end

function request()
  return requests[math.random(#requests)]
end
