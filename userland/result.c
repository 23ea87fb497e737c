// SPDX-License-Identifier: GPL-2.0
/*
 * result.c - totals and the outcome of a run: pure functions over
 * struct kttcp_result.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../include/kttcp.h"
#include "result.h"

uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t c)
{
	if (c == 0)
		return 0;
#ifdef __SIZEOF_INT128__
	{
		unsigned __int128 q = (unsigned __int128)a * b / c;

		return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
	}
#else
	{
		long double q = (long double)a * b / c;

		return q >= 18446744073709551615.0L ? UINT64_MAX : (uint64_t)q;
	}
#endif
}

uint64_t rate_bps(uint64_t bytes, uint64_t ns)
{
	return muldiv64(bytes, NSEC_PER_SEC, ns);
}

const char *result_status_name(enum result_status s)
{
	switch (s) {
	case RS_OK:
		return "ok";
	case RS_INTERRUPTED:
		return "interrupted";
	case RS_TIMEOUT:
		return "timeout";
	case RS_ERROR:
		break;
	}
	return "error";
}

static enum result_status stream_status(const struct kttcp_result *r,
					const struct stream_result *s)
{
	if ((s->status & KTTCP_ST_SIGNAL) || s->error == EINTR || !s->ran)
		return RS_INTERRUPTED;
	if (s->status & KTTCP_ST_MISMATCH)
		return RS_ERROR;
	if (s->error == EAGAIN && r->timeouts_set)
		return RS_TIMEOUT;
	if (s->error)
		return RS_ERROR;
	return RS_OK;
}

/* Interrupted beats error beats timeout beats ok. */
static int severity(enum result_status s)
{
	static const int rank[] = {
		[RS_OK] = 0, [RS_TIMEOUT] = 1, [RS_ERROR] = 2,
		[RS_INTERRUPTED] = 3,
	};

	return rank[s];
}

static void sum_streams(struct kttcp_result *r)
{
	unsigned int i;

	for (i = 0; i < r->nstreams; i++) {
		const struct stream_result *s = &r->streams[i];

		r->bytes += s->bytes;
		if (s->elapsed_ns > r->elapsed_ns)
			r->elapsed_ns = s->elapsed_ns;
		if (s->queued_ns > r->queued_ns)
			r->queued_ns = s->queued_ns;
		r->omitted_bytes += s->omitted_bytes;
		r->zc_completions += s->zc_completions;
		r->zc_copied += s->zc_copied;
		r->zc_outstanding += s->zc_outstanding;
		if (s->zc_wait_ns > r->zc_wait_ns)
			r->zc_wait_ns = s->zc_wait_ns;
		if (r->chunk_auto && s->chunk_peak > r->chunk)
			r->chunk = (unsigned int)s->chunk_peak;
		if (s->status & KTTCP_ST_ZC_DETACHED)
			r->zc_detached = true;
		if (s->status & KTTCP_ST_ZC_RESET)
			r->zc_reset = true;
		if ((s->status & KTTCP_ST_MISMATCH) && !r->mismatch) {
			r->mismatch = true;
			r->mismatch_at = s->mismatch_at;
		}
		if (s->valid && s->tcp.valid) {
			tcp_stats_add(&r->tcp, &s->tcp);
			r->tcp_xfer_ns += s->elapsed_ns;
		}
	}
}

/* The "error" text of the run: the first stream with the worst status. */
static void describe(struct kttcp_result *r, const struct stream_result *s)
{
	char pfx[24] = "";
	size_t n = sizeof(r->error);

	if (r->status == RS_INTERRUPTED) {
		snprintf(r->error, n, "interrupted by %s",
			 r->stop_signal == SIGTERM ? "SIGTERM" :
			 r->stop_signal == SIGINT ? "SIGINT" : "a signal");
		return;
	}
	if (!s)
		return;
	if (r->nstreams > 1)
		snprintf(pfx, sizeof(pfx), "stream %u: ", s->id);
	if (s->status & KTTCP_ST_MISMATCH)
		snprintf(r->error, n, "%sverify: first mismatch at byte offset %llu",
			 pfx, (unsigned long long)s->mismatch_at);
	else if (r->status == RS_TIMEOUT && s->ack_timeout)
		snprintf(r->error, n, "%stimed out waiting for the ACK of the last of %llu bytes",
			 pfx, (unsigned long long)s->bytes);
	else if (r->status == RS_TIMEOUT)
		snprintf(r->error, n, "%stimed out after %llu bytes", pfx,
			 (unsigned long long)s->bytes);
	else
		snprintf(r->error, n, "%s%s", pfx, strerror(s->error));
}

void result_tally(struct kttcp_result *r)
{
	const struct stream_result *worst = NULL;
	unsigned int i;

	r->bytes = r->elapsed_ns = r->queued_ns = r->omitted_bytes = 0;
	r->zc_completions = r->zc_copied = r->zc_outstanding = 0;
	r->zc_wait_ns = 0;
	memset(&r->tcp, 0, sizeof(r->tcp));
	r->tcp_xfer_ns = 0;
	if (r->chunk_auto)
		r->chunk = 0;
	r->zc_detached = r->zc_reset = r->mismatch = false;
	r->mismatch_at = 0;
	r->error[0] = '\0';
	sum_streams(r);

	r->status = r->stop_signal ? RS_INTERRUPTED : RS_OK;
	for (i = 0; i < r->nstreams; i++) {
		enum result_status st = stream_status(r, &r->streams[i]);

		if (severity(st) > severity(r->status)) {
			r->status = st;
			worst = &r->streams[i];
		}
	}
	/* Streams that never came: an error, unless a worse thing ended it. */
	if (r->missing && severity(RS_ERROR) > severity(r->status)) {
		r->status = RS_ERROR;
		snprintf(r->error, sizeof(r->error), RESULT_MISSING_FMT,
			 r->parallel, r->parallel - r->missing);
	} else if (r->omit_missed && severity(RS_ERROR) > severity(r->status)) {
		r->status = RS_ERROR;
		snprintf(r->error, sizeof(r->error), RESULT_OMIT_MISSED_FMT,
			 (double)r->omit_ns / NSEC_PER_SEC);
	} else if (r->status != RS_OK) {
		describe(r, worst);
	}

	switch (r->status) {
	case RS_OK:
		r->exit_code = EXIT_OK;
		break;
	case RS_INTERRUPTED:
		r->exit_code = 128 + (r->stop_signal ? r->stop_signal : SIGINT);
		break;
	case RS_ERROR:
	case RS_TIMEOUT:
		r->exit_code = EXIT_XFER;
		break;
	}
}

void result_free(struct kttcp_result *r)
{
	unsigned int i;

	for (i = 0; i < r->nintervals; i++) {
		free(r->intervals[i].bytes);
		free(r->intervals[i].tcp);
	}
	free(r->intervals);
	free(r->streams);
	r->intervals = NULL;
	r->streams = NULL;
	r->nintervals = r->nstreams = 0;
}
