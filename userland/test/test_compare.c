// SPDX-License-Identifier: GPL-2.0
/*
 * test_compare.c - the comparison of send modes: medians, ranges,
 * failed runs, the main limit, the zero-copy share and each mode
 * against the first.  The expected figures are worked out by hand from
 * the runs below.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../compare.h"
#include "../json.h"
#include "../opts.h"
#include "check.h"

/* A run of @mbytes MB (1e6 bytes) in @ms milliseconds. */
static void add(struct compare *c, unsigned int mode, int exit_code,
		uint64_t mbytes, uint64_t ms, uint64_t own_us,
		int64_t host_us, uint64_t rwnd_us)
{
	struct kttcp_result r;

	memset(&r, 0, sizeof(r));
	r.exit_code = exit_code;
	r.bytes = mbytes * 1000000;
	r.elapsed_ns = ms * 1000000;
	r.cpu_real_ns = ms * 1000000;
	r.sys_us = own_us;
	r.host_busy_us = host_us;
	r.host_busy = host_us < 0 ? -1 : 50;
	r.tcp.valid = true;
	r.tcp.have_limits = true;
	r.tcp.busy_us = ms * 1000;
	r.tcp.rwnd_limited_us = rwnd_us;
	r.tcp.retrans = (uint32_t)mbytes;
	r.tcp_xfer_ns = ms * 1000000;
	if (mode == KTTCP_SEND_ZEROCOPY) {
		r.zc_completions = 10;
		r.zc_copied = 1;
	}
	compare_add(c, mode, &r);
}

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-6 * (fabs(b) + 1);
}

/* A run of @bytes in @ms milliseconds, nothing else known. */
static void add_bytes(struct compare *c, unsigned int mode, uint64_t bytes,
		      uint64_t ms)
{
	struct kttcp_result r;

	memset(&r, 0, sizeof(r));
	r.bytes = bytes;
	r.elapsed_ns = ms * 1000000;
	r.host_busy_us = -1;
	r.host_busy = -1;
	compare_add(c, mode, &r);
}

/*
 * The JSON's bits per second are whole numbers, rounded: 100000000 and
 * 100000001 bytes in 8 s are 100000000 and 100000001 bit/s, their
 * median 100000000.5, so 100000001.
 */
static void test_compare_json(void)
{
	unsigned int modes[] = { KTTCP_SEND_COPY };
	struct jw w = { .one_line = true };
	struct capture cap;
	struct compare c;

	if (compare_init(&c, modes, 1, 2)) {
		CHECK(false, "compare json: init");
		return;
	}
	add_bytes(&c, KTTCP_SEND_COPY, 100000000, 8000);
	add_bytes(&c, KTTCP_SEND_COPY, 100000001, 8000);
	w.f = cap_open(&cap);
	jw_open(&w, NULL, '{');
	compare_json(&w, &c);
	jw_close(&w, '}');
	CHECK_QUERY(cap_text(&cap),
		    "d['comparison'][0]['bits_per_second'], d['comparison'][0]['service_demand_host'], d['comparison'][0]['against_first']",
		    "{'median': 100000001, 'min': 100000000, 'max': 100000001} None None",
		    "compare json: the median of two runs rounded to whole bits/s; unknown figures null");
	cap_free(&cap);
	compare_free(&c);
}

