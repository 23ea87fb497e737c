// SPDX-License-Identifier: GPL-2.0
/*
 * test_report.c - NetBSD result lines, interval lines, outcome messages,
 * result_tally() and the JSON object, all for fixed inputs.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../../include/kttcp.h"
#include "../report.h"
#include "../result.h"
#include "check.h"

#define MS	1000000ULL	/* ns */

static void test_netbsd_lines(void)
{
	struct capture c;

	report_real_line(cap_open(&c), 10485760, 1500 * MS);
	CHECK_STR(cap_text(&c),
		  "kttcp: 10485760 bytes in 1.500 real seconds ==> 6990506 bytes/sec\n",
		  "netbsd: real seconds line");
	cap_free(&c);

	report_cpu_seconds_line(cap_open(&c), 10485760, 1200000);
	CHECK_STR(cap_text(&c),
		  "kttcp: 10485760 bytes in 1.200 CPU seconds ==> 8738133 bytes/CPU sec\n",
		  "netbsd: CPU seconds line");
	cap_free(&c);

	/* 6990506 * 8 = 55924048 bits: / 2^20 and / 10^6 */
	report_mbits_line(cap_open(&c), 10485760, 1500 * MS);
	CHECK_STR(cap_text(&c), "       53.3333 (55.924) Megabits/sec\n",
		  "netbsd: Megabits line");
	cap_free(&c);

	report_cpu_line(cap_open(&c), 10000, 1200000, 1500 * MS);
	CHECK_STR(cap_text(&c), "  0.01user 1.20sys 1.50real 80%\n",
		  "netbsd: CPU line");
	cap_free(&c);

	/* NetBSD would print "0.5real" for 50 ms; we zero-pad. */
	report_cpu_line(cap_open(&c), 0, 30000, 50 * MS);
	CHECK_STR(cap_text(&c), "  0.00user 0.03sys 0.05real 60%\n",
		  "netbsd: CPU line, real fraction zero-padded");
	cap_free(&c);

	report_cpu_line(cap_open(&c), 123456789, 0, 3723 * 1000 * MS);
	CHECK_STR(cap_text(&c), "  123.45user 0.00sys 3723.00real 3%\n",
		  "netbsd: CPU line, long run");
	cap_free(&c);

	report_sockbuf(cap_open(&c), 131072);
	report_connected(c.f, "192.0.2.1");
	report_listening(c.f, "22222");
	report_connect_from(c.f, "2001:db8::1");
	CHECK_STR(cap_text(&c),
		  "kttcp: socket buffer size: 131072\n"
		  "kttcp: connected to 192.0.2.1\n"
		  "kttcp: listening on port 22222\n"
		  "kttcp: connect from 2001:db8::1\n",
		  "netbsd: setup lines");
	cap_free(&c);
}

static void test_zero_guards(void)
{
	struct capture c;

	report_real_line(cap_open(&c), 5, 0);
	report_cpu_seconds_line(c.f, 5, 0);
	report_mbits_line(c.f, 5, 0);
	report_cpu_line(c.f, 0, 0, 0);
	report_cpu_line(c.f, 10, 20, 999);	/* under a microsecond */
	CHECK_STR(cap_text(&c),
		  "kttcp: 5 bytes in 0.000 real seconds ==> 0 bytes/sec\n"
		  "kttcp: 5 bytes in 0.000 CPU seconds ==> 0 bytes/CPU sec\n"
		  "       0 (0) Megabits/sec\n"
		  "  0.00user 0.00sys 0.00real 0%\n"
		  "  0.00user 0.00sys 0.00real 0%\n",
		  "zero time: no division by zero, no inf");
	cap_free(&c);

	CHECK(muldiv64(UINT64_MAX, 1000000000ULL, 1) == UINT64_MAX,
	      "muldiv64 saturates");
	CHECK(muldiv64(UINT64_MAX / 2, 1000000000ULL, 1000000000ULL) ==
	      UINT64_MAX / 2, "muldiv64: no overflow in the product");
	CHECK(rate_bps(10485760, 1500 * MS) == 6990506, "rate_bps truncates");
}

