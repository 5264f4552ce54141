#!/usr/bin/python3
"""seccomp_agent.py SOCKET OUT [TIMEOUT] -- a seccomp notify agent for the
OCI tests (standard library only).

Listens on the unix socket SOCKET, accepts one connection (a runtime handing
over a container's seccomp notify fd, runtime-spec "seccomp listener"),
receives the message and the fd (SCM_RIGHTS), and writes to OUT a JSON object:
{"message": <the runtime's JSON>, "fds": N, "fd_kind": <readlink of the fd>}.
Then it closes the fd, so the container's notified syscalls fail (ENOSYS).
It writes {"timeout": true} to OUT when nothing comes within TIMEOUT seconds.
"""
import array
import json
import os
import socket
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(timeout)
    # tell the test we listen
    open(out + ".ready", "w").close()
    result = {}
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        result = {"timeout": True}
    else:
        conn.settimeout(timeout)
        data, fds = b"", []
        while True:
            fdarr = array.array("i")
            msg, anc, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(16 * fdarr.itemsize))
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fdarr.frombytes(cdata[: len(cdata) - (len(cdata) % fdarr.itemsize)])
                    fds.extend(fdarr)
            if not msg:
                break
            data += msg
            try:
                json.loads(data)
                break
            except ValueError:
                continue
        try:
            message = json.loads(data)
        except ValueError:
            message = data.decode("utf-8", "replace")
        kind = ""
        if fds:
            try:
                kind = os.readlink("/proc/self/fd/%d" % fds[0])
            except OSError as e:
                kind = str(e)
        result = {"message": message, "fds": len(fds), "fd_kind": kind}
        for fd in fds:
            os.close(fd)
        conn.close()
    with open(out + ".tmp", "w") as f:
        json.dump(result, f)
    os.rename(out + ".tmp", out)


if __name__ == "__main__":
    main()
