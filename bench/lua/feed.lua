-- GET /api/articles/feed as the signed-in bench user (token from BENCH_TOKEN).
wrk.method = "GET"
wrk.headers["Authorization"] = "Token " .. os.getenv("BENCH_TOKEN")
