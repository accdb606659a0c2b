#!/usr/bin/env python3
"""A webhook receiver for the benchmarks: answers every POST with 204 at once, and on
SIGTERM prints how many deliveries it took (and how many were repeats of a delivery id,
which at-least-once delivery allows after a crash but a clean run should not show).

  bench/webhook_sink.py --port 19497
"""
import argparse
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

seen = set()
received = 0
repeats = 0
lock = threading.Lock()


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global received, repeats
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        delivery = self.headers.get("X-Conduit-Delivery")
        with lock:
            received += 1
            if delivery in seen:
                repeats += 1
            seen.add(delivery)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The default listen backlog (5) drops the connections of a burst of deliveries
    # sent side by side, which then wait a second or more for their SYN to be retried.
    ThreadingHTTPServer.request_queue_size = 1024
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Sink)
    server.daemon_threads = True

    def stop(*_):
        print(f"webhook sink: {received} deliveries received, {repeats} repeated", flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
