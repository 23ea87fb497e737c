// SPDX-License-Identifier: GPL-2.0
/*
 * test_tcpinfo.c - the sender's limits as shares of the transfer time,
 * their lines and JSON, for fixed counts worked out by hand; and TCP_INFO
 * read from a real loopback connection of this host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../include/kttcp.h"
#include "../report.h"
#include "../result.h"
#include "../tcpinfo.h"
#include "check.h"

#define S	1000000ULL	/* us */
#define NS	1000000000ULL

static struct tcp_stats stats(uint64_t busy, uint64_t rwnd, uint64_t sndbuf)
{
	struct tcp_stats st = {
		.valid = true, .have_limits = true, .busy_us = busy,
		.rwnd_limited_us = rwnd, .sndbuf_limited_us = sndbuf,
	};
	return st;
}

static void test_shares(void)
{
	struct tcp_stats st;
	struct tcp_limits l;
	bool ok;

	/* 1.45 s of 2 s: 72.5%; 0.06 s: 3.0%; the rest 24.5%. */
	st = stats(2 * S, 1450000, 60000);
	ok = tcp_limits_of(&st, 2 * NS, &l);
	CHECK(ok && l.permille[TCP_LIMIT_RWND] == 725 &&
	      l.permille[TCP_LIMIT_SNDBUF] == 30 &&
	      l.permille[TCP_LIMIT_NEITHER] == 245 && l.main == TCP_LIMIT_RWND,
	      "limits: 72.5/3.0/24.5% of 2 s, main the receive window");

	/* Busy 1 s of a 4 s transfer: the idle 3 s count as neither. */
	st = stats(1 * S, 100000, 600000);
	ok = tcp_limits_of(&st, 4 * NS, &l);
	CHECK(ok && l.permille[TCP_LIMIT_RWND] == 25 &&
	      l.permille[TCP_LIMIT_SNDBUF] == 150 &&
	      l.permille[TCP_LIMIT_NEITHER] == 825 &&
	      l.main == TCP_LIMIT_NEITHER,
	      "limits: of the transfer time, not only the busy time");

	/* Busy 2 s, transfer 1 s (a zerocopy wait): shares of the 2 s. */
	st = stats(2 * S, 0, 1500000);
	ok = tcp_limits_of(&st, 1 * NS, &l);
	CHECK(ok && l.permille[TCP_LIMIT_SNDBUF] == 750 &&
	      l.permille[TCP_LIMIT_NEITHER] == 250 &&
	      l.main == TCP_LIMIT_SNDBUF,
	      "limits: of the busy time when it is the longer, main the send buffer");

	/*
	 * Between tenths: 1.4514 s of 2 s is 72.57%, 0.061 s is 3.05%:
	 * rounded 72.6% and 3.1% (truncated they would be 72.5 and 3.0);
	 * neither is the rest, 24.3%.
	 */
	st = stats(2 * S, 1451400, 61000);
	ok = tcp_limits_of(&st, 2 * NS, &l);
	CHECK(ok && l.permille[TCP_LIMIT_RWND] == 726 &&
	      l.permille[TCP_LIMIT_SNDBUF] == 31 &&
	      l.permille[TCP_LIMIT_NEITHER] == 243,
	      "limits: 72.57% and 3.05% round to 72.6 and 3.1, neither the rest");

	/*
	 * 69.95% and 30.05% of 1 s both round up, to 70.0 and 30.1: over
	 * 100% by rounding alone, so the send buffer gives the tenth back.
	 */
	st = stats(1 * S, 699500, 300500);
	ok = tcp_limits_of(&st, 1 * NS, &l);
	CHECK(ok && l.permille[TCP_LIMIT_RWND] == 700 &&
	      l.permille[TCP_LIMIT_SNDBUF] == 300 &&
	      l.permille[TCP_LIMIT_NEITHER] == 0,
	      "limits: two shares rounded up past 100% are cut back to 100");

	st = stats(2 * S, 1450000, 60000);
	st.have_limits = false;
	CHECK(!tcp_limits_of(&st, 2 * NS, &l),
	      "limits: none without the kernel's chrono times");
	st = stats(0, 0, 0);
	CHECK(!tcp_limits_of(&st, 0, &l), "limits: none without any time");
}

