#!/usr/bin/env python3
"""Sign-ins per second through the site's forms, with and without two-factor sign-in,
against a running Conduit (bcrypt at the server's cost: 12 in bench runs).

  bench/sign_in.py --base http://127.0.0.1:19480 --accounts 150 --clients 8 --seconds 30

Registers --accounts members through the API, turns two-factor sign-in on for half of
them through the settings pages (a real enrolment: the secret read off the page, a code
computed here as an authenticator app does, RFC 6238), then for --seconds runs --clients
threads, each signing in one account after another through the forms: the password
(`POST /login`), and for the two-factor half the code (`POST /login/two-factor`). A
code works once, so each two-factor account signs in at most once per 30-second step:
the run uses each account once and stops early if it runs out. Prints a Markdown table
row per kind: sign-ins per second, p50 and p99 of a whole sign-in, failures.
Standard library only."""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import re
import statistics
import struct
import threading
import time
import urllib.parse

PASSWORD = "bench-password-123"


class Client:
    """One browser: a connection and a cookie jar."""

    def __init__(self, base):
        url = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.cookies = {}

    def request(self, method, path, fields=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if val and "max-age=0" not in value.lower():
                    self.cookies[key.strip()] = val
                else:
                    self.cookies.pop(key.strip(), None)
        return response.status, response.getheader("Location", ""), text

    def form(self, page, action, fields):
        _, _, text = self.request("GET", page)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
        return self.request("POST", action, [("csrf_token", csrf)] + fields)


def totp(secret, steps_ahead=0):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int(time.time()) // 30 + steps_ahead
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def register(base, name):
    client = Client(base)
    body = json.dumps({"user": {"username": name, "email": f"{name}@example.com", "password": PASSWORD}})
    client.conn.request("POST", "/api/users", body=body, headers={"Content-Type": "application/json"})
    client.conn.getresponse().read()


def enrol(base, name):
    client = Client(base)
    status, location, _ = client.form("/login", "/login", [("email", f"{name}@example.com"), ("password", PASSWORD)])
    assert status == 303 and location == "/", (status, location)
    _, _, page = client.request("GET", "/settings/two-factor")
    secret = re.search(r'data-testid="two-factor-secret">([A-Z2-7]+)<', page).group(1)
    status, _, _ = client.form("/settings/two-factor", "/settings/two-factor", [("code", totp(secret))])
    assert status == 200, status
    return secret


def sign_in(base, name, secret):
    """One whole sign-in; True when it ended signed in."""
    client = Client(base)
    status, location, _ = client.form("/login", "/login", [("email", f"{name}@example.com"), ("password", PASSWORD)])
    if secret is None:
        return status == 303 and location == "/"
    if status != 303 or location != "/login/two-factor":
        return False
    # One step ahead: the enrolment spent the current step's code.
    status, location, _ = client.form("/login/two-factor", "/login/two-factor", [("code", totp(secret, 1))])
    return status == 303 and location == "/"


def run(base, accounts, clients, seconds):
    queue = list(accounts)
    lock = threading.Lock()
    times, failures = [], [0]
    deadline = time.time() + seconds

    def worker():
        while time.time() < deadline:
            with lock:
                if not queue:
                    return
                name, secret = queue.pop()
            started = time.time()
            ok = sign_in(base, name, secret)
            with lock:
                if ok:
                    times.append(time.time() - started)
                else:
                    failures[0] += 1

    started = time.time()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000 if times else 0
    return len(times) / elapsed, p(0.5), p(0.99), failures[0], len(times), elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--accounts", type=int, default=150)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    tag = f"{int(time.time()) % 100000}"
    names = [f"signin{tag}x{i}" for i in range(args.accounts)]
    setup = time.time()
    for name in names:
        register(args.base, name)
    half = len(names) // 2
    secrets = {name: enrol(args.base, name) for name in names[:half]}
    print(f"<!-- set-up: {len(names)} accounts, {half} with two-factor, {time.time() - setup:.0f} s -->")
    print("| sign-in through the forms | sign-ins/s | p50 | p99 | failed | done in |")
    print("|---|---|---|---|---|---|")
    plain = [(n, None) for n in names[half:]]
    two_factor = [(n, secrets[n]) for n in names[:half]]
    for label, accounts in (("password only", plain), ("password + TOTP code", two_factor)):
        rate, p50, p99, failed, done, elapsed = run(args.base, accounts, args.clients, args.seconds)
        print(f"| {label} | {rate:.2f} | {p50:.0f} ms | {p99:.0f} ms | {failed} | {done} in {elapsed:.1f} s |")


if __name__ == "__main__":
    main()
