#!/usr/bin/env python3
"""Prints API tokens for users 1..N of a seeded site, one per line: HS256 JWTs signed
with the bench's CONDUIT_SECRET_KEY exactly as Conduit issues them (sub = user id), so a
benchmark can act as thousands of different members without signing each one in.

  bench/tokens.py --count 10000 > tokens.txt     (reads CONDUIT_SECRET_KEY)
  bench/tokens.py --ids 3,17,42                  (those users only, in that order)
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import time


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(secret: bytes, user_id: int, now: int) -> str:
    header = b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    claims = {"sub": str(user_id), "iat": now, "exp": now + 30 * 86400}
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = b64(hmac.new(secret, signing_input, hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def main():
    parser = argparse.ArgumentParser()
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--count", type=int)
    which.add_argument("--ids", help="comma-separated user ids")
    args = parser.parse_args()
    secret = os.environ["CONDUIT_SECRET_KEY"].encode()
    now = int(time.time())
    if args.ids:
        ids = [int(i) for i in args.ids.split(",") if i]
    else:
        ids = range(1, args.count + 1)
    for user_id in ids:
        print(token(secret, user_id, now))


if __name__ == "__main__":
    main()
