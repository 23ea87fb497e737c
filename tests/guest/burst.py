#!/usr/bin/env python3
"""burst.py - many KTTCP_IOC_SEND calls in a row on one connection.

    burst.py HOST PORT COUNT SEED

Connects to HOST:PORT (a kttcp -r or any sink) and issues COUNT send
ioctls straight on /dev/kttcp, without the tool, each of a random mode
and a random size of 1 byte to 64 KiB (from SEED), then closes.  Every
call allocates, lends and frees its own set of pattern pages, so a page
lost per transfer shows up in soak.py's leak counters after a few hundred
calls, where whole tool runs (about a second each in the lab) would need
far longer.  Prints one JSON line: calls made, bytes sent, errors.
"""

import fcntl
import json
import os
import random
import socket
import struct
import sys

# struct kttcp_io (include/kttcp.h): the input fields, then the output.
IO_FMT = "<IIiIIIQQQQ" + "QQQQQQQiIQQ"
IO_SIZE = struct.calcsize(IO_FMT)
ABI_VERSION = 1
SEND_MODES = 3
# _IOWR('k', 0x01, struct kttcp_io)
IOC_SEND = (3 << 30) | (IO_SIZE << 16) | (ord("k") << 8) | 0x01


def send(kfd, fd, mode, total):
    """One KTTCP_IOC_SEND of @total bytes; (bytes sent, error)."""
    buf = bytearray(struct.pack(IO_FMT, IO_SIZE, ABI_VERSION, fd, mode, 0,
                                0, total, 0, 0, 0, *([0] * 11)))
    try:
        fcntl.ioctl(kfd, IOC_SEND, buf)
    except OSError as e:
        return 0, e.strerror
    out = struct.unpack(IO_FMT, buf)
    return out[10], None


def main():
    host, port, count, seed = sys.argv[1], int(sys.argv[2]), \
        int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    kfd = os.open("/dev/kttcp", os.O_RDWR)
    s = socket.create_connection((host, port), timeout=30)
    sent, errors, calls = 0, [], 0
    for _ in range(count):
        n, err = send(kfd, s.fileno(), rng.randrange(SEND_MODES),
                      rng.randint(1, 65536))
        calls += 1
        sent += n
        if err:
            errors.append(err)
            break
    s.close()
    os.close(kfd)
    print(json.dumps({"calls": calls, "bytes": sent, "errors": errors}))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
