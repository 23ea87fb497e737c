// SPDX-License-Identifier: GPL-2.0
/*
 * opts.c - command line parsing and validation for kttcp(8).
 *
 * The NetBSD options come first (-r -t -b -n -p -q -v -4 -6); everything
 * else is an extension with a long name as well.  All numbers are checked
 * strictly: strtoull() alone would accept " -1" and wrap it.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../include/kttcp.h"
#include "opts.h"

#define NSEC_PER_SEC	1000000000ULL

enum { OPT_VERSION = 256 };

static const char short_opts[] = ":46A:b:B:C:Dhi:Jkl:m:M:n:N:O:p:P:qrtT:vVw:";

static const struct option long_opts[] = {
	{ "receive",	no_argument,		NULL, 'r' },
	{ "transmit",	no_argument,		NULL, 't' },
	{ "sockbuf",	required_argument,	NULL, 'b' },
	{ "bytes",	required_argument,	NULL, 'n' },
	{ "port",	required_argument,	NULL, 'p' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "ipv4",	no_argument,		NULL, '4' },
	{ "ipv6",	no_argument,		NULL, '6' },
	{ "mode",	required_argument,	NULL, 'm' },
	{ "repeat",	required_argument,	NULL, 'N' },
	{ "time",	required_argument,	NULL, 'T' },
	{ "omit",	required_argument,	NULL, 'O' },
	{ "length",	required_argument,	NULL, 'l' },
	{ "verify",	no_argument,		NULL, 'V' },
	{ "keep",	no_argument,		NULL, 'k' },
	{ "json",	no_argument,		NULL, 'J' },
	{ "interval",	required_argument,	NULL, 'i' },
	{ "parallel",	required_argument,	NULL, 'P' },
	{ "mss",	required_argument,	NULL, 'M' },
	{ "congestion",	required_argument,	NULL, 'C' },
	{ "nodelay",	no_argument,		NULL, 'D' },
	{ "bind",	required_argument,	NULL, 'B' },
	{ "timeout",	required_argument,	NULL, 'w' },
	{ "affinity",	required_argument,	NULL, 'A' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ NULL,		0,			NULL, 0 }
};

static const char *const send_modes[KTTCP_SEND_NR_MODES] = {
	[KTTCP_SEND_COPY]	= "copy",
	[KTTCP_SEND_SENDPAGE]	= "sendpage",
	[KTTCP_SEND_ZEROCOPY]	= "zerocopy",
};

static const char *const recv_modes[KTTCP_RECV_NR_MODES] = {
	[KTTCP_RECV_COPY]	= "copy",
	[KTTCP_RECV_TRUNC]	= "trunc",
	[KTTCP_RECV_READSOCK]	= "readsock",
};

int mode_parse(bool sender, const char *name)
{
	const char *const *tab = sender ? send_modes : recv_modes;
	int n = sender ? KTTCP_SEND_NR_MODES : KTTCP_RECV_NR_MODES;
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(name, tab[i]) == 0)
			return i;
	return -1;
}

const char *mode_name(bool sender, unsigned int mode)
{
	if (sender)
		return mode < KTTCP_SEND_NR_MODES ? send_modes[mode] : "?";
	return mode < KTTCP_RECV_NR_MODES ? recv_modes[mode] : "?";
}

const char *mode_list(bool sender)
{
	return sender ? "copy, sendpage, zerocopy" : "copy, trunc, readsock";
}

int parse_bytes(const char *s, uint64_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	/* strtoull() skips blanks and wraps "-1": insist on a digit. */
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1024;
		end++;
		break;
	case 'm': case 'M':
		mult = 1024 * 1024;
		end++;
		break;
	case 'g': case 'G':
		mult = 1024 * 1024 * 1024;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end != '\0')
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

/*
 * Decimal seconds with an optional fraction ("2", "0.5", ".25") into
 * nanoseconds.  Done by hand rather than with strtod() so that the result
 * is exact and the locale's decimal point does not matter.  Digits past
 * the ninth decimal are ignored.
 */
