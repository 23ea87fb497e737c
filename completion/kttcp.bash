# bash completion for kttcp(8)                              -*- shell-script -*-
#
# Installed as share/bash-completion/completions/kttcp (make install);
# to try it without installing: source completion/kttcp.bash
#
# Completes the options, the modes of -m for the role on the line (-r or
# -t, whose list adds "all"; both lists when neither is there yet), the congestion control
# algorithms of -C, addresses for -B and host names after -t.  Works with
# or without the bash-completion package.

_kttcp_opts_common='-r -t -b -n -p -q -v -4 -6 -m -l -J -i -O -P -M -C -D -B -w
	-A -h --receive --transmit --sockbuf --bytes --port --quiet --verbose
	--ipv4 --ipv6 --mode --length --json --interval --omit --parallel --mss
	--congestion --nodelay --bind --timeout --affinity --help --version'
_kttcp_opts_receive='-V --verify -k --keep'
_kttcp_opts_transmit='-T --time -N --repeat'
_kttcp_modes_send='copy sendpage zerocopy'
_kttcp_modes_recv='copy trunc readsock'

# The role given so far on the line: r, t or nothing.
_kttcp_role()
{
	local w role=
	for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
		case $w in
		--receive) role=r ;;
		--transmit) role=t ;;
		--*) ;;
		-*r*) [[ $w == -[46DJqrtvVh]* ]] && role=r ;;
		-*t*) [[ $w == -[46DJqrtvVh]* ]] && role=t ;;
		esac
	done
	echo "$role"
}

# Values for option $1 matching $2 (to COMPREPLY); returns 1 if $1 takes
# no argument.
_kttcp_value()
{
	local opt=$1 cur=$2 words
	case $opt in
	-m | --mode)
		case $(_kttcp_role) in
		r) words=$_kttcp_modes_recv ;;
		t) words="$_kttcp_modes_send all" ;;
		*) words="$_kttcp_modes_send all trunc readsock" ;;
		esac
		;;
	-C | --congestion)
		words=$(cat /proc/sys/net/ipv4/tcp_allowed_congestion_control \
			/proc/sys/net/ipv4/tcp_available_congestion_control \
			2>/dev/null | tr ' ' '\n' | sort -u)
		;;
	-A | --affinity)
		# The CPUs this shell may run on (taskset's list, as numbers).
		words=$(seq 0 $(($(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) - 1)))
		;;
	-B | --bind)
		words=$(ip -o addr show 2>/dev/null |
			awk '{ sub("/.*", "", $4); print $4 }')
		;;
	-b | --sockbuf | -n | --bytes | -l | --length | -p | --port | -T | \
	--time | -i | --interval | -O | --omit | -P | --parallel | -M | --mss | \
	-w | --timeout | -N | --repeat)
		COMPREPLY=()	# a number: nothing to offer
		return 0
		;;
	*)
		return 1
		;;
	esac
	local IFS=$' \t\n'
	# shellcheck disable=SC2207 # word lists without blanks
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
	return 0
}

_kttcp()
{
	local cur prev words
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

	# --opt=value, split or not by COMP_WORDBREAKS.
	if [[ $cur == --*=* ]]; then
		if _kttcp_value "${cur%%=*}" "${cur#*=}"; then
			# shellcheck disable=SC2206
			((${#COMPREPLY[@]})) && COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
			return 0
		fi
	elif [[ $cur == = ]] && ((COMP_CWORD > 1)); then
		_kttcp_value "$prev" "" && return 0
	elif [[ $prev == = ]] && ((COMP_CWORD > 2)); then
		_kttcp_value "${COMP_WORDS[COMP_CWORD - 2]}" "$cur" && return 0
	fi
	_kttcp_value "$prev" "$cur" && return 0

	local IFS=$' \t\n'
	if [[ $cur == -* ]]; then
		case $(_kttcp_role) in
		r) words="$_kttcp_opts_common $_kttcp_opts_receive" ;;
		t) words="$_kttcp_opts_common $_kttcp_opts_transmit" ;;
		*) words="$_kttcp_opts_common $_kttcp_opts_receive $_kttcp_opts_transmit" ;;
		esac
		# shellcheck disable=SC2207
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return 0
	fi

	# The one operand: the sender's host.
	if [[ $(_kttcp_role) == t ]]; then
		if declare -F _known_hosts_real >/dev/null; then
			_known_hosts_real -- "$cur"
		else
			# shellcheck disable=SC2207
			COMPREPLY=($(compgen -A hostname -- "$cur"))
		fi
	fi
	return 0
}

complete -F _kttcp kttcp
