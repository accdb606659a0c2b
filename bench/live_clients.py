#!/usr/bin/env python3
"""Holds N live connections (`GET /live?article=SLUG`, server-sent events) to one
article page and measures how long a new comment takes to reach all of them. Driven by
bench/live.sh, which measures reads meanwhile:

  bench/live_clients.py BASE SLUG TOKEN N ROUNDS READY_FILE GO_FILE

1. Opens N streams (all from this one address: the server runs with a per-address cap
   above N) and writes READY_FILE once every one has its first event.
2. Holds them (reading heartbeats) until GO_FILE exists.
3. ROUNDS times: posts a comment with a unique marker through the API (TOKEN) and
   records, per stream, the time from sending the POST until the marker arrives. A round
   waits for every stream, up to 10 s.
4. Prints one JSON line: delivery p50/p99/max in ms over all rounds and streams, the
   streams still open, and the deliveries missed.
"""
import asyncio
import json
import os
import sys
import time
import urllib.request
from urllib.parse import urlparse


class Stream:
    def __init__(self):
        self.tail = ""
        self.marker = None
        self.seen_at = None
        self.open = True
        self.first = asyncio.Event()


async def hold(host, port, path, stream: Stream):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"stream refused: {head[:80]!r}")
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            text = stream.tail + chunk.decode("utf-8", "replace")
            if "event: " in text:
                stream.first.set()
            if stream.marker and stream.seen_at is None and stream.marker in text:
                stream.seen_at = time.perf_counter()
            stream.tail = text[-256:]
    finally:
        stream.open = False
        writer.close()


def post_comment(base, slug, token, body):
    request = urllib.request.Request(
        f"{base}/api/articles/{slug}/comments",
        data=json.dumps({"comment": {"body": body}}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201, response.status


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


async def main():
    base, slug, token, n, rounds, ready_file, go_file = sys.argv[1:8]
    n, rounds = int(n), int(rounds)
    url = urlparse(base)
    streams = [Stream() for _ in range(n)]
    tasks = []
    for i, stream in enumerate(streams):
        tasks.append(asyncio.create_task(hold(url.hostname, url.port, f"/live?article={slug}", stream)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # not a connection storm
    await asyncio.wait_for(asyncio.gather(*(s.first.wait() for s in streams)), 60)
    open(ready_file, "w").close()
    while not os.path.exists(go_file):
        await asyncio.sleep(0.1)

    latencies, missed = [], 0
    loop = asyncio.get_running_loop()
    for r in range(rounds):
        marker = f"bench-live-{os.getpid()}-{r}"
        for stream in streams:
            stream.marker, stream.seen_at = marker, None
        sent = time.perf_counter()
        await loop.run_in_executor(None, post_comment, base, slug, token, f"round {r}: {marker}")
        deadline = sent + 10
        while time.perf_counter() < deadline and any(s.seen_at is None and s.open for s in streams):
            await asyncio.sleep(0.002)
        for stream in streams:
            if stream.seen_at is None:
                missed += 1
            else:
                latencies.append((stream.seen_at - sent) * 1000)
        await asyncio.sleep(0.5)
    print(json.dumps({
        "streams": n,
        "open": sum(s.open for s in streams),
        "rounds": rounds,
        "missed": missed,
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
    }))
    for task in tasks:
        task.cancel()


asyncio.run(main())
