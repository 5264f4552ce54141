#!/usr/bin/python3
"""fault-proxy.py -- an HTTP proxy between cpod and a real docker-registry
that makes the faults a real registry never makes, and counts requests.

cpod talks to the proxy's main listener (plain HTTP, --addr, a free port
written to --port-file) as if it were the registry; every request is
forwarded to --upstream (the real registry) with its headers unchanged,
Host included, so the registry's Location headers name the proxy.  The
faults, set by --config JSON at start or later by POST /__proxy/config
(same JSON, replacing the previous set; counters kept):

  "drop_after": N       a blob GET whose body is longer than N bytes gets
                        its headers and N bytes, then the connection is
                        closed; "drop_times" (default 1) such drops in all,
                        and only GETs without a Range header are cut, so a
                        resumed request (Range: bytes=N-) goes through.
  "corrupt": DIGEST     every GET of that blob has one byte changed (the
                        middle one, or the one at offset "corrupt_at": 4
                        is in a gzip header's MTIME, which only the blob's
                        digest notices); "any" = every blob over 1 KiB.
  "redirect": true      a blob GET is answered "307" with a Location on the
                        second listener (--redirect-addr, 127.0.0.2 by
                        default: another host for the client), which serves
                        that blob once fetched from the registry by the
                        proxy, and records whether the request carried an
                        Authorization header (it must not: the credentials
                        are the registry's, not the other host's).
  "delay_manifest": S   a manifest GET's answer is held S seconds after the
                        registry gave it (so a token checked by then expires
                        before the blobs are fetched).
  "throttle": BPS       blob bodies are sent at about BPS bytes per second.
  "status": {"blob": CODE} answer every blob GET with CODE (e.g. 500).

GET /__proxy/stats answers the counters (JSON): manifest_get,
manifest_head, manifest_put, blob_get, blob_head, blob_range_get,
upload_post, mount_post (a POST with mount=: cross-repository mount),
mount_created (mounts the registry accepted: 201), upload_patch,
upload_put, redirected, redirect_get, redirect_auth (redirected GETs that
carried Authorization), dropped, corrupted, other, and "requests" (every
request: method, path, status, range, auth).  POST /__proxy/reset zeroes
them.  Standard library only; for loopback tests only.
"""

import argparse
import http.client
import http.server
import json
import os
import re
import secrets
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
       "trailer", "upgrade"}
BLOB_RE = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")
MANIFEST_RE = re.compile(r"^/v2/(.+)/manifests/([^/]+)$")
UPLOAD_RE = re.compile(r"^/v2/(.+)/blobs/uploads/")
COUNTERS = ["manifest_get", "manifest_head", "manifest_put", "blob_get", "blob_head",
            "blob_range_get", "upload_post", "mount_post", "mount_created", "upload_patch",
            "upload_put", "redirected", "redirect_get", "redirect_auth", "dropped",
            "corrupted", "other"]


class State:
    def __init__(self, upstream, faults, log):
        host, _, port = upstream.rpartition(":")
        self.up = (host, int(port))
        self.faults = faults
        self.log = log
        self.lock = threading.Lock()
        self.reset()
        self.stash = {}
        self.redirect_base = ""

    def reset(self):
        self.c = {k: 0 for k in COUNTERS}
        self.requests = []

    def count(self, k, n=1):
        with self.lock:
            self.c[k] += n

    def record(self, rec):
        with self.lock:
            self.requests.append(rec)
        if self.log:
            with self.lock, open(self.log, "a") as f:
                f.write(json.dumps(rec) + "\n")


