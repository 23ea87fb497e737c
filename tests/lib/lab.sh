# shellcheck shell=bash
# tests/lib/lab.sh: shell helpers for commands run inside the lab guests.
#
# scripts/lab sources this file in the bash that runs COMMAND, so its
# functions can be used directly in a command string; scripts run by the
# command should source it themselves:
#
#   . "$LAB_REPO/tests/lib/lab.sh"
#
# It only defines functions (no side effects, safe under set -euo
# pipefail).  Environment provided by scripts/lab:
#
#   LAB_KERNEL   release of the running kernel (uname -r)
#   LAB_TOPO     loop | netns | vms
#   LAB_ROLE     a | b  (always "a" in loop and netns: there is one guest)
#   LAB_REPO     the repo's absolute path (also the command's cwd)
#   LAB_OUT      read-write directory shared with the host (and with the
#                other guest in vms); files left there survive the run
#   LAB_MODULE   path of kttcp.ko as built for LAB_KERNEL (empty with
#                --no-module)
#   LAB_ADDR_A, LAB_ADDR_B      IPv4 addresses of hosts a and b
#   LAB_ADDR6_A, LAB_ADDR6_B    IPv6 addresses of hosts a and b
#   LAB_NS_A, LAB_NS_B          network namespaces of a and b (netns
#                               topology only, empty otherwise)
#   LAB_IF       the test interface: lo (loop), eth0 in each namespace
#                (netns), the virtio-net NIC, eth0 (vms)
#   anything passed with scripts/lab -e VAR=VALUE
#
# The guest's /tmp, /run and /dev are its own (tmpfs/devtmpfs), and the
# rest of its root is the host's, read-only underneath a tmpfs overlay:
# writes anywhere but LAB_OUT vanish with the guest.  Pass files in and
# out through LAB_OUT (on the host: scripts/lab -o DIR).
#
# Topologies: loop = a and b are the same host, 198.18.0.1 and 2001:2::1
# on lo; netns = namespaces a and b on one kernel, joined by a veth pair;
# vms = two guests joined by virtio-net, each running the same command
# with its own LAB_ROLE.

# lab_in A|B CMD [ARGS...]: run CMD as host A or B.  netns: inside that
# namespace; loop: right here (both hosts are this one); vms: right here
# if this guest is that host, otherwise fail (the other guest runs it).
lab_in() {
	local who=${1,,}
	shift
	case $who in
	a | b) ;;
	*) echo "lab_in: host must be A or B, not '$who'" >&2; return 2 ;;
	esac
	case $LAB_TOPO in
	netns)
		local ns
		[ "$who" = a ] && ns=$LAB_NS_A || ns=$LAB_NS_B
		ip netns exec "$ns" "$@"
		;;
	vms)
		if [ "$who" != "$LAB_ROLE" ]; then
			echo "lab_in: host $who is the other guest" >&2
			return 2
		fi
		"$@"
		;;
	*) "$@" ;;
	esac
}

# lab_addr A|B, lab_addr6 A|B: print that host's address.
lab_addr() { [ "${1,,}" = a ] && echo "$LAB_ADDR_A" || echo "$LAB_ADDR_B"; }
lab_addr6() { [ "${1,,}" = a ] && echo "$LAB_ADDR6_A" || echo "$LAB_ADDR6_B"; }

# lab_peer: the other role (b for a, a for b).
lab_peer() { [ "$LAB_ROLE" = a ] && echo b || echo a; }

# lab_barrier NAME [TIMEOUT_SECS]: in vms, wait until the other guest has
# reached the barrier of the same name too (default 120 s; returns 1 on
# timeout, or at once if the other guest's command or setup has ended).
# Each name can be used once per run.  A no-op elsewhere, where there is
# only one guest.  Works through LAB_OUT, which both guests mount
# uncached.
lab_barrier() {
	local name=$1 limit=${2:-120} dir=$LAB_OUT/sync i peer
	[ "$LAB_TOPO" = vms ] || return 0
	peer=$(lab_peer)
	mkdir -p "$dir"
	date +%s.%N >"$dir/$name.$LAB_ROLE"
	for ((i = 0; i < limit * 10; i++)); do
		[ -e "$dir/$name.$peer" ] && return 0
		if [ -e "$LAB_OUT/.lab/status.$peer" ] || [ -e "$LAB_OUT/.lab/error.$peer" ]; then
			echo "lab_barrier: $peer ended before reaching '$name'" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "lab_barrier: timed out after ${limit}s waiting for" \
		"$(lab_peer) at '$name'" >&2
	return 1
}

# lab_wait_listen A|B PORT [TIMEOUT_SECS]: wait until host A or B has a
# TCP socket listening on PORT (default 30 s), without connecting to it
# (a probe connection would confuse servers such as iperf3).  In vms it
# can only look at this guest: the server's side calls it, then meets the
# client at a lab_barrier.
lab_wait_listen() {
	local who=$1 port=$2 limit=${3:-30} i
	for ((i = 0; i < limit * 10; i++)); do
		if lab_in "$who" ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	echo "lab_wait_listen: nothing listens on port $port at $who" >&2
	return 1
}

# lab_reload_module: unload kttcp (if loaded) and load LAB_MODULE again.
lab_reload_module() {
	[ -n "${LAB_MODULE:-}" ] || { echo "lab_reload_module: no module (--no-module?)" >&2; return 1; }
	if [ -e /sys/module/kttcp ]; then
		rmmod kttcp || return 1
	fi
	insmod "$LAB_MODULE"
}
