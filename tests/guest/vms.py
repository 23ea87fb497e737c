#!/usr/bin/env python3
"""vms.py - kttcp between two guests over virtio-net (a real NIC path).

    scripts/lab -k 6.12 -t vms -- python3 tests/guest/vms.py [--quick]

Both guests run this file: LAB_ROLE a sends, b receives.  Each step is
started on both sides at a barrier (through the shared LAB_OUT dir), and
each side leaves its JSON there for the other.  Every check is printed
once: a check of both ends (bytes agree, zerocopy, the link flap) by a
only, which reads b's JSON; a check of one end by the guest of that end,
with its role in the text.  Each role's plan counts its own checks (the
lab's driver sums the two plans).

  - every send mode against every receive mode: bytes equal at both ends;
  - zerocopy through virtio-net: completions come back, and most of them
    are really zero-copy (not copied), unlike loopback;
  - parallel streams sum correctly across the wire;
  - the link goes down mid-transfer and comes back: bytes move again
    after it is back (the intervals of both ends, -i 0.5), and both ends
    agree on the count, in copy and zerocopy mode.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import core  # noqa: E402
import kt  # noqa: E402

QUICK = "--quick" in sys.argv
SMODES = ["copy", "sendpage", "zerocopy"]
RMODES = ["copy", "trunc", "readsock"]
FLAP_MODES = ["copy", "zerocopy"]
A = kt.ROLE == "a"      # a prints the checks of both ends


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
    """Run one transfer across the guests; returns (mine, theirs).
    during (on a) is called with the time.monotonic() of the sender's
    start once it is spawned, and its result is mine["during"]."""
    port = kt.next_port()
    extra = None
    if kt.ROLE == "b":
        p = kt.spawn("b", [kt.KTTCP, "-r", "-J", "-p", str(port)] +
                     recv_args)
        kt.listening("b", port)
        barrier(name + "-ready")
        rc, out, err = kt.wait(p, timeout)
    else:
        barrier(name + "-ready")
        t0 = time.monotonic()
        p = kt.spawn("a", [kt.KTTCP, "-t", "-J", "-p", str(port)] +
                     send_args + [kt.ADDR["b"]])
        if during:
            extra = during(t0)
        rc, out, err = kt.wait(p, timeout)
    mine = kt.parse_json(out) or {}
    mine["rc"], mine["stderr"] = rc, err[-300:]
    if extra is not None:
        mine["during"] = extra
    publish(name, mine)
    return mine, fetch(name) or {}


def both(mine, theirs):
    snd, rcv = (mine, theirs) if kt.ROLE == "a" else (theirs, mine)
    return snd, rcv


def agree(t, n, mine, theirs, text):
    """Both ends exit 0 and count the same bytes (n, if given); a only."""
    snd, rcv = both(mine, theirs)
    ok = snd.get("rc") == 0 and rcv.get("rc") == 0 and \
        snd.get("bytes") == rcv.get("bytes") and \
        (n is None or snd.get("bytes") == n)
    return t.check(ok, text, f"sender rc={snd.get('rc')} "
                   f"bytes={snd.get('bytes')} {snd.get('stderr')!r}; "
                   f"receiver rc={rcv.get('rc')} bytes={rcv.get('bytes')} "
                   f"{rcv.get('stderr')!r}")


@kt.checks(len(SMODES) * len(RMODES) if A else 0)
def test_matrix(t):
    n = 8 * kt.MIB
    for sm in SMODES:
        for rm in RMODES:
            v = ["-V"] if rm == "copy" else []
            mine, theirs = transfer(f"m-{sm}-{rm}",
                                    ["-m", sm, "-n", str(n)], ["-m", rm] + v)
            if A:
                agree(t, n, mine, theirs, f"{sm} -> {rm} over virtio-net: "
                      f"{n} bytes at both ends")


@kt.checks(len(core.SMODES) * len(core.CLOCK_RUNS) if A else 0)
def test_clocks(t):
    """Both ends' rates agree (core.clocks_agree), across the NIC path."""
    n = [0]

    def run(send_args, recv_args):
        n[0] += 1
        return both(*transfer(f"clk-{n[0]}", send_args, recv_args))
    core.clocks_agree(t, "virtio-net", run, report=A)


