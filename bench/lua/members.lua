-- GET $BENCH_PATH as many different signed-in members: each request carries a token
-- from the file $BENCH_TOKENS (one per line, from bench/tokens.py), picked at random;
-- with BENCH_WALK=1 the tokens are taken in order instead, so a pass long enough
-- signs in every member at least once (the warm-up of bench/run.sh).
-- Each member's request is formatted once, up front: formatting it per request made
-- wrk, which shares the machine with the server, spend more than on the anonymous rows'
-- fixed request, and that time counted against the server.
-- (In `init`: wrk sets the Host header just before calling it.)
local requests = {}
function init(args)
  local path = os.getenv("BENCH_PATH")
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    requests[#requests + 1] = wrk.format("GET", path, { ["Authorization"] = "Token " .. line })
  end
end
local walk = os.getenv("BENCH_WALK") == "1"
local next_request = 0

function request()
  if walk then
    next_request = next_request % #requests + 1
    return requests[next_request]
  end
  return requests[math.random(#requests)]
end
