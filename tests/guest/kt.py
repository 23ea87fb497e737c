"""kt.py - what the guest tests share: running kttcp on the lab's hosts.

Imported by the test groups in this directory, which run inside a lab
guest (scripts/lab) with kttcp.ko loaded.  The lab's topology says where
hosts A and B are (tests/lib/lab.sh documents the LAB_* variables):

    loop   A and B are this guest, on lo;
    netns  A and B are network namespaces joined by veth;
    vms    A and B are two guests joined by virtio-net: each runs the
           same group with LAB_ROLE a or b.

Tests here run the receiver on B and the sender on A.  Each group is a
TAP stream (see Results): the plan "1..N" first, summed from the counts
its test functions declare with @checks(n), then one line per check, and
"P passed, F failed, S skipped" at the end.  Nothing here measures speed:
checks are on bytes, errors and counters, never on timings that could
flake.
"""

import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

REPO = os.environ.get("LAB_REPO", os.getcwd())
KTTCP = os.path.join(REPO, "userland", "kttcp")
TOPO = os.environ.get("LAB_TOPO", "loop")
ROLE = os.environ.get("LAB_ROLE", "a")
KERNEL = os.environ.get("LAB_KERNEL", os.uname().release)
ADDR = {"a": os.environ.get("LAB_ADDR_A", "198.18.0.1"),
        "b": os.environ.get("LAB_ADDR_B", "198.18.0.1")}
ADDR6 = {"a": os.environ.get("LAB_ADDR6_A", "2001:2::1"),
         "b": os.environ.get("LAB_ADDR6_B", "2001:2::1")}
NS = {"a": os.environ.get("LAB_NS_A", ""), "b": os.environ.get("LAB_NS_B", "")}

GIB = 1 << 30
MIB = 1 << 20

# How soon a signal must end a kttcp: within a second (a zerocopy sender
# gives the stack half of it to return its pages).  The debug kernel
# (KASAN, lockdep, two CPUs, all emulated) takes 0.3 s to tear down even
# a copy sender whose peer stalls, against 0.02-0.05 s on Debian's: it
# gets two.  A wakeup that never comes still fails, at the 5 s wait.
DEBUG_KERNEL = "debug" in KERNEL
SIGNAL_SECS = 2.0 if DEBUG_KERNEL else 1.0


def selected(tests):
    """@tests, or those of them that --only=NAME,NAME (scripts/check -o)
    names, in their own order.  A name that is not one of @tests ends the
    group at once: a mutant's steps must not boot a guest for nothing."""
    only = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")]
    if not only:
        return list(tests)
    names = set(",".join(only).split(","))
    unknown = names - {fn.__name__ for fn in tests}
    if unknown:
        sys.exit(f"--only: no test {' '.join(sorted(unknown))} here")
    return [fn for fn in tests if fn.__name__ in names]


