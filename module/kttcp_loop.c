// SPDX-License-Identifier: GPL-2.0
/*
 * kttcp_loop.c - what the send and receive loops share: when to stop,
 * how progress is counted, and whether TCP is all there is to a socket.
 *
 * Below both loops and above nothing: kttcp_main.c sets a transfer up and
 * calls a loop, the loops call in here, never back up into the device.
 */
#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/sched/signal.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>

#include "kttcp.h"

/* True when the loop must end; sets *err for a signal. */
int kttcp_loop_should_stop(struct kttcp_xfer *x, int *err)
{
	struct kttcp_io *io = x->io;

	if (*err)
		return 1;
	if (io->total && io->bytes >= io->total)
		return 1;
	if (x->deadline && ktime_after(ktime_get(), x->deadline)) {
		io->status |= KTTCP_ST_DURATION;
		return 1;
	}
	if (signal_pending(current)) {
		*err = -EINTR;
		return 1;
	}
	return 0;
}

/* @n more bytes moved: the result, and the file's progress counter. */
void kttcp_account(struct kttcp_xfer *x, size_t n)
{
	x->io->bytes += n;
	x->io->calls++;
	atomic64_add(n, &x->kf->bytes);
}

/*
 * Does another layer own this socket's byte stream: an upper layer
 * protocol (kTLS, ...: icsk_ulp_ops) or a BPF sockmap or KCM (each holds
 * sk_user_data)?  Such a layer may read the stream itself, or refuse what
 * plain TCP allows (kTLS fails a disconnect).
 */
bool kttcp_sock_layered(const struct sock *sk)
{
	return inet_csk(sk)->icsk_ulp_ops || READ_ONCE(sk->sk_user_data);
}