static void test_interval_lines(void)
{
	struct tcp_stats tcp = {
		.valid = true, .snd_cwnd = 42, .rtt_us = 1250, .retrans = 3,
	};
	struct capture c;

	report_interval(cap_open(&c), 1, 0, 1000 * MS, 1048576, false, NULL);
	report_interval(c.f, 12, 1000 * MS, 2000 * MS, 125000000, false, &tcp);
	report_interval(c.f, 0, 2000 * MS, 2500 * MS, 62500000, false, NULL);
	report_interval(c.f, 3, 5 * MS, 5 * MS, 100, true, NULL);
	CHECK_STR(cap_text(&c),
		  "[  1] 0.00-1.00 sec  1048576 bytes  8.39 Mbits/sec\n"
		  "[ 12] 1.00-2.00 sec  125000000 bytes  1000.00 Mbits/sec  cwnd 42  RTT 1.250 ms  3 retransmitted\n"
		  "[SUM] 2.00-2.50 sec  62500000 bytes  1000.00 Mbits/sec\n"
		  "[  3] 0.01-0.01 sec  100 bytes  0.00 Mbits/sec  (omitted)\n",
		  "interval lines (the last within -O's time)");
	cap_free(&c);
}

/* A finished sender/zerocopy run of one stream. */
static void zc_result(struct kttcp_result *r, struct stream_result *s)
{
	memset(r, 0, sizeof(*r));
	memset(s, 0, sizeof(*s));
	s->id = 1;
	s->ran = s->valid = true;
	s->bytes = 10485760;
	s->elapsed_ns = 1500 * MS;
	s->queued_ns = 1497 * MS;
	s->calls = 160;
	s->zc_completions = 170;
	s->zc_copied = 2;
	s->zc_wait_ns = 2500000;
	s->status = KTTCP_ST_VALID;
	r->sender = true;
	r->mode = "zerocopy";
	r->kernel = "6.12.1-amd64";
	r->module = "kttcp 1.0 \"test\"";
	r->abi_version = 1;
	r->chunk = 65536;
	r->sockbuf = 16384;
	r->nstreams = 1;
	r->streams = s;
	r->user_us = 10000;
	r->sys_us = 1200000;
	r->host_busy = 55.5;
	result_tally(r);
}

/* A receiver of three streams; stream 2 was reset by its peer. */
static void three_result(struct kttcp_result *r, struct stream_result *s,
			 struct interval_rec *iv, uint64_t (*ivb)[3])
{
	static const uint64_t mib = 1048576;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	memset(s, 0, 3 * sizeof(*s));
	for (i = 0; i < 3; i++) {
		s[i].id = i + 1;
		s[i].ran = s[i].valid = true;
		s[i].bytes = (i + 1) * mib;
		s[i].calls = 10 * (i + 1);
		s[i].status = KTTCP_ST_VALID | KTTCP_ST_EOF;
	}
	s[0].elapsed_ns = 1000 * MS;
	s[1].elapsed_ns = 2000 * MS;
	s[2].elapsed_ns = 1500 * MS;
	s[1].status = KTTCP_ST_VALID;
	s[1].error = ECONNRESET;
	for (i = 0; i < 2; i++) {
		static struct tcp_stats ivt[2][3];

		memset(&iv[i], 0, sizeof(iv[i]));
		memset(ivt[i], 0, sizeof(ivt[i]));
		ivt[i][0].valid = true;
		ivt[i][0].retrans = i;
		ivt[i][0].rtt_us = 900 + i;
		ivt[i][0].snd_cwnd = 20 + i;
		iv[i].tcp = ivt[i];
		iv[i].start_ns = i * 1000 * MS;
		iv[i].end_ns = (i + 1) * 1000 * MS;
		iv[i].bytes = ivb[i];
		iv[i].bytes[0] = i ? 0 : mib;
		iv[i].bytes[1] = mib;
		iv[i].bytes[2] = i ? mib : 2 * mib;
		iv[i].sum = iv[i].bytes[0] + iv[i].bytes[1] + iv[i].bytes[2];
	}
	r->mode = "copy";
	r->kernel = "6.1.0-27-amd64";
	r->module = "kttcp\t1.0";
	r->abi_version = 1;
	r->chunk = 65536;
	r->sockbuf = 131072;
	r->sockbuf_requested = 65536;
	r->nstreams = 3;
	r->streams = s;
	r->user_us = 0;
	r->sys_us = 900000;
	r->host_busy = -1;
	r->have_intervals = true;
	r->nintervals = 2;
	r->intervals = iv;
	result_tally(r);
}

