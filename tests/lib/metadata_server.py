#!/usr/bin/env python3
"""metadata_server.py - the three token endpoints dbready's --auth=azure|gcp asks, for tests.

One local HTTP server speaks, on the paths the real ones use:

  Azure Instance Metadata Service (managed identity)
    GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...[&client_id=...]
    header "Metadata: true"
    https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/how-to-use-vm-token
  Microsoft Entra ID token endpoint, client credentials with a federated assertion (AKS
  workload identity)
    POST /{tenant}/oauth2/v2.0/token, application/x-www-form-urlencoded: grant_type,
    client_id, scope, client_assertion_type, client_assertion
    https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
  Google metadata server (Cloud SQL IAM database authentication)
    GET /computeMetadata/v1/instance/service-accounts/default/token
    header "Metadata-Flavor: Google"
    https://cloud.google.com/compute/docs/access/authenticate-workloads
    https://cloud.google.com/compute/docs/troubleshooting/troubleshoot-metadata-server

Each checks what the real one checks (the header, the parameters, the form fields) and
answers a request that lacks one as the real one does (400/403 with its error), so a test
fails when dbready sends something a real endpoint would refuse. Error texts follow the
vendors' documented examples; where a vendor documents none, the wording is ours.

  metadata_server.py --port-file F --token-file F --log F [--port N] [--control F]
                     [--tenant T] [--client-id C] [--identity ID]...

--port 0 (default) lets the kernel pick; the port is written to --port-file once listening.
The token served is --token-file's content, read on every request (tests swap it). Every
request is appended to --log as one JSON line: method, path, query, the headers the real
endpoints look at, the form fields, and the status answered.

--control names a JSON file read on every token request (missing = all defaults):
  {"status": 503, "body": "..."}   answer this instead of a token (after the checks)
  {"fail_first": 2, "fail_status": 503}
                                   the first N token requests get fail_status
  {"malformed": true}              200 with a body that is not JSON
  {"no_token": true}               200 with JSON without access_token
  {"delay_ms": 3000}               wait before answering
  {"accept_assertion": "X"}        workload identity: any other assertion gets Entra ID's
                                   400 invalid_client (AADSTS70021)
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AZURE_RESOURCE = "https://ossrdbms-aad.database.windows.net"
AZURE_SCOPE = AZURE_RESOURCE + "/.default"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LOGGED_HEADERS = ("metadata", "metadata-flavor", "content-type", "accept", "expect",
                  "user-agent", "x-forwarded-for", "authorization")

ARGS = None
LOCK = threading.Lock()
COUNT = {"token": 0}


def control():
    if not ARGS.control:
        return {}
    try:
        with open(ARGS.control) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def token():
    with open(ARGS.token_file) as f:
        return f.read().strip()


def entra_error(error, code, text):
    """Entra ID's error shape (v2-oauth2-client-creds-grant-flow, "Error response")."""
    return {
        "error": error,
        "error_description": "AADSTS%d: %s\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333"
                             "\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd"
                             "\r\nTimestamp: 2025-01-01 00:00:00Z" % (code, text),
        "error_codes": [code],
        "timestamp": "2025-01-01 00:00:00Z",
        "trace_id": "0000aaaa-11bb-cccc-dd22-eeeeee333333",
        "correlation_id": "aaaa0000-bb11-2222-33cc-444444dddddd",
        "error_uri": "https://login.microsoftonline.com/error?code=%d" % code,
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "metadata-test"

    def log_message(self, fmt, *args):  # the request log below replaces stderr chatter
        pass

    def record(self, status, form=None):
        u = urllib.parse.urlsplit(self.path)
        entry = {
            "t": time.time(),
            "method": self.command,
            "path": u.path,
            "query": urllib.parse.parse_qs(u.query, keep_blank_values=True),
            "headers": {k: v for k, v in ((k.lower(), v) for k, v in self.headers.items())
                        if k in LOGGED_HEADERS},
            "form": form,
            "status": status,
        }
        with LOCK:
            with open(ARGS.log, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def send(self, status, body, ctype="application/json", extra=None, form=None):
        data = body if isinstance(body, bytes) else (
            json.dumps(body) if not isinstance(body, str) else body).encode()
        self.record(status, form)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def scripted(self, form=None, extra=None):
        """The control file's answer, if it scripts one; returns True when it answered."""
        c = control()
        with LOCK:
            COUNT["token"] += 1
            n = COUNT["token"]
        if c.get("delay_ms"):
            time.sleep(c["delay_ms"] / 1000)
        if n <= c.get("fail_first", 0):
            st = c.get("fail_status", 503)
            self.send(st, {"error": "temporarily_unavailable",
                           "error_description": "scripted failure %d" % n}, extra=extra, form=form)
            return True
        if "status" in c:
            self.send(c["status"], c.get("body", ""), ctype=c.get("content_type", "application/json"),
                      extra=extra, form=form)
            return True
        if c.get("malformed"):
            self.send(200, "<html><body>Welcome to nginx!</body></html>", ctype="text/html",
                      extra=extra, form=form)
            return True
        if c.get("no_token"):
            self.send(200, {"token_type": "Bearer", "expires_in": 3599}, extra=extra, form=form)
            return True
        return False

    # --- Azure IMDS ------------------------------------------------------------------------
    def imds(self, q):
        if self.headers.get("Metadata") != "true":
            # documented: 400 bad_request_102 "Required metadata header not specified"
            return self.send(400, {"error": "bad_request_102",
                                   "error_description": "Required metadata header not specified"})
        if self.headers.get("X-Forwarded-For"):
            return self.send(400, {"error": "bad_request_100",
                                   "error_description": "Request was forwarded"})
        if q.get("api-version") != ["2018-02-01"]:
            return self.send(400, {"error": "invalid_request",
                                   "error_description": "Required query variable 'api-version' "
                                                        "is missing or not supported"})
        if "resource" not in q:
            return self.send(400, {"error": "invalid_request",
                                   "error_description": "Required audience parameter not specified"})
        if q["resource"] != [AZURE_RESOURCE]:
            return self.send(400, {"error": "invalid_resource",
                                   "error_description": "AADSTS500011: The resource principal "
                                   "named %s was not found in the tenant" % q["resource"][0]})
        cid = q.get("client_id", [None])[0]
        if cid is not None and cid not in ARGS.identity:
            # what IMDS says for a user-assigned identity the VM does not have
            return self.send(400, {"error": "invalid_request",
                                   "error_description": "Identity not found"})
        if self.scripted():
            return
        now = int(time.time())
        self.send(200, {
            "access_token": token(),
            "refresh_token": "",
            "expires_in": "86399",
            "expires_on": str(now + 86399),
            "ext_expires_in": "86399",
            "not_before": str(now - 300),
            "resource": AZURE_RESOURCE,
            "token_type": "Bearer",
            "client_id": cid or (ARGS.identity[0] if ARGS.identity else "system-assigned"),
        })

    # --- Entra ID token endpoint -------------------------------------------------------------
    def entra(self, tenant):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != "application/x-www-form-urlencoded":
            return self.send(400, entra_error("invalid_request", 900144,
                             "The request body must contain the following parameter: 'grant_type'."),
                             form=form)
        if tenant != ARGS.tenant:
            return self.send(400, entra_error("invalid_request", 90002,
                             "Tenant '%s' not found." % tenant), form=form)
        for p in ("grant_type", "client_id", "scope", "client_assertion_type", "client_assertion"):
            if not form.get(p):
                return self.send(400, entra_error("invalid_request", 900144,
                                 "The request body must contain the following parameter: '%s'." % p),
                                 form=form)
        if form["grant_type"] != "client_credentials":
            return self.send(400, entra_error("unsupported_grant_type", 70003,
                             "The app requested an unsupported grant type '%s'." % form["grant_type"]),
                             form=form)
        if form["client_id"] != ARGS.client_id:
            return self.send(400, entra_error("unauthorized_client", 700016,
                             "Application with identifier '%s' was not found in the directory."
                             % form["client_id"]), form=form)
        if form["scope"] != AZURE_SCOPE:
            return self.send(400, entra_error("invalid_scope", 1002012,
                             "The provided value for scope %s is not valid." % form["scope"]),
                             form=form)
        if form["client_assertion_type"] != JWT_BEARER:
            return self.send(400, entra_error("invalid_request", 7000216,
                             "'client_assertion', 'client_secret' or 'request' is required for the "
                             "'client_credentials' grant type."), form=form)
        want = control().get("accept_assertion")
        if want is not None and form["client_assertion"] != want:
            return self.send(400, entra_error("invalid_client", 70021,
                             "No matching federated identity record found for presented assertion."),
                             form=form)
        if self.scripted(form=form):
            return
        self.send(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                        "access_token": token()}, form=form)

    # --- Google metadata server --------------------------------------------------------------
    def gce(self):
        extra = {"Metadata-Flavor": "Google"}
        if self.headers.get("Metadata-Flavor") != "Google" or self.headers.get("X-Forwarded-For"):
            return self.send(403, "Your client does not have permission to get URL %s from this "
                             "server. Missing Metadata-Flavor:Google header.\n" % self.path,
                             ctype="text/html; charset=UTF-8", extra=extra)
        if self.scripted(extra=extra):
            return
        self.send(200, {"access_token": token(), "expires_in": 3599, "token_type": "Bearer"},
                  extra=extra)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        if u.path == "/metadata/identity/oauth2/token":
            return self.imds(q)
        if u.path == "/computeMetadata/v1/instance/service-accounts/default/token":
            return self.gce()
        self.send(404, "Not Found\n", ctype="text/plain")

    def do_POST(self):
        parts = urllib.parse.urlsplit(self.path).path.split("/")
        if len(parts) == 5 and parts[2:] == ["oauth2", "v2.0", "token"]:
            return self.entra(parts[1])
        self.send(404, "Not Found\n", ctype="text/plain")


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--control")
    ap.add_argument("--tenant", default="contoso-tenant")
    ap.add_argument("--client-id", default="11111111-2222-3333-4444-555555555555")
    ap.add_argument("--identity", action="append", default=[])
    ARGS = ap.parse_args()
    ThreadingHTTPServer.allow_reuse_address = True
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
