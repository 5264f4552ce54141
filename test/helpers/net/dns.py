#!/usr/bin/python3
# dns.py ADDR NAME IP LOG: a DNS server on ADDR:53 (UDP) for the tests:
# answers A queries for NAME with IP, NXDOMAIN for anything else, and
# appends every name asked to LOG (made when the server listens).
import socket
import struct
import sys

addr, name, ip, logf = sys.argv[1:5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))
open(logf, "a").close()


def qname(d, off):
    labels = []
    while off < len(d):
        n = d[off]
        off += 1
        if n == 0:
            break
        labels.append(d[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels), off


while True:
    d, peer = s.recvfrom(4096)
    if len(d) < 12:
        continue
    qid, flags, qd = struct.unpack("!HHH", d[:6])
    q, off = qname(d, 12)
    qtype, qclass = struct.unpack("!HH", d[off:off + 4])
    question = d[12:off + 4]
    with open(logf, "a") as f:
        f.write(q + "\n")
    hit = q.lower().rstrip(".") == name.lower() and qtype == 1
    rflags = 0x8180 if hit or q.lower().rstrip(".") == name.lower() else 0x8183
    an = 1 if hit else 0
    out = struct.pack("!HHHHHH", qid, rflags, 1, an, 0, 0) + question
    if hit:
        out += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(ip)
    s.sendto(out, peer)
