"""kt.py - what the guest tests share: running kttcp on the lab's hosts.

Imported by the test groups in this directory, which run inside a lab
guest (scripts/lab) with kttcp.ko loaded.  The lab's topology says where
hosts A and B are (tests/lib/lab.sh documents the LAB_* variables):

    loop   A and B are this guest, on lo;
    netns  A and B are network namespaces joined by veth;
    vms    A and B are two guests joined by virtio-net: each runs the
           same group with LAB_ROLE a or b.

Tests here run the receiver on B and the sender on A.  Every check is
printed as a TAP line, "ok N - text" or "not ok N - text", and the group
ends with "N passed, N failed".  Nothing here measures speed: checks are
on bytes, errors and counters, never on timings that could flake.
"""

import json
import os
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


class Results:
    """TAP-style counters for one group."""

    def __init__(self, group):
        self.group = group
        self.passed = 0
        self.failed = 0

    def check(self, ok, text, detail=""):
        n = self.passed + self.failed + 1
        tag = "ok" if ok else "not ok"
        line = f"{tag} {n} - [{KERNEL} {TOPO}] {self.group}: {text}"
        if not ok and detail:
            line += f" -- {detail}"
        print(line, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok

    def run(self, fn, *args):
        """Run one test function; an exception is a failure, not a crash."""
        try:
            fn(self, *args)
        except Exception as e:  # noqa: BLE001 - report, keep going
            self.check(False, fn.__name__, f"exception: {e!r}")

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)


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


def listening(host, port, timeout=20.0):
    """Wait until a TCP listener on port exists on host."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = subprocess.run(on(host, ["ss", "-Hltn", f"sport = :{port}"]),
                           capture_output=True, text=True)
        if r.stdout.strip():
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

    def __init__(self, send_args, recv_args=(), six=False, timeout=120):
        self.port = next_port()
        self.six = six
        fam = ["-6"] if six else ["-4"]
        self.recv_argv = [KTTCP, "-r", "-J", "-p", str(self.port)] + fam + \
            list(recv_args)
        dst = ADDR6["b"] if six else ADDR["b"]
        self.send_argv = [KTTCP, "-t", "-J", "-p", str(self.port)] + fam + \
            list(send_args) + [dst]
        self.timeout = timeout

    def run(self):
        r = spawn("b", self.recv_argv)
        if not listening("b", self.port):
            r.kill()
            wait(r, 5)
            raise RuntimeError("receiver never listened")
        s = spawn("a", self.send_argv)
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
