/* SPDX-License-Identifier: GPL-2.0 */
/*
 * result.h - what a run of kttcp produced, independent of how it is
 * printed.  xfer.c fills it from the ioctl results; report.c prints it.
 * Everything here is plain data plus pure functions, for the unit tests.
 */
#ifndef KTTCP_RESULT_H
#define KTTCP_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "tcpinfo.h"

#define NSEC_PER_SEC	1000000000ULL
#define USEC_PER_SEC	1000000ULL

enum result_status {
	RS_OK,
	RS_INTERRUPTED,
	RS_ERROR,
	RS_TIMEOUT,
};

/* Exit codes; see the comment at the top of main.c. */
enum {
	EXIT_OK		= 0,
	EXIT_USAGE	= 1,
	EXIT_SETUP	= 2,
	EXIT_XFER	= 3,
};

/* One stream: the output half of its struct kttcp_io. */
struct stream_result {
	unsigned int id;	/* 1-based, as printed */
	bool pinned;		/* -A: its thread ran on ... */
	unsigned int cpu;	/* ... this CPU */
	bool ran;		/* the transfer ioctl was issued */
	bool valid;		/* KTTCP_ST_VALID: the fields below are real */
	uint64_t bytes;
	uint64_t elapsed_ns;	/* receiver: first byte to EOF; sender: to
				 * the ACK of the last byte */
	uint64_t queued_ns;	/* sender: until the last byte was queued */
	bool ack_timeout;	/* sender: -w ran out waiting for the ACK */
	uint64_t omitted_bytes;	/* -O: moved before the omitted time ended
				 * (not in bytes) */
	uint64_t calls;
	uint64_t zc_completions;
	uint64_t zc_copied;
	uint64_t zc_outstanding;
	uint64_t zc_wait_ns;
	uint64_t chunk_peak;	/* most bytes asked of one call */
	uint64_t mismatch_at;
	int error;		/* errno that ended it, 0 if clean */
	uint32_t status;	/* KTTCP_ST_* */
	struct tcp_stats tcp;	/* its socket's TCP_INFO when it ended */
};

/* One interval report: bytes per stream between start_ns and end_ns. */
struct interval_rec {
	uint64_t start_ns;
	uint64_t end_ns;
	uint64_t sum;
	uint64_t *bytes;	/* nstreams entries */
	struct tcp_stats *tcp;	/* nstreams entries: TCP_INFO at the end of
				 * the interval, retrans those in it */
	bool omitted;		/* ends within -O's time */
};

struct kttcp_result {
	/* Set up by the caller. */
	bool sender;
	const char *mode;	/* mode name */
	const char *kernel;	/* from KTTCP_IOC_INFO */
	const char *module;
	unsigned int abi_version;
	unsigned int chunk;	/* bytes per call; auto: the peak reached */
	bool chunk_auto;	/* sender without -l: the module sizes calls */
	int sockbuf;		/* as getsockopt() reports it */
	int sockbuf_requested;	/* -b, 0 if not given */
	bool verify;
	bool timeouts_set;	/* -w: EAGAIN means "timed out" */
	unsigned int parallel;	/* -P: streams asked for */
	unsigned int missing;	/* receiver: streams that never came */
	unsigned int transfer;	/* -k: which transfer this is (from 1), 0
				 * without -k; JSON then on one line */
	int stop_signal;	/* SIGINT/SIGTERM that stopped us, or 0 */
	unsigned int nstreams;
	struct stream_result *streams;
	uint64_t user_us;	/* getrusage() deltas around the ioctls */
	uint64_t sys_us;
	uint64_t cpu_real_ns;	/* the wall time those deltas cover: from the
				 * first stream's start until every stream
				 * thread was joined (0: elapsed_ns) */
	double host_busy;	/* /proc/stat busy percent, < 0 unknown */
	int64_t host_busy_us;	/* ... and busy CPU time of all CPUs, us */
	uint64_t omit_ns;	/* -O, 0 if not given */
	bool omit_missed;	/* -O: the transfer ended within it */
	bool have_intervals;	/* -i was given */
	unsigned int nintervals;
	struct interval_rec *intervals;

	/* Derived by result_tally(). */
	uint64_t bytes;		/* sum over streams */
	uint64_t elapsed_ns;	/* the longest stream */
	uint64_t queued_ns;	/* sender: the longest stream's queueing */
	uint64_t omitted_bytes;	/* -O: the streams' omitted bytes */
	uint64_t zc_completions;
	uint64_t zc_copied;
	uint64_t zc_outstanding;
	uint64_t zc_wait_ns;	/* the longest stream's */
	bool zc_detached;		/* a stream returned before its pages */
	bool zc_reset;		/* a stream reset its connection for them */
	bool mismatch;
	uint64_t mismatch_at;	/* of the first stream that mismatched */
	struct tcp_stats tcp;	/* the streams' retransmits and chrono times */
	uint64_t tcp_xfer_ns;	/* the streams' transfer times, summed */
	enum result_status status;
	char error[128];	/* empty when status is RS_OK */
	int exit_code;
};

/* The receiver's words for streams of -P that never came. */
#define RESULT_MISSING_FMT	"expected %u streams (-P), %u came"

/* -O's words for a transfer that ended before the omitted time did. */
#define RESULT_OMIT_MISSED_FMT	"the transfer ended within the first %g seconds (-O): nothing left to measure"

void result_tally(struct kttcp_result *r);

/* Free the streams and intervals arrays (allocated by the filler). */
void result_free(struct kttcp_result *r);
const char *result_status_name(enum result_status s);

/* a * b / c without overflowing the product; 0 when c is 0. */
uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t c);

/* bytes over nanoseconds as bytes per second (0 for no time). */
uint64_t rate_bps(uint64_t bytes, uint64_t ns);

#endif /* KTTCP_RESULT_H */
