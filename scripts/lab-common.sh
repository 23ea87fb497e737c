# shellcheck shell=bash disable=SC2034 # KERNEL_* are for the sourcing script
# scripts/lab-common.sh: helpers shared by the host-side lab scripts
# (scripts/lab, scripts/build-module, scripts/check, tests/).  Sourced,
# not run.  Release strings are never hard-coded: they are resolved from
# what is installed or cached, at run time.
#
# The lab knows two kinds of kernel:
#   stock    Debian 12's own 6.1 and 6.12, installed on this host by
#            scripts/deps (image in /boot, modules and headers in
#            /lib/modules/R);
#   cached   kernels that must not be installed here, kept under
#            $KTTCP_CACHE/kernels/FLAVOUR/ by the script that makes them:
#              newest  the newest kernel Debian ships (scripts/kernel-fetch;
#                      its headers need a trixie chroot to build against)
#              rt      Debian 12's PREEMPT_RT 6.12 (scripts/kernel-fetch)
#              debug   6.12 built with KASAN, lockdep, kmemleak, ...
#                      (scripts/debug-kernel)
#            Each has a kernel.env, written last (so it exists only when
#            the kernel is complete), describing it with the variables
#            below.
#
# lab_kernel SPEC sets, for either kind:
#   KERNEL_FLAVOUR  stock | newest | rt | debug
#   KERNEL_RELEASE  uname -r of the kernel
#   KERNEL_IMAGE    the bzImage to boot
#   KERNEL_CONFIG   its .config
#   KERNEL_MODROOT  D such that D/lib/modules/RELEASE holds its modules
#   KERNEL_BUILD    the directory external modules build against (make -C)
#   KERNEL_CHROOT   if set, KERNEL_BUILD is inside this chroot and builds
#                   run there (its toolchain matches the kernel's)
#   KERNEL_CMDLINE  extra boot parameters for the lab, each followed by a
#                   blank (from LAB_CMDLINE below, by flavour)

KTTCP_CACHE=${KTTCP_CACHE:-/var/cache/kttcp}
# Every kernel make check covers, in the order it runs them.
LAB_KERNELS=(6.1 6.12 newest rt debug)

# Boot parameters by flavour.  debug: ACPI's interpreter, slowed down by
# KASAN and lockdep under emulation, was seen spending a minute in AML
# loop timeouts over the PCI routing table (_PRT) on a loaded host: route
# PCI interrupts without ACPI.
declare -A LAB_CMDLINE=([debug]="pci=noacpi ")

# lab_kernel_env FILE: load a cached kernel's description.
lab_kernel_env() {
	unset KERNEL_FLAVOUR KERNEL_RELEASE KERNEL_IMAGE KERNEL_CONFIG \
		KERNEL_MODROOT KERNEL_BUILD KERNEL_CHROOT KERNEL_CMDLINE
	# shellcheck source=/dev/null # written by the kernel's own script
	. "$1" || return 1
	KERNEL_CMDLINE=${LAB_CMDLINE[${KERNEL_FLAVOUR:-}]:-}
	[ -n "${KERNEL_RELEASE:-}" ] && [ -e "${KERNEL_IMAGE:-/nonexistent}" ] &&
		[ -d "$KERNEL_MODROOT/lib/modules/$KERNEL_RELEASE" ]
}

# lab_stock_kernel SPEC: resolve a Debian 12 kernel installed on the host:
# a series ("6.1", "6.12": the newest installed release of it, by sort -V)
# or a full release string ("6.1.0-56-amd64").  A release counts as
# installed when its image, modules and headers are all present.
lab_stock_kernel() {
	local spec=$1 cands=() d rel best=
	case $spec in
	[0-9]*.[0-9]*.*) cands=("/lib/modules/$spec") ;;
	*) cands=(/lib/modules/"$spec".*) ;;
	esac
	for d in "${cands[@]}"; do
		rel=${d##*/}
		# A series must not match another's flavour (6.12.N-rt-amd64).
		[[ $spec == *.*.* || $rel =~ ^[0-9.]+(-[0-9]+)?(\+deb[0-9]+)?-amd64$ ]] || continue
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
	KERNEL_FLAVOUR=stock
	KERNEL_RELEASE=$best
	KERNEL_IMAGE=/boot/vmlinuz-$best
	KERNEL_CONFIG=/boot/config-$best
	KERNEL_MODROOT=/
	KERNEL_BUILD=/lib/modules/$best/build
	KERNEL_CHROOT=
	KERNEL_CMDLINE=
}

# lab_kernel SPEC: set the KERNEL_* variables for SPEC, which is one of
# LAB_KERNELS or a full release (stock or cached).
lab_kernel() {
	local spec=$1 env
	case $spec in
	newest | rt | debug)
		env=$KTTCP_CACHE/kernels/$spec/kernel.env
		if [ ! -e "$env" ]; then
			echo "lab: no $spec kernel in $KTTCP_CACHE/kernels;" \
				"run scripts/deps" >&2
			return 1
		fi
		lab_kernel_env "$env" && return 0
		echo "lab: the $spec kernel in $KTTCP_CACHE/kernels is incomplete;" \
			"run scripts/deps" >&2
		return 1
		;;
	[0-9]*.[0-9]*)
		# A full release may be a cached kernel's.
		for env in "$KTTCP_CACHE"/kernels/*/kernel.env; do
			[ -e "$env" ] && grep -qxF "KERNEL_RELEASE=$(printf %q "$spec")" "$env" &&
				lab_kernel_env "$env" && return 0
		done
		lab_stock_kernel "$spec"
		;;
	*)
		echo "lab: bad kernel '$spec' (want $(IFS='|'; echo "${LAB_KERNELS[*]}")" \
			"or a release)" >&2
		return 1
		;;
	esac
}

# lab_resolve_kernel SPEC: print the release of SPEC (see lab_kernel).
lab_resolve_kernel() {
	(lab_kernel "$1" && echo "$KERNEL_RELEASE")
}
