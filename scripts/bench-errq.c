// SPDX-License-Identifier: GPL-2.0
/*
 * bench-errq.c - count MSG_ZEROCOPY's completions as the sender reads
 * them, for scripts/bench.
 *
 *   LD_PRELOAD=.../bench-errq.so msg_zerocopy -z ... tcp
 *
 * The kernel's msg_zerocopy selftest tells only whether its *last*
 * completion was zero-copy.  Each completion, read from the socket's
 * error queue, covers a range of send calls (ee_info..ee_data) and says
 * with SO_EE_CODE_ZEROCOPY_COPIED whether the stack had to copy any of
 * their data after all (delivery to a local socket, a device without
 * scatter-gather, ...).  This library wraps recvmsg(), looks at what
 * every MSG_ERRQUEUE read returned, and at exit prints one line on
 * stderr:
 *
 *   bench-errq: completions=C calls=N copied=K
 *
 * C notifications read, N send calls they completed, K of those calls
 * copied.  The share of send calls really sent without copying is
 * (N - K) / N: what the program itself would see, counted outside it,
 * at the cost of a few instructions per error-queue read.
 *
 * scripts/bench builds it on the host (cc -shared -fPIC) and the guest
 * preloads it from the shared file system.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>		/* before errqueue.h, which needs timespec */
#include <linux/errqueue.h>

typedef ssize_t (*recvmsg_fn)(int, struct msghdr *, int);

static unsigned long long completions, calls, copied;

static void tally(const struct msghdr *msg)
{
	const struct sock_extended_err *serr;
	struct cmsghdr *cm;
	uint32_t n;

	for (cm = CMSG_FIRSTHDR((struct msghdr *)msg); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		if (!(cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) &&
		    !(cm->cmsg_level == SOL_IPV6 &&
		      cm->cmsg_type == IPV6_RECVERR))
			continue;
		serr = (const struct sock_extended_err *)CMSG_DATA(cm);
		if (serr->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
			continue;
		/* A range of send calls, lo..hi, wrapping at 2^32. */
		n = serr->ee_data - serr->ee_info + 1;
		completions++;
		calls += n;
		if (serr->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
			copied += n;
	}
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	static recvmsg_fn real;
	ssize_t ret;

	if (!real)
		real = (recvmsg_fn)dlsym(RTLD_NEXT, "recvmsg");
	ret = real(fd, msg, flags);
	if (ret >= 0 && (flags & MSG_ERRQUEUE) && msg)
		tally(msg);
	return ret;
}

__attribute__((destructor)) static void report(void)
{
	fprintf(stderr, "bench-errq: completions=%llu calls=%llu copied=%llu\n",
		completions, calls, copied);
}
