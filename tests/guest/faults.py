#!/usr/bin/env python3
"""faults.py - faults, unload, permissions and leaks, in a lab guest.

    scripts/lab -k 6.12 -t loop -- python3 tests/guest/faults.py [--quick]

  - SIGINT/SIGTERM end a sender whose peer stopped reading, in every send
    mode, within one second, with the bytes done so far;
  - SIGINT ends a zerocopy sender whose peer keeps reading without
    resetting the connection: the peer gets every byte reported (-P 1, 2);
  - SIGINT ends a receiver whose peer went quiet, in every receive mode,
    while it waits inside the module (the peer sent some bytes first);
  - SIGINT ends either end while data flows, in every mode: there TCP
    never blocks and never looks at signals, only kttcp's loop does;
  - a peer that resets mid-transfer: ECONNRESET/EPIPE at the sender, and
    at the receiver; a clean close is success (core.py);
  - SO_SNDTIMEO/SO_RCVTIMEO (-w) end stalled runs with a timeout error;
  - several processes at once, every mode, each with its own exact count;
  - rmmod is refused while a transfer runs and works after; a fresh
    insmod works; the tool says when the module is missing;
  - zerocopy: SIGKILL while pages are lent and unacknowledged, then the
    module still unloads (no context or page left with the stack);
  - /dev/kttcp is 0600 and an unprivileged user gets a clear error;
  - a receiver of -P 2 given one stream ends (exit 3) instead of hanging;
  - rmmod aimed, round after round, at zerocopy senders SIGKILLed with
    pages lent (lifetime.py's test, run here: a group of its own would
    cost make check one more guest boot per kernel).
The hostile-world soak, with its leak counters, is a group of its own
(soak.py).
"""

import os
import signal
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kt  # noqa: E402
import lifetime  # noqa: E402
import soak  # noqa: E402

PEER = soak.PEER
QUICK = "--quick" in sys.argv


@kt.checks(2 * len(soak.SMODES))
def test_signal_sender(t):
    for mode in soak.SMODES:
        for sig, want in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
            s, peer = soak.stalled_sender(mode)
            s.send_signal(sig)
            rc, secs = soak.exit_within(s, 5)
            _, _, err = kt.wait(s, 10)
            kt.stop(peer, signal.SIGTERM)
            kt.wait(peer, 10)
            t.check(rc == want and secs <= kt.SIGNAL_SECS and
                    "interrupted after" in err,
                    f"{sig.name} ends a stalled {mode} sender in "
                    f"{secs:.2f} s (exit {want})", f"rc={rc} {err[-200:]}")


def flowing(smode, rmode, target):
    """SIGINT to one end (@target: "sender" or "receiver") of a timed
    transfer while bytes flow; (rc, seconds to exit, its stderr)."""
    port = kt.next_port()
    r = kt.spawn("b", [kt.KTTCP, "-r", "-q", "-m", rmode, "-p", str(port)])
    kt.listening("b", port)
    s = kt.spawn("a", [kt.KTTCP, "-t", "-q", "-m", smode, "-T", "30", "-p",
                       str(port), kt.ADDR["b"]])
    kt.sending("a", port)
    p = s if target == "sender" else r
    p.send_signal(signal.SIGINT)
    rc, secs = soak.exit_within(p, 5)
    _, _, err = kt.wait(p, 10)
    for q in (s, r):
        kt.stop(q)
        kt.wait(q, 10)
    return rc, secs, err


@kt.checks(len(soak.SMODES) + len(soak.RMODES))
def test_signal_flowing(t):
    """A peer that keeps up means no wait in the stack, where TCP would
    notice a signal: the loop itself must see it between calls.  The
    sender goes into readsock (the fastest receiver); the receivers get
    sendpage (the fastest sender), so neither end has to wait."""
    for sm in soak.SMODES:
        rc, secs, err = flowing(sm, "readsock", "sender")
        t.check(rc == 130 and secs <= kt.SIGNAL_SECS and "interrupted after" in err,
                f"SIGINT ends a flowing {sm} sender in {secs:.2f} s",
                f"rc={rc} {err[-200:]}")
    for rm in soak.RMODES:
        rc, secs, err = flowing("sendpage", rm, "receiver")
        t.check(rc == 130 and secs <= kt.SIGNAL_SECS and "interrupted after" in err,
                f"SIGINT ends a flowing {rm} receiver in {secs:.2f} s",
                f"rc={rc} {err[-200:]}")


