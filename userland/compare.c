// SPDX-License-Identifier: GPL-2.0
/*
 * compare.c - the comparison of send modes that ends a sender's -m LIST
 * (or -m all, or -N) run.
 *
 * Every run is its own transfer on its own connections; the rounds
 * interleave the modes (copy, zerocopy, copy, zerocopy, ...) so that a
 * drift of the machine over time (another load, a warming cache, a
 * throttled CPU) falls on every mode alike.  Per mode the table gives
 * the median of its successful runs, and for throughput the range too:
 * a median is what one run in two beats, and the range says whether the
 * difference between two modes is larger than their own spread.
 *
 * CPU per byte is service demand as netperf defines it: busy CPU time per
 * megabyte (1e6 bytes) moved.  "host" counts every CPU of this machine
 * (/proc/stat), so it includes the softirq and driver work TCP does on
 * other CPUs and anything else that ran; "own" is this process's user
 * and system time only, which holds the loop in the kernel but not the
 * work it leaves to softirqs.  Each mode is compared with the first by
 * host service demand where both are known, else by its own.
 */
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "opts.h"
#include "tcpinfo.h"

int compare_init(struct compare *c, const unsigned int *modes,
		 unsigned int nmodes, unsigned int repeat)
{
	memset(c, 0, sizeof(*c));
	if (nmodes > KTTCP_SEND_NR_MODES)
		nmodes = KTTCP_SEND_NR_MODES;
	memcpy(c->modes, modes, nmodes * sizeof(*modes));
	c->nmodes = nmodes;
	c->repeat = repeat;
	c->runs = calloc(nmodes * repeat + 1, sizeof(*c->runs));
	return c->runs ? 0 : -1;
}

void compare_free(struct compare *c)
{
	free(c->runs);
	c->runs = NULL;
}

