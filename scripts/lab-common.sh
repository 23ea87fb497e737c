# shellcheck shell=bash
# scripts/lab-common.sh: helpers shared by the host-side lab scripts
# (scripts/lab, scripts/build-module, tests/lab-selftest.sh).  Sourced,
# not run.  Release strings are never hard-coded: they are resolved from
# what is installed, at run time.

# lab_resolve_kernel SPEC: print the full release for SPEC, which is either
# a series ("6.1", "6.12": the newest installed release of that series, by
# sort -V) or a full release string ("6.1.0-56-amd64").  A release counts
# as installed when its image, modules and headers are all present.
lab_resolve_kernel() {
	local spec=$1 cands=() d rel best=
	case $spec in
	[0-9]*.[0-9]*.*) cands=("/lib/modules/$spec") ;;
	[0-9]*.[0-9]*) cands=(/lib/modules/"$spec".*) ;;
	*)
		echo "lab: bad kernel '$spec' (want 6.1, 6.12 or a release)" >&2
		return 1
		;;
	esac
	for d in "${cands[@]}"; do
		rel=${d##*/}
		if [ ! -e "/boot/vmlinuz-$rel" ] || [ ! -d "$d/kernel" ] ||
			[ ! -e "$d/build/Makefile" ]; then
			continue
		fi
		best=$(printf '%s\n%s\n' "$best" "$rel" | sed '/^$/d' | sort -V | tail -1)
	done
	if [ -z "$best" ]; then
		echo "lab: no installed kernel matches '$spec'" \
			"(need /boot/vmlinuz-R, /lib/modules/R/{kernel,build});" \
			"run scripts/deps" >&2
		return 1
	fi
	echo "$best"
}