static void test_lines(void)
{
	struct tcp_stats st = stats(2 * S, 1450000, 60000);
	struct capture c;

	st.retrans = 7;
	report_limits_line(cap_open(&c), &st, 2 * NS);
	CHECK_STR(cap_text(&c),
		  "kttcp: limited by the receive window 72.5%, the send buffer 3.0%, neither 24.5% of the time (main limit: the receive window); 7 segments retransmitted\n",
		  "limits line");
	cap_free(&c);

	st.rtt_us = 1234;
	st.rttvar_us = 56;
	st.snd_cwnd = 10;
	st.snd_mss = 65483;
	st.rcv_mss = 536;
	st.delivery_rate = 125000000;	/* bytes/s: 1000 Mbit/s */
	strcpy(st.cc, "cubic");
	report_tcp_line(cap_open(&c), 2, &st);
	CHECK_STR(cap_text(&c),
		  "kttcp: stream 2: TCP cubic, RTT 1.234 ms (variation 0.056), cwnd 10 segments, MSS 65483 sent, 536 received, delivery rate 1000 Mbits/sec, 7 segments retransmitted\n",
		  "per-stream TCP line (-v)");
	cap_free(&c);

	st = stats(2 * S, 1451400, 61000);
	report_limits_line(cap_open(&c), &st, 2 * NS);
	CHECK_STR(cap_text(&c),
		  "kttcp: limited by the receive window 72.6%, the send buffer 3.1%, neither 24.3% of the time (main limit: the receive window); 0 segments retransmitted\n",
		  "limits line: shares between tenths rounded");
	cap_free(&c);

	st.have_limits = false;
	report_limits_line(cap_open(&c), &st, 2 * NS);
	CHECK_STR(cap_text(&c), "", "no limits line without the chrono times");
	cap_free(&c);
}

/* Two streams: the counts add up, the shares are of the summed times. */
static void test_sum(void)
{
	struct stream_result s[2];
	struct kttcp_result r;
	struct capture c;
	const char *j;

	memset(&r, 0, sizeof(r));
	memset(s, 0, sizeof(s));
	s[0].id = 1;
	s[1].id = 2;
	s[0].ran = s[0].valid = s[1].ran = s[1].valid = true;
	s[0].status = s[1].status = KTTCP_ST_VALID;
	s[0].bytes = s[1].bytes = 1 << 20;
	s[0].elapsed_ns = s[1].elapsed_ns = 1 * NS;
	s[0].tcp = stats(1 * S, 900000, 0);	/* 90% receive window */
	s[1].tcp = stats(1 * S, 0, 500000);	/* 50% send buffer */
	s[0].tcp.retrans = 3;
	s[1].tcp.retrans = 4;
	strcpy(s[0].tcp.cc, "reno");
	s[0].tcp.rtt_us = 80;
	r.sender = true;
	r.mode = "copy";
	r.nstreams = 2;
	r.streams = s;
	result_tally(&r);
	CHECK(r.tcp.retrans == 7 && r.tcp.rwnd_limited_us == 900000 &&
	      r.tcp.sndbuf_limited_us == 500000 && r.tcp_xfer_ns == 2 * NS,
	      "tally: retransmits and chrono times summed over streams");

	report_summary(cap_open(&c), &r, 1);
	CHECK_HAS(cap_text(&c),
		  "  0.00user 0.00sys 1.00real 0%\n"
		  "kttcp: limited by the receive window 45.0%, the send buffer 25.0%, neither 30.0% of the time (main limit: the receive window); 7 segments retransmitted\n",
		  "summary: the sender's limits line after the CPU line");
	cap_free(&c);

	report_json(cap_open(&c), &r);
	j = cap_text(&c);
	CHECK(json_valid(j), "json with tcp: valid");
	CHECK_QUERY(j, "d['tcp']['retransmits'], d['tcp']['limited'], d['streams'][0]['tcp']['congestion'], d['streams'][0]['tcp']['rtt_us'], d['streams'][1]['tcp']['limited']['main'], d['streams'][1]['tcp']['sndbuf_limited_seconds']",
		    "7 {'receive_window_percent': 45.0, 'send_buffer_percent': 25.0, 'neither_percent': 30.0, 'main': 'receive_window'} reno 80 send_buffer 0.5",
		    "json: tcp summed and per stream");
	cap_free(&c);

	r.sender = false;
	report_summary(cap_open(&c), &r, 1);
	CHECK(!strstr(cap_text(&c), "limited by"),
	      "summary: no limits line at the receiver (they are the sender's)");
	cap_free(&c);
}

