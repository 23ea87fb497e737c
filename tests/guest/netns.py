#!/usr/bin/env python3
"""netns.py - kttcp between two network namespaces joined by veth.

    scripts/lab -k 6.12 -t netns -- python3 tests/guest/netns.py

Host A (sender) and host B (receiver) are namespaces on one kernel, so
the path crosses a real device pair (veth) rather than lo.  Runs core.py's
transfer checks there: every mode pair, zerocopy completions (all copied:
veth delivers to a local socket), a timed run, IPv6, parallel streams,
plain TCP peers and the tool's errors.

Interval reports (-i) and -O against veth limited to a known rate by
netem: each interval holds what the link moved in it, -O leaves out the
link's first second and measures its rate.

And what TCP_INFO says limited the sender, with netem (iproute2's tc)
delaying or dropping what one end of the veth sends:
  - 5 ms of delay and a receiver with -b 4096: the sender's main limit is
    the receive window;
  - 5 ms of delay on the ACKs, a pacing sender (BBR) and -b 4096: TCP
    names the send buffer for a good share of the time, and hardly at
    all with -b 16m;
  - 1% loss: the sender reports retransmits, as many as the namespace's
    own TCP counter (RetransSegs in /proc/net/snmp, the figure netstat -s
    and nstat show) counted for the transfer.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import core  # noqa: E402
import kt  # noqa: E402


class Netem:
    """tc netem on one host's end of the veth: what that host sends is
    delayed or lost (A's egress by default: the data; B's: the ACKs)."""

    def __init__(self, spec, host="a"):
        self.spec = spec
        self.ns = kt.NS[host]

    def __enter__(self):
        # The kernel does not load qdisc modules on demand here.
        rc, out = kt.sh("modprobe sch_netem && "
                        f"ip netns exec {self.ns} tc qdisc replace dev "
                        f"eth0 root netem {self.spec}")
        if rc:
            raise RuntimeError(f"tc netem {self.spec}: {out.strip()}")
        return self

    def __exit__(self, *exc):
        kt.sh(f"ip netns exec {self.ns} tc qdisc del dev eth0 root")


BIG_SNDBUF = 16 << 20


class WmemMax:
    """net.core.wmem_max raised to @n for the block (it caps SO_SNDBUF;
    the guest is the test's own, and the old value comes back after)."""

    PATH = "/proc/sys/net/core/wmem_max"

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        with open(self.PATH) as f:
            self.old = f.read().strip()
        with open(self.PATH, "w") as f:
            f.write(str(self.n))
        return self

    def __exit__(self, *exc):
        with open(self.PATH, "w") as f:
            f.write(self.old)


def limited(x):
    """The sender's tcp.limited object (or {}) and text for a failure."""
    tcp = (x.snd or {}).get("tcp") or {}
    return tcp.get("limited") or {}, f"{x.why()} tcp={tcp}"


@kt.checks(3)
def test_limits(t):
    """What held the sender back, as TCP_INFO names it.

    A small receive window is named as the main limit.  A small send
    buffer is named only where the kernel can see it: TCP counts it
    (tcp_cwnd_validate) when a transmission empties its queue of unsent
    data while the writer waits for room, and a writer that is not paced
    sends its own data before it waits, so that TCP counts 0% with any
    send buffer (a plain userland sender too: 0-0.9% with SO_SNDBUF 4096
    and 5 ms of delay).  A sender paced inside TCP (BBR) has its last
    queued segments sent by the pacing timer while it waits: 21-37% in
    18 runs on 6.1 and 6.12 with -b 4096, 0.0% in all 18 without -b (the
    rest is "neither": the pacing itself)."""
    with Netem("delay 5ms"):
        x = kt.Transfer(["-m", "sendpage", "-T", "2"],
                        ["-m", "trunc", "-b", "4096"]).run()
    lim, why = limited(x)
    t.check(x.ok() and lim.get("main") == "receive_window" and
            lim.get("receive_window_percent", 0) > 50,
            "5 ms delay, receiver -b 4096: the sender's main limit is the "
            f"receive window ({lim.get('receive_window_percent')}%)", why)
    rc, out = kt.sh("modprobe tcp_bbr")
    if rc:
        raise RuntimeError(f"modprobe tcp_bbr: {out.strip()}")
    with Netem("delay 5ms", host="b"), WmemMax(BIG_SNDBUF):
        small = kt.Transfer(["-m", "sendpage", "-T", "1", "-C", "bbr",
                             "-b", "4096"], ["-m", "trunc"]).run()
        big = kt.Transfer(["-m", "sendpage", "-T", "1", "-C", "bbr",
                           "-b", str(BIG_SNDBUF)], ["-m", "trunc"]).run()
    lim, why = limited(small)
    sb = lim.get("send_buffer_percent", -1)
    cc = [(st.get("tcp") or {}).get("congestion")
          for st in (small.snd or {}).get("streams", [])]
    t.check(small.ok() and cc == ["bbr"] and sb >= 10 and
            sb > 5 * lim.get("receive_window_percent", 100),
            "-C bbr, 5 ms on the ACKs, sender -b 4096: the send buffer limited "
            f"it {sb}% of the time (at least 10%; the receive window "
            f"{lim.get('receive_window_percent')}%)", f"{why} congestion={cc}")
    # The other side of the property, side by side in one boot: a send
    # buffer too large to run dry.  Not the autotuned one: that grows
    # from tcp_wmem's 16 KiB as the sender runs, and how soon depends on
    # the host's load (0.0% in 18 quiet runs, but 11.4% once on a quiet
    # host, and 13-20% in 4 of 20 runs with two other guests busy).
    lim, why = limited(big)
    bb = lim.get("send_buffer_percent", -1)
    t.check(big.ok() and 0 <= bb < 5 and bb < sb / 4,
            f"... and with -b {BIG_SNDBUF >> 20}m {bb}% (under 5%, and "
            f"under a quarter of the -b 4096 run's {sb}%)", why)


def retrans_segs():
    """Host A's namespace-wide count of TCP segments retransmitted."""
    rc, out = kt.sh(f"ip netns exec {kt.NS['a']} cat /proc/net/snmp")
    rows = [ln.split() for ln in out.splitlines() if ln.startswith("Tcp:")]
    if rc or len(rows) != 2 or "RetransSegs" not in rows[0]:
        raise RuntimeError(f"no Tcp RetransSegs in /proc/net/snmp: {out}")
    return int(rows[1][rows[0].index("RetransSegs")])


@kt.checks(3)
def test_retransmits(t):
    """Zerocopy: the ioctl returns once every lent page is back, i.e. every
    byte acknowledged, so the count the tool reads then is final but for
    its FIN (lost one time in a hundred, and retransmitted after)."""
    with Netem("delay 1ms loss 1%"):
        before = retrans_segs()
        x = kt.Transfer(["-m", "zerocopy", "-n", "128m", "-i", "0.1"],
                        ["-m", "trunc"]).run()
        after = retrans_segs()
    tcp = (x.snd or {}).get("tcp") or {}
    streams = [(s.get("tcp") or {}).get("retransmits") for s in
               (x.snd or {}).get("streams", [])]
    got = tcp.get("retransmits")
    t.check(x.ok() and isinstance(got, int) and got > 0 and streams == [got],
            f"1% loss: the sender reports {got} segments retransmitted "
            "(its stream's count)", f"{x.why()} tcp={tcp} streams={streams}")
    t.check(isinstance(got, int) and got <= after - before <= got + 2,
            f"... as many as host A's RetransSegs counted: {after - before} "
            "(at most 2 more: the FIN and its retransmit)",
            f"before {before} after {after} tool {got}")
    # TCP_INFO at each -i report: the retransmits in each interval add up
    # to the stream's (the reporter's last read comes after the stream's,
    # so a FIN retransmitted in between may add one or two).
    iv = [((i.get("streams") or [{}])[0].get("tcp") or {})
          for i in (x.snd or {}).get("intervals") or []]
    per = [i.get("retransmits") for i in iv]
    # Several intervals, so that counts not taken per interval would
    # add up to more than the stream's.
    ok = len(iv) >= 3 and all(isinstance(n, int) for n in per) and \
        all(i.get("rtt_us", 0) > 0 and i.get("snd_cwnd", 0) > 0 for i in iv)
    t.check(ok and isinstance(got, int) and
            got <= sum(per) <= got + 2,
            f"-i 0.1: each interval has the stream's TCP_INFO (RTT, cwnd), "
            f"its retransmits summing to the stream's ({sum(n or 0 for n in per)} "
            f"in {len(iv)} intervals, {got} at the end)", repr(iv)[:500])


@kt.checks(len(core.SMODES) * len(core.CLOCK_RUNS))
def test_clocks_loop(t):
    """Both ends in namespace B, on its lo."""
    core.clocks_agree(t, "loopback", core.transfer_pair(("b", "b"),
                                                         "127.0.0.1"))


# The sender's clock runs until TCP has its last byte acknowledged, not
# only until the loop has queued it: on a path slower than the sender,
# what is queued when the loop ends takes a while to drain.  veth limited
# to 200 Mbit/s by netem on A: a 32 MiB send takes about 1.4 s, and a
# sender that stopped its clock at the last byte queued read 8-12% less
# than the receiver in every mode (the drain, about 140 ms; tried on 6.1),
# where the one clock reads at least the receiver's time.  Both ends are
# in one guest, so the sender's span (first send to last ACK) holds the
# receiver's (first arrival to EOF) but for the receiver's wake-ups:
# DRAIN_SLACK allows 2% and 3 ms of those, tried up to CLOCK_TRIES times.
DRAIN_RATE = "200mbit"
DRAIN_SLACK = (0.02, 0.003)


def drain_short(run, sm):
    """(shortfall, snd, rcv): how much the sender's time falls short of
    the receiver's, beyond DRAIN_SLACK, as a share of the receiver's."""
    snd, rcv = run(["-m", sm, "-n", "32m"], ["-m", "trunc"])
    times = core.clock_times(snd, rcv)
    if not times:
        return 1.0, snd, rcv
    ts, tr = times
    rel, ab = DRAIN_SLACK
    return max(0.0, tr - ts - ab) / tr - rel, snd, rcv


@kt.checks(len(core.SMODES) * (len(core.CLOCK_RUNS) + 1))
def test_clocks_veth(t):
    run = core.transfer_pair()
    core.clocks_agree(t, "veth", run)
    with Netem(f"rate {DRAIN_RATE}"):
        for sm in core.SMODES:
            tries = core.clock_tries(lambda: drain_short(run, sm), 0)
            short, snd, rcv = tries[-1]
            t.check(short <= 0,
                    f"veth at {DRAIN_RATE} (netem), {sm} -n 32m: the "
                    f"sender's time ({snd.get('seconds')} s, queued after "
                    f"{snd.get('queued_seconds')} s) is not shorter than "
                    f"the receiver's ({rcv.get('seconds')} s) by more than "
                    f"{DRAIN_SLACK[0] * 100:g}% and "
                    f"{DRAIN_SLACK[1] * 1e3:g} ms, try {len(tries)}",
                    f"shortfalls beyond the slack "
                    f"{[round(100 * x[0], 2) for x in tries]}%; sender "
                    f"rc={snd.get('rc')} {snd.get('stderr', '')!r}; "
                    f"receiver rc={rcv.get('rc')} "
                    f"{rcv.get('stderr', '')!r}")


# Interval reports against the link, not against themselves: each
# interval's bytes are a difference of the tool's samples of PROGRESS, and
# the last one reads the final count, so "they add up to the total" holds
# whatever PROGRESS said.  A link of known rate says what each interval
# must hold: veth limited by netem to 200 Mbit/s carries 25 MB a second
# of frames, 23.9 MB of TCP payload (1448 of every 1514 bytes).  The
# receiver counts what crossed the link; the sender what TCP took, which
# runs ahead by its send buffer while autotuning grows it.  The first and
# the last interval (filling the pipe, the short end) are left out; an
# interval's edges are the reporter's wake-ups, which the emulated guest
# may delay (a late one makes its interval longer and the next shorter),
# so each of the receiver's holds 0.7-1.3 of its due, and all together
# 0.9-1.05; the sender's 0.5-1.5 and 0.8-1.25 (its buffer grows by up to
# tcp_wmem's 4 MiB).
IV_RATE = 200e6 / 8 * 1448 / 1514


def interval_dues(res):
    """[(bytes, due)] for the middle intervals of one end's JSON."""
    iv = (res or {}).get("intervals") or []
    return [(i["bytes"], IV_RATE * (float(i["end"]) - float(i["start"])))
            for i in iv[1:-1]]


@kt.checks(3)
def test_intervals_rate(t):
    with Netem(f"rate {DRAIN_RATE}"):
        x = kt.Transfer(["-m", "sendpage", "-T", "3", "-i", "0.5"],
                        ["-m", "trunc", "-i", "0.5"]).run()
    t.check(x.ok(), f"veth at {DRAIN_RATE}: -T 3 -i 0.5 at both ends",
            x.why())
    for end, res, lo, hi, slo, shi in (
            ("receiver", x.rcv, 0.7, 1.3, 0.9, 1.05),
            ("sender", x.snd, 0.5, 1.5, 0.8, 1.25)):
        d = interval_dues(res)
        got, due = sum(b for b, _ in d), sum(w for _, w in d)
        t.check(len(d) >= 3 and all(lo * w <= b <= hi * w for b, w in d)
                and slo * due <= got <= shi * due,
                f"veth at {DRAIN_RATE}: the {end}'s {len(d)} middle "
                f"intervals carry what the link moved in them "
                f"({lo:g}-{hi:g} each; {got / 1e6:.2f} MB of "
                f"{due / 1e6:.2f} MB due, {slo:g}-{shi:g})",
                repr([(round(b / 1e6, 2), round(w / 1e6, 2))
                      for b, w in d]))


@kt.checks(3)
def test_omit_rate(t):
    """-O 1 against the same link: what each end leaves out is what the
    link moved in that second, and what it measures is the link's rate
    (core.test_omit's "measured + omitted = received" holds by the
    tool's own subtraction).  The sender's omitted second also holds the
    send buffer it filled (up to tcp_wmem's 4 MiB): 0.8-1.5 of a second's
    worth; the receiver's 0.8-1.2.  The rates 0.9-1.05."""
    with Netem(f"rate {DRAIN_RATE}"):
        x = kt.Transfer(["-m", "sendpage", "-T", "3", "-O", "1"],
                        ["-m", "trunc", "-O", "1"]).run()
    t.check(x.ok(), f"veth at {DRAIN_RATE}: -T 3 -O 1 at both ends", x.why())
    for end, res, hi in (("receiver", x.rcv, 1.2), ("sender", x.snd, 1.5)):
        res = res or {}
        om, b = res.get("omitted_bytes") or 0, res.get("bytes") or 0
        secs = float(res.get("seconds") or 0)
        rate = b / secs if secs else 0
        t.check(0.8 * IV_RATE <= om <= hi * IV_RATE and
                0.9 * IV_RATE <= rate <= 1.05 * IV_RATE,
                f"veth at {DRAIN_RATE}, -O 1: the {end} leaves out "
                f"{om / 1e6:.2f} MB (the link's second: "
                f"{IV_RATE / 1e6:.2f} MB, 0.8-{hi:g} of it) and measures "
                f"{rate / 1e6:.2f} MB/s (0.9-1.05 of the link's)",
                repr({k: res.get(k) for k in ("bytes", "omitted_bytes",
                                              "seconds")}))


TESTS = [test_clocks_loop, test_clocks_veth, test_intervals_rate,
         test_omit_rate, core.test_mode_matrix, core.test_mode_paths, core.test_timed,
         core.test_ipv6, core.test_parallel, core.test_plain_peers,
         core.test_tool_errors, core.test_socket_options, test_limits,
         test_retransmits]


def main():
    tests = kt.selected(TESTS)
    t = kt.Results("netns", tests)
    for fn in tests:
        t.run(fn)
    t.finish()


if __name__ == "__main__":
    main()
