/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpinfo.h - what TCP itself says about a stream: TCP_INFO and
 * TCP_CONGESTION, read from the data socket when its transfer ends, and
 * what held the sender back, from the kernel's own accounting (the
 * "chrono" times of tcp_get_info(), Linux 4.10 and later).
 *
 * TCP counts, per socket and from the connection's start, the time its
 * write queue was not empty ("busy"), and within that the time it could
 * not send because the peer's receive window was full ("rwnd limited")
 * or because the send buffer was ("sndbuf limited").  The rest of the
 * busy time is the congestion window's and the network's; time not busy
 * at all is the sender's own (nothing queued).  kttcp reports these as
 * shares of the transfer time and names the largest.
 */
#ifndef KTTCP_TCPINFO_H
#define KTTCP_TCPINFO_H

#include <stdbool.h>
#include <stdint.h>

struct tcp_stats {
	bool valid;		/* TCP_INFO was read */
	bool have_limits;	/* ... and had the chrono times */
	uint32_t retrans;	/* segments retransmitted, tcpi_total_retrans */
	uint32_t rtt_us;	/* smoothed RTT and its variation */
	uint32_t rttvar_us;
	uint32_t snd_cwnd;	/* congestion window, in segments */
	uint32_t snd_mss;	/* the MSS sent with, and received with */
	uint32_t rcv_mss;
	uint64_t delivery_rate;	/* bytes per second, the last sample */
	uint64_t busy_us;	/* write queue not empty */
	uint64_t rwnd_limited_us;	/* ... and the peer's window full */
	uint64_t sndbuf_limited_us;	/* ... and the send buffer full */
	char cc[16];		/* TCP_CONGESTION; empty if unknown */
};

enum tcp_limit {
	TCP_LIMIT_RWND,		/* the receiver's window */
	TCP_LIMIT_SNDBUF,	/* the sender's socket buffer */
	TCP_LIMIT_NEITHER,	/* congestion window, network, the sender */
	TCP_LIMIT_NR,
};

/* Shares of the transfer time, in tenths of a percent, summing to 1000. */
struct tcp_limits {
	unsigned int permille[TCP_LIMIT_NR];
	enum tcp_limit main;	/* the largest share */
};

/* Read TCP_INFO and TCP_CONGESTION of @sock; 0, or -errno. */
int tcp_stats_read(int sock, struct tcp_stats *st);

/*
 * Add @src's counts into @sum (retransmits and the chrono times; the
 * per-connection figures, RTT, window and MSS, are not added).
 */
void tcp_stats_add(struct tcp_stats *sum, const struct tcp_stats *src);

/*
 * Take @early's counts (the same socket's, read before) out of @st: what
 * the socket did after @early.  Nothing if either was not read.
 */
void tcp_stats_sub(struct tcp_stats *st, const struct tcp_stats *early);

/*
 * The limits as shares of @xfer_ns, the transfer time; of the busy time
 * if that is longer (it counts from the connection's start, a little
 * before the first send).  False without the chrono times or any time.
 */
bool tcp_limits_of(const struct tcp_stats *st, uint64_t xfer_ns,
		   struct tcp_limits *l);

/* "the receive window", "the send buffer", "neither"; JSON keys below. */
const char *tcp_limit_name(enum tcp_limit lim);
const char *tcp_limit_key(enum tcp_limit lim);

#endif /* KTTCP_TCPINFO_H */