class Common(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cpod-fault-proxy/1"

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            out = bytearray()
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(8)
        n = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(n) if n else b""

    def plain(self, code, body, ctype="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class Proxy(Common):
    def do_GET(self):
        self.forward()

    def do_HEAD(self):
        self.forward()

    def do_POST(self):
        self.forward()

    def do_PUT(self):
        self.forward()

    def do_PATCH(self):
        self.forward()

    def do_DELETE(self):
        self.forward()

    def control(self, body):
        st = self.server.state
        if self.path == "/__proxy/stats":
            with st.lock:
                out = dict(st.c)
                out["requests"] = list(st.requests)
            self.plain(200, json.dumps(out).encode())
        elif self.path == "/__proxy/config" and self.command == "POST":
            st.faults = json.loads(body or b"{}")
            st.faults.setdefault("drop_times", 1)
            self.plain(200, b"{}")
        elif self.path == "/__proxy/reset" and self.command == "POST":
            with st.lock:
                st.reset()
            self.plain(200, b"{}")
        else:
            self.plain(404, b'{"error": "no such control"}')

    def kind(self, path, query):
        m = self.command
        if BLOB_RE.match(path):
            if m == "GET":
                return "blob_range_get" if self.headers.get("Range") else "blob_get"
            if m == "HEAD":
                return "blob_head"
        if MANIFEST_RE.match(path):
            return {"GET": "manifest_get", "HEAD": "manifest_head",
                    "PUT": "manifest_put"}.get(m, "other")
        if UPLOAD_RE.match(path + "/") or path.endswith("/blobs/uploads"):
            if m == "POST":
                return "mount_post" if "mount" in query else "upload_post"
            return {"PATCH": "upload_patch", "PUT": "upload_put"}.get(m, "other")
        return "other"

    def forward(self):
        st = self.server.state
        body = self.read_body() if self.command in ("POST", "PUT", "PATCH") else b""
        if self.path.startswith("/__proxy/"):
            self.control(body)
            return
        u = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(u.query)
        kind = self.kind(u.path, query)
        st.count(kind)
        f = st.faults
        rec = {"method": self.command, "path": self.path, "kind": kind,
               "range": self.headers.get("Range"),
               "auth": bool(self.headers.get("Authorization")), "time": time.time()}
        blob = BLOB_RE.match(u.path) if self.command == "GET" else None
        if blob and f.get("status", {}).get("blob"):
            rec["status"] = f["status"]["blob"]
            st.record(rec)
            self.plain(int(f["status"]["blob"]), b'{"errors": [{"code": "UNKNOWN"}]}')
            return
        conn = http.client.HTTPConnection(*st.up, timeout=60)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() in HOP or k.lower() == "content-length":
                    continue
                conn.putheader(k, v)
            if self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
        except OSError as e:
            conn.close()
            rec["status"] = 502
            rec["error"] = str(e)
            st.record(rec)
            self.plain(502, json.dumps({"error": str(e)}).encode())
            return
        rec["status"] = resp.status
        if kind == "mount_post" and resp.status == 201:
            st.count("mount_created")
        try:
            if blob and resp.status == 200 and f.get("redirect"):
                self.redirect(resp, rec)
            else:
                self.relay(resp, rec, blob, kind)
        finally:
            conn.close()
            st.record(rec)

    def redirect(self, resp, rec):
        st = self.server.state
        data = resp.read()
        token = secrets.token_hex(8)
        with st.lock:
            st.stash[token] = (data, resp.getheader("Content-Type", "application/octet-stream"))
        st.count("redirected")
        rec["redirected"] = True
        rec["status"] = 307
        loc = f"{st.redirect_base}/storage/{token}?X-Signature={secrets.token_hex(8)}"
        self.plain(307, b"", "text/plain", {"Location": loc})

    def relay(self, resp, rec, blob, kind):
        st = self.server.state
        f = st.faults
        length = resp.getheader("Content-Length")
        data = None
        if length is None and self.command != "HEAD":
            data = resp.read()
            length = str(len(data))
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() in HOP or k.lower() == "content-length":
                continue
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", length)
        self.end_headers()
        if kind == "manifest_get" and f.get("delay_manifest"):
            time.sleep(float(f["delay_manifest"]))
        if self.command == "HEAD" or resp.status in (204, 304):
            return
        total = int(length or 0)
        cut = None
        corrupt_at = None
        if blob and resp.status == 200 and not self.headers.get("Range"):
            n = f.get("drop_after")
            if n is not None and total > int(n):
                with st.lock:
                    if f.get("drop_times", 1) > 0:
                        f["drop_times"] = f.get("drop_times", 1) - 1
                        cut = int(n)
        if blob and resp.status in (200, 206):
            c = f.get("corrupt")
            if c and (c == blob.group(2) or (c == "any" and total > 1024)):
                # the middle byte of the whole blob, wherever this body starts
                start = 0
                cr = resp.getheader("Content-Range", "")
                m = re.match(r"bytes (\d+)-", cr)
                if m:
                    start = int(m.group(1))
                full = total + start if not m else int(cr.rsplit("/", 1)[-1])
                at = f.get("corrupt_at")
                corrupt_at = (full // 2 if at is None else int(at)) - start
                if not 0 <= corrupt_at < total:
                    corrupt_at = None
        bps = float(f.get("throttle") or 0) if blob else 0
        sent = 0
        t0 = time.monotonic()
        while True:
            if data is not None:
                chunk, data = data, b""
            else:
                chunk = resp.read(65536)
            if not chunk:
                break
            if corrupt_at is not None and sent <= corrupt_at < sent + len(chunk):
                i = corrupt_at - sent
                chunk = chunk[:i] + bytes([chunk[i] ^ 0x5a]) + chunk[i + 1:]
                st.count("corrupted")
                rec["corrupted"] = True
            if cut is not None and sent + len(chunk) >= cut:
                self.wfile.write(chunk[:cut - sent])
                self.wfile.flush()
                st.count("dropped")
                rec["dropped_after"] = cut
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self.wfile.write(chunk)
            sent += len(chunk)
            if bps > 0:
                ahead = sent / bps - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
        rec["bytes"] = sent


class Storage(Common):
    """The other host of a redirect: serves stashed blobs."""

    def do_GET(self):
        st = self.server.state
        auth = bool(self.headers.get("Authorization"))
        st.count("redirect_get")
        if auth:
            st.count("redirect_auth")
        u = urllib.parse.urlsplit(self.path)
        token = u.path.rsplit("/", 1)[-1]
        rec = {"method": "GET", "path": self.path, "kind": "redirect_get", "auth": auth,
               "range": self.headers.get("Range"), "time": time.time()}
        with st.lock:
            item = st.stash.get(token)
        if item is None:
            rec["status"] = 404
            st.record(rec)
            self.plain(404, b"no such object", "text/plain")
            return
        data, ctype = item
        rng = self.headers.get("Range")
        m = re.match(r"bytes=(\d+)-(\d*)$", rng or "")
        if m and int(m.group(1)) < len(data):
            a = int(m.group(1))
            b = int(m.group(2)) if m.group(2) else len(data) - 1
            part = data[a:b + 1]
            rec["status"] = 206
            st.record(rec)
            self.plain(206, part, ctype,
                       {"Content-Range": f"bytes {a}-{a + len(part) - 1}/{len(data)}"})
            return
        rec["status"] = 200
        st.record(rec)
        self.plain(200, data, ctype)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description="a fault-injecting proxy for registry tests")
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the registry")
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--redirect-addr", default="127.0.0.2")
    ap.add_argument("--port-file", required=True, help="PORT REDIRECT_PORT, once listening")
    ap.add_argument("--config", default="{}", help="the faults (JSON)")
    ap.add_argument("--log", help="one JSON line per request")
    a = ap.parse_args()
    faults = json.loads(a.config)
    faults.setdefault("drop_times", 1)
    st = State(a.upstream, faults, a.log)
    main_srv = Server((a.addr, 0), Proxy)
    store_srv = Server((a.redirect_addr, 0), Storage)
    main_srv.state = store_srv.state = st
    st.redirect_base = f"http://{a.redirect_addr}:{store_srv.server_address[1]}"
    threading.Thread(target=store_srv.serve_forever, daemon=True).start()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{main_srv.server_address[1]} {store_srv.server_address[1]}\n")
    os.rename(tmp, a.port_file)
    try:
        main_srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
