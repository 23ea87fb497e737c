/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compare.h - the sender's comparison of send modes (-m LIST, -m all,
 * -N): what each run measured, reduced per mode to medians and ranges,
 * and each mode against the first.  The reduction is pure, for the unit
 * tests; main.c runs the transfers and feeds their results in.
 */
#ifndef KTTCP_COMPARE_H
#define KTTCP_COMPARE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../include/kttcp.h"
#include "json.h"
#include "result.h"

/* What the table needs of one run. */
struct compare_run {
	unsigned int mode;	/* enum kttcp_send_mode */
	bool ok;		/* the run exited 0 */
	uint64_t bytes;
	uint64_t ns;		/* its seconds: first send to last ACK */
	uint64_t own_us;	/* this process's user + system time */
	uint64_t cpu_real_ns;	/* the wall time own_us covers */
	int64_t host_busy_us;	/* all CPUs' busy time, -1 unknown */
	double host_busy;	/* ... as a percent of them, < 0 unknown */
	uint64_t zc_completions;
	uint64_t zc_copied;
	uint64_t retrans;
	int limit;		/* enum tcp_limit of the main limit, -1 none */
};

struct compare {
	unsigned int nmodes;
	unsigned int modes[KTTCP_SEND_NR_MODES];	/* in the order run */
	unsigned int repeat;	/* runs planned per mode */
	unsigned int nruns;
	struct compare_run *runs;	/* nmodes * repeat entries */
};

/* One mode's line of the table; a figure < 0 is unknown. */
struct compare_row {
	unsigned int mode;
	unsigned int runs;	/* that ran */
	unsigned int ok;	/* ... and succeeded: the figures are theirs */
	double bps_median, bps_min, bps_max;	/* bits per second */
	double own_percent;	/* this process's CPU, of the real time */
	double host_percent;	/* all CPUs' busy share */
	double sd_host;		/* service demand: CPU us per MB (1e6 bytes) */
	double sd_own;		/* ... this process's */
	double zc_share;	/* percent of completions not copied */
	double retrans;		/* segments retransmitted per run */
	int limit;		/* the main limit most runs had, -1 none */
};

/* Against the first mode's row: percent changes, or false. */
struct compare_delta {
	double throughput;	/* +92: 92% more bits per second */
	double cpu_per_byte;	/* -61: 61% less CPU per byte */
	bool host;		/* cpu_per_byte compares sd_host (else sd_own) */
};

/* 0, or -1 when out of memory. */
int compare_init(struct compare *c, const unsigned int *modes,
		 unsigned int nmodes, unsigned int repeat);
void compare_free(struct compare *c);

/* Record run @r of @mode (r->exit_code says whether it succeeded). */
void compare_add(struct compare *c, unsigned int mode,
		 const struct kttcp_result *r);

void compare_row(const struct compare *c, unsigned int i,
		 struct compare_row *row);
bool compare_delta(const struct compare_row *first,
		   const struct compare_row *row, struct compare_delta *d);

/* The table and each mode against the first (nothing if no run ran). */
void compare_print(FILE *f, const struct compare *c);

/* The "comparison" array, one object per mode. */
void compare_json(struct jw *w, const struct compare *c);

#endif /* KTTCP_COMPARE_H */
