/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kttcp.h - what the parts of kttcp.ko share.
 *
 * kttcp_main.c   the misc device, ioctl decoding and argument checks
 * kttcp_loop.c   what both loops share: when to stop, counting progress
 * kttcp_pattern.c  the page set holding the data pattern
 * kttcp_send.c   the send loop: copy, sendpage, zerocopy
 * kttcp_zc.c     zerocopy completion tracking (struct ubuf_info)
 * kttcp_recv.c   the receive loop: copy (+verify), trunc, readsock
 * kttcp_compat.h every kernel-version difference, and nothing else
 */
#ifndef _KTTCP_INTERNAL_H
#define _KTTCP_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bvec.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/net.h>
#include <linux/types.h>

#include <kttcp.h>

#define KTTCP_MODULE_VERSION	"1.0.0"

/*
 * Buffers whose size the caller chose (up to KTTCP_CHUNK_MAX): when memory
 * is short the caller gets ENOMEM, which says it all; a kernel warning
 * with a stack trace per attempt would only be noise in the log.
 */
#define KTTCP_GFP_BUF		(GFP_KERNEL | __GFP_NOWARN)

/* State of one open file of /dev/kttcp: progress for interval reports. */
struct kttcp_file {
	atomic64_t	bytes;		/* moved by this file's transfers */
	atomic_t	active;		/* transfers running right now */
};

/* One transfer, set up by kttcp_main.c and run by a send or recv loop. */
struct kttcp_xfer {
	struct socket		*sock;
	struct kttcp_file	*kf;
	struct kttcp_io		*io;	/* in: arguments; out: results */
	size_t			chunk;	/* bytes per call (the first, if auto) */
	bool			auto_chunk; /* send: size calls by time */
	ktime_t			deadline; /* 0: none */
};

/*
 * The data pattern lives in KTTCP_PATTERN_PERIOD pages, whose total size
 * is a multiple of both the page size and the pattern period: sending the
 * pages round and round yields the endless stream KTTCP_PATTERN(i).
 */
#define KTTCP_PAT_PAGES		KTTCP_PATTERN_PERIOD
#define KTTCP_PAT_BYTES		((u32)(KTTCP_PAT_PAGES * PAGE_SIZE))

struct kttcp_pattern {
	struct page	*pages[KTTCP_PAT_PAGES];
};

struct kttcp_pattern *kttcp_pattern_alloc(void);
void kttcp_pattern_free(struct kttcp_pattern *pat);
unsigned int kttcp_pattern_bvec(const struct kttcp_pattern *pat,
				struct bio_vec *bv, u64 pos, size_t len);
unsigned int kttcp_pattern_bvec_max(size_t chunk);
u8 *kttcp_pattern_ref_alloc(size_t chunk);
s64 kttcp_pattern_check(const u8 *ref, const u8 *buf, size_t len, u64 pos);

/* Zerocopy completion tracking. */
struct kttcp_zc;
struct kttcp_zc *kttcp_zc_alloc(void);
struct ubuf_info *kttcp_zc_ubuf(struct kttcp_zc *zc);
void kttcp_zc_sent(struct kttcp_zc *zc, size_t n);
void kttcp_zc_exit(void);
void kttcp_zc_finish(struct kttcp_zc *zc, struct socket *sock,
		     struct kttcp_io *io, int *err);

int kttcp_send(struct kttcp_xfer *x);
int kttcp_recv(struct kttcp_xfer *x);

/* Shared by both loops (kttcp_loop.c). */
int kttcp_loop_should_stop(struct kttcp_xfer *x, int *err);
void kttcp_account(struct kttcp_xfer *x, size_t n);
bool kttcp_sock_layered(const struct sock *sk);

#endif /* _KTTCP_INTERNAL_H */
