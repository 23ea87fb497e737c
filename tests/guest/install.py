#!/usr/bin/env python3
"""install.py - kttcp as a real host gets it: DKMS, modprobe, permissions.

    scripts/lab -k 6.12 -t loop -- python3 tests/guest/install.py [--quick]

The host half is tests/install.sh (make install, man pages, completion).
Here, in a guest with the lab's kttcp.ko loaded:

  - modinfo of the module shows description, version, license, author;
  - /dev/kttcp is crw------- root root; `kttcp --version` as root shows
    the loaded module's version, ABI and the kernel's modes;
  - an unprivileged user (uid 65534) is denied: --version says it cannot
    query the module, a transfer exits 2 with "Permission denied";
  - the udev rule (installed with `make install-udev`, group kttcp made
    with groupadd --system): systemd-udevd, started here for the test,
    applies it when the module is loaded, and again on `udevadm trigger
    /sys/class/misc/kttcp` (the lab's chroot needs SYSTEMD_IGNORE_CHROOT=1
    for udevadm); /dev/kttcp becomes root:kttcp 0660, a member of the
    group runs a whole transfer as uid 65534, a non-member is still
    denied.  Where systemd-udevd is missing (a skip) or will not start (a
    failure), the rule is still applied by udev's own rule engine, with
    `udevadm test --action=add /sys/class/misc/kttcp`, which in
    systemd 252 sets the node's owner and mode as the daemon would;
  - DKMS: the lab's module is unloaded, the kernel's module tree is cut
    down to the modules the guest has loaded (depmod, which dkms runs
    twice, would read all of Debian's 4230 under TCG: minutes), `make
    dkms-src` puts the sources in /usr/src/kttcp-VERSION, `dkms
    add/build/install` for the running kernel succeed (build time
    printed), modinfo kttcp finds the DKMS module, modprobe loads it (the
    very module DKMS installed, by its srcversion), /dev/kttcp works,
    `kttcp --version` shows it, a transfer runs on it, and `dkms remove`
    takes it all away again.  The lab's module is loaded again at the
    end, so the lab can unload it.
    With --quick, DKMS runs on 6.12 only (a TCG build takes minutes):
    elsewhere its checks are reported skipped.

Everything the test writes (/etc, /usr/src, /var/lib/dkms, /lib/modules)
lands in the guest's throwaway overlay.
"""

import grp
import os
import re
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kt  # noqa: E402

QUICK = "--quick" in sys.argv
NOBODY = 65534
LAB_MODULE = os.environ.get("LAB_MODULE", "")
RULE = "/etc/udev/rules.d/60-kttcp.rules"
SEND_MODES = "copy sendpage zerocopy"
RECV_MODES = "copy trunc readsock"


def module_version():
    with open(os.path.join(kt.REPO, "module", "kttcp.h")) as f:
        m = re.search(r'^#define\s+KTTCP_MODULE_VERSION\s+"([^"]+)"', f.read(),
                      re.M)
    return m.group(1) if m else None


def abi_version():
    with open(os.path.join(kt.REPO, "include", "kttcp.h")) as f:
        m = re.search(r'^#define\s+KTTCP_ABI_VERSION\s+(\d+)', f.read(), re.M)
    return int(m.group(1)) if m else None


VERSION = module_version()
ABI = abi_version()


def run(argv, timeout=120, **kw):
    """(rc, stdout+stderr, seconds) of argv."""
    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(
            e.stdout, bytes) else (e.stdout or "")
        return None, out + "\n[timeout]", time.monotonic() - t0
    return r.returncode, r.stdout + r.stderr, time.monotonic() - t0


def as_user(argv, groups=None):
    """argv run as uid/gid 65534, with these supplementary groups only."""
    g = ["--groups=" + ",".join(str(x) for x in groups)] if groups \
        else ["--clear-groups"]
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}"] + g + argv


