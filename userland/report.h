/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - everything kttcp prints about a transfer: NetBSD's lines,
 * iperf-like interval lines, the outcome messages and the JSON object.
 * Pure functions writing to a FILE *, so the tests can compare strings.
 */
#ifndef KTTCP_REPORT_H
#define KTTCP_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "result.h"

/* Setup lines, exactly as NetBSD's kttcp prints them. */
void report_sockbuf(FILE *f, int size);
void report_connected(FILE *f, const char *peer);
void report_listening(FILE *f, const char *port);
void report_connect_from(FILE *f, const char *peer);

/* The single NetBSD result lines, exposed for the tests. */
void report_real_line(FILE *f, uint64_t bytes, uint64_t ns);
void report_cpu_seconds_line(FILE *f, uint64_t bytes, uint64_t sys_us);
void report_mbits_line(FILE *f, uint64_t bytes, uint64_t ns);
void report_cpu_line(FILE *f, uint64_t user_us, uint64_t sys_us,
		     uint64_t real_ns);

/*
 * What TCP_INFO says limited the sender, as shares of @xfer_ns (nothing
 * without the kernel's chrono times), and its retransmits; then one
 * stream's TCP_INFO (-v).
 */
void report_limits_line(FILE *f, const struct tcp_stats *st, uint64_t xfer_ns);
void report_tcp_line(FILE *f, unsigned int id, const struct tcp_stats *st);

/*
 * NetBSD's result block for the totals (verbose 2 adds the CPU seconds
 * line and, with several streams, a line per stream).  Prints nothing if
 * no stream produced valid results.
 */
void report_summary(FILE *f, const struct kttcp_result *r, int verbose);

/* Messages after the results: errors, timeouts, interruption, leaks. */
void report_outcome(FILE *f, const struct kttcp_result *r);

/*
 * "[  1] 0.00-1.00 sec  N bytes  X Mbits/sec"; id 0 prints "[SUM]"; with
 * @tcp (a sender's -v) "  cwnd W  RTT T ms  R retransmitted" follows; an
 * interval within -O's time ends in "  (omitted)", as iperf3's.
 */
void report_interval(FILE *f, unsigned int id, uint64_t start_ns,
		     uint64_t end_ns, uint64_t bytes, bool omitted,
		     const struct tcp_stats *tcp);

/* One JSON object (and a newline). */
void report_json(FILE *f, const struct kttcp_result *r);

/* The same object as a value inside @w's open container (no newline). */
void report_json_in(struct jw *w, const struct kttcp_result *r);

/*
 * -J when the run failed before it had a result (no module, permission,
 * ABI mismatch, resolve, connect, listen): still one JSON object, with
 * the error and the exit status.
 */
void report_json_failure(FILE *f, bool sender, const char *mode,
			 const char *error, int exit_code, bool one_line);
void report_json_failure_in(struct jw *w, bool sender, const char *mode,
			    const char *error, int exit_code);

/* The members every object of kttcp's starts with: tool, version, role. */
void report_json_who(struct jw *w, bool sender);

#endif /* KTTCP_REPORT_H */