int parse_seconds(const char *s, uint64_t *ns)
{
	uint64_t sec = 0, frac = 0, scale = NSEC_PER_SEC;
	int digits = 0;

	for (; isdigit((unsigned char)*s); s++, digits++) {
		if (sec > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		sec = sec * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, digits++) {
			scale /= 10;
			frac += (uint64_t)(*s - '0') * scale;
		}
	}
	if (digits == 0 || *s != '\0')
		return -EINVAL;
	if (sec > (UINT64_MAX - frac) / NSEC_PER_SEC)
		return -ERANGE;
	*ns = sec * NSEC_PER_SEC + frac;
	return 0;
}

int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

void opts_usage_short(FILE *f)
{
	fputs("usage: kttcp -r [-46DJkqVv] [-b sockbuf] [-n bytes] [-p port] [options]\n"
	      "       kttcp -t [-46DJqv] [-b sockbuf] [-n bytes | -T secs] [-p port] [options] host\n"
	      "Try 'kttcp --help' for more information.\n", f);
}

static double secs(uint64_t ns)
{
	return (double)ns / NSEC_PER_SEC;
}

void opts_help(FILE *f)
{
	fprintf(f,
"usage: kttcp -r [options]          receive (sink) on a port\n"
"       kttcp -t [options] host     transmit (source) to host\n"
"\n"
"Moves bytes over TCP with the send or receive loop running in the kernel\n"
"(/dev/kttcp, module kttcp.ko).  The connection carries nothing but the\n"
"payload, so the peer may be any TCP source or sink (e.g. nc -l >/dev/null).\n"
"\n"
"  -r, --receive          receive\n"
"  -t, --transmit         transmit to host\n"
"  -b, --sockbuf BYTES    SO_SNDBUF (sender) or SO_RCVBUF (receiver), set\n"
"                         before connect/listen; default: kernel autotuning\n"
"  -n, --bytes BYTES      bytes per stream (default 10m for the sender; the\n"
"                         receiver stops when the peer closes); with -P, each\n"
"                         stream moves BYTES, so the total is P * BYTES\n"
"  -p, --port PORT        TCP port (default %d)\n"
"  -q, --quiet            less output\n"
"  -v, --verbose          more output (CPU seconds line, per-stream lines)\n"
"  -4, --ipv4             IPv4 only\n"
"  -6, --ipv6             IPv6 only\n"
"  -m, --mode MODE        send: copy (default), sendpage, zerocopy;\n"
"                         receive: copy (default), trunc, readsock\n"
"                         sender: a list (copy,zerocopy) or all (every send\n"
"                         mode the kernel has) runs each mode in turn, each\n"
"                         on new connections, against a receiver with -k,\n"
"                         and ends with a table comparing them\n"
"  -N, --repeat N         sender: run each mode N times, 1..%d, in rounds\n"
"                         (copy, zerocopy, copy, zerocopy, ...)\n"
"  -T, --time SECS        sender: send for SECS (at least %g), not -n\n"
"  -O, --omit SECS        leave the first SECS (slow start, buffers filling)\n"
"                         out of bytes, time and CPU; a sender sends for\n"
"                         SECS more (with -T only); a receiver omits the\n"
"                         SECS after its first byte\n"
"  -l, --length BYTES     bytes per send/recv call, 1..64m (default: sender\n"
"                         auto, 64k..16m sized to ~10 ms a call; receiver 1m)\n"
"  -V, --verify           receiver: check the data pattern (mode copy only)\n"
"  -k, --keep             receiver: serve one transfer after another, each\n"
"                         reported as it ends, until interrupted\n"
"  -J, --json             print one JSON object on stdout, nothing else\n"
"  -i, --interval SECS    report progress every SECS, at least %g\n"
"  -P, --parallel N       N streams, 1..%d, each its own connection; once\n"
"                         one ends, a receiver waits -w (or %g s) for any\n"
"                         missing, then reports and exits 3\n"
"  -M, --mss N            TCP_MAXSEG, %d..65535\n"
"  -C, --congestion NAME  TCP_CONGESTION algorithm\n"
"  -D, --nodelay          TCP_NODELAY\n"
"  -B, --bind ADDR        local address (sender) or listen address (receiver)\n"
"  -w, --timeout SECS     end a transfer stalled for SECS, at least %g\n"
"                         (SO_SNDTIMEO and SO_RCVTIMEO on the data sockets)\n"
"  -A, --affinity CPUS    pin each stream's thread, and so its loop in the\n"
"                         kernel, to a CPU: CPUS is CPU[,CPU...], one per\n"
"                         stream in order, reused when shorter than -P\n"
"  -h, --help             this help\n"
"      --version          tool version and what the loaded module supports\n"
"\n"
"BYTES take a k, m or g suffix (powers of 1024).\n"
"\n"
"Exit status: 0 ok; 1 bad arguments; 2 setup failed (device, permissions,\n"
"unsupported mode, resolve, connect, listen); 3 transfer failed (error,\n"
"timeout, verify mismatch, missing streams); 130 or 143 interrupted by\n"
"SIGINT or SIGTERM.\n",
		KTTCP_DEFAULT_PORT, KTTCP_REPEAT_MAX, secs(KTTCP_TIME_MIN_NS),
		secs(KTTCP_INTERVAL_MIN_NS), KTTCP_STREAMS_MAX,
		secs(KTTCP_STREAM_GRACE_NS), KTTCP_MSS_MIN,
		secs(KTTCP_TIME_MIN_NS));
}

