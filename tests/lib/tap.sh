# shellcheck shell=bash
# tests/lib/tap.sh: TAP output for the test scripts that run on the host
# (tests/install.sh, tests/lab-selftest.sh).  Sourced, not run.
#
#   tap_plan N           print the plan, "1..N", before the first check
#   ok TEXT              "ok K - TEXT"
#   not_ok TEXT [DETAIL...]
#                        "not ok K - TEXT", then each DETAIL as "#   " lines
#   skip TEXT REASON     "ok K - TEXT # SKIP REASON", counted apart
#   tap_done             the closing line, "P passed, F failed, S skipped";
#                        returns 1 if anything failed or if the number of
#                        checks run is not the plan
#
# The plan is a promise made before anything runs: a script that stops
# half-way, or skips a block of checks by mistake, ends short of it and
# fails here and again in scripts/check, which counts the lines itself.

tap_n=0 tap_passed=0 tap_failed=0 tap_skipped=0 tap_planned=

tap_plan() {
	tap_planned=$1
	echo "1..$1"
}

ok() {
	tap_n=$((tap_n + 1)) tap_passed=$((tap_passed + 1))
	echo "ok $tap_n - $*"
}

not_ok() {
	local l
	tap_n=$((tap_n + 1)) tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	shift
	for l in "$@"; do
		printf '%s\n' "$l" | head -n 40 | sed 's/^/#   /'
	done
}

skip() {
	tap_n=$((tap_n + 1)) tap_skipped=$((tap_skipped + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

tap_done() {
	local rc=0
	if [ "$tap_n" != "${tap_planned:-none}" ]; then
		echo "# planned ${tap_planned:-no} checks, ran $tap_n"
		rc=1
	fi
	echo "$tap_passed passed, $tap_failed failed, $tap_skipped skipped"
	[ "$tap_failed" -eq 0 ] || rc=1
	return $rc
}