@kt.checks(2 if A else 0)
def test_zerocopy_real(t):
    n = 64 * kt.MIB
    mine, theirs = transfer("zc", ["-m", "zerocopy", "-n", str(n)],
                            ["-m", "trunc"])
    if not A:
        return
    agree(t, n, mine, theirs, "zerocopy -> trunc over virtio-net: "
          f"{n} bytes at both ends")
    zc = mine.get("zerocopy") or {}
    c, cp = zc.get("completions", 0), zc.get("copied", 0)
    t.check(c > 0 and cp * 2 < c and zc.get("outstanding") == 0,
            f"zerocopy over virtio-net: {c - cp} of {c} completions were "
            "really zero-copy (most, unlike loopback)", repr(zc))


@kt.checks(2 if A else 1)
def test_parallel(t):
    per, p = 4 * kt.MIB, 3
    mine, theirs = transfer("par", ["-m", "sendpage", "-P", str(p), "-n",
                                    str(per)], ["-m", "readsock", "-P",
                                                str(p)])
    if A:
        agree(t, p * per, mine, theirs,
              f"-P {p} over virtio-net: {p * per} bytes at both ends")
    st = mine.get("streams") or []
    t.check(len(st) == p and sum(s["bytes"] for s in st) ==
            mine.get("bytes"), f"-P {p}: this end's streams sum up "
            f"({kt.ROLE}, {'sender' if A else 'receiver'})",
            repr([s.get("bytes") for s in st]))


# The link goes down FLAP_DOWN_AT s into a FLAP_RUN s transfer, for
# FLAP_DOWN_FOR s.  `ip link set` itself takes about a second each way
# under TCG, and TCP retries on its backed-off RTO, so the run leaves
# seconds after the link is back for bytes to move again.
FLAP_DOWN_AT, FLAP_DOWN_FOR, FLAP_RUN = 1.5, 2.0, 10


def after_up(j, up):
    """Bytes in j's intervals that start at or after @up seconds, but for
    the last: that one reads the final count, and would hold every byte
    even if the running counts (PROGRESS) said nothing."""
    return sum(i.get("bytes", 0) for i in (j.get("intervals") or [])[:-1]
               if float(i["start"]) >= up)


def intervals(j):
    return [(i.get("start"), i.get("bytes")) for i in j.get("intervals") or []]


@kt.checks(len(FLAP_MODES) * 2 + 1 if A else 0)
def test_link_flap(t):
    dev = iface()

    def flap(t0):
        """Take the link down and up again; when it went down and when it
        was back up (the up command done), in seconds since the sender
        was spawned."""
        time.sleep(FLAP_DOWN_AT)
        down = time.monotonic() - t0
        subprocess.run(["ip", "link", "set", dev, "down"])
        time.sleep(FLAP_DOWN_FOR)
        subprocess.run(["ip", "link", "set", dev, "up"])
        return {"down": down, "up": time.monotonic() - t0}

    for mode in FLAP_MODES:
        mine, theirs = transfer(f"flap-{mode}",
                                ["-m", mode, "-T", str(FLAP_RUN), "-i",
                                 "0.5"], ["-m", "trunc", "-i", "0.5"],
                                during=flap if A else None)
        if not A:
            continue
        agree(t, None, mine, theirs,
              f"{mode}: link down {FLAP_DOWN_FOR:.0f} s mid-transfer, then "
              "up: both ends exit 0 and agree on the count")
        # Each end's intervals count from its own start: the sender's once
        # it is connected, the receiver's (on the other guest's clock) once
        # it has accepted; both after the sender was spawned.  So an
        # interval starting @up seconds in began after the link was up.
        fl = mine.get("during") or {}
        up = fl.get("up")
        sent, got = after_up(mine, up or 1e9), after_up(theirs, up or 1e9)
        t.check(up is not None and sent > 0 and got > 0,
                f"{mode}: the transfer resumes once the link is back (down "
                f"at {fl.get('down', 0):.1f} s, up at {up or 0:.1f} s of "
                f"{FLAP_RUN}): {sent} bytes sent and {got} received after "
                "it",
                f"sender {intervals(mine)}; receiver {intervals(theirs)}")
        if mode == "zerocopy":
            zc = mine.get("zerocopy") or {}
            t.check(zc.get("outstanding") == 0 and zc.get("completions"),
                    "zerocopy after the flap: every lent page came back",
                    repr(zc))


TESTS = [test_matrix, test_clocks, test_zerocopy_real, test_parallel,
         test_link_flap]


def main():
    tests = kt.selected(TESTS)
    t = kt.Results(f"vms/{kt.ROLE}", tests)
    if not kt.barrier("start", 180):
        t.bail(f"the other guest ({kt.PEER_ROLE}) never came to the start")
    for fn in tests:
        t.run(fn)
    kt.barrier("end", 180)
    t.finish()


if __name__ == "__main__":
    main()
