// SPDX-License-Identifier: GPL-2.0
/*
 * kttcp_recv.c - the in-kernel receive loop.
 *
 *   copy      sock_recvmsg() into a kernel buffer, as read() would; with
 *             KTTCP_F_VERIFY every byte is checked against the pattern.
 *   trunc     sock_recvmsg(MSG_TRUNC): TCP consumes and ACKs the data
 *             without copying it (the iterator is a discard one, so even
 *             a path that did copy would write nowhere).
 *   readsock  tcp_read_sock() with an actor that only counts: the skbs are
 *             walked under the socket lock and freed, nothing is copied.
 *             tcp_read_sock() never sleeps, so the loop waits for data
 *             itself with sk_wait_data(), as tcp_splice_read() does.
 *
 * The loop ends at the byte count, at EOF (the peer closed: a clean end),
 * on a signal, or on a socket error (SO_RCVTIMEO gives -EAGAIN).
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "kttcp.h"

static size_t kttcp_recv_len(struct kttcp_xfer *x)
{
	struct kttcp_io *io = x->io;

	if (io->total && io->total - io->bytes < x->chunk)
		return io->total - io->bytes;
	return x->chunk;
}

/* Account @n received bytes at the current offset, verifying if asked. */
static int kttcp_recv_got(struct kttcp_xfer *x, const u8 *ref,
			  const u8 *buf, size_t n)
{
	struct kttcp_io *io = x->io;

	if (ref) {
		s64 bad = kttcp_pattern_check(ref, buf, n, io->bytes);

		if (bad >= 0) {
			io->mismatch_at = bad;
			io->status |= KTTCP_ST_MISMATCH;
			kttcp_account(x, bad - io->bytes);
			return -EILSEQ;
		}
	}
	kttcp_account(x, n);
	return 0;
}

static int kttcp_recv_msg(struct kttcp_xfer *x)
{
	bool trunc = x->io->mode == KTTCP_RECV_TRUNC;
	u8 *buf = NULL, *ref = NULL;
	int err = 0;

	if (!trunc) {
		buf = kvmalloc(x->chunk, KTTCP_GFP_BUF);
		if (x->io->flags & KTTCP_F_VERIFY)
			ref = kttcp_pattern_ref_alloc(x->chunk);
		if (!buf || ((x->io->flags & KTTCP_F_VERIFY) && !ref)) {
			err = -ENOMEM;
			goto out;
		}
	}

	while (!kttcp_loop_should_stop(x, &err)) {
		struct msghdr msg = { };
		size_t len = kttcp_recv_len(x);
		struct kvec kv = { .iov_base = buf, .iov_len = len };
		int n;

		if (trunc)
			iov_iter_discard(&msg.msg_iter, ITER_DEST, len);
		else
			iov_iter_kvec(&msg.msg_iter, ITER_DEST, &kv, 1, len);
		n = sock_recvmsg(x->sock, &msg, trunc ? MSG_TRUNC : 0);
		if (n < 0) {
			err = n;
			break;
		}
		if (n == 0) {
			x->io->status |= KTTCP_ST_EOF;
			break;
		}
		err = kttcp_recv_got(x, ref, buf, n);
		if (err)
			break;
		cond_resched();
	}
out:
	kvfree(ref);
	kvfree(buf);
	return err;
}

/* tcp_read_sock() actor: take up to desc->count bytes, copy none. */
static int kttcp_read_actor(read_descriptor_t *desc, struct sk_buff *skb,
			    unsigned int offset, size_t len)
{
	size_t n = min(len, desc->count);

	desc->count -= n;
	desc->written += n;
	return n;
}

/*
 * Wait for data under the socket lock.  Returns 1 to read again, 0 at
 * EOF, or -errno.
 */
static int kttcp_readsock_wait(struct sock *sk, long *timeo)
{
	if (sk->sk_err)
		return sock_error(sk);
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		return 0;
	if (sk->sk_state == TCP_CLOSE)
		return -ENOTCONN;
	if (!*timeo)
		return -EAGAIN;
	if (signal_pending(current))
		return sock_intr_errno(*timeo);
	sk_wait_data(sk, timeo, NULL);
	return 1;
}

/*
 * tcp_read_sock() takes bytes straight off TCP's receive queue.  On a
 * socket that another layer reads (kTLS or another upper layer protocol,
 * a BPF sockmap, KCM: each holds icsk_ulp_ops or sk_user_data) that
 * would steal its bytes or hand out ciphertext, so it is refused.  Looked
 * at under the socket lock on every pass: one can be attached at any time.
 */
static bool kttcp_readsock_taken(struct sock *sk)
{
	return inet_csk(sk)->icsk_ulp_ops ||
	       READ_ONCE(sk->sk_user_data);
}

static int kttcp_recv_readsock(struct kttcp_xfer *x)
{
	struct sock *sk = x->sock->sk;
	long timeo = sock_rcvtimeo(sk, false);
	int err = 0;

	lock_sock(sk);
	while (!kttcp_loop_should_stop(x, &err)) {
		read_descriptor_t desc = { .count = kttcp_recv_len(x) };
		int n;

		if (kttcp_readsock_taken(sk)) {
			err = -EOPNOTSUPP;
			break;
		}
		n = tcp_read_sock(sk, &desc, kttcp_read_actor);
		if (n < 0) {
			err = n;
			break;
		}
		if (n > 0) {
			kttcp_account(x, n);
			/* Let the backlog in, as tcp_splice_read() does. */
			release_sock(sk);
			cond_resched();
			lock_sock(sk);
			continue;
		}
		n = kttcp_readsock_wait(sk, &timeo);
		if (n <= 0) {
			if (!n)
				x->io->status |= KTTCP_ST_EOF;
			err = n;
			break;
		}
	}
	release_sock(sk);
	return err;
}

int kttcp_recv(struct kttcp_xfer *x)
{
	ktime_t start = ktime_get();
	int err;

	x->io->chunk_peak = x->chunk;
	if (x->io->mode == KTTCP_RECV_READSOCK)
		err = kttcp_recv_readsock(x);
	else
		err = kttcp_recv_msg(x);
	x->io->elapsed_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	return err;
}
