#!/usr/bin/python3
# tftpd.py ADDR PORT DIR READY: a minimal TFTP server (RFC 1350 read
# requests, octet mode, 512-byte blocks, one transfer at a time) for the UDP
# tests: busybox's tftp is the container's UDP client.  Touches READY when
# it listens.  It answers from its own port (not a new one per transfer,
# as RFC 1350 has it): a user-mode stack maps a container's UDP flow to a
# host socket connected to the one address and port it sent to.
import os
import socket
import struct
import sys

addr, port, root, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
open(ready, "a").close()


def send_file(peer, path):
    t = s
    t.settimeout(2)
    with open(path, "rb") as f:
        block = 1
        while True:
            data = f.read(512)
            pkt = struct.pack("!HH", 3, block & 0xFFFF) + data
            for _ in range(5):
                t.sendto(pkt, peer)
                try:
                    ack, _ = t.recvfrom(516)
                except socket.timeout:
                    continue
                if struct.unpack("!HH", ack[:4]) == (4, block & 0xFFFF):
                    break
            else:
                return
            if len(data) < 512:
                return
            block += 1


while True:
    d, peer = s.recvfrom(1024)
    if len(d) < 4 or struct.unpack("!H", d[:2])[0] != 1:
        continue
    name = d[2:].split(b"\0")[0].decode("ascii", "replace")
    path = os.path.join(root, os.path.basename(name))
    if not os.path.isfile(path):
        s.sendto(struct.pack("!HH", 5, 1) + b"not found\0", peer)
        continue
    send_file(peer, path)
    s.settimeout(None)