/* A failed option: say what and why, then how to get help. */
static int bad(FILE *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fputs("kttcp: ", err);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	opts_usage_short(err);
	return 1;
}

static int opt_bytes(FILE *err, int c, const char *arg, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	int rc = parse_bytes(arg, out);

	if (rc == -EINVAL)
		return bad(err, "-%c: invalid byte count '%s' (a number with an optional k, m or g suffix)",
			   c, arg);
	if (rc == -ERANGE || *out > max)
		return bad(err, "-%c: '%s' is too large (at most %llu)", c, arg,
			   (unsigned long long)max);
	if (*out < min)
		return bad(err, "-%c: '%s' is too small (at least %llu)", c, arg,
			   (unsigned long long)min);
	return 0;
}

static int opt_seconds(FILE *err, int c, const char *arg, uint64_t min,
		       uint64_t max, uint64_t *out)
{
	int rc = parse_seconds(arg, out);

	if (rc == -EINVAL)
		return bad(err, "-%c: invalid number of seconds '%s'", c, arg);
	if (rc == -ERANGE || *out > max)
		return bad(err, "-%c: '%s' seconds is too long (at most %llu)", c,
			   arg, (unsigned long long)(max / NSEC_PER_SEC));
	if (*out == 0)
		return bad(err, "-%c: '%s': must be more than 0 seconds", c, arg);
	if (*out < min)
		return bad(err, "-%c: '%s' seconds is too short (at least %g)",
			   c, arg, secs(min));
	return 0;
}

static int opt_uint(FILE *err, int c, const char *arg, unsigned long min,
		    unsigned long max, unsigned long *out)
{
	int rc = parse_uint(arg, max, out);

	if (rc == -EINVAL)
		return bad(err, "-%c: invalid number '%s'", c, arg);
	if (rc == -ERANGE || *out < min)
		return bad(err, "-%c: '%s' is out of range (%lu..%lu)", c, arg,
			   min, max);
	return 0;
}

/*
 * The next item of the comma-separated list at *@p, copied as a string
 * into @buf of @size bytes; *@p moves past it and its comma.  Returns 1
 * when another item follows, 0 after the last, -1 when the item is empty
 * or does not fit.
 */
static int list_next(const char **p, char *buf, size_t size)
{
	size_t len = strcspn(*p, ",");

	if (len == 0 || len >= size)
		return -1;
	memcpy(buf, *p, len);
	buf[len] = '\0';
	*p += len;
	if (**p == '\0')
		return 0;
	(*p)++;
	return 1;
}

