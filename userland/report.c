// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - output of kttcp(8).
 *
 * The result lines keep NetBSD's formats, including its integer
 * arithmetic (bytes/sec is truncated before it is turned into bits), so
 * that numbers compare across the two systems.  Unlike NetBSD, every
 * division is guarded: a zero elapsed or CPU time prints 0.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "../include/kttcp.h"
#include "json.h"
#include "opts.h"
#include "report.h"

void report_sockbuf(FILE *f, int size)
{
	fprintf(f, "kttcp: socket buffer size: %d\n", size);
}

void report_connected(FILE *f, const char *peer)
{
	fprintf(f, "kttcp: connected to %s\n", peer);
}

void report_listening(FILE *f, const char *port)
{
	fprintf(f, "kttcp: listening on port %s\n", port);
}

void report_connect_from(FILE *f, const char *peer)
{
	fprintf(f, "kttcp: connect from %s\n", peer);
}

void report_real_line(FILE *f, uint64_t bytes, uint64_t ns)
{
	fprintf(f, "kttcp: %llu bytes in %llu.%03llu real seconds ==> %llu bytes/sec\n",
		(unsigned long long)bytes,
		(unsigned long long)(ns / NSEC_PER_SEC),
		(unsigned long long)(ns % NSEC_PER_SEC / 1000000),
		(unsigned long long)rate_bps(bytes, ns));
}

void report_cpu_seconds_line(FILE *f, uint64_t bytes, uint64_t sys_us)
{
	fprintf(f, "kttcp: %llu bytes in %llu.%03llu CPU seconds ==> %llu bytes/CPU sec\n",
		(unsigned long long)bytes,
		(unsigned long long)(sys_us / USEC_PER_SEC),
		(unsigned long long)(sys_us % USEC_PER_SEC / 1000),
		(unsigned long long)muldiv64(bytes, USEC_PER_SEC, sys_us));
}

void report_mbits_line(FILE *f, uint64_t bytes, uint64_t ns)
{
	/* NetBSD: bitspersec = bytespersec * NBBY, after truncation. */
	double bits = (double)rate_bps(bytes, ns) * 8;

	fprintf(f, "       %g (%g) Megabits/sec\n",
		bits / 1024.0 / 1024.0, bits / 1000.0 / 1000.0);
}

void report_cpu_line(FILE *f, uint64_t user_us, uint64_t sys_us,
		     uint64_t real_ns)
{
	uint64_t real_us = real_ns / 1000;

	fprintf(f, "  %llu.%02lluuser %llu.%02llusys %llu.%02llureal %llu%%\n",
		(unsigned long long)(user_us / USEC_PER_SEC),
		(unsigned long long)(user_us % USEC_PER_SEC / 10000),
		(unsigned long long)(sys_us / USEC_PER_SEC),
		(unsigned long long)(sys_us % USEC_PER_SEC / 10000),
		(unsigned long long)(real_us / USEC_PER_SEC),
		(unsigned long long)(real_us % USEC_PER_SEC / 10000),
		(unsigned long long)muldiv64(user_us + sys_us, 100, real_us));
}

static bool any_valid(const struct kttcp_result *r)
{
	unsigned int i;

	for (i = 0; i < r->nstreams; i++)
		if (r->streams[i].valid)
			return true;
	return false;
}

static void report_streams(FILE *f, const struct kttcp_result *r)
{
	unsigned int i;

	for (i = 0; i < r->nstreams; i++) {
		const struct stream_result *s = &r->streams[i];

		fprintf(f, "kttcp: stream %u: %llu bytes in %llu.%03llu real seconds ==> %llu bytes/sec\n",
			s->id, (unsigned long long)s->bytes,
			(unsigned long long)(s->elapsed_ns / NSEC_PER_SEC),
			(unsigned long long)(s->elapsed_ns % NSEC_PER_SEC / 1000000),
			(unsigned long long)rate_bps(s->bytes, s->elapsed_ns));
	}
}

/*
 * CPU time is a share of the wall time it was measured over (from the
 * first stream's start until every stream is joined), never of the
 * module's loop time, which can be far shorter (-n 1: microseconds).
 */
static uint64_t cpu_real_ns(const struct kttcp_result *r)
{
	return r->cpu_real_ns ? r->cpu_real_ns : r->elapsed_ns;
}

/* "72.5%" from tenths of a percent. */
static void pct_permille(FILE *f, unsigned int pm)
{
	fprintf(f, "%u.%u%%", pm / 10, pm % 10);
}