static void test_summary(void)
{
	struct kttcp_result r;
	struct stream_result s, s3[3];
	struct interval_rec iv[2];
	uint64_t ivb[2][3];
	struct capture c;

	zc_result(&r, &s);
	report_summary(cap_open(&c), &r, 1);
	CHECK_STR(cap_text(&c),
		  "kttcp: 10485760 bytes in 1.500 real seconds ==> 6990506 bytes/sec\n"
		  "       53.3333 (55.924) Megabits/sec\n"
		  "  0.01user 1.20sys 1.50real 80%\n",
		  "summary: verbose 1");
	cap_free(&c);

	report_summary(cap_open(&c), &r, 2);
	CHECK_STR(cap_text(&c),
		  "kttcp: 10485760 bytes in 1.500 real seconds ==> 6990506 bytes/sec\n"
		  "kttcp: 10485760 bytes in 1.200 CPU seconds ==> 8738133 bytes/CPU sec\n"
		  "       53.3333 (55.924) Megabits/sec\n"
		  "  0.01user 1.20sys 1.50real 80%\n"
		  "kttcp: the last byte queued after 1.497000 seconds, acknowledged after 1.500000\n"
		  "kttcp: zerocopy: 170 completions, 2 copied, 0.002 seconds waiting for pages\n",
		  "summary: verbose 2");
	cap_free(&c);

	/*
	 * -n 1: the loop took a millisecond, the CPU was counted over the
	 * two seconds from the first stream's start to the last join: the
	 * share is of those two seconds (it was 120000% of the loop's).
	 */
	zc_result(&r, &s);
	s.elapsed_ns = 1 * MS;
	r.cpu_real_ns = 2000 * MS;
	result_tally(&r);
	report_summary(cap_open(&c), &r, 1);
	CHECK_HAS(cap_text(&c), "  0.01user 1.20sys 2.00real 60%\n",
		  "summary: CPU share of the interval the CPU was measured over");
	cap_free(&c);
	report_json(cap_open(&c), &r);
	CHECK_QUERY(cap_text(&c), "d['cpu']['real_seconds'], d['cpu']['percent'], d['seconds']",
		    "2.0 60.5 0.001", "json: cpu.percent of cpu.real_seconds, not of seconds");
	cap_free(&c);

	three_result(&r, s3, iv, ivb);
	report_summary(cap_open(&c), &r, 2);
	CHECK_STR(cap_text(&c),
		  "kttcp: stream 1: 1048576 bytes in 1.000 real seconds ==> 1048576 bytes/sec\n"
		  "kttcp: stream 2: 2097152 bytes in 2.000 real seconds ==> 1048576 bytes/sec\n"
		  "kttcp: stream 3: 3145728 bytes in 1.500 real seconds ==> 2097152 bytes/sec\n"
		  "kttcp: 6291456 bytes in 2.000 real seconds ==> 3145728 bytes/sec\n"
		  "kttcp: 6291456 bytes in 0.900 CPU seconds ==> 6990506 bytes/CPU sec\n"
		  "       24 (25.1658) Megabits/sec\n"
		  "  0.00user 0.90sys 2.00real 45%\n",
		  "summary: 3 streams, totals and per stream");
	cap_free(&c);

	s3[0].valid = s3[1].valid = s3[2].valid = false;
	report_summary(cap_open(&c), &r, 1);
	CHECK_STR(cap_text(&c), "", "summary: nothing without valid results");
	cap_free(&c);
}