@kt.checks(2 * 2)
def test_sigint_zerocopy_reading(t):
    """Ctrl-C on a zerocopy sender whose receiver keeps reading ends the
    send as in the other modes: the socket is not reset, so the receiver
    gets every byte the sender reports, then a clean end; with -P 2 too,
    where the tool's own signal stops the other stream."""
    for streams in ("1", "2"):
        port = kt.next_port()
        r = kt.spawn("b", [kt.KTTCP, "-r", "-J", "-m", "trunc", "-P",
                           streams, "-p", str(port)])
        kt.listening("b", port)
        s = kt.spawn("a", [kt.KTTCP, "-t", "-J", "-m", "zerocopy", "-T",
                           "30", "-P", streams, "-p", str(port),
                           kt.ADDR["b"]])
        kt.sending("a", port, count=int(streams))
        s.send_signal(signal.SIGINT)
        rc, secs = soak.exit_within(s, 5)
        _, so, serr = kt.wait(s, 10)
        r_rc, ro, rerr = kt.wait(r, 30)
        snd, rcv = kt.parse_json(so) or {}, kt.parse_json(ro) or {}
        zc = snd.get("zerocopy") or {}
        t.check(rc == 130 and secs <= kt.SIGNAL_SECS and not zc.get("reset", True),
                f"-P {streams}: SIGINT ends a zerocopy sender whose peer "
                f"reads in {secs:.2f} s, no reset",
                f"rc={rc} zc={zc} {serr[-200:]}")
        t.check(r_rc == 0 and snd.get("bytes", 0) > 0 and
                rcv.get("bytes") == snd.get("bytes"),
                f"-P {streams}: ... the receiver ends cleanly with the "
                f"{snd.get('bytes')} bytes the sender reported",
                f"receiver rc={r_rc} got {rcv.get('bytes')} "
                f"{rerr[-300:]}")


# What a quiet peer sends before it goes quiet: the receiver has then
# taken its first bytes and waits inside the module, not in the tool's
# own wait for the first byte, which would end on a signal or -w whatever
# the module did.
QUIET_BYTES = 65536


@kt.checks(len(soak.RMODES))
def test_signal_receiver(t):
    for mode in soak.RMODES:
        port = kt.next_port()
        r = kt.spawn("b", [kt.KTTCP, "-r", "-J", "-m", mode, "-p", str(port)])
        kt.listening("b", port)
        peer = kt.spawn("a", [sys.executable, PEER, "quiet", kt.ADDR["b"],
                              str(port), str(QUIET_BYTES)])
        inside = kt.consumed("b", port, QUIET_BYTES)
        r.send_signal(signal.SIGINT)
        rc, secs = soak.exit_within(r, 5)
        _, out, err = kt.wait(r, 10)
        kt.stop(peer, signal.SIGTERM)
        kt.wait(peer, 10)
        j = kt.parse_json(out) or {}
        t.check(inside and rc == 130 and secs <= kt.SIGNAL_SECS and
                j.get("bytes") == QUIET_BYTES,
                f"SIGINT ends a {mode} receiver waiting in the module for "
                f"a quiet peer in {secs:.2f} s, with the {QUIET_BYTES} "
                "bytes it sent first",
                f"inside={inside} rc={rc} bytes={j.get('bytes')} "
                f"{err[-200:]}")


class FixedMode:
    """Stands in for a random.Random whose choice() is always @mode."""

    def __init__(self, mode):
        self.mode = mode

    def choice(self, _):
        return self.mode


@kt.checks(len(soak.SMODES) + len(soak.RMODES))
def test_reset(t):
    for mode in soak.SMODES:
        ok, what = soak.round_reset(FixedMode(mode))
        t.check(ok, f"peer reset mid-transfer: sender exits 3 with "
                f"ECONNRESET/EPIPE ({what.split(':')[0]})", what)
    for mode in soak.RMODES:
        port = kt.next_port()
        r = kt.spawn("b", [kt.KTTCP, "-r", "-J", "-m", mode, "-p", str(port)])
        kt.listening("b", port)
        src = kt.spawn("a", [sys.executable, PEER, "rstsource", kt.ADDR["b"],
                             str(port), str(3 * kt.MIB)])
        rc, out, err = kt.wait(r, 60)
        kt.wait(src, 30)
        j = kt.parse_json(out) or {}
        t.check(rc == 3 and j.get("bytes") == 3 * kt.MIB and
                "reset" in (j.get("error") or "").lower(),
                f"{mode} receiver: peer reset after 3 MiB is ECONNRESET "
                "with the bytes done", f"rc={rc} json={j} {err[-200:]}")


