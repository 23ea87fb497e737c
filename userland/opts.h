/* SPDX-License-Identifier: GPL-2.0 */
/*
 * opts.h - the command line of kttcp(8), parsed into one struct.
 *
 * Parsing is pure (no I/O except messages to the FILE * it is given), so
 * the unit tests can feed it whole argv vectors.
 */
#ifndef KTTCP_OPTS_H
#define KTTCP_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../include/kttcp.h"

#define KTTCP_TOOL_VERSION	"1.0"

#define KTTCP_XMITSIZE		(10ULL * 1024 * 1024)	/* NetBSD's -n default */
#define KTTCP_STREAMS_MAX	128
/*
 * Floors below which a figure would mean nothing: -T and -w under 10 ms
 * measure the module's call granularity (its send calls aim at ~10 ms)
 * and the kernel's timer tick, not TCP; TCP_MAXSEG below 88 (TCP_MIN_MSS)
 * is refused by Linux.  A receiver given -P N waits this long (or -w) for
 * missing streams once one has ended.  Interval reports under 0.1 s
 * show the module's call granularity and the reporter's own wakeups
 * more than the transfer (and cost a sample of every stream each).
 */
#define KTTCP_TIME_MIN_NS	10000000ULL
#define KTTCP_INTERVAL_MIN_NS	100000000ULL
#define KTTCP_MSS_MIN		88
#define KTTCP_STREAM_GRACE_NS	5000000000ULL
#define KTTCP_PORT_STR_LEN	8
/* -m all: every send mode the loaded module has; -N's ceiling. */
#define KTTCP_MODES_ALL		"all"
#define KTTCP_REPEAT_MAX	1000

enum kttcp_role {
	ROLE_NONE,
	ROLE_SENDER,		/* -t */
	ROLE_RECEIVER,		/* -r */
};

struct kttcp_opts {
	enum kttcp_role role;
	int family;		/* AF_UNSPEC, AF_INET (-4), AF_INET6 (-6) */
	const char *host;	/* sender: the peer (points into argv) */
	char port[KTTCP_PORT_STR_LEN];	/* -p, decimal, validated */
	const char *bind_addr;	/* -B: local (sender) or listen (receiver) */
	int sockbuf;		/* -b; 0 leaves the kernel's autotuning alone */
	uint64_t total;		/* -n: per stream; 0 on the receiver = until EOF */
	bool total_set;		/* -n was given */
	uint64_t duration_ns;	/* -T; sender only, then total is 0 */
	uint64_t omit_ns;	/* -O; 0 = omit nothing */
	unsigned int mode;	/* enum kttcp_send_mode or kttcp_recv_mode */
	unsigned int modes[KTTCP_SEND_NR_MODES];	/* sender's -m LIST */
	unsigned int nmodes;	/* 1 for a single mode; 0 with modes_all */
	bool modes_all;		/* -m all: resolved from the module */
	unsigned int repeat;	/* -N: runs of each mode (1) */
	unsigned int chunk;	/* -l; 0 = module default */
	bool verify;		/* -V */
	bool keep;		/* -k: receiver serves transfer after transfer */
	bool json;		/* -J */
	int verbose;		/* 0 (-q), 1 (default), 2 (-v) */
	uint64_t interval_ns;	/* -i; 0 = no interval reports */
	unsigned int streams;	/* -P */
	int mss;		/* -M; 0 = not set */
	const char *congestion;	/* -C; NULL = not set */
	bool nodelay;		/* -D */
	uint64_t timeout_ns;	/* -w; 0 = no socket timeouts */
	unsigned int cpus[KTTCP_STREAMS_MAX];	/* -A, in order */
	unsigned int ncpus;	/* 0 = not pinned */
	bool help;		/* --help */
	bool version;		/* --version */
};

/*
 * Parse argv into *o.  Returns 0 on success (check o->help and
 * o->version), or 1 after printing a message and a usage hint to @err.
 */
int opts_parse(struct kttcp_opts *o, int argc, char **argv, FILE *err);

/*
 * The sender runs modes in a row and compares them (-m LIST, -m all,
 * -N above 1), rather than one transfer.
 */
bool opts_compare(const struct kttcp_opts *o);

void opts_usage_short(FILE *f);
void opts_help(FILE *f);

/* Number parsing; 0 on success, -EINVAL (garbage) or -ERANGE (too big). */
int parse_bytes(const char *s, uint64_t *out);
int parse_seconds(const char *s, uint64_t *ns);
int parse_uint(const char *s, unsigned long max, unsigned long *out);

/* Mode names both ways; mode_parse returns -1 for an unknown name. */
int mode_parse(bool sender, const char *name);
const char *mode_name(bool sender, unsigned int mode);
const char *mode_list(bool sender);	/* "copy|sendpage|zerocopy" */

#endif /* KTTCP_OPTS_H */