def checks(n):
    """Declare how many checks the decorated test function makes.

    The count is the function's share of the group's TAP plan, so it must
    be known before anything runs: a constant, or an expression of what
    is fixed at import time (the topology, the role, --quick)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"checks({n!r}): want a count >= 0")

    def deco(fn):
        fn.checks = n
        return fn
    return deco


def _one_line(text):
    return " ".join(str(text).split())


class Results:
    """The TAP output of one group.

    Results(group, tests) prints the plan "1..N", N the sum of the counts
    the test functions declared with @checks; each check is then one line
    "ok K - text", "not ok K - text" or "ok K - text # SKIP reason" (a
    failure's detail follows as "#   " lines), and finish() ends with
    "P passed, F failed, S skipped" (P without the skips).

    run(fn) holds fn to its declared count: an exception is one failed
    check; a function that stops short has its missing checks printed as
    failures, so the lines still add up to the plan; one that makes more
    checks than it declared gets one more failure naming it, and finish()
    says the count is off the plan.  finish() exits 1 if anything failed
    or the number of checks is not the plan.
    """

    def __init__(self, group, tests):
        self.group = group
        self.tests = list(tests)
        undeclared = [fn.__name__ for fn in self.tests
                      if not hasattr(fn, "checks")]
        if undeclared:
            raise TypeError("no @kt.checks(n) on " + ", ".join(undeclared))
        self.planned = sum(fn.checks for fn in self.tests)
        self.passed = self.failed = self.skipped = 0
        print(f"1..{self.planned}", flush=True)

    @property
    def count(self):
        return self.passed + self.failed + self.skipped

    def _print(self, tag, text, tail=""):
        n = self.count + 1
        print(f"{tag} {n} - [{KERNEL} {TOPO}] {self.group}: "
              f"{_one_line(text)}{tail}", flush=True)

    def check(self, ok, text, detail=""):
        ok = bool(ok)
        self._print("ok" if ok else "not ok", text)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            # Detail as comment lines: never a line of its own that the
            # driver could count as a check, a plan or a summary.
            for line in str(detail).splitlines()[-40:]:
                if line.strip():
                    print(f"#   {line}", flush=True)
        return ok

    def skip(self, text, reason):
        """A check that was not made, counted apart from the passes."""
        self._print("ok", text, f" # SKIP {_one_line(reason)}")
        self.skipped += 1

    def skip_fn(self, fn, reason):
        """All of fn's declared checks, skipped, without running it."""
        for i in range(fn.checks):
            self.skip(f"{fn.__name__}: check {i + 1} of {fn.checks}", reason)

    def run(self, fn, *args):
        """Run one test function, holding it to its declared count."""
        declared = getattr(fn, "checks", 0)
        before = self.count
        raised = False
        t0 = time.monotonic()
        try:
            fn(self, *args)
        except Exception as e:  # noqa: BLE001 - report, keep going
            raised = True
            self.check(False, f"{fn.__name__}: exception", repr(e))
        # Where a group's minutes go (make check's time budget), as a
        # TAP comment: no check depends on it.
        print(f"# {fn.__name__}: {time.monotonic() - t0:.1f} s", flush=True)
        made = self.count - before
        what = f"{fn.__name__} made {made} checks" + \
            (" (one of them its exception)" if raised else "") + \
            f", declared {declared}"
        if made < declared:
            for i in range(made, declared):
                self.check(False, f"{what}: check {i + 1} of {declared} "
                           "never ran")
        elif made > declared:
            self.check(False, what)

    def bail(self, text, detail=""):
        """A failure that makes the rest pointless: the checks left in the
        plan are printed as failures, then finish()."""
        self.check(False, text, detail)
        while self.count < self.planned:
            self.check(False, f"not run: {_one_line(text)}")
        self.finish()

    def finish(self):
        off = self.count != self.planned
        if off:
            print(f"# planned {self.planned} checks, ran {self.count}",
                  flush=True)
        print(f"{self.passed} passed, {self.failed} failed, "
              f"{self.skipped} skipped", flush=True)
        sys.exit(1 if self.failed or off else 0)


def on(host, argv):
    """argv wrapped to run on host 'a' or 'b'."""
    if TOPO == "netns" and NS[host]:
        return ["ip", "netns", "exec", NS[host]] + argv
    return argv


def spawn(host, argv, **kw):
    return subprocess.Popen(on(host, argv), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def wait(p, timeout):
    """(rc, out, err) of a Popen; a process past its timeout is killed."""
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, out, err + "\n[killed: timeout]"
    return p.returncode, out, err


def _ss_wait(host, args, ok, timeout, count=1):
    """Until @count of host's TCP sockets that ss -Htn ARGS lists pass
    ok(their columns); False after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = subprocess.run(on(host, ["ss", "-Htn"] + args),
                           capture_output=True, text=True)
        if sum(bool(ok(line.split()))
               for line in r.stdout.splitlines()) >= count:
            return True
        time.sleep(0.05)
    return False


def listening(host, port, timeout=60.0):
    """Wait until a TCP listener on port exists on host (a Python peer can
    take 20 s to start in an emulated debug guest on a loaded host)."""
    return _ss_wait(host, ["-l", f"sport = :{port}"], lambda w: True,
                    timeout)


def accepted(host, port, timeout=20.0):
    """Wait until host has an established connection on its port."""
    return _ss_wait(host, ["state", "established", f"sport = :{port}"],
                    lambda w: True, timeout)


def sending(host, port, timeout=20.0, count=1):
    """Wait until @count of host's connections to port have bytes their
    peer has not acknowledged (Send-Q > 0): the sender is in its send
    loop (and, with a peer that never reads, about to block there)."""
    return _ss_wait(host, ["state", "established", f"dport = :{port}"],
                    lambda w: len(w) >= 2 and int(w[1]) > 0, timeout, count)


def consumed(host, port, n, timeout=20.0):
    """Wait until host's connection on its port has received @n bytes or
    more and holds none unread (ss: bytes_received, Recv-Q 0): a kttcp
    receiver there has taken them, so it is inside the module's receive
    loop, past the tool's own wait for the first byte."""
    load_tcp_diag()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(on(host, ["ss", "-Htni", "state", "established",
                                       f"sport = :{port}"]),
                             capture_output=True, text=True).stdout
        got = re.search(r"bytes_received:(\d+)", out)
        if got and int(got.group(1)) >= n and out.split()[0] == "0":
            return True
        time.sleep(0.05)
    return False


_port = [23000]


def next_port():
    _port[0] += 1
    return _port[0]


def parse_json(text):
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return None


class Transfer:
    """One kttcp receiver on B and one kttcp sender on A, JSON at both."""

    def __init__(self, send_args, recv_args=(), six=False, timeout=120,
                 hosts=("a", "b"), dst=None):
        self.port = next_port()
        self.six = six
        self.hosts = hosts
        fam = ["-6"] if six else ["-4"]
        self.recv_argv = [KTTCP, "-r", "-J", "-p", str(self.port)] + fam + \
            list(recv_args)
        dst = dst or (ADDR6["b"] if six else ADDR["b"])
        self.send_argv = [KTTCP, "-t", "-J", "-p", str(self.port)] + fam + \
            list(send_args) + [dst]
        self.timeout = timeout

    def run(self):
        snd, rcv = self.hosts
        r = spawn(rcv, self.recv_argv)
        if not listening(rcv, self.port):
            r.kill()
            wait(r, 5)
            raise RuntimeError("receiver never listened")
        s = spawn(snd, self.send_argv)
        self.s_rc, s_out, self.s_err = wait(s, self.timeout)
        self.r_rc, r_out, self.r_err = wait(r, 30)
        self.snd = parse_json(s_out)
        self.rcv = parse_json(r_out)
        return self

    def ok(self):
        return self.s_rc == 0 and self.r_rc == 0 and self.snd and self.rcv

    def why(self):
        return (f"sender rc={self.s_rc} err={self.s_err.strip()[-300:]!r}; "
                f"receiver rc={self.r_rc} err={self.r_err.strip()[-300:]!r}")


def load_tcp_diag():
    """ss gets TCP_INFO through the inet_diag modules; without them it
    falls back to /proc/net/tcp, which has no mss or congestion control."""
    if not os.path.exists("/sys/module/tcp_diag"):
        subprocess.run(["modprobe", "tcp_diag"], capture_output=True)


def ss_tcp(host, filt):
    """Established TCP sockets of host matching ss filter filt (a list,
    e.g. ["dport", "=", ":5001"]), as ss -tinoem sees them: one dict per
    socket with local and peer ("addr:port"), ino, skmem (dict: rb, tb,
    ...) and the tokens of its -i line (info, e.g. "reno", "mss:1188")."""
    load_tcp_diag()
    r = subprocess.run(on(host, ["ss", "-Htinoem", "state", "established"] +
                          list(filt)), capture_output=True, text=True)
    socks, cur = [], None
    for line in r.stdout.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            w = line.split()
            if w and not w[0].isdigit():    # a State column after all
                w = w[1:]
            cur = {"local": w[2], "peer": w[3], "ino": None, "skmem": {},
                   "info": []}
            socks.append(cur)
            toks = w[4:]
        elif cur is not None:
            toks = line.split()
        else:
            continue
        for tok in toks:
            if tok.startswith("ino:"):
                cur["ino"] = int(tok[4:])
            elif tok.startswith("skmem:("):
                for kv in tok[7:].rstrip(")").split(","):
                    k = kv.rstrip("0123456789")
                    if k and kv[len(k):]:
                        cur["skmem"][k] = int(kv[len(k):])
            elif cur is not None and line[0].isspace():
                cur["info"].append(tok)
    return socks


def info_field(sock, key):
    """The value of "key:value" among an ss_tcp() socket's -i tokens."""
    for tok in sock["info"]:
        k, sep, v = tok.partition(":")
        if sep and k == key:
            return v
    return None


def wait_ss_tcp(host, filt, timeout=20.0):
    """ss_tcp(host, filt) once it finds a socket, or [] after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        socks = ss_tcp(host, filt)
        if socks or time.monotonic() >= deadline:
            return socks
        time.sleep(0.05)


class live_socket:
    """with live_socket(ino) as s: s is a duplicate of the socket with
    inode ino, taken from whichever process holds it (pidfd_getfd(2), as
    root), so getsockopt() reads that very socket; None if no process
    has it.  The duplicate is closed on leaving the block: held on to, it
    would keep the connection open after its owner closed it."""

    SYS_PIDFD_GETFD = 438

    def __init__(self, ino):
        self.ino = ino
        self.sock = None

    def _find(self):
        want = f"socket:[{self.ino}]"
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == want:
                        return int(pid), int(fd)
                except OSError:
                    pass
        return None, None

    def __enter__(self):
        pid, fd = self._find()
        if pid is None:
            return None
        libc = ctypes.CDLL(None, use_errno=True)
        pidfd = os.pidfd_open(pid)
        try:
            nfd = libc.syscall(self.SYS_PIDFD_GETFD, pidfd, fd, 0)
            if nfd < 0:
                err = ctypes.get_errno()
                raise OSError(err, f"pidfd_getfd(pid {pid}, fd {fd}): "
                              f"{os.strerror(err)}")
        finally:
            os.close(pidfd)
        self.sock = socket.socket(fileno=nfd)
        return self.sock

    def __exit__(self, *exc):
        if self.sock is not None:
            self.sock.close()
        return False


def sh(cmd, timeout=60):
    """Run a shell command; (rc, stdout+stderr)."""
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True,
                       timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def pattern(off, n):
    """Bytes [off, off+n) of the kttcp data pattern (i % 251)."""
    period = bytes(range(251))
    start = off % 251
    reps = (start + n) // 251 + 1
    return (period * reps)[start:start + n]


def stop(p, sig=signal.SIGINT):
    if p.poll() is None:
        p.send_signal(sig)


# --- the two guests of the vms topology meet through LAB_OUT -----------

OUT = os.environ.get("LAB_OUT", "/tmp")
SYNC = os.path.join(OUT, "sync")
PEER_ROLE = "b" if ROLE == "a" else "a"


def peer_ended():
    """True once the other guest's command has finished (or failed)."""
    lab = os.path.join(OUT, ".lab")
    return os.path.exists(os.path.join(lab, f"status.{PEER_ROLE}")) or \
        os.path.exists(os.path.join(lab, f"error.{PEER_ROLE}"))


def barrier(name, limit=300):
    """Wait until the other guest reaches barrier @name too (vms only);
    False if it never does (timeout, or its command already ended)."""
    if TOPO != "vms":
        return True
    os.makedirs(SYNC, exist_ok=True)
    with open(os.path.join(SYNC, f"{name}.{ROLE}"), "w") as f:
        f.write(str(time.time()))
    other = os.path.join(SYNC, f"{name}.{PEER_ROLE}")
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if os.path.exists(other):
            return True
        if peer_ended():
            break
        time.sleep(0.02)
    print(f"# barrier {name}: {PEER_ROLE} never came", file=sys.stderr)
    return False


def publish(name, obj):
    """Leave @obj for the other guest under @name."""
    os.makedirs(SYNC, exist_ok=True)
    path = os.path.join(SYNC, f"{name}.{ROLE}.json")
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f)
    os.rename(path + ".tmp", path)


def fetch(name, limit):
    """What the other guest published under @name, or None."""
    path = os.path.join(SYNC, f"{name}.{PEER_ROLE}.json")
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            if peer_ended():
                return None
            time.sleep(0.02)
    return None
