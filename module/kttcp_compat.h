/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kttcp_compat.h - every kernel-version difference kttcp depends on.
 *
 * The rest of the module is written against the newest API; this file is
 * the one place that knows what older kernels lack.  Select by
 * LINUX_VERSION_CODE, never by #ifdef on a flag: Debian's 6.1 headers
 * define MSG_SPLICE_PAGES, but 6.1's TCP ignores it and silently copies.
 *
 *  < 6.1   unsupported: TCP learnt msg_ubuf (externally owned zerocopy
 *          completions) in 6.0, and 6.1 is the oldest kernel tested.
 *  < 6.5   page-reference send is kernel_sendpage(), one page a call.
 *  >= 6.5  kernel_sendpage() is gone: sock_sendmsg(MSG_SPLICE_PAGES) over
 *          a bvec iterator does the same.
 *  < 6.10  struct ubuf_info has a ->callback.
 *  >= 6.10 it has ->ops, a struct ubuf_info_ops { complete, link_skb }.
 *  >= 6.11 msg->sg_from_iter takes no sock and the core charges the
 *          socket for what it adds (before, the callback had to).
 *  >= 6.17 skb_splice_from_iter() has no gfp_t (it never used it): the
 *          patch went to net-next in June 2025, the 6.17 cycle; 7.x has
 *          it, and the lab has nothing between 6.12 and 7.3 to pin it.
 *  >= 6.19 kernel_connect() takes a struct sockaddr_unsized * (the
 *          sockaddr_unsized series); Kbuild makes the old pointer type
 *          an error.  Checked against 7.x; 6.13 to 6.18 are not in the
 *          lab, so the exact release is the series' (6.19 merge window).
 */
#ifndef _KTTCP_COMPAT_H
#define _KTTCP_COMPAT_H

#include <linux/bvec.h>
#include <linux/net.h>
#include <linux/skbuff.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "kttcp needs Linux 6.1 or later (TCP msg_ubuf support)"
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
/*
 * How TCP puts msg_ubuf pages into an skb.  Its default,
 * zerocopy_fill_skb_from_iter(), charges every call a whole page of
 * truesize, PAGE_ALIGN(offset + bytes), even when the bytes extend the
 * skb's last frag.  kttcp's stream is contiguous in the pattern pages, so
 * 1000-byte calls coalesce into 64 KB skbs of about 330 KB truesize.  The
 * peer then derives its window from len/truesize (tp->scaling_ratio,
 * 6.5+): rcvbuf * 0.19 falls below one MSS, a full skb no longer fits the
 * window, and each segment waits for the 200 ms persist timer.  Lend the
 * same pages the way MSG_SPLICE_PAGES does instead: coalesced, one page
 * reference per frag, truesize the bytes added.  The ubuf and completions
 * are unchanged.  Contract: 0 when all @length bytes were added, else
 * -EMSGSIZE (the skb is out of frags; TCP keeps what was added).
 */
static inline int kttcp_zc_fill(struct sk_buff *skb, struct iov_iter *from,
				size_t length)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
	ssize_t n = skb_splice_from_iter(skb, from, length);
#else
	ssize_t n = skb_splice_from_iter(skb, from, length, GFP_KERNEL);
#endif

	if (n < 0)
		return n;
	return (size_t)n < length ? -EMSGSIZE : 0;
}
#define KTTCP_ZC_FILL	kttcp_zc_fill
#else
/* 6.1 has no scaling_ratio; 6.5-6.10 would need the callback to charge. */
#define KTTCP_ZC_FILL	NULL
#endif

/* sendmsg over a bvec: copy, MSG_SPLICE_PAGES or MSG_ZEROCOPY + ubuf. */
static inline int kttcp_sendmsg_bvec(struct socket *sock, struct bio_vec *bv,
				     unsigned int nr, size_t len, int flags,
				     struct ubuf_info *ubuf)
{
	struct msghdr msg = {
		.msg_flags = MSG_NOSIGNAL | flags,
		.msg_ubuf = ubuf,
		.sg_from_iter = ubuf ? KTTCP_ZC_FILL : NULL,
	};

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, nr, len);
	return sock_sendmsg(sock, &msg);
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
/*
 * Page references, one kernel_sendpage() per page; MSG_MORE (and
 * SENDPAGE_NOTLAST, which keeps TCP from pushing) on all but the last.
 * Returns the bytes taken, or an error if none were.
 */
static inline int kttcp_sendpages(struct socket *sock, struct bio_vec *bv,
				  unsigned int nr, size_t len, int more)
{
	int done = 0;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		int flags = MSG_NOSIGNAL;
		int n;

		if (i + 1 < nr || more)
			flags |= MSG_MORE | MSG_SENDPAGE_NOTLAST;
		n = kernel_sendpage(sock, bv[i].bv_page, bv[i].bv_offset,
				    bv[i].bv_len, flags);
		if (n <= 0)
			return done ? done : n;
		done += n;
		if ((unsigned int)n < bv[i].bv_len)
			break;
	}
	return done;
}
#else
static inline int kttcp_sendpages(struct socket *sock, struct bio_vec *bv,
				  unsigned int nr, size_t len, int more)
{
	return kttcp_sendmsg_bvec(sock, bv, nr, len, MSG_SPLICE_PAGES | more,
				  NULL);
}
#endif

/* connect() from the kernel, with whatever address type it takes. */
static inline int kttcp_kernel_connect(struct socket *sock,
				       struct sockaddr *addr, int len,
				       int flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
	return kernel_connect(sock, (struct sockaddr_unsized *)addr, len,
			      flags);
#else
	return kernel_connect(sock, addr, len, flags);
#endif
}

typedef void (*kttcp_zc_complete_t)(struct sk_buff *skb,
				    struct ubuf_info *uarg, bool success);

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
/*
 * 6.1 calls ->callback both per skb (skb != NULL) and as a plain
 * reference drop around each sendmsg (skb == NULL): the callback must
 * count references itself, which kttcp_zc.c does on every kernel.
 */
#define KTTCP_DEFINE_UBUF_OPS(name, fn)	\
	static const kttcp_zc_complete_t name = fn

static inline void kttcp_ubuf_set_ops(struct ubuf_info *u,
				      const kttcp_zc_complete_t *ops)
{
	u->callback = *ops;
}
#else
#define KTTCP_DEFINE_UBUF_OPS(name, fn)			\
	static const struct ubuf_info_ops name = {	\
		.complete = fn,				\
	}

static inline void kttcp_ubuf_set_ops(struct ubuf_info *u,
				      const struct ubuf_info_ops *ops)
{
	u->ops = ops;
}
#endif

#endif /* _KTTCP_COMPAT_H */
