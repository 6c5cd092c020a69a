#!/usr/bin/env python3
"""httpstub.py - a scripted HTTP(S) server for the integration tests (python3 stdlib only).

  httpstub.py [--port N] [--port-file FILE] [--log FILE] [--tls CERT KEY]
              [--route PATH=SEQUENCE]... [--body PATH=TEXT]... [--delay PATH=SECONDS]...
              [--header PATH=NAME:VALUE]...

  --port N            listen on 127.0.0.1:N (default 0: the kernel picks a free port)
  --port-file FILE    write the port there once listening (written to FILE.tmp, then
                      renamed, so a reader never sees half a number)
  --log FILE          append one JSON object per request: {"method", "path", "query",
                      "headers": {name: value} (names lowercase), "body" (text, UTF-8 with
                      replacement), "status" (what was answered), "n" (1-based count for
                      that path), "ts" (seconds since the epoch)}
  --tls CERT KEY      serve HTTPS with this certificate chain and key
  --route PATH=SEQ    answer requests for PATH (any method; the query is ignored) with the
                      statuses in SEQ, comma-separated, one per request in turn; the last one
                      repeats forever: "/healthz=503,503,200". Default for a PATH without a
                      route: 404 (and 200 for "/").
  --body PATH=TEXT    the body of every answer for PATH (default: "ok\\n" for 2xx, else the
                      status line's reason)
  --delay PATH=S      sleep S seconds (a float) before answering PATH
  --header PATH=N:V   add a response header

Several requests are served at once (one thread each), so a delayed path does not hold up
the others. SIGTERM ends it. This CLI is stable: other test files rely on it.
"""
import argparse
import http.server
import json
import os
import signal
import ssl
import sys
import threading
import time


def pairs(items, what):
    out = {}
    for item in items or []:
        if "=" not in item:
            sys.exit(f"httpstub: {what} needs PATH=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out.setdefault(k, []).append(v)
    return out


def main():
    ap = argparse.ArgumentParser(add_help=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--route", action="append")
    ap.add_argument("--body", action="append")
    ap.add_argument("--delay", action="append")
    ap.add_argument("--header", action="append")
    a = ap.parse_args()

    routes = {k: [int(s) for s in v[-1].split(",") if s] for k, v in pairs(a.route, "--route").items()}
    bodies = {k: v[-1] for k, v in pairs(a.body, "--body").items()}
    delays = {k: float(v[-1]) for k, v in pairs(a.delay, "--delay").items()}
    headers = pairs(a.header, "--header")
    counts = {}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def handle_any(self):
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with lock:
                n = counts[path] = counts.get(path, 0) + 1
            seq = routes.get(path)
            if seq:
                status = seq[min(n, len(seq)) - 1]
            else:
                status = 200 if path == "/" else 404
            if path in delays:
                time.sleep(delays[path])
            if path in bodies:
                text = bodies[path]
            elif 200 <= status < 300:
                text = "ok\n"
            else:
                text = self.responses.get(status, ("error",))[0] + "\n"
            data = text.encode()
            if a.log:
                rec = {
                    "method": self.command,
                    "path": path,
                    "query": query,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode("utf-8", "replace"),
                    "status": status,
                    "n": n,
                    "ts": time.time(),
                }
                with lock, open(a.log, "a", encoding="utf-8") as f:
                    f.write(json.dumps(rec) + "\n")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                for h in headers.get(path, []):
                    name, _, value = h.partition(":")
                    self.send_header(name.strip(), value.strip())
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = handle_any

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True

        def handle_error(self, request, client_address):
            pass  # a client that hangs up (a timed-out attempt) is no error here

    srv = Server(("127.0.0.1", a.port), Handler)
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        # the handshake happens in the request's thread: a client that connects and never
        # speaks TLS must not stall the accept loop
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(f"{srv.server_address[1]}\n")
        os.replace(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
