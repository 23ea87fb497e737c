// SPDX-License-Identifier: GPL-2.0
/*
 * kttcp_zc.c - zerocopy send completions: the upstream form of the
 * "paged frag destructor" and Lustre's zccd.
 *
 * A zerocopy send lends the stack references to kttcp's pattern pages and
 * asks to be told when it is done with them.  That is a struct ubuf_info
 * handed to sock_sendmsg() in msg_ubuf with MSG_ZEROCOPY: every skb that
 * carries lent frags takes a reference on it, and the stack calls our
 * completion function once per such skb when it frees the data, with
 * zerocopy_success == false if the data had to be copied after all (on
 * loopback and veth every skb is copied on delivery to the local socket).
 * The same function is also called as a plain reference drop (skb ==
 * NULL): 6.1's TCP takes and drops a reference around every sendmsg.
 *
 * One ubuf_info serves the whole transfer: an skb can point to one ubuf
 * only, and a single one lets TCP keep appending to its tail skb.  The
 * ioctl holds one reference of its own while it sends; after the last send
 * it drops that and waits until the count reaches zero, i.e. every lent
 * page is back.
 *
 * The wait is bounded by the socket's SO_SNDTIMEO and ends on a signal.  If
 * it ends early, kttcp disconnects the socket (what connect(AF_UNSPEC)
 * does), which purges the write queue and so completes everything that is
 * not already inside a device, and waits a short grace period for the
 * rest.  Should even that not bring every reference back, the ioctl
 * detaches: the context then frees itself on its last completion, and it
 * holds a module reference until then, so rmmod is refused while the stack
 * may still call into this module.
 *
 * Completions run in softirq or process context and must not sleep.
 */
#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "kttcp.h"
#include "kttcp_compat.h"

/* How long the stack gets to return lent pages after a disconnect. */
#define KTTCP_ZC_GRACE		(2 * HZ)

enum {
	KTTCP_ZC_WAITING,	/* the ioctl owns the context and may wait */
	KTTCP_ZC_DONE,		/* the last reference is gone */
	KTTCP_ZC_DETACHED,	/* the ioctl left; the last completion frees */
};

struct kttcp_zc {
	struct ubuf_info	ubuf;
	atomic_long_t		completions;
	atomic_long_t		copied;
	atomic_t		state;
	struct completion	done;
};

static void kttcp_zc_release(struct kttcp_zc *zc)
{
	if (atomic_xchg(&zc->state, KTTCP_ZC_DONE) != KTTCP_ZC_DETACHED) {
		complete(&zc->done);
		return;
	}
	kfree(zc);
	/*
	 * Drop the reference kttcp_zc_detach() took.  This is the last
	 * statement on purpose: it compiles to a tail call, so no module
	 * code runs after the module may have become unloadable.
	 */
	module_put(THIS_MODULE);
}

static void kttcp_zc_complete(struct sk_buff *skb, struct ubuf_info *uarg,
			      bool success)
{
	struct kttcp_zc *zc = container_of(uarg, struct kttcp_zc, ubuf);

	if (skb) {
		atomic_long_inc(&zc->completions);
		if (!success)
			atomic_long_inc(&zc->copied);
	}
	if (refcount_dec_and_test(&uarg->refcnt))
		kttcp_zc_release(zc);
}

KTTCP_DEFINE_UBUF_OPS(kttcp_zc_ops, kttcp_zc_complete);

struct kttcp_zc *kttcp_zc_alloc(void)
{
	struct kttcp_zc *zc = kzalloc(sizeof(*zc), GFP_KERNEL);

	if (!zc)
		return NULL;
	kttcp_ubuf_set_ops(&zc->ubuf, &kttcp_zc_ops);
	/*
	 * ZEROCOPY_FRAG: the frags are lent and must be completed.
	 * DONT_ORPHAN: keep them lent through segmentation and the device
	 * instead of copying them at the first skb_orphan_frags().
	 */
	zc->ubuf.flags = SKBFL_ZEROCOPY_FRAG | SKBFL_DONT_ORPHAN;
	refcount_set(&zc->ubuf.refcnt, 1);	/* the ioctl's own */
	atomic_set(&zc->state, KTTCP_ZC_WAITING);
	init_completion(&zc->done);
	return zc;
}

struct ubuf_info *kttcp_zc_ubuf(struct kttcp_zc *zc)
{
	return &zc->ubuf;
}

/* Make the stack let go of the write queue: connect(AF_UNSPEC). */
static void kttcp_zc_disconnect(struct socket *sock)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };

	kernel_connect(sock, &unspec, sizeof(unspec), 0);
}

static void kttcp_zc_stats(struct kttcp_zc *zc, struct kttcp_io *io)
{
	io->zc_completions = atomic_long_read(&zc->completions);
	io->zc_copied = atomic_long_read(&zc->copied);
}

/*
 * Give up waiting: the context frees itself on its last completion.
 * Returns false if that completion came first, and the ioctl still owns
 * (and must free) the context.
 */
static bool kttcp_zc_detach(struct kttcp_zc *zc, struct kttcp_io *io)
{
	io->zc_outstanding = refcount_read(&zc->ubuf.refcnt);
	kttcp_zc_stats(zc, io);
	__module_get(THIS_MODULE);
	if (atomic_xchg(&zc->state, KTTCP_ZC_DETACHED) != KTTCP_ZC_DONE) {
		io->status |= KTTCP_ST_ZC_LEAKED;
		return true;
	}
	module_put(THIS_MODULE);
	io->zc_outstanding = 0;
	return false;
}

/*
 * After the last send: drop the ioctl's reference, wait for every lent
 * page to come back, and report the completions.  *err is the loop's
 * result; a timeout or signal during the wait sets it if it was clean.
 */
void kttcp_zc_finish(struct kttcp_zc *zc, struct socket *sock,
		     struct kttcp_io *io, int *err)
{
	long timeo = sock->sk->sk_sndtimeo;
	ktime_t start = ktime_get();
	long left;

	if (refcount_dec_and_test(&zc->ubuf.refcnt))
		kttcp_zc_release(zc);

	left = wait_for_completion_interruptible_timeout(&zc->done, timeo);
	if (left <= 0) {
		if (!*err)
			*err = left ? -EINTR : -EAGAIN;
		kttcp_zc_disconnect(sock);
		if (!wait_for_completion_timeout(&zc->done, KTTCP_ZC_GRACE)) {
			if (kttcp_zc_detach(zc, io)) {
				io->zc_wait_ns = ktime_to_ns(ktime_sub(ktime_get(),
								       start));
				return;
			}
			/*
			 * The last completion raced with the detach: wait
			 * until its complete() is done with zc->done.
			 */
			wait_for_completion(&zc->done);
		}
	}
	io->zc_wait_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	kttcp_zc_stats(zc, io);
	kfree(zc);
}
