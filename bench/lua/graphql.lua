-- POST /api/graphql with the JSON body in BENCH_GRAPHQL_BODY, signed in with
-- BENCH_TOKEN when BENCH_GRAPHQL_SIGNED_IN is set.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_GRAPHQL_BODY")
if os.getenv("BENCH_GRAPHQL_SIGNED_IN") then
  wrk.headers["Authorization"] = "Token " .. os.getenv("BENCH_TOKEN")
end
