#!/usr/bin/env python3
"""bench.py - the guest side of scripts/bench: measure, don't judge.

    scripts/lab -k 6.12 -t netns -o DIR -- python3 tests/guest/bench.py \
        [--runs 3] [--secs 4] [--overhead-runs 8] [--memcpy BIN] ...

Runs in a lab guest (in vms: in both guests, LAB_ROLE a sends and b
receives, steps started together at barriers through LAB_OUT).  In one
guest boot it measures:

  - kttcp, every send mode against every receive mode (receiver on B,
    sender on A, timed sends of --secs seconds);
  - the userland peers on the same hosts and path: iperf3 (default, and
    -Z: sendfile), and nuttcp, each with its own defaults (no socket
    buffer option for anybody: kernel autotuning everywhere);
  - the tool's own overhead: sendpage->trunc with the defaults, against
    a sender with -l 64m (the largest chunk per send call; the default
    is the module's auto chunk, sized by time), and against
    -i 1 and -i 0.1 (interval reports; the second makes the cost of
    one report big enough to measure);
  - the guest's memory copy bandwidth (scripts/bench-memcpy.c, built by
    the host) and a short idle baseline of the CPU accounting.

The cases are run in rounds (every case once per round, --runs rounds;
then the overhead cases, --overhead-runs rounds), each round starting at
another case, so slow drift of the emulated machine spreads over all
cases instead of favouring one (schedule()).

Around every run this script reads /proc/stat itself (all CPUs of the
guest, netperf's method) from before the client starts until both ends
have finished, so the CPU cost of every peer is measured the same way;
with vms each guest measures its own.  kttcp's own getrusage figures and
iperf3's and nuttcp's own CPU figures are kept too.  It writes the raw
measurements as one JSON object (--out, default LAB_OUT/bench-raw.json);
scripts/bench turns them into tables, files and plots.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kt  # noqa: E402

OUT = os.environ.get("LAB_OUT", "/tmp")
VMS = kt.TOPO == "vms"
SMODES = ["copy", "sendpage", "zerocopy"]
RMODES = ["copy", "trunc", "readsock"]
PEERS = ["iperf3", "iperf3-Z", "nuttcp"]

# The kernel's own zero-copy senders (tools/testing/selftests/net), built
# by scripts/bench from the linux-source of the guest's kernel line and
# handed over with --selftests DIR: MSG_ZEROCOPY's test without and with
# -z, and io_uring's IORING_OP_SEND_ZC from a registered buffer (-m 2).
# Each sends into kttcp's trunc receiver, a sink that discards in the
# kernel and times first byte to EOF (msg_zerocopy's own receiver
# spins on EOF until its timer ends, which the CPU windows would count).
# -s: the largest send both take, 65435 (IP_MAXPACKET less headers).
# msg_zerocopy runs with scripts/bench-errq.c preloaded (--errq), which
# counts every completion it reads, copied or not: the selftest itself
# reports only its last one.
ZC_PEERS = {
    "msg_zerocopy": ("msg_zerocopy", []),
    "msg_zerocopy-z": ("msg_zerocopy", ["-z"]),
    "io_uring-zc": ("io_uring_zerocopy_tx", ["-m", "2"]),
}
SELFTEST_SEND = 65435
CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPUS = os.cpu_count() or 1


def log(msg):
    print(f"bench[{kt.ROLE}]: {msg}", flush=True)


# --- CPU accounting ----------------------------------------------------

def read_stat():
    """(total, idle) jiffies of all CPUs, and a monotonic timestamp.

    total sums user..steal (guest time is already inside user), idle is
    idle + iowait, as the tool's cpu.c does."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu "):
                v = [int(x) for x in line.split()[1:]]
                break
    v += [0] * (10 - len(v))
    return {"t": time.monotonic(), "total": sum(v[:8]),
            "idle": v[3] + v[4]}


def stat_delta(a, b):
    """The CPU use of one guest between two read_stat() samples."""
    total = b["total"] - a["total"]
    idle = b["idle"] - a["idle"]
    wall = b["t"] - a["t"]
    frac = (total - idle) / total if total > 0 else None
    return {
        "wall_seconds": round(wall, 6),
        "jiffies_total": total,
        "jiffies_idle": idle,
        "clk_tck": CLK_TCK,
        "ncpus": NCPUS,
        "busy_fraction": None if frac is None else round(frac, 6),
        # The formula: busy fraction x ncpus x seconds.
        "busy_cpu_seconds": None if frac is None else
        round(frac * NCPUS * wall, 6),
    }