static void test_tally(void)
{
	struct kttcp_result r;
	struct stream_result s, s3[3];
	struct interval_rec iv[2];
	uint64_t ivb[2][3];
	struct capture c;

	zc_result(&r, &s);
	CHECK(r.status == RS_OK && r.exit_code == 0 && r.error[0] == '\0',
	      "tally: clean run is ok, exit 0");

	three_result(&r, s3, iv, ivb);
	CHECK(r.bytes == 6291456 && r.elapsed_ns == 2000 * MS,
	      "tally: bytes summed, longest elapsed");
	CHECK(r.status == RS_ERROR && r.exit_code == 3,
	      "tally: a reset stream fails the run, exit 3");
	CHECK_STR(r.error, "stream 2: Connection reset by peer",
		  "tally: error names the stream");
	report_outcome(cap_open(&c), &r);
	CHECK_STR(cap_text(&c),
		  "kttcp: stream 2: transfer failed after 2097152 bytes: Connection reset by peer\n",
		  "outcome: transfer failed");
	cap_free(&c);

	zc_result(&r, &s);
	s.error = EINTR;
	s.status |= KTTCP_ST_SIGNAL;
	r.stop_signal = SIGTERM;
	result_tally(&r);
	CHECK(r.status == RS_INTERRUPTED && r.exit_code == 143,
	      "tally: SIGTERM exits 143");
	report_outcome(cap_open(&c), &r);
	CHECK_STR(cap_text(&c), "kttcp: interrupted after 10485760 bytes\n",
		  "outcome: interrupted");
	cap_free(&c);
	r.stop_signal = SIGINT;
	result_tally(&r);
	CHECK(r.exit_code == 130 && strcmp(r.error, "interrupted by SIGINT") == 0,
	      "tally: SIGINT exits 130");

	/* A receiver whose -P 3 streams came one short. */
	zc_result(&r, &s);
	r.sender = false;
	r.parallel = 3;
	r.missing = 1;
	result_tally(&r);
	CHECK(r.status == RS_ERROR && r.exit_code == 3,
	      "tally: a stream of -P that never came fails the run, exit 3");
	CHECK_STR(r.error, "expected 3 streams (-P), 2 came",
		  "tally: error says how many streams came");
	report_outcome(cap_open(&c), &r);
	CHECK_STR(cap_text(&c), "kttcp: expected 3 streams (-P), 2 came\n",
		  "outcome: missing streams");
	cap_free(&c);
	r.stop_signal = SIGINT;
	result_tally(&r);
	CHECK(r.exit_code == 130, "tally: interrupted beats missing streams");

	/* A signal before any stream started: nothing to show but that. */
	memset(&r, 0, sizeof(r));
	r.stop_signal = SIGINT;
	result_tally(&r);
	CHECK(r.status == RS_INTERRUPTED && r.exit_code == 130,
	      "tally: interrupted while waiting for connections");

	zc_result(&r, &s);
	s.error = EAGAIN;
	r.timeouts_set = true;
	result_tally(&r);
	CHECK(r.status == RS_TIMEOUT && r.exit_code == 3,
	      "tally: EAGAIN with -w is a timeout, exit 3");
	report_outcome(cap_open(&c), &r);
	CHECK_STR(cap_text(&c), "kttcp: timed out after 10485760 bytes\n",
		  "outcome: timed out");
	cap_free(&c);
	r.timeouts_set = false;
	result_tally(&r);
	CHECK(r.status == RS_ERROR, "tally: EAGAIN without -w is an error");

	/*
	 * Two streams, one timed out and one reset: the run failed (an
	 * error beats a timeout), and says so of the reset stream.
	 */
	three_result(&r, s3, iv, ivb);
	s3[0].error = EAGAIN;
	s3[0].status = KTTCP_ST_VALID;
	r.timeouts_set = true;
	result_tally(&r);
	CHECK(r.status == RS_ERROR && r.exit_code == 3 &&
	      strcmp(r.error, "stream 2: Connection reset by peer") == 0,
	      "tally: a reset stream beats a timed-out one: error, naming the reset");

	zc_result(&r, &s);
	s.status |= KTTCP_ST_MISMATCH;
	s.mismatch_at = 4097;
	s.error = EBADMSG;
	r.verify = true;
	result_tally(&r);
	CHECK(r.status == RS_ERROR && r.exit_code == 3 && r.mismatch &&
	      r.mismatch_at == 4097, "tally: verify mismatch exits 3");
	report_outcome(cap_open(&c), &r);
	CHECK_STR(cap_text(&c),
		  "kttcp: verify: first mismatch at byte offset 4097\n",
		  "outcome: verify mismatch");
	cap_free(&c);

	zc_result(&r, &s);
	s.status |= KTTCP_ST_ZC_DETACHED;
	s.zc_outstanding = 3;
	result_tally(&r);
	report_outcome(cap_open(&c), &r);
	CHECK(r.exit_code == 0, "tally: zerocopy leak alone is no failure");
	CHECK_STR(cap_text(&c),
		  "kttcp: note: zerocopy: 3 batches still lent to the stack, returned when TCP is done with them\n",
		  "outcome: zerocopy detach note");
	cap_free(&c);

	zc_result(&r, &s);
	s.status |= KTTCP_ST_ZC_RESET;
	s.error = EAGAIN;
	r.timeouts_set = true;
	result_tally(&r);
	report_outcome(cap_open(&c), &r);
	CHECK(r.zc_reset && r.exit_code == 3, "tally: zerocopy reset is seen");
	CHECK_STR(cap_text(&c),
		  "kttcp: timed out after 10485760 bytes\n"
		  "kttcp: warning: zerocopy: no acknowledgement for the -w time, connection reset to take the lent pages back\n",
		  "outcome: zerocopy reset warning");
	cap_free(&c);

	zc_result(&r, &s);
	s.valid = false;
	s.status = 0;
	s.bytes = 0;
	s.error = EINVAL;
	result_tally(&r);
	report_outcome(cap_open(&c), &r);
	CHECK(r.exit_code == 3, "tally: refused transfer exits 3");
	CHECK_STR(cap_text(&c),
		  "kttcp: the module refused the transfer: Invalid argument\n",
		  "outcome: refused");
	cap_free(&c);
}

