// SPDX-License-Identifier: GPL-2.0
/*
 * clock.c - one clock for both ends of a stream; see clock.h.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <linux/tcp.h>

#include "clock.h"
#include "result.h"

void clock_stamp_arrivals(int lfd)
{
	int on = 1;

	setsockopt(lfd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
}

int64_t clock_ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * (int64_t)NSEC_PER_SEC + t->tv_nsec;
}

/* The receive timestamp of @sock's first queued byte, as CLOCK_REALTIME. */
static bool peek_stamp(int sock, struct timespec *real)
{
	char byte, cbuf[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;

	if (recvmsg(sock, &msg, MSG_PEEK | MSG_DONTWAIT) != 1)
		return false;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(real, CMSG_DATA(c), sizeof(*real));
			return real->tv_sec || real->tv_nsec;
		}
	}
	return false;
}

void clock_first_arrival(int sock, struct timespec *t)
{
	struct timespec real, now_real;
	int64_t age, off = 0;

	clock_gettime(CLOCK_MONOTONIC, t);
	if (peek_stamp(sock, &real)) {
		clock_gettime(CLOCK_REALTIME, &now_real);
		age = clock_ts_ns(&now_real) - clock_ts_ns(&real);
		/* A stamp from the future or from long ago: the clock moved. */
		if (age > 0 && age < 10 * (int64_t)NSEC_PER_SEC)
			off = age;
	}
	off = clock_ts_ns(t) - off;
	t->tv_sec = (time_t)(off / (int64_t)NSEC_PER_SEC);
	t->tv_nsec = (long)(off % (int64_t)NSEC_PER_SEC);
	setsockopt(sock, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 0 }, sizeof(int));
}

uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/*
 * tcpi_state values (include/net/tcp_states.h; no uapi header has them,
 * and <netinet/tcp.h>'s would clash with <linux/tcp.h>).
 */
#define TCPI_STATE_TIME_WAIT	6
#define TCPI_STATE_CLOSE	7

/* The connection is over: nothing more will be acknowledged. */
static int tcp_gone(int sock)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int err = 0;

	if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -errno;
	if (ti.tcpi_state != TCPI_STATE_CLOSE &&
	    ti.tcpi_state != TCPI_STATE_TIME_WAIT)
		return 0;
	len = sizeof(err);
	if (getsockopt(sock, SOL_SOCKET, SO_ERROR, &err, &len) || !err)
		err = EPIPE;
	return -err;
}

int clock_wait_acked(int sock, bool fin_sent, uint64_t timeout_ns,
		   uint64_t step_ns, atomic_bool *halt)
{
	uint64_t t0 = clock_mono_ns();
	struct timespec step = {
		.tv_sec = (time_t)(step_ns / NSEC_PER_SEC),
		.tv_nsec = (long)(step_ns % NSEC_PER_SEC),
	};
	int left = fin_sent ? 1 : 0;
	int outq, err;

	for (;;) {
		if (ioctl(sock, SIOCOUTQ, &outq))
			return -errno;
		if (outq <= left)
			return 0;
		err = tcp_gone(sock);
		/*
		 * Over since the count above?  A peer that closes as soon as
		 * it has our FIN takes us to CLOSE (the time-wait socket is
		 * another) with no error: cleanly, if by then TCP had every
		 * byte acknowledged; a reset leaves bytes unacknowledged.
		 */
		if (err && !ioctl(sock, SIOCOUTQ, &outq) && outq <= left)
			return 0;
		if (err)
			return err;
		if (atomic_load(halt))
			return -EINTR;
		if (timeout_ns && clock_mono_ns() - t0 >= timeout_ns)
			return -ETIMEDOUT;
		nanosleep(&step, NULL);	/* EINTR: look at *halt again */
	}
}