void test_compare(void)
{
	unsigned int modes[] = { KTTCP_SEND_COPY, KTTCP_SEND_ZEROCOPY };
	struct compare_row copy, zc;
	struct compare_delta d;
	struct compare c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(compare_init(&c, modes, 2, 3) == 0, "compare: init");
	/* Round 1: copy 100 MB in 1 s (800 Mbit/s), zerocopy 100 MB in 0.5 s */
	add(&c, KTTCP_SEND_COPY, 0, 100, 1000, 400000, 800000, 900000);
	add(&c, KTTCP_SEND_ZEROCOPY, 0, 100, 500, 100000, 200000, 100000);
	/* Round 2: copy twice as fast; zerocopy failed (not counted) */
	add(&c, KTTCP_SEND_COPY, 0, 100, 500, 400000, 600000, 400000);
	add(&c, KTTCP_SEND_ZEROCOPY, 3, 1, 1, 1, 1, 0);
	/* Round 3: copy slowest; zerocopy 100 MB in 0.25 s */
	add(&c, KTTCP_SEND_COPY, 0, 100, 2000, 400000, 1000000, 0);
	add(&c, KTTCP_SEND_ZEROCOPY, 0, 100, 250, 100000, 300000, 0);
	add(&c, KTTCP_SEND_COPY, 0, 100, 1, 1, 1, 0);	/* one too many */
	CHECK(c.nruns == 6, "compare: runs beyond modes x repeat are not kept");

	compare_row(&c, 0, &copy);
	compare_row(&c, 1, &zc);
	CHECK(copy.runs == 3 && copy.ok == 3 && zc.runs == 3 && zc.ok == 2,
	      "compare: runs and successes per mode");
	/* copy: 800, 1600 and 400 Mbit/s */
	CHECK(near(copy.bps_median, 800e6) && near(copy.bps_min, 400e6) &&
	      near(copy.bps_max, 1600e6), "compare: median and range (odd count)");
	/* zerocopy: 1600 and 3200, the failed run left out */
	CHECK(near(zc.bps_median, 2400e6) && near(zc.bps_min, 1600e6) &&
	      near(zc.bps_max, 3200e6),
	      "compare: median of an even count, failed run left out");
	/* copy own: 400000 us over 1, 0.5, 2 s = 40, 80, 20 % */
	CHECK(near(copy.own_percent, 40) && near(copy.host_percent, 50),
	      "compare: CPU percent, the process's and the host's");
	/* copy host SD: 800000, 600000, 1000000 us over 100 MB */
	CHECK(near(copy.sd_host, 8000) && near(copy.sd_own, 4000),
	      "compare: service demand, host and own (us per MB)");
	/* zerocopy: 200000 and 300000 over 100 MB: 2000, 3000 */
	CHECK(near(zc.sd_host, 2500) && near(zc.sd_own, 1000),
	      "compare: service demand median of two runs");
	CHECK(copy.zc_share < 0 && near(zc.zc_share, 90),
	      "compare: zero-copy share only for zerocopy (9 of 10 not copied)");
	CHECK(near(copy.retrans, 100), "compare: retransmits per run, median");
	/* copy: rwnd 90% and 80% of two runs, 0% of one */
	CHECK(copy.limit == TCP_LIMIT_RWND && zc.limit == TCP_LIMIT_NEITHER,
	      "compare: main limit of most runs");
	CHECK(compare_delta(&copy, &zc, &d) && d.host &&
	      near(d.throughput, 200) && near(d.cpu_per_byte, -68.75),
	      "compare: against the first, +200% throughput, -68.75% CPU per byte");

	f = open_memstream(&text, &len);
	compare_print(f, &c);
	fclose(f);
	CHECK_HAS(text, "  copy        3/3  800 (400..1600)              40.0   50.0   8000.0   4000.0      -   100.0  the receive window\n",
		  "compare: text row, copy");
	CHECK_HAS(text, "  zerocopy    2/3  2400 (1600..3200)",
		  "compare: text row, zerocopy with a failed run");
	CHECK_HAS(text, "kttcp: zerocopy: +200% throughput, -69% CPU per byte (host) against copy\n",
		  "compare: text, against the first");
	free(text);

	/* Without the host figure the comparison falls back to our own. */
	compare_free(&c);
	CHECK(compare_init(&c, modes, 2, 1) == 0, "compare: init again");
	add(&c, KTTCP_SEND_COPY, 0, 100, 1000, 400000, -1, 0);
	add(&c, KTTCP_SEND_ZEROCOPY, 0, 100, 1000, 100000, 300000, 0);
	compare_row(&c, 0, &copy);
	compare_row(&c, 1, &zc);
	CHECK(copy.sd_host < 0 && compare_delta(&copy, &zc, &d) && !d.host &&
	      near(d.throughput, 0) && near(d.cpu_per_byte, -75),
	      "compare: CPU per byte of our own when the host's is unknown");
	compare_free(&c);
	test_compare_json();
}
