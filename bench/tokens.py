#!/usr/bin/env python3
"""Prints API tokens for users 1..N of a seeded site, one per line: HS256 JWTs signed
with the bench's CONDUIT_SECRET_KEY exactly as Conduit issues them (sub = user id), so a
benchmark can act as thousands of different members without signing each one in.

  bench/tokens.py --count 10000 > tokens.txt     (reads CONDUIT_SECRET_KEY)
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
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    secret = os.environ["CONDUIT_SECRET_KEY"].encode()
    now = int(time.time())
    for user_id in range(1, args.count + 1):
        print(token(secret, user_id, now))


if __name__ == "__main__":
    main()
