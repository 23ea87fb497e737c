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
 * Urgent data.  tcp_read_sock() stops in front of the urgent mark and
 * will not pass it: only tcp_recvmsg() knows to step over the urgent byte
 * (or to read it as data, with SO_OOBINLINE).  And sk_wait_data() returns
 * at once while anything is queued, so a readsock loop at the mark would
 * spin.  There, readsock lets tcp_recvmsg() take the step, as trunc does
 * for every byte, so all three modes count the same stream.
 *
 * The loop ends at the byte count, at EOF (the peer closed: a clean end),
 * on a signal, or on a socket error.  SO_RCVTIMEO (-EAGAIN) means "no
 * byte for that long", in every mode: tcp_recvmsg() returns as soon as it
 * has a byte, and readsock starts its wait budget afresh after each.
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

/* One recvmsg() into @buf, or discarding with @buf NULL (MSG_TRUNC). */
static int kttcp_recv_call(struct socket *sock, u8 *buf, size_t len,
			   int flags)
{
	struct msghdr msg = { };
	struct kvec kv = { .iov_base = buf, .iov_len = len };

	if (buf) {
		iov_iter_kvec(&msg.msg_iter, ITER_DEST, &kv, 1, len);
		return sock_recvmsg(sock, &msg, flags);
	}
	iov_iter_discard(&msg.msg_iter, ITER_DEST, len);
	return sock_recvmsg(sock, &msg, flags | MSG_TRUNC);
}

/* copy and trunc: @buf is NULL for trunc, @ref NULL unless verifying. */
static int kttcp_recv_msg(struct kttcp_xfer *x, u8 *buf, const u8 *ref)
{
	int err = 0;

	while (!kttcp_loop_should_stop(x, &err)) {
		int n = kttcp_recv_call(x->sock, buf, kttcp_recv_len(x), 0);

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
 * socket that another layer reads (kttcp_sock_layered()) that would steal
 * its bytes or hand out ciphertext, so it is refused.  Looked at under the
 * socket lock on every pass: one can be attached at any time.
 */
/* Is the next byte to read the urgent one?  Under the socket lock. */
static bool kttcp_at_urgent_mark(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return READ_ONCE(tp->urg_data) && tp->urg_seq == tp->copied_seq &&
	       !skb_queue_empty(&sk->sk_receive_queue);
}

/*
 * Past the urgent mark, under the socket lock: tcp_recvmsg() steps over
 * the urgent byte (reads it, with SO_OOBINLINE) and takes what follows, up
 * to @len bytes, without waiting.  Returns the bytes it counted.
 */
static int kttcp_readsock_urgent(struct kttcp_xfer *x, size_t len)
{
	struct sock *sk = x->sock->sk;
	int n;

	release_sock(sk);
	n = kttcp_recv_call(x->sock, NULL, len, MSG_DONTWAIT);
	lock_sock(sk);
	return n == -EAGAIN ? 0 : n;
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

		if (kttcp_sock_layered(sk)) {
			err = -EOPNOTSUPP;
			break;
		}
		n = tcp_read_sock(sk, &desc, kttcp_read_actor);
		if (!n && kttcp_at_urgent_mark(sk))
			n = kttcp_readsock_urgent(x, desc.count);
		if (n < 0) {
			err = n;
			break;
		}
		if (n > 0) {
			kttcp_account(x, n);
			/* SO_RCVTIMEO bounds each wait, not their sum. */
			timeo = sock_rcvtimeo(sk, false);
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

/* The clock runs from the first call: buffers are allocated before it. */
int kttcp_recv(struct kttcp_xfer *x)
{
	u32 mode = x->io->mode;
	bool verify = x->io->flags & KTTCP_F_VERIFY;
	u8 *buf = NULL, *ref = NULL;
	ktime_t start;
	int err;

	if (mode == KTTCP_RECV_COPY) {
		buf = kvmalloc(x->chunk, KTTCP_GFP_BUF);
		if (verify)
			ref = kttcp_pattern_ref_alloc(x->chunk);
		if (!buf || (verify && !ref)) {
			err = -ENOMEM;
			goto out;
		}
	}
	x->io->chunk_peak = x->chunk;
	start = ktime_get();
	if (mode == KTTCP_RECV_READSOCK)
		err = kttcp_recv_readsock(x);
	else
		err = kttcp_recv_msg(x, buf, ref);
	x->io->elapsed_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
out:
	kvfree(ref);
	kvfree(buf);
	return err;
}
