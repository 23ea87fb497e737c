#!/usr/bin/env python3
"""failslab.py - allocation failures in every ioctl, in a lab guest.

    scripts/lab -q -k debug -t loop -T 1500 -- \\
        /usr/bin/python3 tests/guest/failslab.py [--quick]

The debug kernel only (scripts/check: loop:failslab@debug): it needs
FAULT_INJECTION with FAILSLAB, FAIL_PAGE_ALLOC, FAULT_INJECTION_USERCOPY
and their debugfs knobs with the stack-trace filter.  On a kernel without
them the group fails, it does not skip.

What it proves: every allocation that an ioctl of /dev/kttcp makes, in
the module or in the kernel below it (TCP, vmalloc, ...) in the calling
task, can fail without harm.  tests/failnth fails them one at a time
through /proc/thread-self/fail-nth (its header explains the method and
why it is C: nothing else in the task may allocate while armed), N = 1,
2, ... until the call no longer reaches an N-th point, in INFO,
PROGRESS, SEND copy/sendpage/zerocopy and RECV copy, copy with verify,
trunc and readsock, each a 251 KiB transfer over loopback with the
module's default chunk; and in three more with chunks that take other
allocation paths.  fail-nth fails one point per call, and kvmalloc()
recovers from a failed kmalloc() with vmalloc(), so with the default
chunks the module's own ENOMEM paths for its buffers are never reached:
a 64 KiB send chunk (the bio_vec array then fits a page) and a
2000-byte receive chunk (buffer and reference too) have no fallback;
a 5 MiB receive chunk is too large for kmalloc() and goes straight to
vmalloc().  For every case:

  - each call succeeds or fails with ENOMEM, never another errno, with a
    zerocopy send's pages all back; the call after the last point
    succeeds; no call outlives its 5 s socket timeouts; the socket fd
    stays the caller's;
  - the fault points are really found: more than 251 in each send case
    (the module's 251 pattern pages alone are that many: proof that
    GFP_KERNEL order-0 allocations count), at least one in each RECV
    copy case (its buffers), and the module's own ENOMEM paths are
    taken (each of SEND's allocations, RECV's buffer and reference).
    trunc and readsock allocate nothing in the module, INFO and PROGRESS
    nothing at all: their counts are printed, not required;
  - a second pass fails each copy_{from,to}_user instead (fail_usercopy)
    in INFO, PROGRESS, SEND and RECV: each ends in EFAULT or success, and
    at least one such point is found in each ioctl;
  - afterwards an unarmed call in each case still works.
Leaks and splats are the lab's to catch: on the debug kernel it fails
the run on any kernel splat on the console (KASAN, lockdep, WARNING,
any "Call Trace:") and runs kmemleak after the command, and rmmod must
work.

debugfs, set before the passes and restored after (the fail-nth write
itself overrides probability, interval, times and the task filter, but
not each capability's own filters):
  failslab, fail_page_alloc: ignore-gfp-wait=N (GFP_KERNEL allocations
    are never failed otherwise), fail_page_alloc ignore-gfp-highmem=N and
    min-order=0 (default 1: no order-0 page would count), failslab
    cache-filter=N;
  all three: probability=0 (no random failures anywhere), task-filter=Y,
    verbose=0 (1 prints a line per fault, 2 a stack trace: "Call
    Trace:", which the lab counts as a splat);
  the stack-trace filter decides which capabilities count as fault
    points in a pass: reject-start=0 with reject-end=ULONG_MAX (and
    stacktrace-depth 32) rejects every stack, so in the alloc pass
    fail_usercopy makes no fault point and every injected fault is an
    allocation, whose only acceptable error is ENOMEM; in the usercopy
    pass failslab and fail_page_alloc are rejected instead, and EFAULT is
    the only acceptable error.  So EFAULT is never accepted for an
    allocation failure, nor ENOMEM for a copy.

--quick fails only every QUICK_STEP-th allocation of the send cases with
the default chunk (about 280 points each); every case still runs.  The
whole group takes 30-50 s in the guest (a little less with --quick), plus
the boot.  Debug switches, to show the group fails when it should:
--no-arm (failnth -N: no fault is ever armed, so no fault point is
found), --no-config (debugfs left at its defaults: GFP_KERNEL and
order-0 allocations never count), --strict (failnth -U: ENOMEM and
EFAULT count as wrong too).
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kt  # noqa: E402

QUICK = "--quick" in sys.argv
NO_ARM = "--no-arm" in sys.argv
NO_CONFIG = "--no-config" in sys.argv
STRICT = "--strict" in sys.argv

FAILNTH = os.path.join(kt.REPO, "tests", "failnth")
FAIL_NTH = "/proc/thread-self/fail-nth"
DEBUGFS = "/sys/kernel/debug"
QUICK_STEP = 4
REPEAT = 3      # calls per fault point where it matters which one failed
ULONG_MAX = "0xffffffffffffffff"

# failnth's cases: (case, ioctl, mode), in its order.  The module's
# default chunks first, then chunks that take other allocation paths
# (tests/failnth.c says why).
CASES = [("info", "INFO", "-"), ("progress", "PROGRESS", "-"),
         ("send-copy", "SEND", "copy"), ("send-sendpage", "SEND", "sendpage"),
         ("send-zerocopy", "SEND", "zerocopy"),
         ("send-zerocopy-64k", "SEND", "zerocopy, 64 KiB chunk"),
         ("recv-copy", "RECV", "copy"), ("recv-verify", "RECV", "copy+verify"),
         ("recv-verify-2k", "RECV", "copy+verify, 2000-byte chunk"),
         ("recv-copy-5m", "RECV", "copy, 5 MiB chunk"),
         ("recv-trunc", "RECV", "trunc"),
         ("recv-readsock", "RECV", "readsock")]
SEND_CASES = [c for c in CASES if c[1] == "SEND"]
# Under --quick these fail every QUICK_STEP-th point only: the others have
# few points, or are there for the error paths they reach.
STEPPED = ("send-copy", "send-sendpage", "send-zerocopy")
# The receive cases that allocate in the module: buffer, reference.
RECV_ALLOC_CASES = [c for c in CASES if c[1] == "RECV" and "copy" in c[2]]
# The usercopy pass: every ioctl once (the copies are before and after the
# mode's own work, the same in every mode).
USERCOPY_CASES = [c for c in CASES
                  if c[0] in ("info", "progress", "send-copy", "recv-copy")]
# Pattern pages every SEND allocates (module/kttcp_pattern.c).
PATTERN_PAGES = 251

CAPS = ("failslab", "fail_page_alloc", "fail_usercopy")
COMMON = ("probability", "verbose", "task-filter", "stacktrace-depth",
          "require-start", "require-end", "reject-start", "reject-end")
OWN = {"failslab": ("ignore-gfp-wait", "cache-filter"),
       "fail_page_alloc": ("ignore-gfp-wait", "ignore-gfp-highmem",
                           "min-order"),
       "fail_usercopy": ()}

STATE = {"saved": {}, "runs": {}}
DEBUG_ARGS = (["-N"] if NO_ARM else []) + (["-U"] if STRICT else [])


def knob(cap, name):
    return os.path.join(DEBUGFS, cap, name)


def read_knob(cap, name):
    with open(knob(cap, name)) as f:
        return f.read().strip()


def write_knob(cap, name, value):
    with open(knob(cap, name), "w") as f:
        f.write(str(value))


def same(a, b):
    """Knob values alike: Y/N as they are, numbers in any base."""
    try:
        return int(a, 0) == int(b, 0)
    except ValueError:
        return a == b


def settings(counted):
    """{cap: {knob: value}} for a pass whose fault points are the
    capabilities in @counted; the others are rejected by the stack-trace
    filter."""
    want = {}
    for cap in CAPS:
        s = {"probability": "0", "verbose": "0", "task-filter": "Y",
             "stacktrace-depth": "32", "require-start": "0",
             "require-end": ULONG_MAX, "reject-start": "0",
             "reject-end": "0" if cap in counted else ULONG_MAX}
        if cap in ("failslab", "fail_page_alloc"):
            s["ignore-gfp-wait"] = "N"
        if cap == "failslab":
            s["cache-filter"] = "N"
        if cap == "fail_page_alloc":
            s["ignore-gfp-highmem"] = "N"
            s["min-order"] = "0"
        want[cap] = s
    return want


def apply(want):
    """Write @want; the knobs that do not read back as written."""
    bad = []
    for cap, s in want.items():
        for name, value in s.items():
            try:
                write_knob(cap, name, value)
                got = read_knob(cap, name)
            except OSError as e:
                bad.append(f"{cap}/{name}: {e}")
                continue
            if not same(got, value):
                bad.append(f"{cap}/{name} = {got}, not {value}")
    return bad


def restore():
    for cap, s in STATE["saved"].items():
        for name, value in s.items():
            try:
                write_knob(cap, name, value)
            except OSError:
                pass


def missing_knobs():
    miss = [] if os.path.exists(FAIL_NTH) else [FAIL_NTH]
    for cap in CAPS:
        for name in COMMON + OWN[cap]:
            if not os.path.exists(knob(cap, name)):
                miss.append(f"{DEBUGFS}/{cap}/{name}")
    return miss


@kt.checks(2)
def test_config(t):
    miss = missing_knobs()
    ok = t.check(not miss, "fault injection is there: fail-nth, and "
                 "failslab, fail_page_alloc, fail_usercopy in debugfs "
                 "with their filters", "missing: " + ", ".join(miss[:12]))
    STATE["config_ok"] = ok
    if not ok:
        t.check(False, "debugfs not set: there is no fault injection to "
                "set up")
        return
    STATE["saved"] = {cap: {n: read_knob(cap, n)
                            for n in COMMON + OWN[cap]} for cap in CAPS}
    if NO_CONFIG:
        t.check(True, "debugfs left at its defaults (--no-config)")
        return
    bad = apply(settings(("failslab", "fail_page_alloc")))
    t.check(not bad, "debugfs set for the allocation pass and read back: "
            "no random faults, verbose 0, GFP_KERNEL and order-0 "
            "allocations count, usercopy faults filtered out",
            "; ".join(bad))


def run_failnth(name, args, timeout):
    """Run tests/failnth; {case: its JSON object}, and what went wrong
    with the run itself (empty if nothing)."""
    argv = [FAILNTH] + args
    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout)
        rc, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        rc, err = None, f"killed after {timeout} s"
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else \
            (e.stdout or "")
    secs = time.monotonic() - t0
    got = {}
    for line in out.splitlines():
        j = kt.parse_json(line)
        if isinstance(j, dict) and "case" in j:
            got[j["case"]] = j
    print(f"# {name}: {' '.join(argv[1:])}: exit {rc}, {secs:.1f} s",
          flush=True)
    for j in got.values():
        if "points" in j:
            calls = "" if j["repeat"] == 1 else \
                f" ({j['repeat']} calls each, {j['err_points']} of them " \
                "with the pass's errno)"
            print(f"#   {j['case']}: {j['points']} points{calls}, "
                  f"{j['ok']} ok, {j['enomem']} ENOMEM, "
                  f"{j['efault']} EFAULT, "
                  f"{j['other_count']} other, {j['reconnects']} "
                  f"reconnects, slowest call {j['max_secs']:.2f} s, "
                  f"{j['secs']:.1f} s", flush=True)
    problem = "" if rc in (0, 1) else \
        f"failnth exit {rc}: {err.strip()[-300:]}"
    STATE["runs"][name] = (got, problem)
    return got, problem


def case_text(ioctl, mode):
    return ioctl if mode == "-" else f"{ioctl} {mode}"


def judge(t, got, problem, case, ioctl, mode, errno_name):
    """One check: every injected fault of @case ended in success or
    @errno_name, and the call after the last point succeeded."""
    j = got.get(case)
    what = case_text(ioctl, mode)
    if j is None:
        t.check(False, f"{what}: no result from failnth",
                problem or "case missing from its output")
        return
    which = "each of its" if j["step"] == 1 else \
        f"every {j['step']}th of its"
    good = j["enomem"] if errno_name == "ENOMEM" else j["efault"]
    detail = "\n".join([f"baseline: {j['baseline']}",
                        f"after the last point: {j['clean']}"] +
                       (["hit the cap of fault points"] if j["capped"]
                        else []) + j["other"])
    t.check(j["other_count"] == 0 and not j["capped"] and
            j["baseline"] == "ok" and j["clean"] == "ok",
            f"{what}: {which} {j['points']} fault points, failed, ends in "
            f"success ({j['ok']}) or {errno_name} ({good}), never else "
            f"({j['other_count']}); the call after the last succeeds",
            detail)


@kt.checks(len(CASES))
def test_alloc(t):
    if QUICK:
        got, problem = run_failnth(
            "alloc pass", ["-P", "alloc", "-k", str(QUICK_STEP), "-t",
                           ",".join(STEPPED)] + DEBUG_ARGS, 1300)
        more, problem2 = run_failnth(
            "alloc pass (rest)", ["-P", "alloc", "-t", ",".join(
                c for c, _, _ in CASES if c not in STEPPED)] + DEBUG_ARGS,
            1300)
        got.update(more)
        problem = "; ".join(p for p in (problem, problem2) if p)
        STATE["runs"]["alloc pass"] = (got, problem)
    else:
        got, problem = run_failnth("alloc pass",
                                   ["-P", "alloc"] + DEBUG_ARGS, 1300)
    for case, ioctl, mode in CASES:
        judge(t, got, problem, case, ioctl, mode, "ENOMEM")


@kt.checks(3)
def test_points(t):
    got, problem = STATE["runs"].get("alloc pass", ({}, "not run"))
    res = {c: got.get(c, {}) for c, _, _ in CASES}
    pts = {c: r.get("points", 0) for c, r in res.items()}
    # With a step, points is the last N failed: within step - 1 of all.
    t.check(all(pts[c] + res[c].get("step", 1) - 1 > PATTERN_PAGES
                for c, _, _ in SEND_CASES),
            "SEND finds its allocations in every mode, more than the "
            f"{PATTERN_PAGES} pattern pages: " +
            ", ".join(f"{m} {pts[c]}" for c, _, m in SEND_CASES), problem)
    t.check(all(pts[c] > 0 for c, _, _ in RECV_ALLOC_CASES),
            "RECV finds the module's buffers: " +
            ", ".join(f"{m} {pts[c]}" for c, _, m in RECV_ALLOC_CASES) +
            f" fault points (trunc {pts['recv-trunc']}, readsock "
            f"{pts['recv-readsock']}, INFO {pts['info']}, PROGRESS "
            f"{pts['progress']}: nothing of the module's own)", problem)
    # ENOMEM certain: SEND's pattern struct, its 251 pages, the bio_vec
    # array and the zerocopy state; RECV's buffer and reference.  Counted
    # as the fault points N at which a call ended in ENOMEM, in a run that
    # makes REPEAT calls per N: the sequence of points is not quite the
    # same from call to call (tests/failnth.c), and one that moves can be
    # skipped.  A second run if the first still missed one.
    want = {"send-zerocopy-64k": PATTERN_PAGES + 3, "recv-verify-2k": 2}
    best = dict.fromkeys(want, 0)
    bad = []
    for run in (1, 2):
        more, p = run_failnth(f"ENOMEM paths, run {run}",
                              ["-P", "alloc", "-r", str(REPEAT), "-t",
                               ",".join(want)] + DEBUG_ARGS, 600)
        bad += [p] if p else []
        for c in want:
            j = more.get(c, {})
            best[c] = max(best[c], j.get("err_points", 0))
            if j and (j["other_count"] or j["baseline"] != "ok" or
                      j["clean"] != "ok" or j["capped"]):
                bad.append(f"{c}: baseline {j['baseline']}, after the last "
                           f"point {j['clean']}; " + "; ".join(j["other"]))
        if all(best[c] >= n for c, n in want.items()):
            break
    zc, rv = best["send-zerocopy-64k"], best["recv-verify-2k"]
    t.check(all(best[c] >= n for c, n in want.items()) and not bad,
            "the module's own ENOMEM paths are taken: SEND zerocopy with "
            f"a 64 KiB chunk fails with ENOMEM at {zc} fault points (at "
            f"least {want['send-zerocopy-64k']}), RECV copy+verify with a "
            f"2000-byte chunk at {rv} (at least 2)", "\n".join(bad))


@kt.checks(len(USERCOPY_CASES))
def test_usercopy(t):
    bad = [] if NO_CONFIG or not STATE.get("config_ok") else \
        apply(settings(("fail_usercopy",)))
    args = ["-P", "usercopy", "-t",
            ",".join(c for c, _, _ in USERCOPY_CASES)] + DEBUG_ARGS
    got, problem = run_failnth("usercopy pass", args, 600)
    if bad:
        problem = "debugfs: " + "; ".join(bad)
    for case, ioctl, mode in USERCOPY_CASES:
        j = got.get(case)
        if j is None or problem:
            t.check(False, f"usercopy: {case_text(ioctl, mode)}: no result",
                    problem)
            continue
        ok = j["points"] > 0 and j["other_count"] == 0 and \
            not j["capped"] and j["baseline"] == "ok" and j["clean"] == "ok"
        t.check(ok, f"usercopy: {ioctl}: each of its {j['points']} user "
                f"copies, failed, ends in EFAULT ({j['efault']}) or "
                f"success ({j['ok']}); at least one found",
                "\n".join([f"baseline: {j['baseline']}",
                           f"after the last point: {j['clean']}"] +
                          j["other"]))


@kt.checks(1)
def test_after(t):
    restore()
    got, problem = run_failnth("after", ["-S"], 300)
    bad = [f"{c}: {got[c]['detail']}" if c in got else f"{c}: no result"
           for c, _, _ in CASES if not got.get(c, {}).get("ok")]
    t.check(not bad and not problem,
            f"after every injection, an unarmed call works in each of the "
            f"{len(CASES)} ioctls and modes", "\n".join(bad + [problem]))


TESTS = [test_config, test_alloc, test_points, test_usercopy, test_after]


def main():
    t = kt.Results("failslab", TESTS)
    if not os.access(FAILNTH, os.X_OK):
        t.bail(f"{FAILNTH} is not built (make tests)")
    t.run(test_config)
    if not STATE.get("config_ok"):
        t.bail(f"no fault injection on {kt.KERNEL}: this group needs the "
               "debug kernel (scripts/lab -k debug)")
    try:
        for fn in TESTS[1:]:
            t.run(fn)
    finally:
        restore()
    t.finish()


if __name__ == "__main__":
    main()