def modinfo_fields(target):
    rc, out, _ = run(["modinfo", target])
    fields = {}
    for line in out.splitlines():
        k, sep, v = line.partition(":")
        if sep and not k.startswith((" ", "\t")):
            fields.setdefault(k.strip(), v.strip())
    return rc, fields


def check_modinfo(t, target, what):
    rc, f = modinfo_fields(target)
    t.check(rc == 0 and f.get("version") == VERSION and
            f.get("license") == "GPL" and f.get("description") and
            f.get("author"),
            f"modinfo {what}: description, version {VERSION}, license GPL, "
            "author", f"rc={rc} {f}")
    return f


def dev_state():
    """(mode, owner, group) of /dev/kttcp, or None."""
    try:
        st = os.stat("/dev/kttcp")
    except OSError:
        return None
    try:
        gname = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        gname = str(st.st_gid)
    return (stat.filemode(st.st_mode), st.st_uid, gname)


def version_lines(argv_prefix=()):
    rc, out, _ = run(list(argv_prefix) + [kt.KTTCP, "--version"])
    return rc, out


def version_ok(out):
    want = [f"module: {VERSION} (ABI {ABI}) on Linux {kt.KERNEL}",
            f"send modes: {SEND_MODES}", f"receive modes: {RECV_MODES}"]
    lines = out.splitlines()
    return (len(lines) >= 4 and
            re.match(rf"^kttcp \S+ \(ABI {ABI}\)$", lines[0]) and
            lines[1:4] == want)