void report_limits_line(FILE *f, const struct tcp_stats *st, uint64_t xfer_ns)
{
	struct tcp_limits l;
	int i;

	if (!tcp_limits_of(st, xfer_ns, &l))
		return;
	fputs("kttcp: limited by ", f);
	for (i = 0; i < TCP_LIMIT_NR; i++) {
		fprintf(f, "%s%s ", i ? ", " : "", tcp_limit_name(i));
		pct_permille(f, l.permille[i]);
	}
	fprintf(f, " of the time (main limit: %s); %llu segments retransmitted\n",
		tcp_limit_name(l.main), (unsigned long long)st->retrans);
}

void report_tcp_line(FILE *f, unsigned int id, const struct tcp_stats *st)
{
	if (!st->valid)
		return;
	fprintf(f, "kttcp: stream %u: TCP %s, RTT %u.%03u ms (variation %u.%03u), cwnd %u segments, MSS %u sent, %u received, delivery rate %llu Mbits/sec, %u segments retransmitted\n",
		id, st->cc[0] ? st->cc : "?", st->rtt_us / 1000,
		st->rtt_us % 1000, st->rttvar_us / 1000, st->rttvar_us % 1000,
		st->snd_cwnd, st->snd_mss, st->rcv_mss,
		(unsigned long long)(st->delivery_rate * 8 / 1000000),
		st->retrans);
}

void report_summary(FILE *f, const struct kttcp_result *r, int verbose)
{
	unsigned int i;
	bool zc = r->sender && r->mode && strcmp(r->mode, "zerocopy") == 0;

	if (!any_valid(r))
		return;
	if (verbose > 1 && r->nstreams > 1)
		report_streams(f, r);
	report_real_line(f, r->bytes, r->elapsed_ns);
	if (verbose > 1)
		report_cpu_seconds_line(f, r->bytes, r->sys_us);
	report_mbits_line(f, r->bytes, r->elapsed_ns);
	report_cpu_line(f, r->user_us, r->sys_us, cpu_real_ns(r));
	if (verbose > 1 && r->sender)
		fprintf(f, "kttcp: the last byte queued after %llu.%06llu seconds, acknowledged after %llu.%06llu\n",
			(unsigned long long)(r->queued_ns / NSEC_PER_SEC),
			(unsigned long long)(r->queued_ns % NSEC_PER_SEC / 1000),
			(unsigned long long)(r->elapsed_ns / NSEC_PER_SEC),
			(unsigned long long)(r->elapsed_ns % NSEC_PER_SEC / 1000));
	/* TCP's accounting of the sender's limits is the sender's only. */
	if (r->sender)
		report_limits_line(f, &r->tcp, r->tcp_xfer_ns);
	for (i = 0; verbose > 1 && i < r->nstreams; i++)
		if (r->streams[i].valid)
			report_tcp_line(f, r->streams[i].id, &r->streams[i].tcp);
	for (i = 0; verbose > 1 && i < r->nstreams; i++)
		if (r->streams[i].pinned)
			fprintf(f, "kttcp: stream %u: on CPU %u (-A)\n",
				r->streams[i].id, r->streams[i].cpu);
	if (verbose > 1 && zc)
		fprintf(f, "kttcp: zerocopy: %llu completions, %llu copied, %llu.%03llu seconds waiting for pages\n",
			(unsigned long long)r->zc_completions,
			(unsigned long long)r->zc_copied,
			(unsigned long long)(r->zc_wait_ns / NSEC_PER_SEC),
			(unsigned long long)(r->zc_wait_ns % NSEC_PER_SEC / 1000000));
}

static void outcome_stream(FILE *f, const struct kttcp_result *r,
			   const struct stream_result *s)
{
	unsigned long long bytes = s->bytes;
	char pfx[24] = "";

	if (r->nstreams > 1)
		snprintf(pfx, sizeof(pfx), "stream %u: ", s->id);
	if (s->status & KTTCP_ST_MISMATCH) {
		fprintf(f, "kttcp: verify: first mismatch at byte offset %llu",
			(unsigned long long)s->mismatch_at);
		if (r->nstreams > 1)
			fprintf(f, " (stream %u)", s->id);
		fputc('\n', f);
	} else if ((s->status & KTTCP_ST_SIGNAL) || s->error == EINTR ||
		   !s->ran) {
		return;		/* reported once, for all streams */
	} else if (s->error == EAGAIN && r->timeouts_set && s->ack_timeout) {
		fprintf(f, "kttcp: %stimed out waiting for the ACK of the last of %llu bytes\n",
			pfx, bytes);
	} else if (s->error == EAGAIN && r->timeouts_set) {
		fprintf(f, "kttcp: %stimed out after %llu bytes\n", pfx, bytes);
	} else if (s->error && !s->valid) {
		fprintf(f, "kttcp: %sthe module refused the transfer: %s\n",
			pfx, strerror(s->error));
	} else if (s->error) {
		fprintf(f, "kttcp: %stransfer failed after %llu bytes: %s\n",
			pfx, bytes, strerror(s->error));
	}
	if (s->status & KTTCP_ST_ZC_RESET)
		fprintf(f, "kttcp: warning: %szerocopy: no acknowledgement for the -w time, connection reset to take the lent pages back\n",
			pfx);
	if (s->status & KTTCP_ST_ZC_DETACHED)
		fprintf(f, "kttcp: note: %szerocopy: %llu batches still lent to the stack, returned when TCP is done with them\n",
			pfx, (unsigned long long)s->zc_outstanding);
}

