#!/usr/bin/env python3
"""Commit-to-visible delay across instances.

Edits one article through the writer instance, then polls the same article's anonymous
API answer on a reader instance (taking the readers in turn) until the new body shows.
Before each edit the reader holds the old answer cached (the previous round's polling
put it there), so the new body can only show once the invalidation has arrived. The
delay counts from the moment the edit's response arrives (its transaction has committed
by then) to the first answer with the new body, so it includes one read's own latency:
under heavy load that dominates. With --metrics-token it also reports, for the same
period, the readers' `cache_invalidation_delay_seconds` histogram (from the sender's
commit to the invalidation being applied on the reader, over every write of the period,
the probe's and the load's): p50 and p99 as histogram bucket bounds. Prints milliseconds.

  bench/visibility.py --write http://127.0.0.1:19501 --read http://127.0.0.1:19502 \
      --read http://127.0.0.1:19503 --token TOKEN --slug SLUG --count 1000
"""
import argparse
import http.client
import json
import time
import urllib.parse


def connection(base):
    url = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=10)


def request(conn, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise SystemExit(f"{method} {path}: {response.status} {data[:200]!r}")
    return json.loads(data)


def percentile(sorted_values, p):
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def histogram(base, token):
    """Cumulative bucket counts of cache_invalidation_delay_seconds at `base`."""
    conn = connection(base)
    conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {token}"})
    text = conn.getresponse().read().decode()
    buckets = {}
    for line in text.splitlines():
        if line.startswith("cache_invalidation_delay_seconds_bucket{"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float(bound)] = float(line.rsplit(" ", 1)[1])
    return buckets


def server_side(before, after):
    """p50 and p99 (bucket upper bounds, ms) of the samples added between two lists of
    snapshots, one per reader."""
    cumulative = {}
    for b, a in zip(before, after):
        for bound, count in a.items():
            cumulative[bound] = cumulative.get(bound, 0) + count - b.get(bound, 0)
    bounds = sorted(cumulative)
    total = cumulative.get(float("inf"), 0)
    if not total:
        return "no samples"

    def quantile(q):
        for bound in bounds:
            if cumulative[bound] >= q * total:
                return "over the largest bucket" if bound == float("inf") else f"≤ {bound * 1000:g} ms"
        return "?"

    return f"{int(total)} invalidations applied: p50 {quantile(0.5)}, p99 {quantile(0.99)}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", required=True)
    parser.add_argument("--read", action="append", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--slug", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--metrics-token")
    args = parser.parse_args()

    writer = connection(args.write)
    readers = [connection(base) for base in args.read]
    path = f"/api/articles/{args.slug}"
    for reader in readers:
        request(reader, "GET", path)
    if args.metrics_token:
        before = [histogram(base, args.metrics_token) for base in args.read]
    delays = []
    stamp = int(time.time())
    for i in range(args.count):
        reader = readers[i % len(readers)]
        body = f"visibility probe {stamp}-{i}"
        request(writer, "PUT", path, {"article": {"body": body}}, args.token)
        written = time.perf_counter()
        while True:
            seen = request(reader, "GET", path)["article"]["body"]
            now = time.perf_counter()
            if seen == body:
                delays.append((now - written) * 1000)
                break
            if now - written > args.timeout:
                raise SystemExit(f"probe {i}: not visible after {args.timeout} s")
    delays.sort()
    line = (
        f"client, write answered → new body read: {len(delays)} writes, "
        f"p50 {percentile(delays, 50):.1f} ms, p90 {percentile(delays, 90):.1f} ms, "
        f"p99 {percentile(delays, 99):.1f} ms, max {delays[-1]:.1f} ms"
    )
    if args.metrics_token:
        after = [histogram(base, args.metrics_token) for base in args.read]
        line += f"; server, commit → applied on the readers: {server_side(before, after)}"
    print(line)


if __name__ == "__main__":
    main()
