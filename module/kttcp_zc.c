// SPDX-License-Identifier: GPL-2.0
/*
 * kttcp_zc.c - zerocopy send completions: the upstream form of the
 * "paged frag destructor" and Lustre's zccd.
 *
 * A zerocopy send lends the stack references to kttcp's pattern pages and
 * asks to be told when it is done with them.  That is a struct ubuf_info
 * handed to sock_sendmsg() in msg_ubuf with MSG_ZEROCOPY: every skb data
 * area that holds lent frags takes a reference on it, and the stack calls
 * our completion function when it releases one, with zerocopy_success ==
 * false if it had to copy the frags after all (skb_copy_ubufs(): on
 * loopback and veth every skb is copied on delivery to the local socket).
 * The same function is also called as a plain reference drop (skb ==
 * NULL): 6.1's TCP takes and drops a reference around every sendmsg.
 * How the lent pages go into skbs is kttcp_compat.h's (kttcp_zc_fill():
 * charged the bytes they hold, or a peer's window can collapse).
 *
 * What a completion is.  The stream is cut into batches of KTTCP_ZC_BATCH
 * bytes (or one send call, if larger), each with its own ubuf_info, as
 * MSG_ZEROCOPY does per sendmsg() and io_uring per request.  A batch
 * completes when the stack has let go of all of its pages; it counts as
 * copied if any part of it was copied.  One ubuf per skb is the rule (TCP
 * starts a new skb when the ubuf changes), so batches are large enough
 * not to cost full-sized skbs.  Counting per callback instead would be
 * misleading: a segment looped to a local socket is released twice, its
 * transmitted clone copied and its original not, and would read as "half
 * zero-copy" on a path that copies everything.
 *
 * Lifetime.  The transfer (struct kttcp_zc) holds one reference for the
 * ioctl and one per batch not yet complete.  After the last send the
 * ioctl drops its own and waits until the count reaches zero, i.e. every
 * lent page is back.  How that wait ends decides what becomes of the
 * socket, which is the caller's and must stay as the caller left it
 * unless the stack cannot give the pages back:
 *
 *  - A signal (Ctrl-C, the tool stopping its other streams, SIGSTOP, the
 *    freezer) ends a zerocopy send as it ends the others: the ioctl gives
 *    the pages a short grace period (KTTCP_ZC_SIG_GRACE) to come back and
 *    then leaves them with the stack, the socket connected and untouched.
 *    A peer that keeps reading gets every byte TCP took, then EOF.
 *  - SO_SNDTIMEO bounds the wait as it bounds each send: when the peer has
 *    acknowledged nothing for that long (not: when the whole wait took
 *    that long), the stack cannot give the pages back in bounded time.
 *    Then kttcp disconnects the socket (what connect(AF_UNSPEC) does),
 *    which purges the write queue and so completes everything not already
 *    inside a device (KTTCP_ST_ZC_RESET), and waits KTTCP_ZC_GRACE for
 *    the rest.  Not a socket another layer owns (kTLS refuses, and would
 *    be left marked disconnecting): that one is left as it is.
 *
 * Whenever the ioctl returns before the last page is back, it detaches
 * (KTTCP_ST_ZC_DETACHED, which names a detach, not a leak): the transfer
 * then frees itself on its last completion, and holds a module reference
 * until then, so rmmod is refused while the stack may still call into
 * this module.  The pages themselves are the pattern's, which nothing
 * writes: the stack's own page references keep them alive.
 *
 * That last completion drops the module reference and then still runs a
 * few instructions of this module (its return, whatever the compiler
 * emits after the call), possibly preempted in between, while rmmod may
 * already be under way.  kttcp_zc_exit(), called by the module's exit,
 * fences them: synchronize_rcu_tasks() waits until every task has passed
 * a voluntary context switch or user mode, so no task is still inside a
 * completion (the RCU flavour made for freeing code that tasks may be
 * executing, as ftrace and kprobes do with their trampolines); completions
 * in softirq context are RCU readers, covered by the grace period
 * free_module() waits for before freeing module memory.
 *
 * Completions run in softirq or process context and must not sleep.
 */
#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "kttcp.h"
#include "kttcp_compat.h"

/* Bytes of the stream per completion (at least one send call). */
#define KTTCP_ZC_BATCH		(256 * 1024)

/* How long the stack gets to return lent pages after a disconnect. */
#define KTTCP_ZC_GRACE		(2 * HZ)

/*
 * ... and after a signal, before the ioctl leaves them with it: long enough
 * for a peer that reads to acknowledge what is in flight, short enough
 * that a signal still ends the call well within a second.
 */
#define KTTCP_ZC_SIG_GRACE	(HZ / 2)

