#!/usr/bin/env python3
"""lifetime.py - rmmod against zerocopy transfers killed with pages lent.

    scripts/lab -k debug -t loop -- python3 tests/guest/lifetime.py [SECS]

make check runs its test in the group loop:faults (faults.py imports it),
for the default time; run alone, it takes a longer SECS.

A zerocopy transfer whose process dies while the stack still holds its
pages leaves a detached context behind, which frees itself, and drops the
module reference it holds, in the completion of the last page: in softirq
or process context, at any moment.  Module code then still runs after
that module_put() (module/kttcp_zc.c, "Lifetime").  This group aims rmmod
at exactly that moment, round after round for SECS seconds (default 15)
and at least MIN_ROUNDS rounds however long they take (the debug kernel,
whose KASAN would see a use of freed module memory, is the slowest),
with a printed seed choosing the order of events:

  - LANES zerocopy senders into a peer that never reads, until every one
    has bytes in flight (pages lent);
  - rmmod in a tight loop from then on (refused: the module is in use);
  - every sender SIGKILLed, in a random order with random gaps, then
    the peer killed: its resets purge the write queues, the pages come
    back, the last completion drops the module reference, and the next
    rmmod succeeds;
  - insmod, and the next round.

Checks: enough senders were killed with pages lent, each ended by its
SIGKILL, and in every round the module unloaded within 20 s of the
peer's end.  A splat anywhere fails the run (the lab).
"""

import os
import random
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kt  # noqa: E402

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer.py")
ARGS = [a for a in sys.argv[1:] if not a.startswith("-")]
SECS = int(ARGS[0]) if ARGS else 15
LANES = 3
MIN_ROUNDS = 3
MODULE = os.environ.get("LAB_MODULE", "")


class Hammer:
    """rmmod in a tight loop until it succeeds (or 60 s pass), with a line
    on stdout for each refusal."""

    def __init__(self):
        self.p = subprocess.Popen(
            ["timeout", "60", "sh", "-c",
             "until rmmod kttcp 2>/dev/null; do echo refused; done"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        self.refusals = 0

    def refused(self, timeout=20, fresh=False):
        """Wait for the next refusal (@fresh: one that starts after this
        call, not one already in the pipe): True; False if rmmod
        succeeded (or gave up) first, or nothing came within @timeout s."""
        deadline = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while fresh and select.select([fd], [], [], 0)[0]:
            b = os.read(fd, 4096)
            if not b:
                return False
            self.refusals += b.count(b"\n")
        # An attempt under way now may have begun before this call: let
        # it end, so that a fresh refusal is one that started after it.
        if fresh and not self.refused(timeout):
            return False
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            b = os.read(fd, 8)      # "refused\n" is 8 bytes
            if not b:
                return False        # EOF: rmmod succeeded
            self.refusals += b.count(b"\n")
            return True
        return False

    def end(self, timeout=30):
        """Its exit status once rmmod succeeded (124: it never did)."""
        while self.refused(timeout):
            pass
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return self.p.wait()


def one_round(rng, stats):
    """Senders killed with pages lent while rmmod hammers; True if the
    module unloaded once their peer was gone."""
    port = kt.next_port()
    peer = kt.spawn("b", [sys.executable, PEER, "stall", str(port),
                          str(LANES)])
    kt.listening("b", port)
    senders = [kt.spawn("a", [kt.KTTCP, "-t", "-q", "-m", "zerocopy", "-n",
                              "4g", "-p", str(port), kt.ADDR["b"]])
               for _ in range(LANES)]
    lent = kt.sending("a", port, timeout=30, count=LANES)
    hammer = Hammer()
    if not hammer.refused():
        stats["stuck"].append("rmmod was not refused with senders running")
    rng.shuffle(senders)
    for s in senders:
        s.kill()
        time.sleep(rng.uniform(0, 0.05))     # a random interleaving
    for s in senders:
        rc, _, err = kt.wait(s, 10)
        if rc == -9 and lent:
            stats["killed_lent"] += 1
        else:
            stats["unexpected"].append(f"rc={rc} lent={lent} "
                                       f"{err.strip()[-160:]}")
    # The senders' files are closed: only their lent pages hold the
    # module now, and rmmod must still be refused.
    if not hammer.refused(fresh=True):
        stats["unexpected"].append("rmmod was not refused with every "
                                   "sender gone and pages lent")
    time.sleep(rng.uniform(0, 0.2))     # a random interleaving
    peer.send_signal(signal.SIGTERM)    # resets all: the pages come back
    kt.wait(peer, 10)
    t_gone = time.monotonic()
    rc = hammer.end()
    took = time.monotonic() - t_gone
    stats["rmmod_tries"] += hammer.refusals
    unloaded = rc == 0 and not os.path.exists("/sys/module/kttcp")
    if not unloaded:
        stats["stuck"].append(f"rmmod rc={rc} {took:.1f} s after the peer")
    subprocess.run(["insmod", MODULE], capture_output=True)
    return unloaded


@kt.checks(3)
def test_kill_and_unload(t):
    seed = int(os.environ.get("LIFETIME_SEED", time.time_ns() % 100000))
    print(f"# lifetime: {SECS} s, {LANES} senders a round, seed {seed} "
          "(LIFETIME_SEED replays it)", flush=True)
    rng = random.Random(seed)
    stats = {"killed_lent": 0, "rmmod_tries": 0, "unexpected": [],
             "stuck": []}
    rounds = unloads = 0
    end = time.monotonic() + SECS
    # At least MIN_ROUNDS however long they take (a round is 3-4 s in an
    # emulated guest, 14 s on the debug kernel), more while time is left.
    while (time.monotonic() < end or rounds < MIN_ROUNDS) and \
            not stats["stuck"]:
        rounds += 1
        unloads += one_round(rng, stats)
    print(f"# lifetime: {rounds} rounds, {stats['killed_lent']} senders "
          f"killed with pages lent, {stats['rmmod_tries']} refused rmmods, "
          f"{unloads} unloads", flush=True)
    t.check(stats["killed_lent"] >= MIN_ROUNDS * LANES and
            os.path.exists("/dev/kttcp"),
            f"{stats['killed_lent']} zerocopy senders SIGKILLed with pages "
            f"lent, in {rounds} rounds, rmmod hammering alongside")
    t.check(not stats["unexpected"],
            "every sender had pages lent and ended by its SIGKILL",
            "; ".join(stats["unexpected"])[:600])
    t.check(unloads == rounds and not stats["stuck"],
            f"each round the module unloaded once the peers were gone "
            f"({unloads} of {rounds})", "; ".join(stats["stuck"]))


TESTS = [test_kill_and_unload]


def main():
    tests = kt.selected(TESTS)
    t = kt.Results("lifetime", tests)
    for fn in tests:
        t.run(fn)
    t.finish()


if __name__ == "__main__":
    main()
