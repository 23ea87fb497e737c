#!/bin/bash
# Commands for the guest and for eval are single-quoted on purpose:
# shellcheck disable=SC2016
# tests/lab-selftest.sh: prove that the VM lab (scripts/lab) works, and
# that it fails when it should.  Runs on the host, not in a guest.
#
# Usage: tests/lab-selftest.sh
#
# Checks, one line each ("ok N - ..." / "not ok N - ...", TAP style):
#   - loop, both kernels: uname -r in the guest is the requested release
#     (6.1 by shorthand, 6.12 by full release), the command's exit status
#     comes back (exit 3 -> 3), and --no-module means no /dev/kttcp;
#   - netns: a pings b over the veth pair, IPv4 and IPv6;
#   - vms: two guests ping each other over virtio-net and meet at
#     lab_barrier, each seeing what the other wrote to LAB_OUT;
#   - a deliberate WARN() (tests/splat/lab_splat.ko) fails the run with
#     125 although the command succeeded, also when only guest b splats;
#   - a module that cannot load (built for the other kernel) fails the
#     run with 123 before the command runs;
#   - a command that never ends is killed by -T with status 124;
#   - a kernel that stalls before userspace is booted again once, said on
#     stderr, and then fails with 124 (an oops there is retried alike);
#   - every kernel of the lab (6.1, 6.12, newest, rt, debug) boots the
#     release scripts/lab-common.sh resolves, kttcp.ko loads there and
#     /dev/kttcp is crw-------;
#   - each detector of the debug kernel fires: in one boot, lab_splat.ko
#     loaded with bug=lockorder (lockdep), sleep (DEBUG_ATOMIC_SLEEP), uaf
#     (KASAN, or KFENCE when it sampled the allocation) and leak
#     (kmemleak) fails the run with 125, and the lab's report names each.
# Starts with the plan "1..N", ends with "N passed, N failed, N skipped";
# exits 1 if anything failed or fewer checks ran than planned.  The stock
# kernels' releases come from scripts/deps (which installs what is
# missing); the cached kernels must have been made (scripts/deps all).
# Takes about 5 minutes.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lab=$repo/scripts/lab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/lib/tap.sh
. "$repo/tests/lib/tap.sh"

# not_ok TEXT, with what the lab said (status, stdout, stderr).
lab_not_ok() {
	not_ok "$1" "status $rc; stdout:" "$(tail -n 15 "$tmp/out")" \
		"stderr:" "$(tail -n 25 "$tmp/err")"
}

# run_lab ARGS...: run scripts/lab, leaving status in rc, output in
# $tmp/out and $tmp/err, and wall time in secs.
run_lab() {
	local t0=$SECONDS
	rc=0
	"$lab" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
	secs=$((SECONDS - t0))
}

# check DESCRIPTION CONDITION...: ok if the condition (a command) holds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else lab_not_ok "$desc"; fi
}

out_is() { [ "$(cat "$tmp/out")" = "$1" ]; }
out_has() { grep -qxF -- "$1" "$tmp/out"; }
err_has() { grep -qF -- "$1" "$tmp/err"; }
# splat_has ERE: the lab's splat report (the console lines its detector
# matched, not the console tail printed after them) matches ERE: the
# detector saw that kind of splat itself.
splat_has() {
	awk '/^lab: KERNEL SPLAT/ { on = 1; next } /^lab: / { on = 0 } on' \
		"$tmp/err" | grep -qE -- "$1"
}

test_loop() {
	local spec=$1 rel=$2
	run_lab -q --no-module -k "$spec" -- \
		'uname -r; [ ! -e /dev/kttcp ] || echo "/dev/kttcp exists"; exit 3'
	check "loop, -k $spec: uname -r is $rel, exit 3 propagated, no /dev/kttcp" \
		eval '[ $rc = 3 ] && out_is "$rel"'
}

test_netns() {
	run_lab -q --no-module -k 6.12 -t netns -- \
		'lab_in A ping -c1 -W2 $LAB_ADDR_B && lab_in B ping -6 -c1 -W2 $LAB_ADDR6_A'
	check "netns: a pings b over veth (IPv4 and IPv6)" eval '[ $rc = 0 ]'
}

test_vms() {
	# Each guest leaves a token, meets the other at a barrier, then must
	# see the other's token: the barrier really waits, LAB_OUT is shared.
	run_lab -q --no-module -k 6.1 -t vms -- '
		peer=$(lab_peer)
		ping -c1 -W2 "$(lab_addr "$peer")" >/dev/null &&
		ping -6 -c1 -W2 "$(lab_addr6 "$peer")" >/dev/null &&
		echo here >"$LAB_OUT/token.$LAB_ROLE" &&
		lab_barrier tokens &&
		[ -e "$LAB_OUT/token.$peer" ] &&
		echo "$LAB_ROLE saw $peer"'
	check "vms: guests ping each other over virtio-net, lab_barrier syncs them" \
		eval '[ $rc = 0 ] && out_has "a| a saw b" && out_has "b| b saw a"'
}

test_splat() {
	local rel=$1
	if ! "$repo/scripts/build-module" -q "$rel" "$repo/tests/splat" >"$tmp/ko" 2>"$tmp/err"; then
		rc=- && lab_not_ok "splat: build tests/splat for $rel"
		return
	fi
	run_lab -q --no-module -k "$rel" -- \
		'insmod "build/$LAB_KERNEL/tests/splat/lab_splat.ko" && echo inserted'
	check "splat: a WARN() fails the run with 125 though the command succeeded, reported as a WARNING" \
		eval '[ $rc = 125 ] && out_is inserted && splat_has "WARNING:"'
}

