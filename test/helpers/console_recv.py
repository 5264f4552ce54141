#!/usr/bin/python3
"""console_recv.py SOCKET OUT [--send DATA] [--after MARKER] [--timeout S]
-- a console-socket receiver for the OCI tests (standard library only).

Listens on the unix socket SOCKET (and creates SOCKET.ready once it does),
accepts one connection from the runtime, receives the pty master with
SCM_RIGHTS (the message text, the pty's name, goes to OUT.name), then copies
everything the container writes on its terminal into OUT until the pty
closes (the container exited) or TIMEOUT seconds (default 10) pass.  DATA
(with \\n, \\r, \\x03 escapes) is written to the terminal at once, or once
MARKER has appeared in the output when --after is given.  OUT.done is
created at the end; OUT.status says "eof", "timeout" or "no-connection".
"""
import array
import os
import select
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    path, out = args[0], args[1]
    send, after, timeout = None, None, 10.0
    i = 2
    while i < len(args):
        if args[i] == "--send":
            send = args[i + 1].encode().decode("unicode_escape").encode("latin-1")
        elif args[i] == "--after":
            after = args[i + 1].encode()
        elif args[i] == "--timeout":
            timeout = float(args[i + 1])
        i += 2
    deadline = time.monotonic() + timeout
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    open(path + ".ready", "w").close()
    srv.settimeout(timeout)
    status = "eof"
    data = b""
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        status = "no-connection"
    else:
        fds = array.array("i")
        msg, anc, _f, _a = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(cdata[: len(cdata) - (len(cdata) % fds.itemsize)])
        with open(out + ".name", "wb") as f:
            f.write(msg.rstrip(b"\0"))
        conn.close()
        if not fds:
            status = "no-fd"
        else:
            master = fds[0]
            if send is not None and after is None:
                os.write(master, send)
                send = None
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    status = "timeout"
                    break
                r, _w, _x = select.select([master], [], [], left)
                if not r:
                    continue
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the last slave fd closed
                    break
                if not chunk:
                    break
                data += chunk
                if send is not None and after is not None and after in data:
                    os.write(master, send)
                    send = None
            os.close(master)
    with open(out, "wb") as f:
        f.write(data)
    with open(out + ".status", "w") as f:
        f.write(status + "\n")
    open(out + ".done", "w").close()


if __name__ == "__main__":
    main()
