-- GET $BENCH_PATH as many different signed-in members: each request carries a token
-- from the file $BENCH_TOKENS (one per line, from bench/tokens.py), picked at random;
-- with BENCH_WALK=1 the tokens are taken in order instead, so a pass long enough
-- signs in every member at least once (the warm-up of bench/run.sh).
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  tokens[#tokens + 1] = "Token " .. line
end
local path = os.getenv("BENCH_PATH")
local walk = os.getenv("BENCH_WALK") == "1"
local next_token = 0

function request()
  local token
  if walk then
    next_token = next_token % #tokens + 1
    token = tokens[next_token]
  else
    token = tokens[math.random(#tokens)]
  end
  return wrk.format("GET", path, { ["Authorization"] = token })
end