/* -A CPU[,CPU...]: CPU numbers, each below CPU_SETSIZE. */
static int opt_cpus(struct kttcp_opts *o, const char *arg, FILE *err)
{
	const char *p = arg;
	unsigned long cpu;
	char num[16];
	int more, rc;

	o->ncpus = 0;
	do {
		more = list_next(&p, num, sizeof(num));
		if (more < 0)
			return bad(err, "-A: invalid CPU list '%s' (CPU numbers separated by commas, e.g. 0,2)",
				   arg);
		rc = parse_uint(num, CPU_SETSIZE - 1, &cpu);
		if (rc == -EINVAL)
			return bad(err, "-A: invalid CPU list '%s' (CPU numbers separated by commas, e.g. 0,2)",
				   arg);
		if (rc)
			return bad(err, "-A: CPU '%s' is out of range (0..%d)",
				   num, CPU_SETSIZE - 1);
		if (o->ncpus == KTTCP_STREAMS_MAX)
			return bad(err, "-A: more than %d CPUs", KTTCP_STREAMS_MAX);
		o->cpus[o->ncpus++] = (unsigned int)cpu;
	} while (more);
	return 0;
}

/* What the option loop remembers until the role is known. */
struct pstate {
	int nrole;		/* how many distinct roles were asked for */
	bool fam4, fam6;
	const char *mode;	/* -m argument */
};

static int opt_role(struct kttcp_opts *o, struct pstate *ps, enum kttcp_role r)
{
	if (o->role != r)
		ps->nrole++;
	o->role = r;
	return 0;
}

/* One option with its argument; 0 or 1 (message printed). */
static int opt_one(struct kttcp_opts *o, struct pstate *ps, int c,
		   const char *arg, FILE *err)
{
	unsigned long ul;
	uint64_t u64;
	int rc;

	switch (c) {
	case 'r':
		return opt_role(o, ps, ROLE_RECEIVER);
	case 't':
		return opt_role(o, ps, ROLE_SENDER);
	case '4':
		ps->fam4 = true;
		o->family = AF_INET;
		return 0;
	case '6':
		ps->fam6 = true;
		o->family = AF_INET6;
		return 0;
	case 'b':
		rc = opt_bytes(err, c, arg, 1, INT_MAX, &u64);
		if (!rc)
			o->sockbuf = (int)u64;
		return rc;
	case 'n':
		o->total_set = true;
		return opt_bytes(err, c, arg, 1, UINT64_MAX, &o->total);
	case 'p':
		rc = opt_uint(err, c, arg, 1, 65535, &ul);
		if (!rc)
			snprintf(o->port, sizeof(o->port), "%lu", ul);
		return rc;
	case 'q':
		o->verbose = 0;
		return 0;
	case 'v':
		o->verbose = 2;
		return 0;
	case 'm':
		ps->mode = arg;
		return 0;
	case 'N':
		rc = opt_uint(err, c, arg, 1, KTTCP_REPEAT_MAX, &ul);
		if (!rc)
			o->repeat = (unsigned int)ul;
		return rc;
	case 'T':
		return opt_seconds(err, c, arg, KTTCP_TIME_MIN_NS,
				   KTTCP_DURATION_MAX_NS, &o->duration_ns);
	case 'O':
		return opt_seconds(err, c, arg, KTTCP_TIME_MIN_NS,
				   KTTCP_DURATION_MAX_NS, &o->omit_ns);
	case 'l':
		rc = opt_bytes(err, c, arg, 1, KTTCP_CHUNK_MAX, &u64);
		if (!rc)
			o->chunk = (unsigned int)u64;
		return rc;
	case 'V':
		o->verify = true;
		return 0;
	case 'k':
		o->keep = true;
		return 0;
	case 'J':
		o->json = true;
		return 0;
	case 'i':
		return opt_seconds(err, c, arg, KTTCP_INTERVAL_MIN_NS,
				   KTTCP_DURATION_MAX_NS, &o->interval_ns);
	case 'P':
		rc = opt_uint(err, c, arg, 1, KTTCP_STREAMS_MAX, &ul);
		if (!rc)
			o->streams = (unsigned int)ul;
		return rc;
	case 'M':
		rc = opt_uint(err, c, arg, KTTCP_MSS_MIN, 65535, &ul);
		if (!rc)
			o->mss = (int)ul;
		return rc;
	case 'C':
		/* TCP_CA_NAME_MAX is 16 including the NUL. */
		if (arg[0] == '\0' || strlen(arg) > 15)
			return bad(err, "-C: invalid congestion control name '%s'",
				   arg);
		o->congestion = arg;
		return 0;
	case 'D':
		o->nodelay = true;
		return 0;
	case 'B':
		o->bind_addr = arg;
		return 0;
	case 'w':
		return opt_seconds(err, c, arg, KTTCP_TIME_MIN_NS,
				   KTTCP_DURATION_MAX_NS, &o->timeout_ns);
	case 'A':
		return opt_cpus(o, arg, err);
	case 'h':
		o->help = true;
		return 0;
	case OPT_VERSION:
		o->version = true;
		return 0;
	}
	return bad(err, "internal error: option %d", c);
}