/* python3 -m json.tool as a second opinion; skipped without python3. */
static void check_python(const char *json, const char *name)
{
	int py = json_python(json);

	if (py < 0)
		SKIP(name, "no python3");
	else
		CHECK(py == 1, name);
}

static void test_json_out(void)
{
	struct kttcp_result r;
	struct stream_result s, s3[3];
	struct interval_rec iv[2];
	uint64_t ivb[2][3];
	struct capture c;
	const char *j;

	zc_result(&r, &s);
	report_json(cap_open(&c), &r);
	j = cap_text(&c);
	CHECK(json_valid(j), "json zerocopy: valid (built-in validator)");
	check_python(j, "json zerocopy: python3 -m json.tool accepts it");
	CHECK_HAS(j, "\"role\": \"sender\"", "json zerocopy: role");
	CHECK_HAS(j, "\"mode\": \"zerocopy\"", "json zerocopy: mode");
	CHECK_HAS(j, "\"bytes\": 10485760,", "json zerocopy: bytes");
	CHECK_HAS(j, "\"seconds\": 1.500000000,", "json zerocopy: seconds");
	CHECK_QUERY(j, "d['queued_seconds'], d['streams'][0]['queued_seconds']",
		    "1.497 1.497", "json zerocopy: the sender's queued time, total and stream");
	CHECK_HAS(j, "\"bits_per_second\": 55924053,", "json zerocopy: bits/s");
	CHECK_HAS(j, "\"user_seconds\": 0.010000,", "json zerocopy: user");
	CHECK_HAS(j, "\"system_seconds\": 1.200000,", "json zerocopy: system");
	CHECK_HAS(j, "\"percent\": 80.67,", "json zerocopy: percent");
	CHECK_HAS(j, "\"host_busy_percent\": 55.50", "json zerocopy: host busy");
	CHECK_HAS(j, "\"completions\": 170,", "json zerocopy: completions");
	CHECK_HAS(j, "\"copied\": 2,", "json zerocopy: copied");
	CHECK_HAS(j, "\"outstanding\": 0,", "json zerocopy: outstanding");
	CHECK_HAS(j, "\"wait_seconds\": 0.002500000", "json zerocopy: wait");
	CHECK_HAS(j, "\"module\": \"kttcp 1.0 \\\"test\\\"\"",
		  "json zerocopy: string escaped");
	CHECK_HAS(j, "\"status\": \"ok\",", "json zerocopy: status ok");
	CHECK_HAS(j, "\"error\": null,", "json zerocopy: error null");
	CHECK_HAS(j, "\"mismatch_at\": null", "json zerocopy: no mismatch");
	CHECK(!strstr(j, "\"intervals\""), "json zerocopy: no intervals without -i");
	CHECK_QUERY(j, "d['kernel'], d['abi_version'], d['chunk'], d['sockbuf'], d['sockbuf_requested'], d['verify']['enabled'], d['streams'][0]['calls'], d['streams'][0]['zerocopy']['completions']",
		    "6.12.1-amd64 1 65536 16384 None False 160 170",
		    "json zerocopy: python sees the fields");
	cap_free(&c);

	three_result(&r, s3, iv, ivb);
	report_json(cap_open(&c), &r);
	j = cap_text(&c);
	CHECK(json_valid(j), "json 3 streams: valid (built-in validator)");
	check_python(j, "json 3 streams: python3 -m json.tool accepts it");
	CHECK(!strstr(j, "\"zerocopy\""), "json 3 streams: no zerocopy for copy");
	CHECK_HAS(j, "\"role\": \"receiver\"", "json 3 streams: role");
	CHECK_HAS(j, "\"status\": \"error\"", "json 3 streams: status error");
	CHECK_HAS(j, "\"host_busy_percent\": null", "json 3 streams: busy unknown");
	CHECK_QUERY(j, "d['bytes'], d['seconds'], d['bits_per_second'], len(d['streams']), [s['bytes'] for s in d['streams']], d['streams'][1]['error'], d['streams'][1]['errno'], d['streams'][0]['eof'], d['error'], d['module']",
		    "6291456 2.0 25165824 3 [1048576, 2097152, 3145728] Connection reset by peer 104 True stream 2: Connection reset by peer kttcp\t1.0",
		    "json 3 streams: python sees the numbers");
	CHECK_QUERY(j, "len(d['intervals']), d['intervals'][0]['bytes'], d['intervals'][1]['end'], [s['bytes'] for s in d['intervals'][1]['streams']], d['intervals'][0]['bits_per_second']",
		    "2 4194304 2.0 [0, 1048576, 1048576] 33554432",
		    "json 3 streams: intervals");
	/* [1, 2] s: 2 MiB, 1 MiB of stream 2 and 3 each, in that second. */
	CHECK_QUERY(j, "d['intervals'][1]['bits_per_second'], [s['bits_per_second'] for s in d['intervals'][1]['streams']]",
		    "16777216 [0, 8388608, 8388608]",
		    "json 3 streams: an interval's rates over its own second");
	CHECK_QUERY(j, "d['intervals'][1]['streams'][0]['tcp'], d['intervals'][1]['streams'][1]['tcp']",
		    "{'retransmits': 1, 'rtt_us': 901, 'snd_cwnd': 21} None",
		    "json 3 streams: each interval's TCP_INFO per stream (null where unread)");
	cap_free(&c);
}

