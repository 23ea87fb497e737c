#!/usr/bin/env python3
"""core.py - kttcp's core behaviour, in a lab guest (loop or netns).

    scripts/lab -k 6.12 -t loop -- python3 tests/guest/core.py [--quick]

What it checks, on real transfers through the tool and the module:
  - the ioctl selftest (tests/ioctl_test: errnos, every mode pair, verify);
  - every send mode against every receive mode: bytes sent == received;
  - the modes really differ: only zerocopy reports completions, and on
    loopback/veth every one of them is reported copied;
  - a timed run stops on time and both ends agree on the count;
  - a 5 GiB single transfer (64-bit counts) (skipped with --quick);
  - IPv6;
  - verify catches a corrupted stream at the right offset;
  - parallel streams sum correctly, per stream and in total;
  - interval reports cover the run;
  - plain TCP peers at either end (no protocol on the wire);
  - the tool's errors: bad mode, bad number, refused host.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kt  # noqa: E402

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer.py")
QUICK = "--quick" in sys.argv
SMODES = ["copy", "sendpage", "zerocopy"]
RMODES = ["copy", "trunc", "readsock"]


def test_ioctl_selftest(t):
    binary = os.path.join(kt.REPO, "tests", "ioctl_test")
    argv = kt.on("a", [binary, "-a", kt.ADDR["a"]])
    rc, out = kt.sh(" ".join(argv), timeout=300)
    lines = [l for l in out.splitlines() if l.startswith(("ok", "not ok"))]
    for line in lines:
        t.check(line.startswith("ok"), "ioctl " + line.split(" - ", 1)[-1])
    t.check(rc == 0 and len(lines) > 40,
            f"ioctl_test exits 0 after {len(lines)} checks", out[-500:])


def test_mode_matrix(t):
    n = 32 * kt.MIB
    for sm in SMODES:
        for rm in RMODES:
            extra = ["-V"] if rm == "copy" else []
            x = kt.Transfer(["-m", sm, "-n", str(n)],
                            ["-m", rm] + extra).run()
            ok = x.ok() and x.snd["bytes"] == n and x.rcv["bytes"] == n \
                and x.snd["mode"] == sm and x.rcv["mode"] == rm
            t.check(ok, f"{sm} -> {rm}{' verified' if extra else ''}: "
                    f"{n} bytes sent and received",
                    x.why() if not x.ok() else
                    f"sent {x.snd['bytes']} received {x.rcv['bytes']}")
            zc = (x.snd or {}).get("zerocopy")
            if sm == "zerocopy":
                t.check(zc and zc["completions"] > 0
                        and zc["outstanding"] == 0,
                        f"{sm} -> {rm}: completions reported, all back",
                        repr(zc))
                if kt.TOPO in ("loop", "netns"):
                    t.check(zc and zc["copied"] == zc["completions"],
                            f"{sm} -> {rm}: on {kt.TOPO} every completion "
                            "is reported copied", repr(zc))
            else:
                t.check(zc is None, f"{sm}: no zerocopy report", repr(zc))


def test_timed(t):
    x = kt.Transfer(["-m", "sendpage", "-T", "2", "-i", "0.5"],
                    ["-m", "trunc"]).run()
    if not t.check(x.ok(), "timed run (-T 2) exits 0", x.why()):
        return
    secs = float(x.snd["seconds"])
    t.check(x.snd["bytes"] > 0 and x.snd["bytes"] == x.rcv["bytes"],
            f"timed run: both ends count {x.snd['bytes']} bytes",
            f"receiver {x.rcv['bytes']}")
    t.check(2.0 <= secs < 10.0, f"timed run stops after 2 s ({secs} s)")
    iv = x.snd.get("intervals") or []
    t.check(len(iv) >= 3 and sum(i["bytes"] for i in iv) <= x.snd["bytes"],
            f"interval reports: {len(iv)} intervals, within the total",
            repr(iv)[:300])


def test_5gib(t):
    n = 5 * kt.GIB
    x = kt.Transfer(["-m", "sendpage", "-n", "5g", "-l", "1m"],
                    ["-m", "trunc", "-l", "1m"], timeout=900).run()
    t.check(x.ok() and x.snd["bytes"] == n and x.rcv["bytes"] == n,
            f"5 GiB in one transfer: {n} bytes at both ends",
            x.why() if not x.ok() else
            f"sent {x.snd['bytes']} received {x.rcv['bytes']}")


def test_ipv6(t):
    n = 16 * kt.MIB
    x = kt.Transfer(["-m", "zerocopy", "-n", str(n)], ["-m", "copy", "-V"],
                    six=True).run()
    t.check(x.ok() and x.snd["bytes"] == n and x.rcv["bytes"] == n,
            f"IPv6 ({kt.ADDR6['b']}): zerocopy -> copy verified, {n} bytes",
            x.why())


def test_verify_corruption(t):
    n, bad = 4 * kt.MIB, 1234567
    port = kt.next_port()
    r = kt.spawn("b", [kt.KTTCP, "-r", "-J", "-V", "-p", str(port)])
    kt.listening("b", port)
    s = kt.spawn("a", [sys.executable, PEER, "source", kt.ADDR["b"], str(port),
                       str(n), "--corrupt", str(bad)])
    kt.wait(s, 60)
    rc, out, err = kt.wait(r, 60)
    j = kt.parse_json(out) or {}
    v = j.get("verify") or {}
    t.check(rc == 3 and v.get("mismatch_at") == bad,
            f"verify finds the byte corrupted at {bad} (exit 3)",
            f"rc={rc} verify={v} err={err.strip()[-200:]}")
    r = kt.spawn("b", [kt.KTTCP, "-r", "-V", "-p", str(port)])
    kt.listening("b", port)
    s = kt.spawn("a", [sys.executable, PEER, "source", kt.ADDR["b"], str(port),
                       str(n), "--corrupt", str(bad)])
    kt.wait(s, 60)
    rc, out, err = kt.wait(r, 60)
    t.check(rc == 3 and f"first mismatch at byte offset {bad}" in err,
            "verify: the tool says where the stream went wrong", err[-300:])


def test_parallel(t):
    per, p = 8 * kt.MIB, 4
    x = kt.Transfer(["-m", "sendpage", "-P", str(p), "-n", str(per)],
                    ["-m", "readsock", "-P", str(p)]).run()
    if not t.check(x.ok(), f"-P {p} exits 0 at both ends", x.why()):
        return
    for side, j in (("sender", x.snd), ("receiver", x.rcv)):
        st = j["streams"]
        t.check(len(st) == p and j["bytes"] == p * per and
                sum(s["bytes"] for s in st) == j["bytes"],
                f"-P {p} {side}: {len(st)} streams sum to {j['bytes']}",
                repr([s["bytes"] for s in st]))
    t.check(all(s["bytes"] == per for s in x.snd["streams"]),
            f"-P {p}: each sender stream sent {per}")


def test_plain_peers(t):
    n = 8 * kt.MIB
    port = kt.next_port()
    sink = kt.spawn("b", [sys.executable, PEER, "sink", str(port), "--verify"])
    kt.listening("b", port)
    s = kt.spawn("a", [kt.KTTCP, "-t", "-J", "-m", "zerocopy", "-n", str(n),
                       "-p", str(port), kt.ADDR["b"]])
    src, _, _ = kt.wait(s, 60)
    _, out, _ = kt.wait(sink, 30)
    j = kt.parse_json(out) or {}
    t.check(src == 0 and j.get("bytes") == n and j.get("mismatch_at") is None,
            f"kttcp -t into a plain TCP sink: {n} pattern bytes arrive",
            repr(j))

    port = kt.next_port()
    r = kt.spawn("b", [kt.KTTCP, "-r", "-J", "-V", "-p", str(port)])
    kt.listening("b", port)
    s = kt.spawn("a", [sys.executable, PEER, "source", kt.ADDR["b"], str(port),
                       str(n)])
    kt.wait(s, 60)
    rc, out, err = kt.wait(r, 60)
    j = kt.parse_json(out) or {}
    t.check(rc == 0 and j.get("bytes") == n and j.get("status") == "ok",
            f"kttcp -r from a plain TCP source: {n} bytes verified",
            f"rc={rc} {err[-200:]}")


def test_tool_errors(t):
    rc, out = kt.sh(f"{kt.KTTCP} -t -m bogus {kt.ADDR['b']}")
    t.check(rc == 1 and "copy" in out and "zerocopy" in out,
            "unknown send mode: exit 1, valid modes listed", out[-200:])
    rc, out = kt.sh(f"{kt.KTTCP} -r -m zerocopy")
    t.check(rc == 1 and "readsock" in out,
            "send-only mode on the receiver: exit 1", out[-200:])
    rc, out = kt.sh(f"{kt.KTTCP} -t -n 12q {kt.ADDR['b']}")
    t.check(rc == 1 and "12q" in out, "bad byte count: exit 1", out[-200:])
    argv = kt.on("a", [kt.KTTCP, "-t", "-p", "1", kt.ADDR["b"]])
    rc, out = kt.sh(" ".join(argv))
    t.check(rc == 2 and "refused" in out.lower(),
            "nothing listening: connection refused, exit 2", out[-200:])


def test_socket_options(t):
    """-b, -M, -D, -C, -B reach the sockets and the transfer still works."""
    n = 8 * kt.MIB
    x = kt.Transfer(["-m", "copy", "-n", str(n), "-b", "256k", "-M", "1200",
                     "-D", "-C", "reno", "-B", kt.ADDR["a"]],
                    ["-m", "copy", "-V", "-b", "256k",
                     "-B", kt.ADDR["b"]]).run()
    t.check(x.ok() and x.rcv["bytes"] == n and
            x.snd.get("sockbuf_requested") == 256 * 1024,
            "-b 256k -M 1200 -D -C reno -B: verified transfer, sockbuf "
            f"{(x.snd or {}).get('sockbuf')} for 256k asked", x.why())
    argv = kt.on("a", [kt.KTTCP, "-t", "-C", "nosuchcc", "-p", "1",
                       kt.ADDR["b"]])
    rc, out = kt.sh(" ".join(argv))
    t.check(rc == 2 and "congestion" in out,
            "-C with an unknown algorithm: clear error, exit 2", out[-200:])
    # Nothing routes 198.19.255.254 in the lab: no packet leaves.
    argv = kt.on("a", [kt.KTTCP, "-t", "-p", "9", "198.19.255.254"])
    rc, out = kt.sh(" ".join(argv))
    t.check(rc == 2 and "unreachable" in out.lower(),
            "unroutable host: 'Network is unreachable', exit 2", out[-200:])


def main():
    t = kt.Results("core")
    tests = [test_ioctl_selftest, test_mode_matrix, test_timed, test_ipv6,
             test_verify_corruption, test_parallel, test_plain_peers,
             test_tool_errors, test_socket_options]
    if not QUICK:
        tests.insert(3, test_5gib)
    for fn in tests:
        t.run(fn)
    t.finish()


if __name__ == "__main__":
    main()