static int check_role(struct kttcp_opts *o, const struct pstate *ps,
		      int nargs, char **args, FILE *err)
{
	if (ps->nrole == 0)
		return bad(err, "specify -r (receive) or -t (transmit)");
	if (ps->nrole > 1)
		return bad(err, "-r and -t are mutually exclusive");
	if (ps->fam4 && ps->fam6)
		return bad(err, "-4 and -6 are mutually exclusive");
	if (o->role == ROLE_SENDER) {
		if (nargs == 0)
			return bad(err, "-t: missing host");
		if (nargs > 1)
			return bad(err, "unexpected argument '%s'", args[1]);
		o->host = args[0];
		return 0;
	}
	if (nargs > 0)
		return bad(err, "unexpected argument '%s' (the receiver takes no host)",
			   args[0]);
	return 0;
}

static int bad_mode(const char *name, bool sender, FILE *err)
{
	return bad(err, "-m: unknown %s mode '%s' (valid %s modes: %s%s)",
		   sender ? "send" : "receive", name,
		   sender ? "send" : "receive", mode_list(sender),
		   sender ? ", " KTTCP_MODES_ALL "; several separated by commas" : "");
}

/* A sender's -m LIST: modes separated by commas, each once; or "all". */
static int parse_mode_list(struct kttcp_opts *o, const char *arg, FILE *err)
{
	char name[16];
	const char *p = arg;
	unsigned int i;
	int more, m;

	if (strcmp(arg, KTTCP_MODES_ALL) == 0) {
		o->modes_all = true;
		o->nmodes = 0;
		return 0;
	}
	o->nmodes = 0;
	do {
		more = list_next(&p, name, sizeof(name));
		if (more < 0)
			return bad(err, "-m: invalid mode list '%s' (modes separated by commas, e.g. copy,zerocopy)",
				   arg);
		m = mode_parse(true, name);
		if (m < 0)
			return bad_mode(name, true, err);
		for (i = 0; i < o->nmodes; i++)
			if (o->modes[i] == (unsigned int)m)
				return bad(err, "-m: mode %s is listed twice", name);
		o->modes[o->nmodes++] = (unsigned int)m;
	} while (more);
	return 0;
}

static int check_mode(struct kttcp_opts *o, const struct pstate *ps, FILE *err)
{
	bool sender = o->role == ROLE_SENDER;
	int m;

	if (!ps->mode)
		return 0;
	if (sender) {
		if (parse_mode_list(o, ps->mode, err))
			return 1;
		o->mode = o->nmodes ? o->modes[0] : 0;
		return 0;
	}
	if (strchr(ps->mode, ',') || strcmp(ps->mode, KTTCP_MODES_ALL) == 0)
		return bad(err, "-m: a receiver takes one mode, not '%s' (a list or all is for the sender)",
			   ps->mode);
	m = mode_parse(false, ps->mode);
	if (m < 0)
		return bad_mode(ps->mode, false, err);
	o->mode = (unsigned int)m;
	return 0;
}