def transfer(prefix=(), send_mode="zerocopy", recv_mode="trunc", size=16):
    """A loopback transfer of size MiB, each side run as prefix + argv."""
    port = kt.next_port()
    r = subprocess.Popen(list(prefix) + [kt.KTTCP, "-r", "-J", "-4", "-m",
                                         recv_mode, "-p", str(port)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    if not kt.listening("a", port):
        r.kill()
        _, _, err = kt.wait(r, 5)
        return False, f"receiver never listened: {err[-300:]}"
    s = subprocess.Popen(list(prefix) + [kt.KTTCP, "-t", "-J", "-4", "-m",
                                         send_mode, "-n", f"{size}m", "-p",
                                         str(port), kt.ADDR["a"]],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    s_rc, s_out, s_err = kt.wait(s, 120)
    r_rc, r_out, r_err = kt.wait(r, 30)
    snd, rcv = kt.parse_json(s_out) or {}, kt.parse_json(r_out) or {}
    want = size * kt.MIB
    ok = (s_rc == 0 and r_rc == 0 and snd.get("bytes") == want and
          rcv.get("bytes") == want)
    return ok, (f"sender rc={s_rc} bytes={snd.get('bytes')} "
                f"{s_err.strip()[-200:]!r}; receiver rc={r_rc} "
                f"bytes={rcv.get('bytes')} {r_err.strip()[-200:]!r}")


def load_lab_module():
    if os.path.exists("/sys/module/kttcp"):
        return True
    rc, _, _ = run(["insmod", LAB_MODULE])
    return rc == 0


def unload():
    if not os.path.exists("/sys/module/kttcp"):
        return True, ""
    rc, out, _ = run(["rmmod", "kttcp"])
    return rc == 0, out


# ----------------------------------------------------------------- tests

@kt.checks(3)
def test_lab_module(t):
    check_modinfo(t, LAB_MODULE, "of the built kttcp.ko")
    st = dev_state()
    t.check(st is not None and st[0] == "crw-------" and st[1] == 0 and
            st[2] == "root", "/dev/kttcp is crw------- root root", f"{st}")
    rc, out = version_lines()
    t.check(rc == 0 and version_ok(out),
            f"kttcp --version as root: module {VERSION}, ABI {ABI}, "
            f"Linux {kt.KERNEL}, every mode", out)


def check_receiver_denied(t, what):
    """uid 65534, in no group of the device, cannot run kttcp -r."""
    rc, out, _ = run(as_user([kt.KTTCP, "-r", "-p", str(kt.next_port())]),
                     timeout=30)
    t.check(rc == 2 and "Permission denied" in out, what,
            f"rc={rc} {out[-300:]}")


@kt.checks(2)
def test_denied(t):
    rc, out = version_lines(as_user([]))
    t.check(rc == 0 and "module: cannot query (/dev/kttcp: Permission denied)"
            in out, "uid 65534: kttcp --version cannot query the module "
            "(Permission denied)", out)
    check_receiver_denied(
        t, "uid 65534: kttcp -r exits 2 with Permission denied")


def udevd_path():
    for p in ("/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd"):
        if os.access(p, os.X_OK):
            return p
    return shutil.which("systemd-udevd")


def udevadm(*args, timeout=60):
    # The lab runs its command in a chroot, where udevadm ignores trigger,
    # settle and control unless told not to.
    env = dict(os.environ, SYSTEMD_IGNORE_CHROOT="1")
    return run(["udevadm"] + list(args), timeout=timeout, env=env)


def wait_dev(want, secs=20):
    """Poll /dev/kttcp until its (mode, uid, group) is want."""
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if dev_state() == want:
            return True
        time.sleep(0.1)
    return dev_state() == want


def reset_dev():
    """/dev/kttcp back to what kttcp.ko creates, root:root 0600: the state
    before a rule is applied (the checks then read what udev made of it)."""
    os.chown("/dev/kttcp", 0, 0)
    os.chmod("/dev/kttcp", 0o600)


@kt.checks(8)
def test_udev(t):
    ruled = ("crw-rw----", 0, "kttcp")
    rc, out, _ = run(["groupadd", "--system", "kttcp"])
    t.check(rc == 0, "groupadd --system kttcp", out)
    gid = grp.getgrnam("kttcp").gr_gid
    rc, out, _ = run(["make", "-s", "install-udev"], cwd=kt.REPO)
    t.check(rc == 0 and os.path.isfile(RULE),
            f"make install-udev installs {RULE}", out)

    udevd = udevd_path()
    started = False
    if udevd:
        os.makedirs("/run/udev", exist_ok=True)
        rc, out, _ = run([udevd, "--daemon"],
                         env=dict(os.environ, SYSTEMD_IGNORE_CHROOT="1"))
        rc2, out2, _ = udevadm("control", "--ping", "--timeout=30")
        started = rc == 0 and rc2 == 0
        t.check(started, "systemd-udevd starts and answers udevadm control "
                "--ping", out + out2)
    else:
        t.skip("systemd-udevd starts and answers udevadm control --ping",
               "no systemd-udevd here (package udev)")
    if started:
        # The rule as udev applies it on a real host: at the module's
        # "add" event.
        ok, why = unload()
        rc, out, _ = run(["insmod", LAB_MODULE])
        udevadm("settle", "--timeout=30")
        t.check(ok and rc == 0 and wait_dev(ruled),
                "udev rule applied by systemd-udevd when the module loads: "
                "/dev/kttcp is crw-rw---- root kttcp", f"{why}{out} "
                f"{dev_state()}")
        # And at the `udevadm trigger` kttcp(4) tells to run after
        # installing the rule with the module already loaded.
        reset_dev()
        rc, out, _ = udevadm("trigger", "/sys/class/misc/kttcp")
        udevadm("settle", "--timeout=30")
        t.check(rc == 0 and wait_dev(ruled),
                "udevadm trigger /sys/class/misc/kttcp applies the rule to a "
                "loaded module", f"rc={rc} {out} {dev_state()}")
    else:
        # No daemon: udev's rule engine run once on the device's "add"
        # event, which applies the node's owner and mode itself.
        reset_dev()
        rc, out, _ = udevadm("test", "--action=add", "/sys/class/misc/kttcp")
        t.check(rc == 0 and f"{RULE}:" in out and dev_state() == ruled,
                "udevadm test --action=add (no daemon) applies the "
                f"installed rule: /dev/kttcp is crw-rw---- root kttcp",
                f"rc={rc} {dev_state()} "
                f"{[l for l in out.splitlines() if 'kttcp' in l]}")
        t.skip("udevadm trigger /sys/class/misc/kttcp applies the rule to a "
               "loaded module", "no systemd-udevd running")

    rc, out = version_lines(as_user([], groups=[gid]))
    t.check(rc == 0 and version_ok(out),
            "uid 65534 in group kttcp: kttcp --version shows the module", out)
    ok, why = transfer(prefix=as_user([], groups=[gid]))
    t.check(ok, "uid 65534 in group kttcp: a 16 MiB zerocopy/trunc transfer "
            "runs", why)
    check_receiver_denied(t, "uid 65534 outside group kttcp is still denied")

    # Leave udev out of the rest.
    if started:
        udevadm("control", "--exit", timeout=30)
    os.unlink(RULE)


def dkms(*args, timeout=900):
    return run(["dkms"] + list(args), timeout=timeout)


def trim_module_tree(rel):
    """Leave in /lib/modules/REL/kernel only the modules the guest has
    loaded, and return (kept, before) or (None, why).

    dkms install and dkms remove each run depmod -a, which reads every
    module of the kernel: Debian's 6.12 ships about 4230, xz-compressed,
    and under TCG that takes 85-200 s a time, the largest part of make
    check's longest job.  What DKMS does with our package does not depend
    on the others; modprobe kttcp still needs depmod to have seen kttcp
    and whatever it depends on (loaded already, so kept).  The copies go
    to /run, bind-mounted over kernel/: all of it in the throwaway
    guest's memory."""
    kdir = f"/lib/modules/{rel}/kernel"
    before = sum(1 for _, _, files in os.walk(kdir)
                 for n in files if ".ko" in n)
    with open("/proc/modules") as f:
        names = [ln.split()[0] for ln in f if ln.strip()]
    stage = f"/run/kttcp-modtree-{rel}"
    for name in names:
        rc, out, _ = run(["modinfo", "-n", name])
        path = out.strip()
        if rc != 0 or not path.startswith(kdir + "/"):
            return None, f"loaded module {name} is not in {kdir}: {out}"
        dst = os.path.join(stage, os.path.relpath(path, kdir))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(path, dst)
    rc, out, _ = run(["mount", "--bind", stage, kdir])
    if rc != 0:
        return None, f"mount --bind {stage} {kdir}: {out}"
    return len(names), before


@kt.checks(15)
def test_dkms(t):
    # Lab guests have no /dev/fd (udev/systemd make it on a real host);
    # dkms needs it for <(...).
    if not os.path.exists("/dev/fd"):
        os.symlink("/proc/self/fd", "/dev/fd")
    rel = kt.KERNEL
    src = f"/usr/src/kttcp-{VERSION}"
    ko_dir = f"/lib/modules/{rel}/updates/dkms"

    ok, why = unload()
    t.check(ok, "the lab's kttcp.ko unloads", why)
    kept, before = trim_module_tree(rel)
    t.check(kept is not None and kept > 0 and before > kept,
            f"the module tree holds only the {kept} modules the guest has "
            f"loaded, of {before} (depmod reads them all, twice)",
            f"{before}")
    rc, out, _ = run(["make", "-s", "dkms-src"], cwd=kt.REPO)
    t.check(rc == 0 and os.path.isfile(f"{src}/dkms.conf") and
            os.path.isfile(f"{src}/module/Kbuild") and
            os.path.isfile(f"{src}/include/kttcp.h"),
            f"make dkms-src: {src}/{{dkms.conf,module,include}}", out)

    rc, out, secs = dkms("add", "-m", "kttcp", "-v", VERSION)
    t.check(rc == 0, f"dkms add -m kttcp -v {VERSION} ({secs:.0f} s)",
            out[-500:])
    rc, out, secs = dkms("build", "-m", "kttcp", "-v", VERSION, "-k", rel)
    print(f"# dkms build for {rel}: {secs:.1f} s", flush=True)
    if rc != 0:
        log = f"/var/lib/dkms/kttcp/{VERSION}/build/make.log"
        if os.path.exists(log):
            out += open(log).read()[-1500:]
    t.check(rc == 0, f"dkms build -k {rel} ({secs:.0f} s under TCG)",
            out[-1500:])
    rc, out, secs = dkms("install", "-m", "kttcp", "-v", VERSION, "-k", rel)
    print(f"# dkms install for {rel}: {secs:.1f} s", flush=True)
    t.check(rc == 0, f"dkms install -k {rel} ({secs:.0f} s, with depmod)",
            out[-800:])
    rc, out, _ = dkms("status", "-m", "kttcp", "-v", VERSION)
    t.check(rc == 0 and re.search(
        rf"kttcp/{re.escape(VERSION)}, {re.escape(rel)}, \S+: installed", out),
        "dkms status: installed for the running kernel", out)

    f = check_modinfo(t, "kttcp", "kttcp (by name: the DKMS module)")
    t.check(f.get("filename", "").startswith(ko_dir + "/kttcp.ko"),
            f"modinfo kttcp finds it in {ko_dir}", f.get("filename", ""))

    rc, out, _ = run(["modprobe", "kttcp"])
    srcv = ""
    try:
        with open("/sys/module/kttcp/srcversion") as fh:
            srcv = fh.read().strip()
    except OSError:
        pass
    t.check(rc == 0 and srcv and srcv == f.get("srcversion"),
            "modprobe kttcp loads the DKMS-built module (same srcversion)",
            f"rc={rc} {out} loaded={srcv!r} installed={f.get('srcversion')!r}")
    st = dev_state()
    t.check(st is not None and st[0] == "crw-------",
            "/dev/kttcp is there again, crw-------", f"{st}")
    rc, out = version_lines()
    t.check(rc == 0 and version_ok(out),
            "kttcp --version shows the DKMS module, its ABI and modes", out)
    ok, why = transfer(send_mode="sendpage", recv_mode="readsock")
    t.check(ok, "a 16 MiB sendpage/readsock transfer runs on the DKMS module",
            why)

    rc, out, _ = run(["modprobe", "-r", "kttcp"])
    t.check(rc == 0 and not os.path.exists("/sys/module/kttcp"),
            "modprobe -r kttcp unloads it", out)
    rc, out, secs = dkms("remove", "-m", "kttcp", "-v", VERSION, "--all")
    left = [n for n in os.listdir(ko_dir)] if os.path.isdir(ko_dir) else []
    rc2, _, _ = run(["modinfo", "kttcp"])
    t.check(rc == 0 and not left and rc2 != 0 and
            not os.path.exists(f"/var/lib/dkms/kttcp/{VERSION}"),
            f"dkms remove --all takes the module away ({secs:.0f} s)",
            f"rc={rc} left={left} modinfo rc={rc2} {out[-500:]}")


@kt.checks(1)
def test_lab_module_back(t):
    t.check(load_lab_module(),
            "the lab's kttcp.ko is loaded (again) for the lab to unload")


TESTS = [test_lab_module, test_denied, test_udev, test_dkms,
         test_lab_module_back]


def main():
    t = kt.Results("install", TESTS)
    if not VERSION or not LAB_MODULE:
        t.bail("KTTCP_MODULE_VERSION and LAB_MODULE are known",
               f"version={VERSION} module={LAB_MODULE!r}")
    for fn in TESTS:
        if fn is test_dkms and QUICK and not kt.KERNEL.startswith("6.12."):
            t.skip_fn(fn, "--quick: DKMS runs on 6.12 only")
        else:
            t.run(fn)
    t.finish()


if __name__ == "__main__":
    main()
