#!/bin/bash
# tests/install.sh: what a user gets from the sources, checked on the
# host (no guest, no module loaded).  The guest half is
# tests/guest/install.py (DKMS, modprobe, udev, permissions).
#
# Usage: tests/install.sh [-k 6.1|6.12|RELEASE]   (default 6.12)
#
# Checks, one TAP line each ("ok N - ..." / "not ok N - ..."):
#   - make install DESTDIR PREFIX=/usr installs exactly the tool, both man
#     pages and the bash completion, with the right modes; the default
#     PREFIX is /usr/local; make uninstall removes every file again;
#     make install-udev / uninstall-udev handle the rule, which make
#     install leaves alone;
#   - the man pages: groff -ww and man --warnings say nothing; every short
#     and long option of `kttcp --help' has its entry in kttcp(8) (and
#     kttcp(8) documents no option the tool lacks); every JSON field the
#     tool can print (report.c, compare.c, main.c; cross-checked with the output of
#     real runs against the LD_PRELOAD fake module) is in its JSON OUTPUT
#     section; the exit codes of main.c are there; kttcp(4) names every
#     ioctl, mode, status bit and errno of include/kttcp.h and the
#     module's checks, prints the three structures exactly as the header
#     declares them, and its example program compiles against it;
#   - the bash completion loads, registers _kttcp, completes -m to the
#     tool's own modes for each role and offers exactly the options of
#     --help;
#   - DKMS: dkms.conf's version is the module's, make dkms-src lays out
#     dkms.conf, module/ and include/, and dkms.conf's own MAKE and CLEAN
#     build and clean the module in a tree shaped like DKMS's;
#   - make modules_install (Kbuild) installs kttcp.ko under DESTDIR and
#     modules_uninstall removes it;
#   - modinfo of the built module shows description, version, license
#     and author.
# Starts with the plan "1..N", ends with "N passed, N failed, N skipped";
# exits 1 if anything failed or fewer checks ran than planned.  Works on a
# copy of the sources in a temporary directory: the tree itself is not
# written to (except build/, through scripts/build-module).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kernel=6.12
while [ $# -gt 0 ]; do
	case $1 in
	-k) kernel=$2; shift ;;
	*) echo "usage: tests/install.sh [-k KERNEL]" >&2; exit 2 ;;
	esac
	shift
done