@kt.checks(2)
def test_timeouts(t):
    port = kt.next_port()
    peer = kt.spawn("b", [sys.executable, PEER, "stall", str(port)])
    kt.listening("b", port)
    s = kt.spawn("a", [kt.KTTCP, "-t", "-J", "-w", "1", "-m", "zerocopy",
                       "-n", "4g", "-p", str(port), kt.ADDR["b"]])
    rc, out, err = kt.wait(s, 30)
    kt.stop(peer, signal.SIGTERM)
    kt.wait(peer, 10)
    j = kt.parse_json(out) or {}
    zc = j.get("zerocopy") or {}
    # The peer acknowledges nothing: the module resets the connection to
    # take its pages back, and says so (KTTCP_ST_ZC_RESET).
    t.check(rc == 3 and j.get("status") == "timeout" and j.get("bytes", 0) > 0
            and zc.get("outstanding") == 0 and zc.get("reset") is True,
            "-w 1: a zerocopy sender stalled by its peer times out, the "
            "connection reset to take the pages back, all back",
            f"rc={rc} status={j.get('status')} zc={zc} {err[-200:]}")

    port = kt.next_port()
    r = kt.spawn("b", [kt.KTTCP, "-r", "-J", "-w", "1", "-m", "readsock",
                       "-p", str(port)])
    kt.listening("b", port)
    peer = kt.spawn("a", [sys.executable, PEER, "quiet", kt.ADDR["b"],
                          str(port), str(QUIET_BYTES)])
    rc, out, err = kt.wait(r, 30)
    kt.stop(peer, signal.SIGTERM)
    kt.wait(peer, 10)
    j = kt.parse_json(out) or {}
    t.check(rc == 3 and j.get("status") == "timeout" and
            j.get("bytes") == QUIET_BYTES,
            f"-w 1: a readsock receiver times out in the module when its "
            f"peer goes quiet after {QUIET_BYTES} bytes",
            f"rc={rc} status={j.get('status')} bytes={j.get('bytes')} "
            f"{err[-200:]}")


@kt.checks(1)
def test_concurrent(t):
    """Nine transfers at once, one per mode pair, each its own count."""
    runs = []
    for i, sm in enumerate(soak.SMODES):
        for j, rm in enumerate(soak.RMODES):
            n = (4 + 3 * i + j) * kt.MIB + i * 1000 + j
            x = kt.Transfer(["-m", sm, "-n", str(n)], ["-m", rm])
            x.n = n
            x.r = kt.spawn("b", x.recv_argv)
            runs.append(x)
    for x in runs:
        kt.listening("b", x.port)
        x.s = kt.spawn("a", x.send_argv)
    good = 0
    for x in runs:
        x.s_rc, so, x.s_err = kt.wait(x.s, 300)
        x.r_rc, ro, x.r_err = kt.wait(x.r, 60)
        x.snd, x.rcv = kt.parse_json(so), kt.parse_json(ro)
        if x.ok() and x.snd["bytes"] == x.n and x.rcv["bytes"] == x.n:
            good += 1
        else:
            print(f"# concurrent {x.send_argv}: {x.why()}")
    t.check(good == len(runs), f"{len(runs)} concurrent transfers in all "
            f"modes: {good} with exact counts at both ends")


def rmmod():
    return kt.sh("rmmod kttcp")


def rmmod_within(secs):
    """rmmod, tried every 0.2 s for up to @secs; the last (rc, output)."""
    deadline = time.monotonic() + secs
    rc, out = rmmod()
    while rc and time.monotonic() < deadline:
        time.sleep(0.2)
        rc, out = rmmod()
    return rc, out


