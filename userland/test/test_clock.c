// SPDX-License-Identifier: GPL-2.0
/*
 * test_clock.c - the clock of clock.h on real loopback connections of
 * this host: a first byte's arrival from its receive timestamp, and the
 * sender's wait for the ACK of its last byte.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../clock.h"
#include "../result.h"
#include "check.h"

#define MS	1000000ULL	/* ns */

/* A connected loopback pair: *c the client, *s the accepted end. */
static bool pair(int *c, int *s, bool stamps, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	*c = socket(AF_INET, SOCK_STREAM, 0);
	*s = -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || *c < 0)
		goto out;
	if (stamps)
		clock_stamp_arrivals(l);
	if (rcvbuf)
		setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (!bind(l, (struct sockaddr *)&a, sizeof(a)) && !listen(l, 1) &&
	    !getsockname(l, (struct sockaddr *)&a, &alen) &&
	    !connect(*c, (struct sockaddr *)&a, sizeof(a)))
		*s = accept(l, NULL, NULL);
out:
	if (l >= 0)
		close(l);
	return *s >= 0;
}

static void unpair(int c, int s)
{
	if (c >= 0)
		close(c);
	if (s >= 0)
		close(s);
}

/* Is a receive timestamp on the first byte queued on @s (our own peek)? */
static bool has_stamp(int s)
{
	char byte, cbuf[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	if (recvmsg(s, &msg, MSG_PEEK | MSG_DONTWAIT) != 1)
		return false;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS)
			return true;
	return false;
}

/*
 * A stamped first byte on a fresh pair: *c and *s, or false.  The kernel
 * stamps packets only once timestamps are on somewhere, switched on by a
 * work item after the first socket asks: until then, try again.
 */
static bool stamped_pair(int *c, int *s)
{
	struct pollfd p;
	int i;

	for (i = 0; i < 100; i++) {
		if (!pair(c, s, true, 0) || write(*c, "x", 1) != 1) {
			unpair(*c, *s);
			return false;
		}
		p = (struct pollfd){ .fd = *s, .events = POLLIN };
		if (poll(&p, 1, 1000) == 1 && has_stamp(*s))
			return true;
		unpair(*c, *s);
		poll(NULL, 0, 10);	/* the interval of this retry loop */
	}
	*c = *s = -1;
	return false;
}

/*
 * A byte that has waited 200 ms in the receive queue arrived 200 ms ago:
 * the receiver's time counts from then, not from when it looked.
 */
static void test_first_arrival(void)
{
	struct timespec t, nap = { 0, 200 * MS };
	int c, s, keep;
	uint64_t age;

	/* Timestamps on for as long as this test runs. */
	keep = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(keep, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 }, sizeof(int));
	if (!stamped_pair(&c, &s)) {
		SKIP("clock: a byte queued 200 ms ago arrived 200 ms ago",
		     "no receive timestamps on this host's loopback");
		close(keep);
		return;
	}
	nanosleep(&nap, NULL);	/* the byte's age under test */
	clock_first_arrival(s, &t);
	age = clock_mono_ns() - (uint64_t)clock_ts_ns(&t);
	if (!CHECK(age >= 199 * MS && age < 10000 * MS,
		   "clock: a byte queued 200 ms ago arrived 200 ms ago"))
		diag("age %llu ns", (unsigned long long)age);
	unpair(c, s);
	close(keep);
}

static void test_wait_acked(void)
{
	static char buf[65536];
	atomic_bool halt = false;
	int c, s, rc;

	CHECK(clock_ts_ns(&(struct timespec){ 3, 250 }) == 3000000250LL,
	      "clock: a timespec in nanoseconds");

	/* Loopback acknowledges what it queued at once, read or not. */
	if (!pair(&c, &s, false, 0) || write(c, buf, 1000) != 1000) {
		CHECK(false, "clock: wait_acked, a loopback pair");
		unpair(c, s);
		return;
	}
	rc = clock_wait_acked(c, false, 1000 * MS, 1 * MS, &halt);
	CHECK(rc == 0, "clock: 1000 bytes acknowledged (no FIN): done, 0");
	unpair(c, s);

	/* A peer that reads nothing with 4 KiB of room: the rest waits. */
	if (!pair(&c, &s, false, 4096)) {
		CHECK(false, "clock: wait_acked, a stalled pair");
		unpair(c, s);
		return;
	}
	fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
	while (write(c, buf, sizeof(buf)) > 0)
		;
	rc = clock_wait_acked(c, false, 50 * MS, 1 * MS, &halt);
	CHECK(rc == -ETIMEDOUT, "clock: bytes never acknowledged: -ETIMEDOUT after the timeout");
	halt = true;
	rc = clock_wait_acked(c, false, 0, 1 * MS, &halt);
	CHECK(rc == -EINTR, "clock: halted (a signal): -EINTR");
	unpair(c, s);
}

void test_clock(void)
{
	test_first_arrival();
	test_wait_acked();
}