tmp=$(mktemp -d /tmp/kttcp-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/lib/tap.sh
. "$repo/tests/lib/tap.sh"
# Every check below, counted by hand: bump it with each new check.
tap_plan 45

# check TEXT DETAIL: ok if the last command succeeded.
check() {
	local rc=$? text=$1
	shift
	if [ "$rc" -eq 0 ]; then ok "$text"; else not_ok "$text" "$@"; fi
}

# A private copy of the sources: builds and installs happen there.
src=$tmp/src
mkdir -p "$src"
tar -C "$repo" --exclude=./build --exclude=./.git --exclude=./results \
	--exclude='*.o' --exclude='*.d' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude=./userland/kttcp --exclude='*.so' -cf - . | tar -C "$src" -xf -
if ! make -s -C "$src" tool >"$tmp/tool.log" 2>&1 ||
	! make -s -C "$src/userland" test/fakekttcp.so >>"$tmp/tool.log" 2>&1; then
	not_ok "the tool builds from a copy of the sources" "$(tail -20 "$tmp/tool.log")"
	tap_done
	exit 1
fi
kttcp=$src/userland/kttcp
fake=$src/userland/test/fakekttcp.so
version=$(sed -n 's/^.define[[:space:]]*KTTCP_MODULE_VERSION[[:space:]]*"\(.*\)".*/\1/p' \
	"$repo/module/kttcp.h")

# files DIR: the files under DIR, relative, with their modes.
files() { (cd "$1" && find . -type f -printf '%m %P\n' | sort); }

# ---------------------------------------------------------------- install
test_install() {
	local d=$tmp/destdir want got
	make -s -C "$src" install DESTDIR="$d" PREFIX=/usr >"$tmp/out" 2>&1
	check "make install DESTDIR=... PREFIX=/usr succeeds" "$(cat "$tmp/out")"
	want=$(printf '%s\n' \
		"755 usr/bin/kttcp" \
		"644 usr/share/bash-completion/completions/kttcp" \
		"644 usr/share/man/man4/kttcp.4" \
		"644 usr/share/man/man8/kttcp.8" | sort)
	got=$(files "$d")
	[ "$got" = "$want" ]
	check "make install puts exactly the tool, kttcp.4, kttcp.8 and the completion in place" \
		"want:" "$want" "got:" "$got"
	cmp -s "$d/usr/share/man/man8/kttcp.8" "$repo/man/kttcp.8" &&
		cmp -s "$d/usr/share/man/man4/kttcp.4" "$repo/man/kttcp.4" &&
		cmp -s "$d/usr/share/bash-completion/completions/kttcp" "$repo/completion/kttcp.bash"
	check "the installed man pages and completion are the sources' own"
	"$d/usr/bin/kttcp" --version 2>&1 | head -1 | grep -q '^kttcp [0-9.]* (ABI [0-9]*)$'
	check "the installed kttcp runs (--version)"
	[ "$(man -M "$d/usr/share/man" -w 8 kttcp 2>/dev/null)" = "$d/usr/share/man/man8/kttcp.8" ] &&
		[ "$(man -M "$d/usr/share/man" -w 4 kttcp 2>/dev/null)" = "$d/usr/share/man/man4/kttcp.4" ]
	check "man finds kttcp(8) and kttcp(4) in the installed MANPATH"

	make -s -C "$src" uninstall DESTDIR="$d" PREFIX=/usr >"$tmp/out" 2>&1
	got=$(files "$d")
	[ -z "$got" ]
	check "make uninstall with the same DESTDIR/PREFIX removes every installed file" \
		"left:" "$got"

	d=$tmp/destdir-default
	make -s -C "$src" install DESTDIR="$d" >"$tmp/out" 2>&1
	got=$(files "$d" | awk '{print $2}' | sort | tr '\n' ' ')
	[ "$got" = "usr/local/bin/kttcp usr/local/share/bash-completion/completions/kttcp usr/local/share/man/man4/kttcp.4 usr/local/share/man/man8/kttcp.8 " ]
	check "the default PREFIX is /usr/local" "got: $got"
	make -s -C "$src" uninstall DESTDIR="$d" >/dev/null 2>&1
	[ -z "$(files "$d")" ]
	check "make uninstall with the default PREFIX removes them again"

	d=$tmp/destdir-udev
	make -s -C "$src" install-udev DESTDIR="$d" >"$tmp/out" 2>&1
	got=$(files "$d")
	[ "$got" = "644 etc/udev/rules.d/60-kttcp.rules" ] &&
		cmp -s "$d/etc/udev/rules.d/60-kttcp.rules" "$repo/contrib/udev/60-kttcp.rules"
	check "make install-udev installs only etc/udev/rules.d/60-kttcp.rules" "got: $got"
	grep -v '^#' "$repo/contrib/udev/60-kttcp.rules" | grep -q \
		'^SUBSYSTEM=="misc", KERNEL=="kttcp", GROUP="kttcp", MODE="0660"$'
	check "the udev rule gives /dev/kttcp to group kttcp, mode 0660"
	make -s -C "$src" uninstall-udev DESTDIR="$d" >/dev/null 2>&1
	[ -z "$(files "$d")" ]
	check "make uninstall-udev removes the rule"
}

# -------------------------------------------------------------- man pages
man_text() { LC_ALL=C MANWIDTH=200 man -l "$1" 2>/dev/null | col -bx; }

# The rendered section $2 of page $1 (up to the next section heading).
man_section() {
	man_text "$1" | awk -v s="$2" '
		/^[A-Z]/ { on = ($0 == s) ; next }
		on'
}

test_man_lint() {
	local f out
	for f in man/kttcp.8 man/kttcp.4; do
		out=$(groff -t -man -ww -z -Tutf8 "$repo/$f" 2>&1)
		[ -z "$out" ]
		check "groff -man -ww: no warnings for $f" "$out"
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$repo/$f" 2>&1 >/dev/null)
		[ -z "$out" ]
		check "man --warnings: no warnings for $f" "$out"
	done
}

# "-r --receive" per option of --help ("- --version" for long only).
help_options() {
	"$kttcp" --help | sed -n -E \
		-e 's/^ +(-([A-Za-z0-9]), )?--([a-z][a-z0-9-]*).*/\2 \3/p' |
		awk '{ if (NF == 1) print "- --" $1; else print "-" $1 " --" $2 }'
}

test_man_options() {
	local opts missing='' extra='' s l line tags
	opts=$(help_options)
	[ "$(wc -l <<<"$opts")" -ge 20 ]
	check "kttcp --help lists its options ($(wc -l <<<"$opts") found)" "$opts"

	man_section "$repo/man/kttcp.8" OPTIONS >"$tmp/options.txt"
	while read -r s l; do
		if [ "$s" = - ]; then
			grep -qE "^ {7}$l( |$)" "$tmp/options.txt" || missing+=" $l"
		else
			grep -qE "^ {7}$s, $l( |$)" "$tmp/options.txt" || missing+=" $s/$l"
		fi
	done <<<"$opts"
	[ -z "$missing" ]
	check "kttcp(8) has an entry for every option of --help" "missing:$missing"

	tags=$(grep -E '^ {7}-' "$tmp/options.txt" | sed -E 's/^ {7}((-[A-Za-z0-9], )?--[a-z0-9-]+).*/\1/')
	while read -r line; do
		l=${line##* }
		grep -q -- " $l\$" <<<"$opts" || extra+=" $line"
	done <<<"$tags"
	[ -z "$extra" ]
	check "kttcp(8) documents no option the tool lacks" "extra:$extra"

	man_section "$repo/man/kttcp.8" SYNOPSIS >"$tmp/synopsis.txt"
	missing=
	while read -r s l; do
		[ "$s" = - ] && s=$l
		case $s in -h) s=--help ;; esac
		grep -qE -- "(\[-[0-9A-Za-z]*${s#-}[0-9A-Za-z]*\]|$s( |$|]))" "$tmp/synopsis.txt" ||
			missing+=" $s"
	done <<<"$opts"
	[ -z "$missing" ]
	check "every option of --help is in the SYNOPSIS of kttcp(8)" "missing:$missing"

	missing=
	for s in 0 1 2 3 130 143; do
		man_section "$repo/man/kttcp.8" "EXIT STATUS" | grep -qE "^ {7}($s|.*\b$s\b)" || missing+=" $s"
	done
	[ -z "$missing" ] && grep -q 'EXIT_USAGE	= 1' "$repo/userland/result.h" &&
		grep -q 'EXIT_SETUP	= 2' "$repo/userland/result.h" &&
		grep -q 'EXIT_XFER	= 3' "$repo/userland/result.h"
	check "kttcp(8) EXIT STATUS has 0, 1, 2, 3, 130, 143 (as result.h)" "missing:$missing"
}

# Field names the tool can print: the key argument of every jw_*() call
# in the files that write JSON (a transfer's object, the comparison).
report_fields() {
	grep -ohE 'jw_[a-z0-9]+\(&?w, "[a-z_]+"' "$repo/userland/report.c" \
		"$repo/userland/compare.c" "$repo/userland/main.c" |
		sed -E 's/.*"([a-z_]+)"/\1/' | sort -u
}

# Every key of the JSON objects in the files given.
json_keys() {
	python3 -c '
import json, sys
keys = set()
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            keys.add(k)
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
for f in sys.argv[1:]:
    walk(json.load(open(f)))
print("\n".join(sorted(keys)))
' "$@"
}

# A real run of the tool over loopback, with the fake module.
fake_run() {
	local port=$1 rargs=$2 sargs=$3 tag=$4 i
	# shellcheck disable=SC2086 # option lists
	LD_PRELOAD=$fake "$kttcp" -r -J -4 -p "$port" $rargs >"$tmp/$tag.r.json" 2>"$tmp/$tag.r.err" &
	local rpid=$!
	for ((i = 0; i < 100; i++)); do
		ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && break
		sleep 0.05
	done
	# shellcheck disable=SC2086
	LD_PRELOAD=$fake timeout 60 "$kttcp" -t -J -4 -p "$port" $sargs 127.0.0.1 \
		>"$tmp/$tag.s.json" 2>"$tmp/$tag.s.err"
	wait "$rpid"
}

# A comparison (-m all) against a receiver that stays (-k), fake module.
fake_compare() {
	local port=$1 i
	LD_PRELOAD=$fake "$kttcp" -r -k -q -4 -p "$port" >/dev/null 2>"$tmp/compare.r.err" &
	local rpid=$!
	for ((i = 0; i < 100; i++)); do
		ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && break
		sleep 0.05
	done
	LD_PRELOAD=$fake timeout 60 "$kttcp" -t -J -4 -p "$port" -m all -n 1m \
		127.0.0.1 >"$tmp/compare.s.json" 2>"$tmp/compare.s.err"
	kill -TERM "$rpid"
	wait "$rpid"
}

test_man_json() {
	local fields missing='' port unknown='' f
	fields=$(report_fields)
	[ "$(wc -l <<<"$fields")" -ge 30 ]
	check "the tool prints $(wc -l <<<"$fields") JSON field names" "$fields"

	# Bold words of the JSON OUTPUT section (.B/.BR/.RB arguments, \fB).
	python3 - "$repo/man/kttcp.8" >"$tmp/bold.txt" <<'EOF'
import re, shlex, sys
text = open(sys.argv[1]).read()
sec = text.split(".SH JSON OUTPUT", 1)[1].split("\n.SH ", 1)[0]
bold = set()
for line in sec.splitlines():
    m = re.match(r"^\.(B|BR|RB|BI|IB)\s+(.*)$", line)
    if m:
        macro, args = m.groups()
        try:
            words = shlex.split(args.replace("\\", "\\\\"))
        except ValueError:
            words = args.split()
        first_bold = macro in ("B", "BR", "BI")
        for i, w in enumerate(words):
            if macro == "B" or (i % 2 == 0) == first_bold:
                bold.add(w)
    for w in re.findall(r"\\fB([^\\]+)\\f", line):
        bold.add(w)
print("\n".join(sorted(bold)))
EOF
	for f in $fields; do
		grep -qx -- "$f" "$tmp/bold.txt" || missing+=" $f"
	done
	[ -z "$missing" ]
	check "kttcp(8) JSON OUTPUT names every JSON field of the tool (in bold)" "missing:$missing"

	port=$((24000 + RANDOM % 8000))
	fake_run "$port" "-P 2 -i 0.05" "-m zerocopy -P 2 -n 32m -i 0.05" zc
	port=$((port + 1))
	FAKE_KTTCP_CORRUPT=1000 fake_run "$port" "-m copy -V" "-n 4m -b 64k" verify
	port=$((port + 1))
	fake_compare "$port"
	json_keys "$tmp"/zc.*.json "$tmp"/verify.*.json "$tmp/compare.s.json" \
		>"$tmp/keys.txt" 2>"$tmp/keys.err"
	check "the tool's JSON output parses (fake module, loopback)" "$(cat "$tmp/keys.err" "$tmp"/*.err)"
	while read -r f; do
		grep -qx -- "$f" <<<"$fields" || unknown+=" $f"
	done <"$tmp/keys.txt"
	[ -s "$tmp/keys.txt" ] && [ -z "$unknown" ] &&
		grep -qx mismatch_at "$tmp/keys.txt" && grep -qx intervals "$tmp/keys.txt" &&
		grep -qx wait_seconds "$tmp/keys.txt" && grep -qx against_first "$tmp/keys.txt"
	check "every key of real JSON output is among the names found in the code (so the list above is complete)" \
		"not in the code:$unknown" "keys: $(tr '\n' ' ' <"$tmp/keys.txt")"
}

test_man4() {
	local missing='' w out
	for w in KTTCP_IOC_INFO KTTCP_IOC_SEND KTTCP_IOC_RECV KTTCP_IOC_PROGRESS \
		$(grep -oE '\bKTTCP_(SEND|RECV)_[A-Z]+\b' "$repo/include/kttcp.h" | grep -v NR_MODES) \
		$(grep -oE '\bKTTCP_ST_[A-Z_]+\b' "$repo/include/kttcp.h") \
		KTTCP_F_VERIFY KTTCP_ABI_VERSION KTTCP_PATTERN_PERIOD \
		EINVAL EBADF ENOTSOCK EPROTONOSUPPORT ENOTCONN EFAULT ENOTTY \
		EINTR EAGAIN ECONNRESET EPIPE EILSEQ ENOMEM 0600; do
		grep -q -- "$w" "$repo/man/kttcp.4" || missing+=" $w"
	done
	[ -z "$missing" ]
	check "kttcp(4) names every ioctl, mode, status bit and errno" "missing:$missing"

	# The structures as kttcp(4) prints them, field by field, against the
	# header: same types, names and order.
	out=$(python3 - "$repo/include/kttcp.h" "$repo/man/kttcp.4" <<'PY'
import re, sys
def structs(text):
    found = {}
    for name, body in re.findall(r"^struct (kttcp_\w+) \{\n(.*?)^\};", text,
                                 re.M | re.S):
        body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
        found[name] = re.findall(r"^\s*(__[us]\d+|char)\s+(\w+(?:\[\d+\])?);",
                                 body, re.M)
    return found
hdr = structs(open(sys.argv[1]).read())
page = structs(open(sys.argv[2]).read())
bad = [n for n in hdr if hdr[n] != page.get(n)]
for n in bad:
    print(n, "header:", hdr[n], "page:", page.get(n))
sys.exit(1 if bad or len(hdr) != 3 else 0)
PY
)
	check "kttcp(4) shows struct kttcp_info, kttcp_io and kttcp_progress as include/kttcp.h has them" "$out"

	# The example program, as printed, against the real header.
	man_section "$repo/man/kttcp.4" EXAMPLES | sed -n '/^ *#include/,$p' |
		sed 's/^       //' >"$tmp/example.c"
	out=$(${CC:-cc} -Wall -Wextra -Werror -fsyntax-only -I"$repo/include" "$tmp/example.c" 2>&1)
	check "the example program of kttcp(4) compiles against include/kttcp.h" "$out"
}

# ------------------------------------------------------------- completion
# complete WORDS...: what _kttcp offers for the last word.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _kttcp
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		_ "$repo/completion/kttcp.bash" "$@"
}