enum {
	KTTCP_ZC_WAITING,	/* the ioctl owns the transfer and may wait */
	KTTCP_ZC_DONE,		/* the last reference is gone */
	KTTCP_ZC_DETACHED,	/* the ioctl left; the last completion frees */
};

struct kttcp_zc {
	atomic_t		refs;	/* the ioctl's + one per open batch */
	atomic_long_t		completions;
	atomic_long_t		copied;
	atomic_t		state;
	struct completion	done;
	struct kttcp_zc_batch	*cur;	/* batch being sent, ioctl only */
};

struct kttcp_zc_batch {
	struct ubuf_info	ubuf;
	struct kttcp_zc		*zc;
	u64			sent;	/* bytes TCP took under this ubuf */
	bool			lent;	/* an skb held its pages */
	bool			copied;	/* ... and had to copy them */
};

static void kttcp_zc_release(struct kttcp_zc *zc)
{
	if (atomic_xchg(&zc->state, KTTCP_ZC_DONE) != KTTCP_ZC_DETACHED) {
		complete(&zc->done);
		return;
	}
	kfree(zc);
	/* rmmod may go ahead now: kttcp_zc_exit() waits for us to return. */
	module_put(THIS_MODULE);
}

static void kttcp_zc_put(struct kttcp_zc *zc)
{
	if (atomic_dec_and_test(&zc->refs))
		kttcp_zc_release(zc);
}

static void kttcp_zc_complete(struct sk_buff *skb, struct ubuf_info *uarg,
			      bool success)
{
	struct kttcp_zc_batch *b = container_of(uarg, struct kttcp_zc_batch,
						ubuf);
	struct kttcp_zc *zc = b->zc;

	if (skb)
		WRITE_ONCE(b->lent, true);
	if (!success)
		WRITE_ONCE(b->copied, true);
	if (!refcount_dec_and_test(&uarg->refcnt))
		return;
	/*
	 * A batch TCP took without lending (a route without scatter-gather
	 * makes it copy into its own pages) was copied too.  One it never
	 * took (the send failed) is no completion at all.
	 */
	if (b->sent) {
		atomic_long_inc(&zc->completions);
		if (READ_ONCE(b->copied) || !READ_ONCE(b->lent))
			atomic_long_inc(&zc->copied);
	}
	kfree(b);
	kttcp_zc_put(zc);
}

KTTCP_DEFINE_UBUF_OPS(kttcp_zc_ops, kttcp_zc_complete);

struct kttcp_zc *kttcp_zc_alloc(void)
{
	struct kttcp_zc *zc = kzalloc(sizeof(*zc), GFP_KERNEL);

	if (!zc)
		return NULL;
	atomic_set(&zc->refs, 1);	/* the ioctl's own */
	atomic_set(&zc->state, KTTCP_ZC_WAITING);
	init_completion(&zc->done);
	return zc;
}

/* The ioctl is done sending under the current batch's ubuf. */
static void kttcp_zc_close_batch(struct kttcp_zc *zc)
{
	struct kttcp_zc_batch *b = zc->cur;

	zc->cur = NULL;
	if (b)
		kttcp_zc_complete(NULL, &b->ubuf, true);
}

/*
 * The ubuf_info for the next send call: the current batch's, or a new one
 * once the current one holds KTTCP_ZC_BATCH bytes.  NULL if out of memory.
 */
struct ubuf_info *kttcp_zc_ubuf(struct kttcp_zc *zc)
{
	struct kttcp_zc_batch *b = zc->cur;

	if (b && b->sent < KTTCP_ZC_BATCH)
		return &b->ubuf;
	kttcp_zc_close_batch(zc);

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return NULL;
	kttcp_ubuf_set_ops(&b->ubuf, &kttcp_zc_ops);
	/*
	 * ZEROCOPY_FRAG: the frags are lent and must be completed.
	 * DONT_ORPHAN: keep them lent through segmentation and the device
	 * instead of copying them at the first skb_orphan_frags().
	 */
	b->ubuf.flags = SKBFL_ZEROCOPY_FRAG | SKBFL_DONT_ORPHAN;
	refcount_set(&b->ubuf.refcnt, 1);	/* the ioctl's, while current */
	b->zc = zc;
	atomic_inc(&zc->refs);
	zc->cur = b;
	return &b->ubuf;
}

/* TCP took @n bytes under the current batch's ubuf. */
void kttcp_zc_sent(struct kttcp_zc *zc, size_t n)
{
	zc->cur->sent += n;
}