static int check_combinations(struct kttcp_opts *o, FILE *err)
{
	bool sender = o->role == ROLE_SENDER;

	if (o->duration_ns && !sender)
		return bad(err, "-T is for the sender (-t) only");
	if (o->duration_ns && o->total_set)
		return bad(err, "-T and -n are mutually exclusive");
	if (o->omit_ns && sender && !o->duration_ns)
		return bad(err, "-O needs a timed send (-T)");
	if (o->omit_ns && o->duration_ns > KTTCP_DURATION_MAX_NS - o->omit_ns)
		return bad(err, "-T plus -O: at most %g seconds",
			   secs(KTTCP_DURATION_MAX_NS));
	if (o->ncpus > o->streams)
		return bad(err, "-A: %u CPUs for %u stream%s (-P)", o->ncpus,
			   o->streams, o->streams == 1 ? "" : "s");
	if (o->verify && sender)
		return bad(err, "-V is for the receiver (-r) only");
	if (o->keep && sender)
		return bad(err, "-k is for the receiver (-r) only");
	if (o->repeat > 1 && !sender)
		return bad(err, "-N is for the sender (-t) only");
	if (o->verify && o->mode != KTTCP_RECV_COPY)
		return bad(err, "-V needs receive mode copy (not %s)",
			   mode_name(false, o->mode));
	return 0;
}

static const char *long_name(int val)
{
	const struct option *lo;

	for (lo = long_opts; lo->name; lo++)
		if (lo->val == val)
			return lo->name;
	return NULL;
}

/*
 * getopt_long() found a problem: ':' (missing argument) or '?'.  optopt
 * holds the short letter (also for the long form), or 0 for an unknown
 * long option, which is then the last argument consumed.
 */
static int bad_option(int c, char **argv, FILE *err)
{
	const char *name = long_name(optopt);

	if (c == ':')
		return bad(err, "option -%c (--%s) needs an argument", optopt,
			   name ? name : "?");
	if (optopt == 0)
		return bad(err, "unknown option '%s'", argv[optind - 1]);
	if (name)	/* a known option: its long form was misused */
		return bad(err, "option --%s takes no argument", name);
	if (isprint(optopt))
		return bad(err, "unknown option '-%c'", optopt);
	return bad(err, "unknown option");
}

static void opts_defaults(struct kttcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->family = AF_UNSPEC;
	snprintf(o->port, sizeof(o->port), "%d", KTTCP_DEFAULT_PORT);
	o->verbose = 1;
	o->streams = 1;
	o->nmodes = 1;		/* modes[0]: the default mode */
	o->repeat = 1;
}

bool opts_compare(const struct kttcp_opts *o)
{
	return o->role == ROLE_SENDER &&
	       (o->modes_all || o->nmodes > 1 || o->repeat > 1);
}

int opts_parse(struct kttcp_opts *o, int argc, char **argv, FILE *err)
{
	struct pstate ps = { 0 };
	int c;

	opts_defaults(o);
	optind = 0;		/* glibc: start afresh (the tests call us often) */
	opterr = 0;		/* our messages, not getopt's */

	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (c == ':' || c == '?')
			return bad_option(c, argv, err);
		if (opt_one(o, &ps, c, optarg, err))
			return 1;
	}
	if (o->help || o->version)
		return 0;
	if (check_role(o, &ps, argc - optind, argv + optind, err) ||
	    check_mode(o, &ps, err) || check_combinations(o, err))
		return 1;
	if (o->role == ROLE_SENDER && !o->total_set && !o->duration_ns)
		o->total = KTTCP_XMITSIZE;
	return 0;
}
