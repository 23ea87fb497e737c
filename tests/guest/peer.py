#!/usr/bin/env python3
"""peer.py - a plain userland TCP peer for kttcp tests.

kttcp puts nothing but payload on the wire, so any TCP program is a valid
peer.  This one plays the parts the tests need:

    peer.py sink PORT [--verify]        accept, read to EOF, count (check
                                        the kttcp pattern with --verify)
    peer.py source HOST PORT N [--corrupt OFF]
                                        connect, send N pattern bytes
                                        (byte OFF flipped), close
    peer.py stall PORT [N]              accept (N connections), never read
                                        (full windows)
    peer.py reset PORT N                accept, read N bytes, then reset
                                        the connection (SO_LINGER 0)
    peer.py quiet HOST PORT             connect, send nothing, keep open
    peer.py rstsource HOST PORT N       connect, send N pattern bytes, then
                                        reset the connection

Listening modes bind to the wildcard (v4+v6).  Each prints one JSON line
with what it saw when it ends; stall and quiet end on SIGTERM/SIGINT.
"""

import json
import signal
import socket
import struct
import sys
import time


def pattern(off, n):
    period = bytes(range(251))
    start = off % 251
    reps = (start + n) // 251 + 1
    return (period * reps)[start:start + n]


def listen_accept(port, n=1):
    """The first connection accepted on port, or a list of the first n."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(n)
    cs = [s.accept()[0] for _ in range(n)]
    s.close()
    return cs[0] if n == 1 else cs


def sink(port, verify):
    c = listen_accept(port)
    total, bad = 0, None
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        if verify and bad is None and b != pattern(total, len(b)):
            want = pattern(total, len(b))
            bad = total + next(i for i in range(len(b)) if b[i] != want[i])
        total += len(b)
    print(json.dumps({"bytes": total, "mismatch_at": bad}), flush=True)


def connect(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM)
    for _ in range(200):
        try:
            c.connect((host, port))
            return c
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"peer: cannot connect to {host} port {port}")


def source(host, port, n, corrupt, rst=False):
    c = connect(host, port)
    off = 0
    while off < n:
        k = min(1 << 20, n - off)
        b = bytearray(pattern(off, k))
        if corrupt is not None and off <= corrupt < off + k:
            b[corrupt - off] ^= 0x55
        c.sendall(b)
        off += k
    if rst:
        time.sleep(0.5)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    c.close()
    print(json.dumps({"bytes": off}), flush=True)


def hold(c):
    """Keep c (a socket or a list) open, reading nothing, until a signal
    ends us."""
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    signal.signal(signal.SIGINT, lambda *_: done.append(1))
    while not done:
        time.sleep(0.05)
    print(json.dumps({"held": True}), flush=True)


def reset(port, n):
    c = listen_accept(port)
    got = 0
    while got < n:
        b = c.recv(min(1 << 16, n - got))
        if not b:
            break
        got += len(b)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    print(json.dumps({"bytes": got}), flush=True)


def main(a):
    if a[0] == "sink":
        sink(int(a[1]), "--verify" in a)
    elif a[0] == "source":
        corrupt = int(a[a.index("--corrupt") + 1]) if "--corrupt" in a \
            else None
        source(a[1], int(a[2]), int(a[3]), corrupt)
    elif a[0] == "rstsource":
        source(a[1], int(a[2]), int(a[3]), None, rst=True)
    elif a[0] == "stall":
        hold(listen_accept(int(a[1]), int(a[2]) if len(a) > 2 else 1))
    elif a[0] == "reset":
        reset(int(a[1]), int(a[2]))
    elif a[0] == "quiet":
        hold(connect(a[1], int(a[2])))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