/*
 * One stream's TCP figures in the JSON: the delivery rate TCP gives in
 * bytes per second as bits (3000000 B/s: 24000000 bit/s), the RTT and
 * its variation each as given, the limit shares (72.57%, 3.05% of 2 s)
 * to their rounded tenth.
 */
static void test_json_figures(void)
{
	struct stream_result s;
	struct kttcp_result r;
	struct capture c;
	const char *j;

	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	s.id = 1;
	s.ran = s.valid = true;
	s.status = KTTCP_ST_VALID;
	s.bytes = 1 << 20;
	s.elapsed_ns = 2 * NS;
	s.tcp = stats(2 * S, 1451400, 61000);
	s.tcp.delivery_rate = 3000000;
	s.tcp.rtt_us = 250;
	s.tcp.rttvar_us = 37;
	s.tcp.snd_cwnd = 10;
	r.sender = true;
	r.mode = "copy";
	r.nstreams = 1;
	r.streams = &s;
	result_tally(&r);
	report_json(cap_open(&c), &r);
	j = cap_text(&c);
	CHECK_QUERY(j, "d['streams'][0]['tcp']['delivery_rate_bits_per_second'], d['streams'][0]['tcp']['rtt_us'], d['streams'][0]['tcp']['rttvar_us']",
		    "24000000 250 37",
		    "json: a stream's delivery rate in bits/s, RTT and its variation");
	CHECK_QUERY(j, "d['streams'][0]['tcp']['limited'], d['tcp']['limited'] == d['streams'][0]['tcp']['limited']",
		    "{'receive_window_percent': 72.6, 'send_buffer_percent': 3.1, 'neither_percent': 24.3, 'main': 'receive_window'} True",
		    "json: limit shares between tenths rounded, stream and total");
	cap_free(&c);
}

/*
 * -O: what the socket did after the omitted time, its counts less those
 * read when the time ended; never below zero.
 */
static void test_sub(void)
{
	struct tcp_stats st = stats(3 * S, 2 * S, 500000);
	struct tcp_stats early = stats(1 * S, 1500000, 100000);

	st.retrans = 10;
	early.retrans = 4;
	tcp_stats_sub(&st, &early);
	CHECK(st.busy_us == 2 * S && st.rwnd_limited_us == 500000 &&
	      st.sndbuf_limited_us == 400000 && st.retrans == 6,
	      "tcp_stats_sub: busy, limited times and retransmits after -O's time");
	early = stats(4 * S, 3 * S, 600000);
	early.retrans = 7;
	tcp_stats_sub(&st, &early);
	CHECK(st.busy_us == 0 && st.rwnd_limited_us == 0 &&
	      st.sndbuf_limited_us == 0 && st.retrans == 0,
	      "tcp_stats_sub: never below zero");
}

/* TCP_INFO of a real connection; its congestion control from /proc. */
static void test_read(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct tcp_stats st;
	char want[32] = "";
	int l, c, s = -1, rc;
	FILE *f;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (l >= 0 && c >= 0 && !bind(l, (struct sockaddr *)&a, sizeof(a)) &&
	    !listen(l, 1) && !getsockname(l, (struct sockaddr *)&a, &alen) &&
	    !connect(c, (struct sockaddr *)&a, sizeof(a)))
		s = accept(l, NULL, NULL);
	f = fopen("/proc/sys/net/ipv4/tcp_congestion_control", "r");
	if (f) {
		if (!fgets(want, sizeof(want), f))
			want[0] = 0;
		want[strcspn(want, "\n")] = 0;
		fclose(f);
	}
	rc = tcp_stats_read(c, &st);
	CHECK(s >= 0 && rc == 0 && st.valid && st.have_limits &&
	      st.snd_mss > 0 && st.rcv_mss > 0 && want[0] &&
	      strcmp(st.cc, want) == 0,
	      "tcp_stats_read: a loopback connection, with the host's congestion control");
	rc = tcp_stats_read(-1, &st);
	CHECK(rc == -EBADF && !st.valid, "tcp_stats_read: a bad fd is -EBADF");
	if (s >= 0)
		close(s);
	close(c);
	close(l);
}

void test_tcpinfo(void)
{
	test_shares();
	test_lines();
	test_sum();
	test_json_figures();
	test_sub();
	test_read();
}