void compare_add(struct compare *c, unsigned int mode,
		 const struct kttcp_result *r)
{
	struct compare_run *run;
	struct tcp_limits l;

	if (c->nruns >= c->nmodes * c->repeat)
		return;
	run = &c->runs[c->nruns++];
	run->mode = mode;
	run->ok = r->exit_code == EXIT_OK;
	run->bytes = r->bytes;
	run->ns = r->elapsed_ns;
	run->own_us = r->user_us + r->sys_us;
	run->cpu_real_ns = r->cpu_real_ns ? r->cpu_real_ns : r->elapsed_ns;
	run->host_busy_us = r->host_busy_us;
	run->host_busy = r->host_busy;
	run->zc_completions = r->zc_completions;
	run->zc_copied = r->zc_copied;
	run->retrans = r->tcp.retrans;
	run->limit = tcp_limits_of(&r->tcp, r->tcp_xfer_ns, &l) ?
		     (int)l.main : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v[0..n); the median, or -1 for none. */
static double median(double *v, unsigned int n)
{
	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* What a figure of one run is; < 0 when that run does not know it. */
enum figure {
	FIG_BPS,
	FIG_OWN_PERCENT,
	FIG_HOST_PERCENT,
	FIG_SD_HOST,
	FIG_SD_OWN,
	FIG_RETRANS,
};

static double figure_of(const struct compare_run *run, enum figure fig)
{
	double mb = (double)run->bytes / 1e6;

	switch (fig) {
	case FIG_BPS:
		/* exactly the runs' own bits_per_second */
		return run->ns ? (double)muldiv64(run->bytes, 8 * NSEC_PER_SEC,
						  run->ns) : -1;
	case FIG_OWN_PERCENT:
		return run->cpu_real_ns ?
		       (double)run->own_us * 1e5 / (double)run->cpu_real_ns : -1;
	case FIG_HOST_PERCENT:
		return run->host_busy;
	case FIG_SD_HOST:
		return run->host_busy_us >= 0 && mb > 0 ?
		       (double)run->host_busy_us / mb : -1;
	case FIG_SD_OWN:
		return mb > 0 ? (double)run->own_us / mb : -1;
	case FIG_RETRANS:
		return (double)run->retrans;
	}
	return -1;
}

/*
 * The median of @fig over @mode's successful runs, and its range; -1 if
 * any of them does not know it (a median of some runs would not be the
 * mode's).
 */
static double stat_of(const struct compare *c, unsigned int mode,
		      enum figure fig, double *min, double *max)
{
	double v[KTTCP_REPEAT_MAX];
	unsigned int i, n = 0;

	for (i = 0; i < c->nruns; i++) {
		if (c->runs[i].mode != mode || !c->runs[i].ok)
			continue;
		if (n == KTTCP_REPEAT_MAX)
			break;
		v[n] = figure_of(&c->runs[i], fig);
		if (v[n] < 0)
			return -1;
		n++;
	}
	if (!n)
		return -1;
	if (min && max) {
		*min = *max = v[0];
		for (i = 1; i < n; i++) {
			if (v[i] < *min)
				*min = v[i];
			if (v[i] > *max)
				*max = v[i];
		}
	}
	return median(v, n);
}

/* The main limit of most of @mode's successful runs (ties: the first). */
static int limit_of(const struct compare *c, unsigned int mode)
{
	unsigned int votes[TCP_LIMIT_NR] = { 0 };
	unsigned int i;
	int best = -1;

	for (i = 0; i < c->nruns; i++)
		if (c->runs[i].mode == mode && c->runs[i].ok &&
		    c->runs[i].limit >= 0 && c->runs[i].limit < TCP_LIMIT_NR)
			votes[c->runs[i].limit]++;
	for (i = 0; i < TCP_LIMIT_NR; i++)
		if (votes[i] && (best < 0 || votes[i] > votes[best]))
			best = (int)i;
	return best;
}

/* Percent of zero-copy completions that were not copied, or -1. */
static double zc_share_of(const struct compare *c, unsigned int mode)
{
	uint64_t done = 0, copied = 0;
	unsigned int i;

	if (mode != KTTCP_SEND_ZEROCOPY)
		return -1;
	for (i = 0; i < c->nruns; i++) {
		if (c->runs[i].mode != mode || !c->runs[i].ok)
			continue;
		done += c->runs[i].zc_completions;
		copied += c->runs[i].zc_copied;
	}
	if (!done || copied > done)
		return -1;
	return (double)(done - copied) * 100.0 / (double)done;
}

void compare_row(const struct compare *c, unsigned int i,
		 struct compare_row *row)
{
	unsigned int mode = c->modes[i], k;

	memset(row, 0, sizeof(*row));
	row->mode = mode;
	for (k = 0; k < c->nruns; k++) {
		if (c->runs[k].mode != mode)
			continue;
		row->runs++;
		row->ok += c->runs[k].ok;
	}
	row->bps_median = stat_of(c, mode, FIG_BPS, &row->bps_min,
				  &row->bps_max);
	row->own_percent = stat_of(c, mode, FIG_OWN_PERCENT, NULL, NULL);
	row->host_percent = stat_of(c, mode, FIG_HOST_PERCENT, NULL, NULL);
	row->sd_host = stat_of(c, mode, FIG_SD_HOST, NULL, NULL);
	row->sd_own = stat_of(c, mode, FIG_SD_OWN, NULL, NULL);
	row->retrans = stat_of(c, mode, FIG_RETRANS, NULL, NULL);
	row->zc_share = zc_share_of(c, mode);
	row->limit = limit_of(c, mode);
}

bool compare_delta(const struct compare_row *first,
		   const struct compare_row *row, struct compare_delta *d)
{
	if (first->bps_median <= 0 || row->bps_median < 0)
		return false;
	d->throughput = (row->bps_median / first->bps_median - 1) * 100;
	d->host = first->sd_host > 0 && row->sd_host >= 0;
	if (d->host)
		d->cpu_per_byte = (row->sd_host / first->sd_host - 1) * 100;
	else if (first->sd_own > 0 && row->sd_own >= 0)
		d->cpu_per_byte = (row->sd_own / first->sd_own - 1) * 100;
	else
		return false;
	return true;
}

/* "%*.1f", or "-" in the same width for an unknown figure. */
static void cell(FILE *f, int width, double v)
{
	if (v < 0)
		fprintf(f, " %*s", width, "-");
	else
		fprintf(f, " %*.1f", width, v);
}

static void print_row(FILE *f, const struct compare_row *row)
{
	char runs[24], tput[64];

	snprintf(runs, sizeof(runs), "%u/%u", row->ok, row->runs);
	if (row->bps_median < 0)
		snprintf(tput, sizeof(tput), "-");
	else
		snprintf(tput, sizeof(tput), "%.0f (%.0f..%.0f)",
			 row->bps_median / 1e6, row->bps_min / 1e6,
			 row->bps_max / 1e6);
	fprintf(f, "  %-9s %5s  %-26s", mode_name(true, row->mode), runs, tput);
	cell(f, 6, row->own_percent);
	cell(f, 6, row->host_percent);
	cell(f, 8, row->sd_host);
	cell(f, 8, row->sd_own);
	cell(f, 6, row->zc_share);
	cell(f, 7, row->retrans);
	fprintf(f, "  %s\n", row->limit < 0 ? "-" : tcp_limit_name(row->limit));
}

void compare_print(FILE *f, const struct compare *c)
{
	struct compare_row first, row;
	struct compare_delta d;
	unsigned int i;

	if (!c->nruns)
		return;
	fprintf(f, "kttcp: comparison of %u mode%s, %u run%s each planned (medians of the runs that succeeded; Mbits/sec also min..max):\n",
		c->nmodes, c->nmodes == 1 ? "" : "s", c->repeat,
		c->repeat == 1 ? "" : "s");
	fprintf(f, "  %-9s %5s  %-26s %6s %6s %8s %8s %6s %7s  %s\n", "mode",
		"ok", "Mbits/sec", "CPU%", "host%", "SD host", "SD own",
		"zc%", "retrans", "main limit");
	for (i = 0; i < c->nmodes; i++) {
		compare_row(c, i, &row);
		print_row(f, &row);
	}
	compare_row(c, 0, &first);
	for (i = 1; i < c->nmodes; i++) {
		compare_row(c, i, &row);
		if (!compare_delta(&first, &row, &d))
			continue;
		fprintf(f, "kttcp: %s: %+.0f%% throughput, %+.0f%% CPU per byte (%s) against %s\n",
			mode_name(true, row.mode), d.throughput, d.cpu_per_byte,
			d.host ? "host" : "own", mode_name(true, first.mode));
	}
	fputs("kttcp: CPU%: this process's user and system time over the run; host%: the busy share of all CPUs (/proc/stat); SD: service demand, CPU microseconds per MB (1e6 bytes) moved, of all CPUs (host) or of this process (own); zc%: zero-copy completions not copied\n",
	      f);
}

static void json_figure(struct jw *w, const char *key, double v)
{
	if (v < 0)
		jw_null(w, key);
	else
		jw_double(w, key, v);
}

static void json_row(struct jw *w, const struct compare_row *first,
		     const struct compare_row *row, bool is_first)
{
	struct compare_delta d;

	jw_open(w, NULL, '{');
	jw_str(w, "mode", mode_name(true, row->mode));
	jw_u64(w, "runs", row->runs);
	jw_u64(w, "ok", row->ok);
	if (row->bps_median < 0) {
		jw_null(w, "bits_per_second");
	} else {
		jw_open(w, "bits_per_second", '{');
		jw_u64(w, "median", (uint64_t)(row->bps_median + 0.5));
		jw_u64(w, "min", (uint64_t)(row->bps_min + 0.5));
		jw_u64(w, "max", (uint64_t)(row->bps_max + 0.5));
		jw_close(w, '}');
	}
	json_figure(w, "cpu_percent", row->own_percent);
	json_figure(w, "host_busy_percent", row->host_percent);
	json_figure(w, "service_demand_host", row->sd_host);
	json_figure(w, "service_demand_own", row->sd_own);
	json_figure(w, "zerocopy_percent", row->zc_share);
	json_figure(w, "retransmits", row->retrans);
	jw_str(w, "main_limit", row->limit < 0 ? NULL : tcp_limit_key(row->limit));
	if (is_first || !compare_delta(first, row, &d)) {
		jw_null(w, "against_first");
	} else {
		jw_open(w, "against_first", '{');
		jw_double(w, "throughput_percent", d.throughput);
		jw_double(w, "cpu_per_byte_percent", d.cpu_per_byte);
		jw_str(w, "cpu_per_byte_of", d.host ? "host" : "own");
		jw_close(w, '}');
	}
	jw_close(w, '}');
}

void compare_json(struct jw *w, const struct compare *c)
{
	struct compare_row first, row;
	unsigned int i;

	jw_open(w, "comparison", '[');
	if (c->nmodes)
		compare_row(c, 0, &first);
	for (i = 0; i < c->nmodes; i++) {
		compare_row(c, i, &row);
		json_row(w, &first, &row, i == 0);
	}
	jw_close(w, ']');
}
