#!/usr/bin/python3
"""nxdns.py -- a DNS server that knows no name: every query over UDP gets
NXDOMAIN (rcode 3) with its question echoed, and its name appended to
--log.  For the unknown-host test, run inside a private network namespace
(unshare -n) on 127.0.0.1:53, so that no query can leave the machine.
Writes "ready" to --ready once it listens.  Standard library only.
"""

import argparse
import socket
import struct
import sys


def qname(msg, off):
    labels = []
    while off < len(msg):
        n = msg[off]
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode(errors="replace"))
        off += n
    return ".".join(labels), off


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready", required=True)
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.addr, a.port))
    with open(a.ready, "w") as f:
        f.write("ready\n")
    while True:
        msg, peer = s.recvfrom(4096)
        if len(msg) < 12:
            continue
        qid, flags, qd = struct.unpack("!HHH", msg[:6])
        name, end = qname(msg, 12)
        end += 4  # QTYPE, QCLASS
        with open(a.log, "a") as f:
            f.write(name + "\n")
        rflags = 0x8000 | (flags & 0x0100) | 0x0080 | 3
        hdr = struct.pack("!HHHHHH", qid, rflags, 1 if qd else 0, 0, 0, 0)
        s.sendto(hdr + msg[12:end], peer)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