# --- vms: the two guests in step ---------------------------------------

barrier, publish, fetch = kt.barrier, kt.publish, kt.fetch


# --- listening sockets, without probing them ---------------------------

class Listeners:
    """Sees host B's listening TCP sockets through /proc/PID/net/tcp*.

    /proc/PID/net shows PID's network namespace, so a sleeper kept in
    B's namespace (netns) is a cheap window into it: no ss process per
    poll, and no probe connection that would confuse iperf3."""

    def __init__(self):
        self.sleeper = None
        self.proc = "/proc/self/net"
        if kt.TOPO == "netns" and kt.NS["b"]:
            self.sleeper = subprocess.Popen(
                kt.on("b", ["sleep", "100000"]),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.proc = f"/proc/{self.sleeper.pid}/net"
            time.sleep(0.2)     # let ip netns exec reach the exec

    def ports(self):
        found = set()
        for name in ("tcp", "tcp6"):
            try:
                with open(os.path.join(self.proc, name)) as f:
                    next(f)
                    for line in f:
                        p = line.split()
                        if len(p) > 3 and p[3] == "0A":     # TCP_LISTEN
                            found.add(int(p[1].rsplit(":", 1)[1], 16))
            except OSError:
                pass
        return found

    def wait(self, port, proc, limit=30.0):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if port in self.ports():
                return True
            if proc.poll() is not None:
                return False
            time.sleep(0.02)
        return False

    def close(self):
        if self.sleeper:
            self.sleeper.kill()
            self.sleeper.wait()


# --- the peers: argv and result parsing --------------------------------

def kttcp_keep(j):
    """The parts of a kttcp JSON result that the bench uses."""
    if not isinstance(j, dict):
        return None
    keep = {k: j.get(k) for k in (
        "role", "mode", "version", "module", "kernel", "chunk", "chunk_auto",
        "sockbuf",
        "status", "error", "bytes", "seconds", "bits_per_second", "cpu",
        "zerocopy")}
    st = j.get("streams") or [{}]
    keep["calls"] = st[0].get("calls")
    if j.get("intervals") is not None:
        keep["intervals"] = len(j["intervals"])
    return keep


def parse_iperf3(text):
    j = kt.parse_json(text)
    if not isinstance(j, dict) or "end" not in j:
        return None
    end, start = j["end"], j.get("start", {})
    return {
        "version": start.get("version"),
        "sum_sent": end.get("sum_sent"),
        "sum_received": end.get("sum_received"),
        "cpu_utilization_percent": end.get("cpu_utilization_percent"),
        "sock_bufsize": start.get("sock_bufsize"),
        "sndbuf_actual": start.get("sndbuf_actual"),
        "rcvbuf_actual": start.get("rcvbuf_actual"),
        "test_start": start.get("test_start"),
        "error": j.get("error"),
    }


def parse_selftest(text):
    """The last line of msg_zerocopy ('tx=N (M MB) txc=C zc=y|n': send
    calls, MiB, zero-copy completions, the last one not copied) or of
    io_uring_zerocopy_tx ('tx=N (MB=M), tx/s=...'), on stderr; with
    "errq", bench-errq's count of every completion ('bench-errq:
    completions=C calls=N copied=K', printed at exit, after it)."""
    d = None
    for line in reversed(text.splitlines()):
        if line.startswith("bench-errq: ") and d is None:
            errq = {}
            for kv in line.split()[1:]:
                k, _, v = kv.partition("=")
                if v.isdigit():
                    errq[k] = int(v)
            d = {"errq": errq}
            continue
        if not line.startswith("tx="):
            continue
        d = dict(d or {}, line=line.strip())
        for kv in line.replace("(", " ").replace(")", " ").replace(
                ",", " ").split():
            k, _, v = kv.partition("=")
            if k in ("tx", "txc", "MB") and v.isdigit():
                d[k] = int(v)
            elif k == "zc":
                d["zc"] = v == "y"
        return d
    return None


def parse_nuttcp(text):
    """nuttcp -fparse: 'megabytes=... real_seconds=... rate_Mbps=...'."""
    for line in text.splitlines():
        if "megabytes=" in line and "rate_Mbps=" in line:
            d = {}
            for kv in line.split():
                k, _, v = kv.partition("=")
                try:
                    d[k] = float(v)
                except ValueError:
                    d[k] = v
            return d
    return None


class Case:
    """One thing to measure: a server on B, a client on A."""

    def __init__(self, cid, kind, group, runs, smode=None, rmode=None,
                 sargs=(), rargs=(), selftests="", errq=""):
        self.id, self.kind, self.group, self.runs = cid, kind, group, runs
        self.smode, self.rmode = smode, rmode
        self.sargs, self.rargs = list(sargs), list(rargs)
        self.selftests, self.errq = selftests, errq

    def describe(self):
        return {"id": self.id, "kind": self.kind, "group": self.group,
                "runs": self.runs, "send_mode": self.smode,
                "recv_mode": self.rmode,
                "sender_options": " ".join(self.sargs),
                "receiver_options": " ".join(self.rargs)}

    def server(self, port):
        if self.kind in ZC_PEERS:
            return [kt.KTTCP, "-r", "-J", "-4", "-p", str(port), "-m",
                    "trunc"]
        if self.kind == "kttcp":
            return [kt.KTTCP, "-r", "-J", "-4", "-p", str(port), "-m",
                    self.rmode] + self.rargs
        if self.kind.startswith("iperf3"):
            return ["iperf3", "-s", "-1", "-J", "-p", str(port)]
        # nuttcp: a one-shot server, control port PORT, in the foreground.
        return ["nuttcp", "--nofork", "-1", "-P", str(port)]

    def client(self, port, secs):
        dst = kt.ADDR["b"]
        if self.kind in ZC_PEERS:
            prog, flags = ZC_PEERS[self.kind]
            pre = ["env", f"LD_PRELOAD={self.errq}"] \
                if self.errq and prog == "msg_zerocopy" else []
            return pre + [os.path.join(self.selftests, prog), "-4", "-p",
                    str(port), "-D", dst, "-t", str(secs), "-s",
                    str(SELFTEST_SEND)] + flags + ["tcp"]
        if self.kind == "kttcp":
            return [kt.KTTCP, "-t", "-J", "-4", "-p", str(port), "-m",
                    self.smode, "-T", str(secs)] + self.sargs + [dst]
        if self.kind.startswith("iperf3"):
            z = ["-Z"] if self.kind == "iperf3-Z" else []
            return ["iperf3", "-c", dst, "-4", "-p", str(port), "-t",
                    str(secs), "-J"] + z
        return ["nuttcp", "-fparse", "-P", str(port), "-p", str(port + 1),
                f"-T{secs}", dst]

    def result(self, srv, cli):
        """Throughput at the receiver, plus the tool's own figures.

        srv, cli: (rc, stdout, stderr) of server and client, either may
        be None (vms: the other guest's side)."""
        r = {}
        if self.kind == "kttcp":
            rcv = kttcp_keep(kt.parse_json(srv[1])) if srv else None
            snd = kttcp_keep(kt.parse_json(cli[1])) if cli else None
            r["receiver"], r["sender"] = rcv, snd
            if rcv:
                r["bytes"], r["seconds"] = rcv["bytes"], float(rcv["seconds"])
        elif self.kind in ZC_PEERS:
            rcv = kttcp_keep(kt.parse_json(srv[1])) if srv else None
            r["receiver"] = rcv
            r["client"] = parse_selftest(cli[2]) if cli else None
            if rcv:
                r["bytes"], r["seconds"] = rcv["bytes"], float(rcv["seconds"])
        elif self.kind.startswith("iperf3"):
            c = parse_iperf3(cli[1]) if cli else None
            s = parse_iperf3(srv[1]) if srv else None
            r["client"], r["server"] = c, s
            if c and c.get("sum_received"):
                r["bytes"] = c["sum_received"]["bytes"]
                r["seconds"] = c["sum_received"]["seconds"]
        else:
            c = parse_nuttcp(cli[1]) if cli else None
            r["client"] = c
            if c:
                # nuttcp reports from the receiver's viewpoint, MiB.
                r["bytes"] = int(round(c["megabytes"] * 1048576))
                r["seconds"] = c["real_seconds"]
        return r


def selftest_missing(a, peer):
    """Why the selftest behind @peer cannot run here, or None.  The host
    writes DIR/why-PROGRAM when it could not build PROGRAM."""
    prog = ZC_PEERS[peer][0]
    if not a.selftests:
        return "no --selftests directory"
    why = os.path.join(a.selftests, f"why-{prog}")
    if os.path.exists(why):
        with open(why) as f:
            return f.read().strip() or f"{prog} was not built"
    if not os.access(os.path.join(a.selftests, prog), os.X_OK):
        return f"{prog} is missing from {a.selftests}"
    return None


def selftests_source(a):
    """'linux-source-X.Y VERSION', as scripts/bench-selftests wrote it."""
    try:
        with open(os.path.join(a.selftests, "source")) as f:
            return f.read().strip()
    except OSError:
        return None


def zc_sysctls(a):
    """What the selftests need of each network namespace: room for
    MSG_ZEROCOPY's notifications (optmem_max; ENOBUFS otherwise), and
    for the 2 MiB socket buffers both set (wmem_max and rmem_max cap
    them; raising a cap changes nothing for a peer that sets none)."""
    if not any(p in ZC_PEERS for p in a.peers):
        return {}
    done = {}
    roles = [kt.ROLE] if VMS else sorted({"a", "b"})
    for role in roles:
        for key, val in (("net.core.optmem_max", 1000000),
                         ("net.core.wmem_max", 4194304),
                         ("net.core.rmem_max", 4194304)):
            r = subprocess.run(kt.on(role, ["sysctl", "-qw", f"{key}={val}"]),
                               capture_output=True, text=True)
            done[f"{role}:{key}"] = val if r.returncode == 0 else \
                r.stderr.strip()[-200:]
    return done


def make_plan(a):
    cases = []
    for s in a.smodes:
        for r in a.rmodes:
            cases.append(Case(f"kttcp-{s}-{r}", "kttcp", "matrix", a.runs,
                              s, r))
    for p in a.peers:
        if p in ZC_PEERS and selftest_missing(a, p):
            continue
        cases.append(Case(p, p, "peer", a.runs, selftests=a.selftests,
                          errq=a.errq))
    if a.overhead_runs:
        o = a.overhead_runs
        cases += [
            Case("ovh-default", "kttcp", "overhead", o, "sendpage", "trunc"),
            # -l is the bytes per send call: the sender's option.
            Case("ovh-lmax", "kttcp", "overhead", o, "sendpage", "trunc",
                 sargs=["-l", "64m"]),
            # Interval reports at both ends, at 1 s and (to make the cost
            # of one report measurable at all) at 1 ms.
            Case("ovh-i1", "kttcp", "overhead", o, "sendpage", "trunc",
                 sargs=["-i", "1"], rargs=["-i", "1"]),
            Case("ovh-i100ms", "kttcp", "overhead", o, "sendpage", "trunc",
                 sargs=["-i", "0.1"], rargs=["-i", "0.1"]),
        ]
    return cases


def schedule(cases):
    """(case, run) pairs in the order to run them.

    The modes and the peers go in rounds, every case once per round, then
    the overhead cases in rounds of their own, back to back so that each
    round is a tight comparison.  Each round starts at a different case,
    so that no case always runs first, or always right after the same
    other one, and slow drift of the emulated machine spreads over all."""
    order = []
    for groups in (("matrix", "peer"), ("overhead",)):
        cs = [c for c in cases if c.group in groups]
        if not cs:
            continue
        rounds = max(c.runs for c in cs)
        for rnd in range(rounds):
            active = [c for c in cs if rnd < c.runs]
            k = rnd * max(1, len(active) // rounds) % len(active)
            order += [(c, rnd) for c in active[k:] + active[:k]]
    return order


# --- running one step --------------------------------------------------

def finish(p, timeout):
    """(rc, out, err) of p; killed (SIGINT, then SIGKILL) past timeout."""
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        return None, out, err + "\n[killed: timeout]"


def brief(res):
    rc, _, err = res
    return {"rc": rc, "stderr": err.strip()[-400:]}


class Runner:
    def __init__(self, a):
        self.a = a
        self.seq = 0
        self.port = 24000
        self.listen = Listeners() if kt.ROLE == "b" or not VMS else None

    def step(self, case, run):
        self.seq += 1
        self.port += 2          # nuttcp takes port and port + 1
        name = f"s{self.seq}"
        secs = self.a.secs
        if VMS and kt.ROLE == "b":
            return self.step_b(case, name, secs)
        if VMS:
            return self.step_a(case, name, secs)
        return self.step_one(case, secs)

    def start_server(self, case):
        p = kt.spawn("b", case.server(self.port))
        if not self.listen.wait(self.port, p):
            return p, False
        return p, True

    def step_one(self, case, secs):
        """loop, netns: both ends in this guest, one CPU window."""
        srv, up = self.start_server(case)
        if not up:
            res = finish(srv, 5)
            return {"ok": False, "error": "server never listened",
                    "server_proc": brief(res)}
        s0 = read_stat()
        cli = finish(kt.spawn("a", case.client(self.port, secs)), secs + 60)
        res = finish(srv, 60)
        s1 = read_stat()
        out = case.result(res, cli)
        out["cpu_windows"] = {"host": stat_delta(s0, s1)}
        out["server_proc"], out["client_proc"] = brief(res), brief(cli)
        return out

    def step_b(self, case, name, secs):
        """vms, guest b: the server; its window ends when it is done."""
        srv, up = self.start_server(case)
        s0 = read_stat()
        if not barrier(name + "-ready"):
            up = False
        res = finish(srv, secs + 90 if up else 5)
        s1 = read_stat()
        mine = {"proc": brief(res), "out": res[1],
                "window": stat_delta(s0, s1), "listened": up}
        publish(name, mine)
        return None

    def step_a(self, case, name, secs):
        """vms, guest a: the client; its window ends when b is done
        (the sender's kernel still transmits after the client exits)."""
        barrier(name + "-ready")
        s0 = read_stat()
        cli = finish(kt.spawn("a", case.client(self.port, secs)), secs + 60)
        theirs = fetch(name, secs + 120)
        s1 = read_stat()
        if not theirs:
            return {"ok": False, "error": "no result from guest b",
                    "client_proc": brief(cli)}
        srv = (theirs["proc"]["rc"], theirs["out"], theirs["proc"]["stderr"])
        out = case.result(srv, cli)
        out["cpu_windows"] = {"a": stat_delta(s0, s1), "b": theirs["window"]}
        out["server_proc"], out["client_proc"] = theirs["proc"], brief(cli)
        if not theirs.get("listened"):
            out["error"] = "server never listened"
        return out


def judge(case, out):
    """ok unless something is missing or a process failed."""
    if out.get("error"):
        out["ok"] = False
        return out
    bad = []
    for who in ("server_proc", "client_proc"):
        if (out.get(who) or {}).get("rc") != 0:
            bad.append(f"{who} rc={(out.get(who) or {}).get('rc')}")
    if not out.get("bytes") or not out.get("seconds"):
        bad.append("no byte count")
    if case.kind in ZC_PEERS:
        if (out.get("receiver") or {}).get("status") != "ok":
            bad.append("kttcp receiver status "
                       f"{(out.get('receiver') or {}).get('status')}")
        if not out.get("client"):
            bad.append("no tx= line from the selftest")
        elif case.errq and "-z" in ZC_PEERS[case.kind][1] and \
                not (out["client"].get("errq") or {}).get("calls"):
            bad.append("no completions counted by bench-errq")
    if case.kind == "kttcp":
        for side in ("sender", "receiver"):
            if not out.get(side) or out[side].get("status") != "ok":
                bad.append(f"kttcp {side} status "
                           f"{(out.get(side) or {}).get('status')}")
    out["ok"] = not bad
    if bad:
        out["error"] = "; ".join(bad)
    return out


def line(case, run, out):
    if not out.get("ok"):
        return f"{case.id} run {run + 1}: FAILED: {out.get('error')}"
    gbps = out["bytes"] * 8 / out["seconds"] / 1e9
    busy = sum(w["busy_cpu_seconds"] or 0
               for w in out["cpu_windows"].values())
    sd = busy * 1e6 / (out["bytes"] / 1e6)
    s = f"{case.id} run {run + 1}: {gbps:.3f} Gbit/s, {sd:.0f} us/MB"
    if case.kind in ZC_PEERS:
        s += f", {out['client'].get('line')}"
        eq = out["client"].get("errq")
        if eq and eq.get("calls"):
            s += f", {eq['calls'] - eq['copied']}/{eq['calls']} send " \
                "calls not copied"
    zc = (out.get("sender") or {}).get("zerocopy")
    if zc and zc.get("completions"):
        s += f", zerocopy {zc['completions'] - zc['copied']}/" \
             f"{zc['completions']} not copied"
    return s


# --- other measurements ------------------------------------------------

def memcpy_bw(a):
    if not a.memcpy or kt.ROLE != "a":
        return None
    r = subprocess.run([a.memcpy, str(a.memcpy_mib), str(a.memcpy_secs)],
                       capture_output=True, text=True, timeout=120)
    j = kt.parse_json(r.stdout)
    if r.returncode != 0 or not j:
        return {"error": f"rc={r.returncode} {r.stderr.strip()[-200:]}"}
    return j


def idle_baseline(secs):
    barrier("idle")
    s0 = read_stat()
    time.sleep(secs)
    return stat_delta(s0, read_stat())


def versions():
    v = {}
    for name, argv in (("iperf3", ["iperf3", "--version"]),
                       ("nuttcp", ["nuttcp", "-V"]),
                       ("kttcp", [kt.KTTCP, "--version"])):
        try:
            r = subprocess.run(argv, capture_output=True, text=True,
                               timeout=30)
            v[name] = (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            v[name] = None
    return v


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                return {k: k in have for k in ("erms", "fsrm", "rep_good",
                                               "avx2", "avx512f")}
    return {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--secs", type=float, default=4)
    ap.add_argument("--overhead-runs", type=int, default=8)
    ap.add_argument("--smodes", default=",".join(SMODES))
    ap.add_argument("--rmodes", default=",".join(RMODES))
    ap.add_argument("--peers", default=",".join(PEERS + list(ZC_PEERS)))
    ap.add_argument("--memcpy", default="")
    ap.add_argument("--selftests", default="",
                    help="directory with msg_zerocopy and "
                    "io_uring_zerocopy_tx, built for this kernel line")
    ap.add_argument("--errq", default="",
                    help="scripts/bench-errq.c built as a shared object, "
                    "preloaded into msg_zerocopy")
    ap.add_argument("--memcpy-mib", type=int, default=64)
    ap.add_argument("--memcpy-secs", type=float, default=1.0)
    ap.add_argument("--idle-secs", type=float, default=2.0)
    ap.add_argument("--out", default=os.path.join(OUT, "bench-raw.json"))
    a = ap.parse_args()
    a.smodes = [m for m in a.smodes.split(",") if m and m != "none"]
    a.rmodes = [m for m in a.rmodes.split(",") if m and m != "none"]
    a.peers = [p for p in a.peers.split(",") if p]
    if a.secs == int(a.secs):
        a.secs = int(a.secs)

    t_begin = time.monotonic()
    cases = make_plan(a)
    total = sum(c.runs for c in cases)
    log(f"{kt.KERNEL} {kt.TOPO}: {len(cases)} cases, {total} runs of "
        f"{a.secs}s")
    raw = {
        "format": "kttcp-bench-raw 1",
        "kernel": kt.KERNEL, "topo": kt.TOPO, "ncpus": NCPUS,
        "params": {"runs": a.runs, "seconds": a.secs,
                   "overhead_runs": a.overhead_runs,
                   "addr_a": kt.ADDR["a"], "addr_b": kt.ADDR["b"]},
        "versions": versions() if kt.ROLE == "a" else None,
        "cpu_flags": cpu_flags(),
        "cases": [c.describe() for c in cases],
        "unavailable": {p: selftest_missing(a, p) for p in a.peers
                        if p in ZC_PEERS and selftest_missing(a, p)},
        "selftests_source": selftests_source(a),
        "sysctls": zc_sysctls(a),
    }
    barrier("start")
    raw["memcpy"] = memcpy_bw(a)
    if raw["memcpy"] and "memcpy" in raw["memcpy"]:
        log(f"memcpy {raw['memcpy']['memcpy']['median_gbytes_per_second']}"
            f" GB/s, rep movsb "
            f"{raw['memcpy']['rep_movsb']['median_gbytes_per_second']} GB/s")
    raw["idle"] = {kt.ROLE: idle_baseline(a.idle_secs)}
    run = Runner(a)
    raw["runs"] = []
    n = 0
    for c, rnd in schedule(cases):
        n += 1
        out = run.step(c, rnd)
        if out is None:         # vms, guest b: a keeps the record
            continue
        out = judge(c, out)
        out["case"], out["run"] = c.id, rnd
        raw["runs"].append(out)
        log(f"[{n}/{total}] {line(c, rnd, out)}")
    if run.listen:
        run.listen.close()
    raw["guest_seconds"] = round(time.monotonic() - t_begin, 1)
    if VMS:
        if kt.ROLE == "b":
            publish("idle", raw["idle"])
            barrier("end")
            return 0
        barrier("end")
        raw["idle"].update(fetch("idle", 60) or {})
    with open(a.out + ".tmp", "w") as f:
        json.dump(raw, f, indent=1)
    os.rename(a.out + ".tmp", a.out)
    failed = sum(1 for r in raw["runs"] if not r["ok"])
    log(f"done in {raw['guest_seconds']}s, {failed} failed runs, "
        f"raw results in {a.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