void report_outcome(FILE *f, const struct kttcp_result *r)
{
	unsigned int i;

	for (i = 0; i < r->nstreams; i++)
		outcome_stream(f, r, &r->streams[i]);
	if (r->missing) {
		fputs("kttcp: ", f);
		fprintf(f, RESULT_MISSING_FMT, r->parallel,
			r->parallel - r->missing);
		fputc('\n', f);
	}
	if (r->omit_missed) {
		fputs("kttcp: ", f);
		fprintf(f, RESULT_OMIT_MISSED_FMT, (double)r->omit_ns / NSEC_PER_SEC);
		fputc('\n', f);
	}
	if (r->status == RS_INTERRUPTED)
		fprintf(f, "kttcp: interrupted after %llu bytes\n",
			(unsigned long long)r->bytes);
}

void report_interval(FILE *f, unsigned int id, uint64_t start_ns,
		     uint64_t end_ns, uint64_t bytes, bool omitted,
		     const struct tcp_stats *tcp)
{
	uint64_t ns = end_ns > start_ns ? end_ns - start_ns : 0;
	double mbits = ns ? (double)bytes * 8 * 1e3 / (double)ns : 0;

	if (id)
		fprintf(f, "[%3u]", id);
	else
		fputs("[SUM]", f);
	fprintf(f, " %.2f-%.2f sec  %llu bytes  %.2f Mbits/sec",
		(double)start_ns / 1e9, (double)end_ns / 1e9,
		(unsigned long long)bytes, mbits);
	if (tcp && tcp->valid)
		fprintf(f, "  cwnd %u  RTT %u.%03u ms  %u retransmitted",
			tcp->snd_cwnd, tcp->rtt_us / 1000, tcp->rtt_us % 1000,
			tcp->retrans);
	fprintf(f, "%s\n", omitted ? "  (omitted)" : "");
}

/* JSON rates are exact (not NetBSD's truncated bytes/sec times 8). */
static uint64_t bits_ps(uint64_t bytes, uint64_t ns)
{
	return muldiv64(bytes, 8 * NSEC_PER_SEC, ns);
}

static void json_zerocopy(struct jw *w, uint64_t completions, uint64_t copied,
			  uint64_t outstanding, uint64_t wait_ns, bool reset)
{
	jw_open(w, "zerocopy", '{');
	jw_u64(w, "completions", completions);
	jw_u64(w, "copied", copied);
	jw_u64(w, "outstanding", outstanding);
	jw_secs(w, "wait_seconds", wait_ns, NSEC_PER_SEC);
	jw_bool(w, "reset", reset);
	jw_close(w, '}');
}

/* "limited": shares of the transfer time and the main one, or null. */
static void json_limits(struct jw *w, const struct tcp_stats *st,
			uint64_t xfer_ns)
{
	struct tcp_limits l;
	char key[40];
	int i;

	if (!tcp_limits_of(st, xfer_ns, &l)) {
		jw_null(w, "limited");
		return;
	}
	jw_open(w, "limited", '{');
	for (i = 0; i < TCP_LIMIT_NR; i++) {
		snprintf(key, sizeof(key), "%s_percent", tcp_limit_key(i));
		jw_double(w, key, l.permille[i] / 10.0);
	}
	jw_str(w, "main", tcp_limit_key(l.main));
	jw_close(w, '}');
}

