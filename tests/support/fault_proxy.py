"""A reverse proxy in front of moto that counts AWS calls and injects faults.

moto answers everything at once and never fails on its own; tests put this
proxy between the provider and moto to see how many calls a refresh makes
and what happens when AWS throttles or refuses a call part-way through.

usage: fault_proxy.py LISTEN_PORT MOTO_URL
Control endpoints (JSON):
  GET  /__counts        -> {"elbv2:DescribeTargetHealth": 3, ...}
  POST /__reset         clears the counts
  POST /__rules  [...]  replaces the fault rules; a rule is
       {"action": "CreateListener", "code": "ValidationError",
        "calls": [3]}        -> fail the 3rd matching call (1-based), or
        "every": 3}          -> fail every 3rd call of each matching action
       {"action": "...", "respond": "<xml/>"} -> answer every matching call
        with this body (HTTP 200): calls moto does not implement
       {"action": "...", "rewrite": ["from", "to"], "calls": [1, 2]} ->
        forward, but replace text in those answers (e.g. report a load
        balancer as still provisioning, which moto never does)
Faults are answered in each service's own error shape: ELBv2 HTTP 400
<ErrorResponse>, EC2 <Response><Errors> (HTTP 503 for RequestLimitExceeded).
"""

import json
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MOTO = sys.argv[2]
LOCK = threading.Lock()
COUNTS = {}
RULES = []


def service_of(headers, body):
    auth = headers.get("Authorization", "")
    if "/elasticloadbalancing/" in auth:
        return "elbv2"
    if "/ec2/" in auth:
        return "ec2"
    return "other"


def fault(service, code):
    if service == "ec2":
        status = 503 if code == "RequestLimitExceeded" else 400
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>"
            f"<Message>injected by the test proxy</Message></Error></Errors><RequestID>proxy</RequestID></Response>"
        )
    else:
        status = 400
        body = (
            "<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">"
            f"<Error><Type>Sender</Type><Code>{code}</Code><Message>injected by the test proxy</Message></Error>"
            "<RequestId>proxy</RequestId></ErrorResponse>"
        )
    return status, body.encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="text/xml"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/__counts":
            with LOCK:
                return self.reply(200, json.dumps(COUNTS).encode(), "application/json")
        self.forward(b"")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/__reset":
            with LOCK:
                COUNTS.clear()
            return self.reply(200, b"{}", "application/json")
        if self.path == "/__rules":
            with LOCK:
                RULES[:] = json.loads(body or b"[]")
                for r in RULES:
                    r["seen"] = 0
            return self.reply(200, b"{}", "application/json")
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]
        service = service_of(self.headers, body)
        with LOCK:
            key = f"{service}:{action}"
            COUNTS[key] = COUNTS.get(key, 0) + 1
            injected = canned = rewrite = None
            for r in RULES:
                if r["action"] not in (action, "*"):
                    continue
                r["seen"] += 1
                if "respond" in r:
                    canned = r["respond"]
                elif "rewrite" in r:
                    if r["seen"] in r.get("calls", []):
                        rewrite = r["rewrite"]
                elif r.get("every"):
                    # counted per action, so concurrent calls of other
                    # actions cannot shift which call fails
                    seen = r.setdefault("per_action", {})
                    seen[action] = seen.get(action, 0) + 1
                    if seen[action] % r["every"] == 0:
                        injected = r["code"]
                elif r["seen"] in r.get("calls", []):
                    injected = r["code"]
        if canned is not None:
            return self.reply(200, canned.encode())
        if injected:
            return self.reply(*fault(service, injected))
        self.forward(body, rewrite)

    def forward(self, body, rewrite=None):
        req = urllib.request.Request(MOTO + self.path, data=body or None, method=self.command)
        for k, v in self.headers.items():
            if k.lower() not in ("host", "content-length", "connection"):
                req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                answer = resp.read()
                if rewrite:
                    answer = answer.replace(rewrite[0].encode(), rewrite[1].encode())
                self.reply(resp.status, answer, resp.headers.get("Content-Type", "text/xml"))
        except urllib.error.HTTPError as e:
            self.reply(e.code, e.read(), e.headers.get("Content-Type", "text/xml"))


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()
