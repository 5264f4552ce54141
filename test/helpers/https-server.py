#!/usr/bin/python3
# https-server.py PORT CERT KEY LOG — an HTTP/1.1 server over TLS for the
# TLS tests (keep-alive, so connection reuse shows): GET /hello answers
# "hello", GET /big 1 MiB of a pattern, PUT/POST /echo the body it got
# (Content-Length only).  Each new TLS connection appends a line to LOG.
# Listens on 127.0.0.1 only; Python standard library only.
import http.server
import ssl
import sys

port, cert, key, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with open(log, "a") as f:
            f.write("connection\n")

    def reply(self, body, code=200):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            self.reply(b"hello")
        elif self.path == "/big":
            self.reply(bytes((97 + i % 26) for i in range(1 << 20)))
        else:
            self.reply(b"not found", 404)

    def do_PUT(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.reply(self.rfile.read(n))

    do_POST = do_PUT

    def log_message(self, *args):
        pass


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = http.server.HTTPServer(("127.0.0.1", port), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