/*
 * -l given or not: the JSON "chunk" is -l's, or the largest chunk_peak
 * any stream's module call reported, flagged by "chunk_auto".
 */
static void test_chunk_peak(void)
{
	struct kttcp_result r;
	struct stream_result s3[3];
	struct interval_rec iv[2];
	uint64_t ivb[2][3];
	struct capture c;

	three_result(&r, s3, iv, ivb);
	s3[0].chunk_peak = 65536;
	s3[1].chunk_peak = 262144;
	s3[2].chunk_peak = 131072;
	r.chunk_auto = true;
	result_tally(&r);
	CHECK(r.chunk == 262144, "tally: auto chunk is the largest stream's peak");
	report_json(cap_open(&c), &r);
	CHECK_QUERY(cap_text(&c), "d['chunk'], d['chunk_auto']", "262144 True",
		    "json: auto chunk, its peak");
	cap_free(&c);

	r.chunk_auto = false;
	r.chunk = 32768;
	result_tally(&r);
	report_json(cap_open(&c), &r);
	CHECK_QUERY(cap_text(&c), "d['chunk'], d['chunk_auto']", "32768 False",
		    "json: a fixed chunk is reported as given, peaks aside");
	cap_free(&c);
}

/* The layout include/kttcp.h promises: the same for 32 and 64 bits. */
/* -O: the omitted bytes and time in the JSON, and a run that ended first. */
static void test_omit(void)
{
	struct kttcp_result r;
	struct stream_result s;
	struct interval_rec iv[2] = {
		{ .start_ns = 0, .end_ns = 1000 * MS, .sum = 5 },
		{ .start_ns = 1000 * MS, .end_ns = 2000 * MS, .sum = 7 },
	};
	uint64_t ivb[2] = { 5, 7 };
	struct capture c;
	const char *j;

	zc_result(&r, &s);
	r.omit_ns = 1000 * MS;
	s.omitted_bytes = 4096;
	iv[0].bytes = &ivb[0];
	iv[1].bytes = &ivb[1];
	iv[0].omitted = true;
	r.have_intervals = true;
	r.intervals = iv;
	r.nintervals = 2;
	result_tally(&r);
	report_json(cap_open(&c), &r);
	j = cap_text(&c);
	CHECK_QUERY(j, "d['omitted_seconds'], d['omitted_bytes'], d['streams'][0]['omitted_bytes'], [i['omitted'] for i in d['intervals']]",
		    "1.0 4096 4096 [True, False]",
		    "json -O: omitted seconds and bytes, total and stream; intervals marked");
	cap_free(&c);

	r.omit_missed = true;
	result_tally(&r);
	CHECK(r.status == RS_ERROR && r.exit_code == 3,
	      "tally -O: a transfer that ended within -O's time fails, exit 3");
	report_outcome(cap_open(&c), &r);
	CHECK_STR(cap_text(&c),
		  "kttcp: the transfer ended within the first 1 seconds (-O): nothing left to measure\n",
		  "outcome -O: says so");
	cap_free(&c);
}

