// SPDX-License-Identifier: GPL-2.0
/*
 * tcpinfo.c - TCP_INFO of a data socket, and what limited its sender.
 * See tcpinfo.h.  <linux/tcp.h> rather than <netinet/tcp.h>: glibc's
 * struct tcp_info stops before the fields this file is for.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/tcp.h>

#include "tcpinfo.h"

#define TCPI_HAS(len, field) \
	((len) >= offsetof(struct tcp_info, field) + \
		  sizeof(((struct tcp_info *)0)->field))

int tcp_stats_read(int sock, struct tcp_stats *st)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	char cc[sizeof(st->cc)];
	socklen_t cclen = sizeof(cc) - 1;

	memset(st, 0, sizeof(*st));
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -errno;
	st->valid = true;
	st->retrans = ti.tcpi_total_retrans;
	st->rtt_us = ti.tcpi_rtt;
	st->rttvar_us = ti.tcpi_rttvar;
	st->snd_cwnd = ti.tcpi_snd_cwnd;
	st->snd_mss = ti.tcpi_snd_mss;
	st->rcv_mss = ti.tcpi_rcv_mss;
	if (TCPI_HAS(len, tcpi_delivery_rate))
		st->delivery_rate = ti.tcpi_delivery_rate;
	if (TCPI_HAS(len, tcpi_sndbuf_limited)) {
		st->have_limits = true;
		st->busy_us = ti.tcpi_busy_time;
		st->rwnd_limited_us = ti.tcpi_rwnd_limited;
		st->sndbuf_limited_us = ti.tcpi_sndbuf_limited;
	}
	memset(cc, 0, sizeof(cc));
	if (getsockopt(sock, IPPROTO_TCP, TCP_CONGESTION, cc, &cclen) == 0)
		memcpy(st->cc, cc, sizeof(st->cc) - 1);
	return 0;
}

void tcp_stats_add(struct tcp_stats *sum, const struct tcp_stats *src)
{
	if (!src->valid)
		return;
	/* Limits for the sum only if every stream had them. */
	sum->have_limits = src->have_limits &&
			   (!sum->valid || sum->have_limits);
	sum->valid = true;
	sum->retrans += src->retrans;
	sum->busy_us += src->busy_us;
	sum->rwnd_limited_us += src->rwnd_limited_us;
	sum->sndbuf_limited_us += src->sndbuf_limited_us;
}

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

void tcp_stats_sub(struct tcp_stats *st, const struct tcp_stats *early)
{
	if (!st->valid || !early->valid)
		return;
	st->retrans = (uint32_t)minus(st->retrans, early->retrans);
	st->busy_us = minus(st->busy_us, early->busy_us);
	st->rwnd_limited_us = minus(st->rwnd_limited_us,
				    early->rwnd_limited_us);
	st->sndbuf_limited_us = minus(st->sndbuf_limited_us,
				      early->sndbuf_limited_us);
}

static unsigned int permille(uint64_t part, uint64_t whole)
{
	if (part >= whole)
		return 1000;
	return (unsigned int)((part * 1000 + whole / 2) / whole);
}

bool tcp_limits_of(const struct tcp_stats *st, uint64_t xfer_ns,
		   struct tcp_limits *l)
{
	uint64_t whole = xfer_ns / 1000;
	unsigned int rwnd, sndbuf;
	int i;

	memset(l, 0, sizeof(*l));
	if (!st->valid || !st->have_limits)
		return false;
	if (st->busy_us > whole)
		whole = st->busy_us;
	if (!whole)
		return false;
	rwnd = permille(st->rwnd_limited_us, whole);
	sndbuf = permille(st->sndbuf_limited_us, whole);
	if (rwnd + sndbuf > 1000)	/* rounding, never the counts */
		sndbuf = 1000 - rwnd;
	l->permille[TCP_LIMIT_RWND] = rwnd;
	l->permille[TCP_LIMIT_SNDBUF] = sndbuf;
	l->permille[TCP_LIMIT_NEITHER] = 1000 - rwnd - sndbuf;
	l->main = TCP_LIMIT_RWND;
	for (i = 1; i < TCP_LIMIT_NR; i++)
		if (l->permille[i] > l->permille[l->main])
			l->main = i;
	return true;
}

/* Each limit's words in the text line and its JSON key: one table. */
static const struct {
	const char *name, *key;
} limits[TCP_LIMIT_NR] = {
	[TCP_LIMIT_RWND]	= { "the receive window", "receive_window" },
	[TCP_LIMIT_SNDBUF]	= { "the send buffer", "send_buffer" },
	[TCP_LIMIT_NEITHER]	= { "neither", "neither" },
};

const char *tcp_limit_name(enum tcp_limit lim)
{
	return lim < TCP_LIMIT_NR ? limits[lim].name : "?";
}

const char *tcp_limit_key(enum tcp_limit lim)
{
	return lim < TCP_LIMIT_NR ? limits[lim].key : "?";
}
