-- GET $BENCH_PATH as many different signed-in members: each request carries a token
-- picked at random from the file $BENCH_TOKENS (one per line, from bench/tokens.py).
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  tokens[#tokens + 1] = "Token " .. line
end
local path = os.getenv("BENCH_PATH")

function request()
  return wrk.format("GET", path, { ["Authorization"] = tokens[math.random(#tokens)] })
end