test_splat_b() {
	"$repo/scripts/build-module" -q 6.12 "$repo/tests/splat" >/dev/null 2>&1 || true
	run_lab -q --no-module -k 6.12 -t vms -- \
		'[ $LAB_ROLE = a ] || insmod "build/$LAB_KERNEL/tests/splat/lab_splat.ko"'
	check "vms: a splat on guest b alone fails the run with 125" \
		eval '[ $rc = 125 ] && err_has "KERNEL SPLAT on guest b"'
}

test_bad_module() {
	local wrong=$repo/build/$2/tests/splat/lab_splat.ko
	# A module built for the other kernel cannot load.
	run_lab -q -k "$1" --module "$wrong" -- 'echo command ran'
	check "a module that fails to load fails the run with 123, command not run" \
		eval '[ $rc = 123 ] && out_is "" && err_has "loading the module"'
}

test_timeout() {
	run_lab -q --no-module -k 6.12 -T 15 -- 'echo started; sleep 600'
	check "timeout: a command that never ends is killed after -T 15 with 124 (${secs}s)" \
		eval '[ $rc = 124 ] && [ $secs -lt 45 ] && out_is started && err_has TIMEOUT'
}

test_stalled_boot() {
	# A 3 s boot deadline no kernel meets here: a stall before userspace,
	# booted again exactly once (LAB_BOOT_RETRIES), then 124.
	LAB_BOOT_TIMEOUT=3 run_lab -q --no-module -k 6.12 -t vms -- 'echo ran'
	check "a kernel stalled before userspace is booted again once, then fails with 124" \
		eval '[ $rc = 124 ] && out_is "" &&
			[ "$(grep -c "kernel failed before userspace" "$tmp/err")" = 1 ]'
}

# What test_module runs in the guest: the kernel's release, then the
# device's mode; fails unless the lab loaded kttcp.ko.
module_cmd='uname -r; stat -c %A /dev/kttcp; [ -n "$LAB_MODULE" ] && lsmod | grep -q "^kttcp "'

test_module() {
	local spec=$1 rel
	rel=$(. "$repo/scripts/lab-common.sh" && lab_resolve_kernel "$spec") || rel="?"
	run_lab -q -k "$spec" -- "$module_cmd"
	check "module, -k $spec: boots $rel, kttcp.ko loads, /dev/kttcp is crw-------" \
		eval '[ $rc = 0 ] && out_is "$rel"$'"'"'\n'"'"'crw-------'
}

# test_detectors BUG:HEADLINE...: on the debug kernel, one boot loads
# lab_splat.ko once per BUG (bug=BUG, then unloads it): each BUG makes its
# detector print HEADLINE, which the lab's splat report must show, and the
# run fails with 125 although every load succeeded.  One boot, not one
# per detector: a debug boot costs a minute of make check's time, and
# the report holds only the console lines the lab's detector matched, so
# each headline there was caught on its own.  Lockdep comes first: a
# KASAN report taints the kernel, which turns lockdep off.  The same boot
# makes test_module's check for the debug kernel first (kttcp.ko loaded,
# /dev/kttcp's mode), before any splat.
test_detectors() {
	local spec bugs='' bug rel
	if ! "$repo/scripts/build-module" -q debug "$repo/tests/splat" >"$tmp/ko" 2>"$tmp/err"; then
		rc=-
		lab_not_ok "module, -k debug: not booted (tests/splat did not build)"
		for spec in "$@"; do
			lab_not_ok "detector ${spec%%:*}: build tests/splat for the debug kernel"
		done
		return
	fi
	for spec in "$@"; do bugs+=" ${spec%%:*}"; done
	rel=$(. "$repo/scripts/lab-common.sh" && lab_resolve_kernel debug) || rel="?"
	run_lab -q -k debug -- "$module_cmd && echo kttcp loaded; for b in$bugs; do insmod build/\$LAB_KERNEL/tests/splat/lab_splat.ko bug=\$b && rmmod lab_splat && echo inserted \$b || exit 1; done"
	check "module, -k debug: boots $rel, kttcp.ko loads, /dev/kttcp is crw-------" \
		eval '[ "$(head -3 "$tmp/out")" = "$(printf "%s\ncrw-------\nkttcp loaded" "$rel")" ]'
	for spec in "$@"; do
		bug=${spec%%:*}
		check "debug kernel, $bug: the run fails with 125 and the report says '${spec#*:}'" \
			eval '[ $rc = 125 ] && out_has "inserted $bug" && splat_has "${spec#*:}"'
	done
}

main() {
	local rels
	tap_plan 18
	mapfile -t rels < <("$repo/scripts/deps" 6.1 6.12 | cut -d' ' -f2)
	if [ ${#rels[@]} -ne 2 ]; then
		not_ok "scripts/deps gives two kernel releases" "got: ${rels[*]}"
		tap_done
		return 1
	fi
	test_loop 6.1 "${rels[0]}"
	test_loop "${rels[1]}" "${rels[1]}"
	test_netns
	test_vms
	test_splat "${rels[0]}"
	test_splat_b
	test_bad_module "${rels[0]}" "${rels[1]}"
	test_timeout
	test_stalled_boot
	test_module 6.1
	test_module 6.12
	test_module newest
	test_module rt
	# KFENCE samples an allocation every 100 ms: when it took this one,
	# it reports the use-after-free before KASAN can (seen in a run).
	test_detectors "lockorder:possible circular locking dependency" \
		"sleep:sleeping function called from invalid context" \
		"uaf:KASAN: slab-use-after-free|KFENCE: use-after-free" \
		"leak:unreferenced object"
	tap_done
}

main "$@"
