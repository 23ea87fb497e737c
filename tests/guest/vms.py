#!/usr/bin/env python3
"""vms.py - kttcp between two guests over virtio-net (a real NIC path).

    scripts/lab -k 6.12 -t vms -- python3 tests/guest/vms.py [--quick]

Both guests run this file: LAB_ROLE a sends, b receives.  Each step is
started on both sides at a barrier (through the shared LAB_OUT dir); each
side checks its own end and then the other's, whose JSON it reads from
LAB_OUT, so both guests print every check.

  - every send mode against every receive mode: bytes equal at both ends;
  - zerocopy through virtio-net: completions come back, and most of them
    are really zero-copy (not copied), unlike loopback;
  - parallel streams sum correctly across the wire;
  - the link goes down mid-transfer and comes back: the transfer resumes
    and both ends agree on the count, in copy and zerocopy mode.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kt  # noqa: E402

QUICK = "--quick" in sys.argv
SMODES = ["copy", "sendpage", "zerocopy"]
RMODES = ["copy", "trunc", "readsock"]


def barrier(name, limit=180):
    if not kt.barrier(name, limit):
        raise RuntimeError(f"barrier {name}: {kt.PEER_ROLE} never came")


publish = kt.publish


def fetch(name, limit=300):
    return kt.fetch(name, limit)


def iface():
    r = subprocess.run(["ip", "-o", "-4", "addr", "show", "to",
                        "198.18.0.0/15"], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if not line.split()[1].startswith("lo"):
            return line.split()[1]
    return "eth0"


def transfer(name, send_args, recv_args, during=None, timeout=300):
    """Run one transfer across the guests; returns (mine, theirs)."""
    port = kt.next_port()
    if kt.ROLE == "b":
        p = kt.spawn("b", [kt.KTTCP, "-r", "-J", "-p", str(port)] +
                     recv_args)
        kt.listening("b", port)
        barrier(name + "-ready")
        rc, out, err = kt.wait(p, timeout)
    else:
        barrier(name + "-ready")
        p = kt.spawn("a", [kt.KTTCP, "-t", "-J", "-p", str(port)] +
                     send_args + [kt.ADDR["b"]])
        if during:
            during()
        rc, out, err = kt.wait(p, timeout)
    mine = kt.parse_json(out) or {}
    mine["rc"], mine["stderr"] = rc, err[-300:]
    publish(name, mine)
    return mine, fetch(name) or {}


def both(mine, theirs):
    snd, rcv = (mine, theirs) if kt.ROLE == "a" else (theirs, mine)
    return snd, rcv


def agree(t, name, n, mine, theirs, text):
    snd, rcv = both(mine, theirs)
    ok = snd.get("rc") == 0 and rcv.get("rc") == 0 and \
        snd.get("bytes") == rcv.get("bytes") and \
        (n is None or snd.get("bytes") == n)
    return t.check(ok, text, f"sender rc={snd.get('rc')} "
                   f"bytes={snd.get('bytes')} {snd.get('stderr')!r}; "
                   f"receiver rc={rcv.get('rc')} bytes={rcv.get('bytes')} "
                   f"{rcv.get('stderr')!r}")


def test_matrix(t):
    n = 8 * kt.MIB
    for sm in SMODES:
        for rm in RMODES:
            v = ["-V"] if rm == "copy" else []
            mine, theirs = transfer(f"m-{sm}-{rm}",
                                    ["-m", sm, "-n", str(n)], ["-m", rm] + v)
            agree(t, "", n, mine, theirs, f"{sm} -> {rm} over virtio-net: "
                  f"{n} bytes at both ends")


def test_zerocopy_real(t):
    n = 64 * kt.MIB
    mine, theirs = transfer("zc", ["-m", "zerocopy", "-n", str(n)],
                            ["-m", "trunc"])
    agree(t, "", n, mine, theirs, "zerocopy -> trunc over virtio-net: "
          f"{n} bytes at both ends")
    snd, _ = both(mine, theirs)
    zc = snd.get("zerocopy") or {}
    c, cp = zc.get("completions", 0), zc.get("copied", 0)
    t.check(c > 0 and cp * 2 < c and zc.get("outstanding") == 0,
            f"zerocopy over virtio-net: {c - cp} of {c} completions were "
            "really zero-copy (most, unlike loopback)", repr(zc))


def test_parallel(t):
    per, p = 4 * kt.MIB, 3
    mine, theirs = transfer("par", ["-m", "sendpage", "-P", str(p), "-n",
                                    str(per)], ["-m", "readsock", "-P",
                                                str(p)])
    agree(t, "", p * per, mine, theirs,
          f"-P {p} over virtio-net: {p * per} bytes at both ends")
    st = mine.get("streams") or []
    t.check(len(st) == p and sum(s["bytes"] for s in st) ==
            mine.get("bytes"), f"-P {p}: this end's streams sum up "
            f"({kt.ROLE})", repr([s.get("bytes") for s in st]))


def test_link_flap(t):
    dev = iface()

    def flap():
        time.sleep(1.5)
        subprocess.run(["ip", "link", "set", dev, "down"])
        time.sleep(2.0)
        subprocess.run(["ip", "link", "set", dev, "up"])

    for mode in ("copy", "zerocopy"):
        mine, theirs = transfer(f"flap-{mode}",
                                ["-m", mode, "-T", "6"], ["-m", "trunc"],
                                during=flap if kt.ROLE == "a" else None)
        agree(t, "", None, mine, theirs,
              f"{mode}: link down 2 s mid-transfer, then up: the transfer "
              "resumes and both ends agree")
        if mode == "zerocopy" and kt.ROLE == "a":
            zc = mine.get("zerocopy") or {}
            t.check(zc.get("outstanding") == 0 and zc.get("completions"),
                    "zerocopy after the flap: every lent page came back",
                    repr(zc))


def main():
    t = kt.Results(f"vms/{kt.ROLE}")
    barrier("start")
    for fn in (test_matrix, test_zerocopy_real, test_parallel,
               test_link_flap):
        t.run(fn)
    barrier("end")
    t.finish()


if __name__ == "__main__":
    main()
