#!/usr/bin/python3
"""pty.py -- runs a command on a new pseudo-terminal, for the tests of -t.

  pty.py [--timeout SECONDS] [--cols N --rows N] [--expect REGEX --send TEXT]... -- CMD ARGS...

The command runs with the pty as its stdin, stdout, stderr and
controlling terminal.  Each --expect/--send pair, in order: the output is
read until REGEX (a Python regex over the output since the previous match,
bytes decoded as UTF-8 with replacement) matches, then TEXT is written to
the terminal (backslash escapes as in Python strings: \\r, \\x10).  Then
everything up to the command's end is read.  All the output goes to
stdout; the exit status is the command's (128+N when killed by signal N),
or 124 after SECONDS (default 20) with the command killed.
"""

import argparse
import codecs
import fcntl
import os
import re
import select
import signal
import struct
import sys
import termios
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--cols", type=int, default=0)
    ap.add_argument("--rows", type=int, default=0)
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--send", action="append", default=[])
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd or len(a.expect) != len(a.send):
        print("pty.py: a command, and as many --expect as --send", file=sys.stderr)
        return 2
    steps = [(re.compile(e), codecs.decode(s, "unicode_escape").encode("latin-1"))
             for e, s in zip(a.expect, a.send)]

    pid, fd = os.forkpty()
    if pid == 0:
        try:
            # the size is set before the command starts: set by the parent
            # after forkpty, a fast command could read 0x0 first
            if a.cols and a.rows:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    deadline = time.monotonic() + a.timeout
    out = b""
    seen = 0
    status = None
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        if steps:
            m = steps[0][0].search(out[seen:].decode("utf-8", "replace"))
            if m:
                seen = len(out)
                os.write(fd, steps[0][1])
                steps.pop(0)
                continue
        r, _, _ = select.select([fd], [], [], min(left, 0.2))
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            out += data
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        elif status is None:
            p, st = os.waitpid(pid, os.WNOHANG)
            if p == pid:
                status = st
                # what is left in the pty, then done
                deadline = min(deadline, time.monotonic() + 1)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        print("\npty.py: timed out%s" % (", still expecting %r" % steps[0][0].pattern if steps else ""),
              file=sys.stderr)
        return 124
    if status is None:
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    if steps:
        print("pty.py: the command ended, still expecting %r" % steps[0][0].pattern, file=sys.stderr)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
