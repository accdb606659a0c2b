-- GET the given path with the bench user's session cookie ($BENCH_COOKIE): a signed-in
-- page, with its navbar, CSRF token and the reader's own marks.
wrk.method = "GET"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