@kt.checks(5)
def test_unload(t):
    s, peer = soak.stalled_sender("zerocopy")
    rc, out = rmmod()
    t.check(rc != 0 and os.path.exists("/dev/kttcp"),
            "rmmod is refused while a transfer runs", out.strip())
    s.send_signal(signal.SIGINT)
    kt.wait(s, 10)
    kt.stop(peer, signal.SIGTERM)
    kt.wait(peer, 10)
    # The stack gives the lent pages back once the peer's end is gone
    # (its reset purges the write queue): until then the module is held.
    rc, out = rmmod_within(10)
    t.check(rc == 0 and not os.path.exists("/dev/kttcp"),
            "rmmod works once the transfer has ended and its pages are "
            "back", out.strip())
    rc, out = kt.sh(f"{kt.KTTCP} -r -p {kt.next_port()}")
    t.check(rc == 2 and "module loaded" in out,
            "without the module the tool says to load it (exit 2)", out)
    rc, out = kt.sh(f"insmod {os.environ.get('LAB_MODULE', '')}")
    t.check(rc == 0 and os.path.exists("/dev/kttcp"),
            "a fresh insmod brings /dev/kttcp back", out.strip())
    x = kt.Transfer(["-m", "zerocopy", "-n", "1m"], ["-m", "copy",
                                                       "-V"]).run()
    t.check(x.ok() and x.rcv["bytes"] == kt.MIB,
            "a transfer works after reload", x.why())


@kt.checks(2)
def test_kill_zerocopy(t):
    """SIGKILL with pages lent to a stalled peer; then rmmod must work."""
    s, peer = soak.stalled_sender("zerocopy")
    s.send_signal(signal.SIGKILL)
    rc, secs = soak.exit_within(s, 10)
    kt.wait(s, 5)
    t.check(rc == -9, f"SIGKILL ends a stalled zerocopy sender "
            f"({secs:.2f} s)", f"rc={rc}")
    kt.stop(peer, signal.SIGTERM)
    kt.wait(peer, 10)
    rc, out = rmmod_within(10)
    t.check(rc == 0, "after SIGKILL mid-zerocopy the module unloads: "
            "no lent page or completion is left with the stack", out)
    kt.sh(f"insmod {os.environ.get('LAB_MODULE', '')}")


@kt.checks(2)
def test_permissions(t):
    st = os.stat("/dev/kttcp")
    t.check(stat.S_ISCHR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
            and st.st_uid == 0, f"/dev/kttcp is a char device, mode "
            f"{oct(stat.S_IMODE(st.st_mode))}, owner {st.st_uid}")
    rc, out = kt.sh("setpriv --reuid=65534 --regid=65534 --clear-groups "
                    f"{kt.KTTCP} -r -p {kt.next_port()}")
    t.check(rc == 2 and "Permission denied" in out and "0600" in out,
            "an unprivileged user gets a clear permission error (exit 2)",
            out.strip())


@kt.checks(1)
def test_missing_stream(t):
    """A receiver of -P 2 whose sender opens one stream: once that one
    has ended, it waits -w 1 for the other, then exits 3 with what came."""
    port = kt.next_port()
    r = kt.spawn("b", [kt.KTTCP, "-r", "-J", "-P", "2", "-w", "1", "-p",
                       str(port)])
    kt.listening("b", port)
    s = kt.spawn("a", [kt.KTTCP, "-t", "-J", "-n", "1m", "-p", str(port),
                       kt.ADDR["b"]])
    s_rc, _, s_err = kt.wait(s, 60)
    t0 = time.monotonic()
    r_rc, out, err = kt.wait(r, 30)
    secs = time.monotonic() - t0
    j = kt.parse_json(out) or {}
    t.check(s_rc == 0 and r_rc == 3 and j.get("bytes") == kt.MIB and
            "expected 2 streams (-P), 1 came" in err and secs < 10,
            f"-P 2 receiver, one stream came: exit 3 {secs:.1f} s after the "
            "sender's end, with its bytes and the count",
            f"sender rc={s_rc} {s_err[-200:]}; receiver rc={r_rc} "
            f"json={j} {err[-300:]}")


TESTS = [test_permissions, test_signal_sender, test_sigint_zerocopy_reading,
         test_signal_receiver, test_signal_flowing, test_reset,
         test_timeouts, test_concurrent, test_unload, test_kill_zerocopy,
         test_missing_stream, lifetime.test_kill_and_unload]


def main():
    tests = kt.selected(TESTS)
    t = kt.Results("faults", tests)
    for fn in tests:
        t.run(fn)
    t.finish()


if __name__ == "__main__":
    main()
