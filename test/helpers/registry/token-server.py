#!/usr/bin/python3
"""token-server.py -- a bearer-token server for the registry tests.

Implements the Docker registry token protocol (distribution's
docs/spec/auth/token.md and jwt.md) in front of a real docker-registry
configured with auth.token:

  GET /token?service=S&scope=repository:NAME:pull,push[&scope=...]
      with optional HTTP basic credentials; also the OAuth2 form
  POST /token (grant_type=password, username, password, scope, service)

The client is authenticated against the --users file (lines
"USER:PASSWORD:ACTIONS", ACTIONS a comma list such as "pull,push" or
"pull"); no credentials is the anonymous user, who gets the --anonymous
actions (none by default).  Wrong credentials get 401.  The token is an
RS256 JWT (python3-jwt + python3-cryptography) whose header carries the
signing certificate in x5c, which the registry checks against its
rootcertbundle; its claims: iss, sub, aud=S, iat, nbf, exp, jti, and
access = the requested scopes cut down to what the user may do.  The
answer is {"token", "access_token", "expires_in", "issued_at"}.

Expiry: docker-registry accepts a token up to 60 s after its exp claim
(its leeway), so exp is set to now + expires_in - LEEWAY: the registry then
refuses the token --expires seconds after it was issued, as the
client was told.

Every request is appended to --log as one JSON line (user, scopes asked,
access granted, status); GET /stats answers {"tokens": N, "denied": N}.
Listens on --addr (127.0.0.1) on a free port written to --port-file once
it listens.  Python standard library plus python3-jwt only.
"""

import argparse
import base64
import datetime
import http.server
import json
import os
import secrets
import socketserver
import sys
import threading
import time
import urllib.parse

import jwt

LEEWAY = 60


class State:
    def __init__(self, args):
        self.args = args
        with open(args.key, "rb") as f:
            self.key = f.read()
        with open(args.cert) as f:
            pem = f.read()
        body = "".join(ln for ln in pem.splitlines() if ln and not ln.startswith("-----"))
        self.x5c = [body]
        self.users = {}
        if args.users:
            with open(args.users) as f:
                for ln in f:
                    ln = ln.rstrip("\n")
                    if not ln or ln.startswith("#"):
                        continue
                    user, password, actions = ln.split(":", 2)
                    self.users[user] = (password, set(a for a in actions.split(",") if a))
        self.anonymous = set(a for a in args.anonymous.split(",") if a)
        self.lock = threading.Lock()
        self.tokens = 0
        self.denied = 0

    def log(self, rec):
        with self.lock:
            with open(self.args.log, "a") as f:
                f.write(json.dumps(rec) + "\n")


def parse_scope(s):
    # repository:NAME:ACTIONS, where NAME may hold a port ("host:5000/x")
    # only in odd clients: split type from the left, actions from the right
    typ, _, rest = s.partition(":")
    name, _, actions = rest.rpartition(":")
    if not typ or not name:
        return None
    return typ, name, [a for a in actions.split(",") if a]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cpod-test-token/1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        if u.path == "/stats":
            st = self.server.state
            with st.lock:
                self.reply(200, {"tokens": st.tokens, "denied": st.denied})
            return
        if u.path != "/token":
            self.reply(404, {"error": "not found"})
            return
        user = password = None
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                dec = base64.b64decode(auth[6:].strip(), validate=True).decode()
                user, _, password = dec.partition(":")
            except (ValueError, UnicodeDecodeError):
                self.deny(400, "bad basic credentials", None, [])
                return
        self.issue(user, password, q.get("service", [""])[0], q.get("scope", []),
                   q.get("account", [""])[0])

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        n = int(self.headers.get("Content-Length", "0") or "0")
        if n > 1 << 20:
            self.reply(413, {"error": "too large"})
            return
        form = urllib.parse.parse_qs(self.rfile.read(n).decode(errors="replace"))
        if u.path != "/token":
            self.reply(404, {"error": "not found"})
            return
        if form.get("grant_type", [""])[0] != "password":
            self.deny(400, "unsupported grant_type", None, [])
            return
        scopes = []
        for s in form.get("scope", []):
            scopes.extend(s.split(" "))
        self.issue(form.get("username", [None])[0], form.get("password", [""])[0],
                   form.get("service", [""])[0], scopes, "")

    def deny(self, code, why, user, scopes):
        st = self.server.state
        with st.lock:
            st.denied += 1
        st.log({"status": code, "user": user, "scopes": scopes, "error": why,
                "time": time.time()})
        extra = {"WWW-Authenticate": 'Basic realm="cpod test tokens"'} if code == 401 else None
        self.reply(code, {"errors": [{"code": "UNAUTHORIZED", "message": why}]}, extra)

    def issue(self, user, password, service, scopes, account):
        st = self.server.state
        a = st.args
        if service != a.service:
            self.deny(400, f"unknown service {service!r}", user, scopes)
            return
        if user is not None:
            known = st.users.get(user)
            if known is None or known[0] != password:
                self.deny(401, "wrong user name or password", user, scopes)
                return
            allowed = known[1]
        else:
            allowed = st.anonymous
        access = []
        for s in scopes:
            p = parse_scope(s)
            if p is None:
                continue
            typ, name, actions = p
            if typ != "repository":
                continue
            granted = [x for x in actions if x in allowed or "*" in allowed]
            access.append({"type": "repository", "name": name, "actions": granted})
        now = int(time.time())
        claims = {
            "iss": a.issuer, "sub": user or "", "aud": service,
            "iat": now, "nbf": now - 1, "exp": now + a.expires - LEEWAY,
            "jti": secrets.token_hex(12), "access": access,
        }
        token = jwt.encode(claims, st.key, algorithm="RS256",
                           headers={"x5c": st.x5c, "typ": "JWT"})
        with st.lock:
            st.tokens += 1
        st.log({"status": 200, "user": user, "scopes": scopes, "access": access,
                "account": account, "time": time.time()})
        issued = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
        self.reply(200, {"token": token, "access_token": token, "expires_in": a.expires,
                         "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%SZ")})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description="bearer tokens for docker-registry")
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", default="cpod-test-issuer")
    ap.add_argument("--service", default="cpod-test-registry")
    ap.add_argument("--users", help="USER:PASSWORD:ACTIONS lines")
    ap.add_argument("--anonymous", default="", help="actions granted without credentials")
    ap.add_argument("--expires", type=int, default=300, help="expires_in, seconds")
    ap.add_argument("--log", default=os.devnull)
    args = ap.parse_args()
    srv = Server((args.addr, args.port), Handler)
    srv.state = State(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{srv.server_address[1]}\n")
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