/* A stream's TCP_INFO; the run's sum has only the counts that add up. */
static void json_tcp(struct jw *w, const struct tcp_stats *st,
		     uint64_t xfer_ns, bool sum)
{
	if (!st->valid) {
		jw_null(w, "tcp");
		return;
	}
	jw_open(w, "tcp", '{');
	jw_u64(w, "retransmits", st->retrans);
	if (!sum) {
		jw_str(w, "congestion", st->cc[0] ? st->cc : NULL);
		jw_u64(w, "rtt_us", st->rtt_us);
		jw_u64(w, "rttvar_us", st->rttvar_us);
		jw_u64(w, "snd_cwnd", st->snd_cwnd);
		jw_u64(w, "snd_mss", st->snd_mss);
		jw_u64(w, "rcv_mss", st->rcv_mss);
		jw_u64(w, "delivery_rate_bits_per_second",
		       st->delivery_rate * 8);
	}
	if (st->have_limits) {
		jw_secs(w, "busy_seconds", st->busy_us, USEC_PER_SEC);
		jw_secs(w, "rwnd_limited_seconds", st->rwnd_limited_us,
			USEC_PER_SEC);
		jw_secs(w, "sndbuf_limited_seconds", st->sndbuf_limited_us,
			USEC_PER_SEC);
	}
	json_limits(w, st, xfer_ns);
	jw_close(w, '}');
}

static bool is_zerocopy(const struct kttcp_result *r)
{
	return r->sender && r->mode && strcmp(r->mode, "zerocopy") == 0;
}

static void json_stream(struct jw *w, const struct kttcp_result *r,
			const struct stream_result *s)
{
	jw_open(w, NULL, '{');
	jw_u64(w, "id", s->id);
	if (s->pinned)
		jw_u64(w, "cpu", s->cpu);
	else
		jw_null(w, "cpu");
	jw_u64(w, "bytes", s->bytes);
	jw_secs(w, "seconds", s->elapsed_ns, NSEC_PER_SEC);
	if (r->sender)
		jw_secs(w, "queued_seconds", s->queued_ns, NSEC_PER_SEC);
	jw_u64(w, "bits_per_second", bits_ps(s->bytes, s->elapsed_ns));
	if (r->omit_ns)
		jw_u64(w, "omitted_bytes", s->omitted_bytes);
	jw_u64(w, "calls", s->calls);
	jw_bool(w, "valid", s->valid);
	jw_bool(w, "eof", s->status & KTTCP_ST_EOF);
	jw_str(w, "error", s->error ? strerror(s->error) : NULL);
	jw_int(w, "errno", s->error);
	if (s->status & KTTCP_ST_MISMATCH)
		jw_u64(w, "mismatch_at", s->mismatch_at);
	if (is_zerocopy(r))
		json_zerocopy(w, s->zc_completions, s->zc_copied,
			      s->zc_outstanding, s->zc_wait_ns,
			      s->status & KTTCP_ST_ZC_RESET);
	json_tcp(w, &s->tcp, s->elapsed_ns, false);
	jw_close(w, '}');
}

/* TCP_INFO as an interval ended: the window, the RTT, the retransmits in it. */
static void json_interval_tcp(struct jw *w, const struct tcp_stats *st)
{
	if (!st || !st->valid) {
		jw_null(w, "tcp");
		return;
	}
	jw_open(w, "tcp", '{');
	jw_u64(w, "retransmits", st->retrans);
	jw_u64(w, "rtt_us", st->rtt_us);
	jw_u64(w, "snd_cwnd", st->snd_cwnd);
	jw_close(w, '}');
}