static void test_abi_layout(void)
{
	/*
	 * No padding a 32-bit compiler would lay out differently: every
	 * 64-bit field on an 8-byte offset, sizes multiples of 8.
	 */
	CHECK(sizeof(struct kttcp_io) % 8 == 0 &&
	      offsetof(struct kttcp_io, total) % 8 == 0 &&
	      offsetof(struct kttcp_io, bytes) % 8 == 0 &&
	      offsetof(struct kttcp_io, mismatch_at) % 8 == 0 &&
	      offsetof(struct kttcp_io, zc_wait_ns) % 8 == 0 &&
	      offsetof(struct kttcp_io, status) + 4 ==
	      offsetof(struct kttcp_io, zc_wait_ns),
	      "abi: struct kttcp_io has no implicit padding");
	CHECK(sizeof(struct kttcp_info) % 8 == 0 &&
	      offsetof(struct kttcp_info, module) + sizeof(((struct kttcp_info *)0)->module) ==
	      offsetof(struct kttcp_info, reserved) &&
	      offsetof(struct kttcp_info, reserved) % 8 == 0,
	      "abi: struct kttcp_info has no implicit padding");
	CHECK(sizeof(struct kttcp_progress) == 24 &&
	      offsetof(struct kttcp_progress, bytes) == 8,
	      "abi: struct kttcp_progress layout");
}

void test_report(void)
{
	test_abi_layout();
	test_netbsd_lines();
	test_zero_guards();
	test_interval_lines();
	test_summary();
	test_tally();
	test_json_out();
	test_chunk_peak();
	test_omit();
}