# The modes kttcp itself names in its error for an unknown one (the
# sender's list ends in "all; several separated by commas").
tool_modes() {
	local host=
	[ "$1" = -t ] && host=x
	"$kttcp" "$1" -m nosuchmode $host 2>&1 |
		sed -n 's/.*valid [a-z]* modes: \([^;)]*\)[;)].*$/\1/p' |
		tr -d ',' | tr ' ' '\n' | sort | tr '\n' ' '
}

test_completion() {
	local out want
	out=$(bash -c 'source "$1" && complete -p kttcp' _ "$repo/completion/kttcp.bash" 2>&1)
	[ "$out" = "complete -F _kttcp kttcp" ]
	check "completion/kttcp.bash loads and registers _kttcp for kttcp" "$out"

	want=$(tool_modes -t)
	out=$(complete_words kttcp -t -m "")
	[ -n "$want" ] && [ "$out" = "$want" ]
	check "kttcp -t -m <TAB> completes the tool's send modes ($want)" "got: $out"
	want=$(tool_modes -r)
	out=$(complete_words kttcp -r -m "")
	[ -n "$want" ] && [ "$out" = "$want" ]
	check "kttcp -r -m <TAB> completes the tool's receive modes ($want)" "got: $out"
	out=$(complete_words kttcp -m "")
	want=$( (tool_modes -t; tool_modes -r) | tr ' ' '\n' | grep . | sort -u | tr '\n' ' ')
	[ "$out" = "$want" ]
	check "kttcp -m <TAB> (no role yet) completes every mode" "got: $out" "want: $want"
	out=$(complete_words kttcp -t -m z)
	[ "$out" = "zerocopy " ]
	check "kttcp -t -m z<TAB> completes to zerocopy" "got: $out"
	out=$(complete_words kttcp -r --mode=t)
	[ "$out" = "--mode=trunc " ]
	check "kttcp -r --mode=t<TAB> completes to --mode=trunc" "got: $out"

	want=$(help_options | tr ' ' '\n' | grep -vx -- - | sort | tr '\n' ' ')
	out=$(complete_words kttcp -)
	[ "$out" = "$want" ]
	check "kttcp -<TAB> offers exactly the options of --help" "got:  $out" "want: $want"
	out=$(complete_words kttcp -t -)
	! grep -qw -- --verify <<<"$out" && grep -qw -- --time <<<"$out"
	check "kttcp -t -<TAB> leaves out the receiver's -V, keeps -T"
}

