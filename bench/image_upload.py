#!/usr/bin/env python3
"""Image uploads under load: 20 members upload at once, several rounds, and the script
reports the p50/p99 upload time and the server's peak memory (VmHWM). Build first
(`cargo build --release`); this script builds nothing and needs only python3.

  bench/image_upload.py --binary target/release/conduit [--concurrency 20] [--rounds 5]

It starts the binary on a fresh SQLite file in a temporary directory (rate limits off,
a large quota so that every upload is stored), signs up the members, then runs two
phases, each `--rounds` rounds of `--concurrency` simultaneous uploads:

- `noise`: 5 MB PNGs of random pixels (1300 x 1300, incompressible: the byte limit);
- `large`: 16-megapixel PNGs (4000 x 4000, a gradient, small on the wire): the most
  pixels a decode may take (64 MB each), the memory bound of image work.

Every upload is a different file (the same file twice is stored once). Memory should
stay bounded by the decode permits (at most two decodes at once) plus the uploads in
flight (each held once, at most the byte limit): the target is under 300 MB peak RSS.
"""
import argparse
import http.client
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

BOUNDARY = "bench-image-upload-boundary"


def png(width: int, height: int, rows) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )


def noise_png() -> bytes:
    side = 1300
    return png(side, side, (os.urandom(side * 3) for _ in range(side)))


def large_png(seed: int) -> bytes:
    side = 4000
    row = bytes((x + seed) % 256 for x in range(side * 3))
    return png(side, side, (row for _ in range(side)))


def request(port, method, path, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def sign_up(port, name):
    body = json.dumps(
        {"user": {"username": name, "email": f"{name}@bench.example", "password": "password123"}}
    ).encode()
    status, data = request(port, "POST", "/api/users", body, {"Content-Type": "application/json"})
    if status != 201:
        sys.exit(f"sign-up failed: {status} {data[:200]!r}")
    return json.loads(data)["user"]["token"]


def multipart(file: bytes) -> bytes:
    head = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; "
        f"filename=\"bench.png\"\r\nContent-Type: image/png\r\n\r\n"
    ).encode()
    return head + file + f"\r\n--{BOUNDARY}--\r\n".encode()


def upload(port, token, body, times, failures):
    started = time.monotonic()
    status, data = request(
        port,
        "POST",
        "/api/images",
        body,
        {
            "Authorization": f"Token {token}",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        },
    )
    elapsed = time.monotonic() - started
    if status == 201:
        times.append(elapsed)
    else:
        failures.append((status, data[:200]))


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--port", type=int, default=19490)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="conduit-image-bench-")
    env = dict(
        os.environ,
        DATABASE_URL=os.path.join(data_dir, "bench.db"),
        CONDUIT_BIND=f"127.0.0.1:{args.port}",
        CONDUIT_RATE_LIMIT_PER_MINUTE="0",
        CONDUIT_IMAGE_QUOTA_BYTES="4000000000",
        CONDUIT_SECRET_KEY="bench-secret-key-that-is-long-enough-0123456789",
        RUST_LOG="warn",
    )
    server = subprocess.Popen([args.binary], env=env)
    try:
        for _ in range(100):
            try:
                if request(args.port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("the server did not start")
        tokens = [sign_up(args.port, f"uploader{i}") for i in range(args.concurrency)]
        print(f"server pid {server.pid}; after start-up peak RSS {peak_rss_mb(server.pid):.0f} MB")
        print("| phase | uploads | failed | p50 s | p99 s | max s | peak RSS MB |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for phase, make in (("noise 5 MB", lambda i: noise_png()), ("large 16 Mpx", large_png)):
            times, failures = [], []
            for round_number in range(args.rounds):
                bodies = [
                    multipart(make(round_number * args.concurrency + i))
                    for i in range(args.concurrency)
                ]
                threads = [
                    threading.Thread(
                        target=upload, args=(args.port, tokens[i], bodies[i], times, failures)
                    )
                    for i in range(args.concurrency)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            print(
                f"| {phase} | {len(times) + len(failures)} | {len(failures)} "
                f"| {percentile(times, 50):.2f} | {percentile(times, 99):.2f} "
                f"| {max(times, default=float('nan')):.2f} | {peak_rss_mb(server.pid):.0f} |"
            )
            for status, body in failures[:3]:
                print(f"  failed: {status} {body!r}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