/*
 * Make the stack let go of the write queue: connect(AF_UNSPEC), on a
 * plain TCP socket only.  Another layer on it may refuse (kTLS does) and
 * inet_stream_connect() then leaves the socket SS_DISCONNECTING, which
 * the caller never asked for and which makes its own connect() fail with
 * EINVAL; such a socket is left alone.  Returns true if disconnected.
 */
static bool kttcp_zc_disconnect(struct socket *sock)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct sock *sk = sock->sk;
	bool layered;
	int err;

	lock_sock(sk);
	layered = kttcp_sock_layered(sk);
	release_sock(sk);
	if (layered)
		return false;
	err = kttcp_kernel_connect(sock, &unspec, sizeof(unspec), 0);
	if (!err)
		return true;
	/* A layer came between the look and the call: undo its mark. */
	lock_sock(sk);
	if (sock->state == SS_DISCONNECTING)
		sock->state = SS_CONNECTED;
	release_sock(sk);
	return false;
}

/*
 * Give up waiting: the transfer frees itself on its last completion.
 * Returns false if that completion came first, and the ioctl still owns
 * (and must free) the transfer.
 */
static bool kttcp_zc_detach(struct kttcp_zc *zc, struct kttcp_io *io)
{
	io->zc_outstanding = atomic_read(&zc->refs);
	io->zc_completions = atomic_long_read(&zc->completions);
	io->zc_copied = atomic_long_read(&zc->copied);
	__module_get(THIS_MODULE);
	if (atomic_xchg(&zc->state, KTTCP_ZC_DETACHED) != KTTCP_ZC_DONE) {
		io->status |= KTTCP_ST_ZC_DETACHED;
		return true;
	}
	module_put(THIS_MODULE);
	io->zc_outstanding = 0;
	/* The last completion raced with the detach: let it finish. */
	wait_for_completion(&zc->done);
	return false;
}

/*
 * Wait for the last lent page until it is back (> 0), a signal
 * (-ERESTARTSYS), or until the peer has acknowledged nothing for @timeo
 * (0): progress, not the whole wait, is what SO_SNDTIMEO bounds.
 */
static long kttcp_zc_wait(struct kttcp_zc *zc, struct sock *sk, long timeo)
{
	for (;;) {
		u32 una = READ_ONCE(tcp_sk(sk)->snd_una);
		long left;

		left = wait_for_completion_interruptible_timeout(&zc->done,
								 timeo);
		if (left || READ_ONCE(tcp_sk(sk)->snd_una) == una)
			return left;
	}
}

/*
 * No acknowledgement for SO_SNDTIMEO: disconnect, then a grace period; or,
 * on a socket that cannot be disconnected, detach at once.  Returns true
 * if the transfer was detached.
 */
static bool kttcp_zc_reclaim(struct kttcp_zc *zc, struct socket *sock,
			     struct kttcp_io *io)
{
	if (!kttcp_zc_disconnect(sock))
		return kttcp_zc_detach(zc, io);
	io->status |= KTTCP_ST_ZC_RESET;
	if (wait_for_completion_timeout(&zc->done, KTTCP_ZC_GRACE))
		return false;
	return kttcp_zc_detach(zc, io);
}

/*
 * After the last send: drop the ioctl's references, wait for every lent
 * page to come back, and report the completions.  *err is the loop's
 * result; a timeout or signal during the wait sets it if it was clean.
 */
void kttcp_zc_finish(struct kttcp_zc *zc, struct socket *sock,
		     struct kttcp_io *io, int *err)
{
	ktime_t start = ktime_get();
	bool detached = false;
	long left;

	kttcp_zc_close_batch(zc);
	kttcp_zc_put(zc);

	left = kttcp_zc_wait(zc, sock->sk, sock->sk->sk_sndtimeo);
	if (!left) {
		if (!*err)
			*err = -EAGAIN;
		detached = kttcp_zc_reclaim(zc, sock, io);
	} else if (left < 0) {
		if (!*err)
			*err = -EINTR;
		/* Killable: SIGKILL does not wait even the grace period. */
		if (wait_for_completion_killable_timeout(&zc->done,
							 KTTCP_ZC_SIG_GRACE) <= 0)
			detached = kttcp_zc_detach(zc, io);
	}
	io->zc_wait_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	if (detached)
		return;
	io->zc_completions = atomic_long_read(&zc->completions);
	io->zc_copied = atomic_long_read(&zc->copied);
	kfree(zc);
}

/*
 * At module exit: wait until no task is still running the tail of a
 * completion that dropped the last module reference (see Lifetime above).
 * On a kernel without Tasks RCU (not preemptible) this is a plain
 * synchronize_rcu(), which suffices there.
 */
void kttcp_zc_exit(void)
{
	synchronize_rcu_tasks();
}