static void json_interval(struct jw *w, const struct kttcp_result *r,
			  const struct interval_rec *iv)
{
	uint64_t ns = iv->end_ns - iv->start_ns;
	unsigned int i;

	jw_open(w, NULL, '{');
	jw_secs(w, "start", iv->start_ns, NSEC_PER_SEC);
	jw_secs(w, "end", iv->end_ns, NSEC_PER_SEC);
	if (r->omit_ns)
		jw_bool(w, "omitted", iv->omitted);
	jw_u64(w, "bytes", iv->sum);
	jw_u64(w, "bits_per_second", bits_ps(iv->sum, ns));
	jw_open(w, "streams", '[');
	for (i = 0; i < r->nstreams; i++) {
		jw_open(w, NULL, '{');
		jw_u64(w, "id", r->streams[i].id);
		jw_u64(w, "bytes", iv->bytes[i]);
		jw_u64(w, "bits_per_second", bits_ps(iv->bytes[i], ns));
		json_interval_tcp(w, iv->tcp ? &iv->tcp[i] : NULL);
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_close(w, '}');
}

static void json_cpu(struct jw *w, const struct kttcp_result *r)
{
	uint64_t real_us = cpu_real_ns(r) / 1000;
	double pct = real_us ? (double)(r->user_us + r->sys_us) * 100 /
			       (double)real_us : 0;

	jw_open(w, "cpu", '{');
	jw_secs(w, "real_seconds", cpu_real_ns(r), NSEC_PER_SEC);
	jw_secs(w, "user_seconds", r->user_us, USEC_PER_SEC);
	jw_secs(w, "system_seconds", r->sys_us, USEC_PER_SEC);
	jw_double(w, "percent", pct);
	if (r->host_busy >= 0)
		jw_double(w, "host_busy_percent", r->host_busy);
	else
		jw_null(w, "host_busy_percent");
	if (r->host_busy_us >= 0)
		jw_secs(w, "host_busy_cpu_seconds", (uint64_t)r->host_busy_us,
			USEC_PER_SEC);
	else
		jw_null(w, "host_busy_cpu_seconds");
	jw_close(w, '}');
}

void report_json_who(struct jw *w, bool sender)
{
	jw_str(w, "tool", "kttcp");
	jw_str(w, "version", KTTCP_TOOL_VERSION);
	jw_str(w, "role", sender ? "sender" : "receiver");
}

static void json_head(struct jw *w, const struct kttcp_result *r)
{
	report_json_who(w, r->sender);
	jw_str(w, "mode", r->mode);
	jw_str(w, "kernel", r->kernel);
	jw_str(w, "module", r->module);
	jw_u64(w, "abi_version", r->abi_version);
	jw_u64(w, "parallel", r->parallel ? r->parallel : r->nstreams);
	jw_u64(w, "chunk", r->chunk);
	jw_bool(w, "chunk_auto", r->chunk_auto);
	jw_int(w, "sockbuf", r->sockbuf);
	if (r->sockbuf_requested)
		jw_int(w, "sockbuf_requested", r->sockbuf_requested);
	else
		jw_null(w, "sockbuf_requested");
}

void report_json_failure_in(struct jw *w, bool sender, const char *mode,
			    const char *error, int exit_code)
{
	jw_open(w, NULL, '{');
	report_json_who(w, sender);
	jw_str(w, "mode", mode);
	jw_str(w, "status", result_status_name(RS_ERROR));
	jw_str(w, "error", error);
	jw_int(w, "exit_code", exit_code);
	jw_close(w, '}');
}

void report_json_failure(FILE *f, bool sender, const char *mode,
			 const char *error, int exit_code, bool one_line)
{
	struct jw w = { .f = f, .one_line = one_line };

	report_json_failure_in(&w, sender, mode, error, exit_code);
	fputc('\n', f);
}

void report_json_in(struct jw *w, const struct kttcp_result *r)
{
	unsigned int i;

	jw_open(w, NULL, '{');
	json_head(w, r);
	if (r->transfer)
		jw_u64(w, "transfer", r->transfer);
	jw_str(w, "status", result_status_name(r->status));
	jw_str(w, "error", r->error[0] ? r->error : NULL);
	jw_int(w, "exit_code", r->exit_code);
	jw_u64(w, "bytes", r->bytes);
	jw_secs(w, "seconds", r->elapsed_ns, NSEC_PER_SEC);
	if (r->sender)
		jw_secs(w, "queued_seconds", r->queued_ns, NSEC_PER_SEC);
	jw_u64(w, "bits_per_second", bits_ps(r->bytes, r->elapsed_ns));
	if (r->omit_ns) {
		jw_secs(w, "omitted_seconds", r->omit_ns, NSEC_PER_SEC);
		jw_u64(w, "omitted_bytes", r->omitted_bytes);
	}
	json_cpu(w, r);
	if (is_zerocopy(r))
		json_zerocopy(w, r->zc_completions, r->zc_copied,
			      r->zc_outstanding, r->zc_wait_ns, r->zc_reset);
	json_tcp(w, &r->tcp, r->tcp_xfer_ns, true);
	jw_open(w, "verify", '{');
	jw_bool(w, "enabled", r->verify);
	if (r->mismatch)
		jw_u64(w, "mismatch_at", r->mismatch_at);
	else
		jw_null(w, "mismatch_at");
	jw_close(w, '}');
	jw_open(w, "streams", '[');
	for (i = 0; i < r->nstreams; i++)
		json_stream(w, r, &r->streams[i]);
	jw_close(w, ']');
	if (r->have_intervals) {
		jw_open(w, "intervals", '[');
		for (i = 0; i < r->nintervals; i++)
			json_interval(w, r, &r->intervals[i]);
		jw_close(w, ']');
	}
	jw_close(w, '}');
}

void report_json(FILE *f, const struct kttcp_result *r)
{
	struct jw w = { .f = f, .one_line = r->transfer != 0 };

	report_json_in(&w, r);
	fputc('\n', f);
}