# ------------------------------------------------------------------- DKMS
test_dkms() {
	local d=$tmp/dkms-src conf pv rel got want
	conf=$repo/dkms.conf
	pv=$(bash -c '. "$1"; echo "$PACKAGE_NAME $PACKAGE_VERSION $AUTOINSTALL ${BUILT_MODULE_NAME[0]} ${BUILT_MODULE_LOCATION[0]}"' _ "$conf" 2>&1)
	[ "$pv" = "kttcp $version yes kttcp module/" ]
	check "dkms.conf: kttcp $version (= KTTCP_MODULE_VERSION), AUTOINSTALL, module/kttcp.ko" "got: $pv"

	got=$(bash -c '. "$1"; for k in 6.1.0-56-amd64 6.12.117+deb12-amd64 7.0.0-1-amd64 6.0.0-1-amd64 5.10.0-30-amd64; do
		[[ $k =~ $BUILD_EXCLUSIVE_KERNEL ]] && echo -n "$k "; done' _ "$conf")
	[ "$got" = "6.1.0-56-amd64 6.12.117+deb12-amd64 7.0.0-1-amd64 " ]
	check "dkms.conf: BUILD_EXCLUSIVE_KERNEL takes 6.1 and later only" "got: $got"

	make -s -C "$src" dkms-src DESTDIR="$d" >"$tmp/out" 2>&1
	got=$(files "$d")
	want=$( (echo "644 usr/src/kttcp-$version/dkms.conf"
		echo "644 usr/src/kttcp-$version/include/kttcp.h"
		cd "$repo" && for f in module/Kbuild module/*.c module/*.h; do
			echo "644 usr/src/kttcp-$version/$f"; done) | sort)
	[ "$got" = "$want" ]
	check "make dkms-src: /usr/src/kttcp-$version holds dkms.conf, module/ and include/" \
		"want:" "$want" "got:" "$got" "$(cat "$tmp/out")"

	rel=$(scripts_resolve) || { not_ok "resolve kernel $kernel" "$rel"; return; }
	if [ ! -d "/lib/modules/$rel/build" ]; then
		not_ok "headers for $rel (run scripts/deps)"
		return
	fi
	# What dkms build does: copy the source to $dkms_tree/NAME/VER/build,
	# cd there, run MAKE[0] with -j and KERNELRELEASE, then CLEAN.
	local tree=$tmp/dkms-tree bdir log=$tmp/dkms-build.log
	bdir=$tree/kttcp/$version/build
	mkdir -p "$tree/kttcp/$version"
	cp -a "$d/usr/src/kttcp-$version" "$bdir"
	(
		cd "$bdir" || exit 1
		# What dkms.conf may refer to (DKMS's own variable names).
		# shellcheck disable=SC2034
		kernelver=$rel kernel_source_dir=/lib/modules/$rel/build dkms_tree=$tree
		# shellcheck source=/dev/null
		. ./dkms.conf
		echo "MAKE: ${MAKE[0]}"
		env -u KBUILD_OUTPUT bash -c "${MAKE[0]/#make/make -j$(nproc) KERNELRELEASE=$rel}" || exit 1
		[ -e "${BUILT_MODULE_LOCATION[0]}${BUILT_MODULE_NAME[0]}.ko" ] || exit 1
		modinfo -F version "${BUILT_MODULE_LOCATION[0]}${BUILT_MODULE_NAME[0]}.ko" >"$tmp/dkms-ver"
		echo "CLEAN: $CLEAN"
		bash -c "$CLEAN" || exit 1
	) >"$log" 2>&1
	check "dkms.conf's MAKE builds kttcp.ko for $rel in a DKMS-shaped tree" "$(tail -20 "$log")"
	[ "$(cat "$tmp/dkms-ver" 2>/dev/null)" = "$version" ] &&
		[ -z "$(find "$bdir" -name '*.ko' -o -name '*.o' -o -name '*.mod.c')" ] &&
		[ -e "$bdir/module/kttcp_main.c" ]
	check "that module is version $version, and dkms.conf's CLEAN removes what it built" \
		"$(find "$bdir" -name '*.ko' -o -name '*.o')"
}

scripts_resolve() {
	# shellcheck source=scripts/lab-common.sh disable=SC1091
	(. "$repo/scripts/lab-common.sh" && lab_resolve_kernel "$kernel") 2>&1
}

# ------------------------------------------------- modules_install, modinfo
test_modules() {
	local rel ko d=$tmp/modroot f missing=''
	rel=$(scripts_resolve) || { not_ok "resolve kernel $kernel" "$rel"; return; }
	ko=$("$repo/scripts/build-module" -q "$rel" 2>"$tmp/bm.err" | head -1)
	[ -n "$ko" ] && [ -e "$ko" ]
	check "scripts/build-module $rel builds kttcp.ko" "$(tail -20 "$tmp/bm.err")"
	for f in description version license author; do
		[ -n "$(modinfo -F "$f" "$ko" 2>/dev/null)" ] || missing+=" $f"
	done
	[ -z "$missing" ] && [ "$(modinfo -F version "$ko")" = "$version" ] &&
		[ "$(modinfo -F license "$ko")" = GPL ]
	check "modinfo kttcp.ko: description, version $version, license GPL, author" \
		"$(modinfo "$ko" 2>&1 | grep -E '^(description|version|license|author):')"

	make -s -C "$src" modules_install KVER="$rel" DESTDIR="$d" >"$tmp/mi.log" 2>&1
	f=$(cd "$d" 2>/dev/null && find . -name 'kttcp.ko*' | sed 's|^\./||')
	case $f in
	"lib/modules/$rel/extra/kttcp.ko" | "lib/modules/$rel/extra/kttcp.ko.xz" | \
	"lib/modules/$rel/extra/kttcp.ko.zst" | "lib/modules/$rel/extra/kttcp.ko.gz") true ;;
	*) false ;;
	esac
	check "make modules_install KVER=$rel DESTDIR=... installs lib/modules/$rel/extra/kttcp.ko" \
		"found: $f" "$(tail -20 "$tmp/mi.log")"
	[ -n "$f" ] && [ "$(modinfo -F version "$d/$f" 2>/dev/null)" = "$version" ]
	check "modinfo of the installed module: version $version"
	make -s -C "$src" modules_uninstall KVER="$rel" DESTDIR="$d" >>"$tmp/mi.log" 2>&1
	[ -z "$(cd "$d" && find . -name 'kttcp.ko*')" ]
	check "make modules_uninstall removes it"
}

test_install
test_man_lint
test_man_options
test_man_json
test_man4
test_completion
test_dkms
test_modules

tap_done
