"""kprobes.py - count calls of kernel functions while something runs.

The send modes differ only in how TCP takes the pages, so no byte count
can tell them apart: the kernel's own functions can.  A kprobe event on
each function (tracefs kprobe_events) counts its calls in kprobe_profile,
independently of anything kttcp reports:

    with Calls(["skb_splice_from_iter", "do_tcp_sendpages"]) as c:
        ...transfer...
    c.hits  ->  {"skb_splice_from_iter": 2310, "do_tcp_sendpages": None}

None means the running kernel has no such function (6.1 sends pages
through do_tcp_sendpages, 6.5 and later through skb_splice_from_iter).
Root only; mounts tracefs if the guest has not.
"""

import os
import subprocess

TRACING = "/sys/kernel/tracing"
GROUP = "kttcp_test"


def _tracefs():
    if not os.path.exists(os.path.join(TRACING, "kprobe_events")):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACING],
                       check=True)
    return TRACING


def _write(name, text, append=True):
    # os.open, not open(): Python seeks to the end of a file opened for
    # appending, and tracefs files refuse the seek (EINVAL).
    flags = os.O_WRONLY | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(os.path.join(TRACING, name), flags)
    try:
        os.write(fd, (text + "\n").encode())
    finally:
        os.close(fd)


def available(sym):
    """Can a kprobe sit on @sym in this kernel?"""
    _tracefs()
    with open(os.path.join(TRACING, "available_filter_functions")) as f:
        return any(line.split()[0] == sym for line in f if line.strip())


class Calls:
    """Count calls of each function in @syms during a with block."""

    def __init__(self, syms):
        self.syms = list(syms)
        self.hits = {}

    def __enter__(self):
        _tracefs()
        self.armed = [s for s in self.syms if available(s)]
        for s in self.armed:
            _write("kprobe_events", f"p:{GROUP}/{s} {s}")
        if self.armed:
            # Only the counts are read, never a task's name: without
            # record-cmd, enabling an event does not hook sched_switch,
            # whose static-call patching oopsed once on int3 in the rt
            # guest under emulation (CI, toggling these events).
            _write("options/record-cmd", "0", append=False)
            _write(f"events/{GROUP}/enable", "1", append=False)
        return self

    def __exit__(self, *exc):
        counts = {}
        with open(os.path.join(TRACING, "kprobe_profile")) as f:
            for line in f:
                w = line.split()
                # "  EVENT  HITS  MISSES": the event name, not the group
                if len(w) == 3 and w[0] in self.armed:
                    counts[w[0]] = int(w[1])
        if self.armed:
            _write(f"events/{GROUP}/enable", "0", append=False)
            for s in self.armed:
                _write("kprobe_events", f"-:{GROUP}/{s}")
        self.hits = {s: counts.get(s) if s in self.armed else None
                     for s in self.syms}
        return False
