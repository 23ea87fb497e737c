#!/usr/bin/env python3
"""peer.py - a plain userland TCP peer for kttcp tests.

kttcp puts nothing but payload on the wire, so any TCP program is a valid
peer.  This one plays the parts the tests need:

    peer.py sink PORT [--verify] [--rcvbuf B] [--mss M] [--slow]
                                        accept, read to EOF, count (check
                                        the kttcp pattern with --verify);
                                        SO_RCVBUF B and TCP_MAXSEG M set
                                        before listen; --slow: 4 KiB
                                        reads 5 ms apart
    peer.py pause PORT SECS             accept, read nothing for SECS (a
                                        zero window), then sink --verify
    peer.py halfsink PORT               accept, shutdown(SHUT_WR) at once,
                                        then sink --verify
    peer.py source HOST PORT N [--corrupt OFF] [--mss M]
                                        connect, send N pattern bytes
                                        (byte OFF flipped), close
    peer.py stall PORT [N]              accept (N connections), never read
                                        (full windows)
    peer.py reset PORT N                accept, read N bytes, then reset
                                        the connection (SO_LINGER 0)
    peer.py quiet HOST PORT [N]         connect, send N pattern bytes (0),
                                        then nothing, keep open
    peer.py rstsource HOST PORT N       connect, send N pattern bytes, then
                                        reset the connection
    peer.py urgent HOST PORT N [--mss M]
                                        connect, send N pattern bytes, one
                                        byte MSG_OOB, N more, close

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


def listen_accept(port, n=1, rcvbuf=None, mss=None):
    """The first connection accepted on port, or a list of the first n."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if mss:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(n)
    cs = [s.accept()[0] for _ in range(n)]
    s.close()
    return cs[0] if n == 1 else cs


def sink(port, verify, rcvbuf=None, mss=None, slow=False, c=None):
    c = c or listen_accept(port, rcvbuf=rcvbuf, mss=mss)
    total, bad = 0, None
    while True:
        if slow:
            time.sleep(0.005)
        b = c.recv(4096 if slow else 1 << 20)
        if not b:
            break
        if verify and bad is None and b != pattern(total, len(b)):
            want = pattern(total, len(b))
            bad = total + next(i for i in range(len(b)) if b[i] != want[i])
        total += len(b)
    print(json.dumps({"bytes": total, "mismatch_at": bad}), flush=True)


def connect(host, port, mss=None):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM)
    if mss:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    for _ in range(200):
        try:
            c.connect((host, port))
            return c
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"peer: cannot connect to {host} port {port}")


def source(host, port, n, corrupt, rst=False, mss=None):
    c = connect(host, port, mss)
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


def urgent(host, port, n, mss):
    """N bytes, an urgent byte, N bytes: the stream a receiver counts is
    2N (the urgent byte is out of band)."""
    c = connect(host, port, mss)
    c.sendall(pattern(0, n))
    c.send(b"!", socket.MSG_OOB)
    c.sendall(pattern(n, n))
    c.close()
    print(json.dumps({"bytes": 2 * n, "urgent": 1}), flush=True)


def pause(port, secs):
    c = listen_accept(port)
    time.sleep(secs)
    sink(port, True, c=c)


def halfsink(port):
    c = listen_accept(port)
    c.shutdown(socket.SHUT_WR)
    sink(port, True, c=c)


def opt(a, name, conv=int):
    return conv(a[a.index(name) + 1]) if name in a else None


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
        sink(int(a[1]), "--verify" in a, opt(a, "--rcvbuf"), opt(a, "--mss"),
             "--slow" in a)
    elif a[0] == "pause":
        pause(int(a[1]), float(a[2]))
    elif a[0] == "halfsink":
        halfsink(int(a[1]))
    elif a[0] == "urgent":
        urgent(a[1], int(a[2]), int(a[3]), opt(a, "--mss"))
    elif a[0] == "source":
        corrupt = int(a[a.index("--corrupt") + 1]) if "--corrupt" in a \
            else None
        source(a[1], int(a[2]), int(a[3]), corrupt, mss=opt(a, "--mss"))
    elif a[0] == "rstsource":
        source(a[1], int(a[2]), int(a[3]), None, rst=True)
    elif a[0] == "stall":
        hold(listen_accept(int(a[1]), int(a[2]) if len(a) > 2 else 1))
    elif a[0] == "reset":
        reset(int(a[1]), int(a[2]))
    elif a[0] == "quiet":
        c = connect(a[1], int(a[2]))
        c.sendall(pattern(0, int(a[3]) if len(a) > 3 else 0))
        hold(c)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
