#!/usr/bin/env python3
"""Seeds a running RealWorld API through its own routes, for bench/peer.sh: registers
--members members, then creates --articles articles spread over them (article i by
member i mod --members), --concurrency requests at a time. Standard library only.

  bench/peer_seed.py --base http://127.0.0.1:19496/api --members 100 --articles 10000 \
      --out /tmp/conduit-bench/peer

Writes to --out:
  tokens.txt  the members' tokens, one per line (as bench/tokens.py prints them)
  owner.txt   the token of the first member, the author of the articles in slugs.txt
  slugs.txt   up to 50 of the first member's newest slugs, comma-separated
The first member gets extra articles if the spread leaves them fewer than 50, so the
comment rows have 50 articles by one author (the peer takes comments from the article's
author only). Any answer other than 2xx stops the seeding.
"""
import argparse
import concurrent.futures
import json
import sys
import time
import urllib.error
import urllib.request


def post(base, path, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)
    except urllib.error.HTTPError as err:
        raise SystemExit(f"POST {path}: HTTP {err.code}: {err.read()[:200]!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="the API root, e.g. http://127.0.0.1:19496/api")
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    def register(i):
        user = {"username": f"peer{i}", "email": f"peer{i}@bench.test", "password": f"password{i}"}
        return post(args.base, "/users", {"user": user})["user"]["token"]

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        tokens = list(pool.map(register, range(args.members)))
    print(f"registered {len(tokens)} members in {time.monotonic() - started:.1f}s",
          file=sys.stderr)

    authors = [i % args.members for i in range(args.articles)]
    extra = max(0, 50 - authors.count(0))
    authors += [0] * extra

    def create(i):
        article = {
            "title": f"Peer seed article {i}",
            "description": f"Description of seeded article {i}",
            "body": f"Body of seeded article {i}. " * 8,
            "tagList": ["seed", f"topic{i % 20}"],
        }
        answer = post(args.base, "/articles", {"article": article}, tokens[authors[i]])
        return answer["article"]["slug"]

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        slugs = list(pool.map(create, range(len(authors))))
    took = time.monotonic() - started
    print(f"created {len(slugs)} articles ({extra} extra for the first member) in {took:.1f}s"
          f" ({len(slugs) / took:.0f}/s)", file=sys.stderr)

    owned = [slug for slug, author in zip(slugs, authors) if author == 0][-50:]
    with open(f"{args.out}/tokens.txt", "w") as f:
        f.write("".join(token + "\n" for token in tokens))
    with open(f"{args.out}/owner.txt", "w") as f:
        f.write(tokens[0] + "\n")
    with open(f"{args.out}/slugs.txt", "w") as f:
        f.write(",".join(reversed(owned)) + "\n")


if __name__ == "__main__":
    main()
