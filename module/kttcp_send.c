// SPDX-License-Identifier: GPL-2.0
/*
 * kttcp_send.c - the in-kernel send loop.
 *
 * One loop for every mode: take the next chunk of the stream as bio_vecs
 * into the pattern pages, hand it to TCP, count what TCP took.  The modes
 * differ only in how TCP takes the pages:
 *
 *   copy      sock_sendmsg() copies the bytes into its own skb pages, as
 *             a write() from userland would (but from kernel memory).
 *   sendpage  TCP takes page references instead of copying
 *             (kttcp_sendpages() in kttcp_compat.h).
 *   zerocopy  page references too, plus a completion per batch of the
 *             stream through msg_ubuf, so kttcp learns when the pages are
 *             back and whether the stack had to copy them after all
 *             (kttcp_zc.c).
 *
 * The loop ends when the byte count or the duration is reached, on a
 * signal, or on a socket error, and always reports the bytes done so far.
 * A call that takes nothing without an error ends it with EIO rather than
 * spin.  SO_SNDTIMEO (-EAGAIN) means "the peer acknowledged nothing for
 * that long", as for the receiver it means "no byte for that long".  The
 * stack's own timeout is not quite that: it bounds a call's wait for
 * buffer space, and the stack wakes a waiting sender only once a third of
 * the buffer is free again, which behind a large buffer and a slow reader
 * can take longer than the timeout while ACKs arrive all along.  So a
 * timeout after which snd_una has moved is no reason to stop.
 *
 * The default chunk is sized by time, not bytes.  Every sendmsg() call
 * costs the same whatever its size (socket lock, push, backlog on
 * release): in the lab, 1 MiB calls cost 3-8% of 6.12's loopback
 * throughput against 16 MiB ones.  Yet a call must end often enough for
 * the duration, signals and the progress counter to be looked at, and
 * on a slow link 16 MiB is seconds.  So unless the caller fixed the
 * chunk, the loop aims at calls of about KTTCP_CALL_NS: it doubles the
 * chunk after a call of under half that and halves it after one of over
 * twice that, between KTTCP_CHUNK_AUTO_MIN, where it starts (so that
 * even the first call on a slow path is short), and KTTCP_CHUNK_AUTO_MAX,
 * which a fast path reaches within eight calls.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <net/tcp.h>

#include "kttcp.h"
#include "kttcp_compat.h"

/* What an auto-sized send call aims to take. */
#define KTTCP_CALL_NS		(10 * NSEC_PER_MSEC)

struct kttcp_sender {
	struct kttcp_pattern	*pat;
	struct bio_vec		*bv;
	struct kttcp_zc		*zc;
};

static void kttcp_sender_free(struct kttcp_sender *s)
{
	kvfree(s->bv);
	kttcp_pattern_free(s->pat);
}

static int kttcp_sender_init(struct kttcp_sender *s, struct kttcp_xfer *x)
{
	s->pat = kttcp_pattern_alloc();
	size_t most = x->auto_chunk ? KTTCP_CHUNK_AUTO_MAX : x->chunk;

	s->bv = kvmalloc_array(kttcp_pattern_bvec_max(most),
			       sizeof(*s->bv), KTTCP_GFP_BUF);
	s->zc = NULL;
	if (!s->pat || !s->bv)
		goto nomem;
	if (x->io->mode == KTTCP_SEND_ZEROCOPY) {
		s->zc = kttcp_zc_alloc();
		if (!s->zc)
			goto nomem;
	}
	return 0;

nomem:
	kttcp_sender_free(s);
	return -ENOMEM;
}

/* Send stream bytes [pos, pos + len); returns bytes taken or -errno. */
static int kttcp_send_chunk(struct kttcp_xfer *x, struct kttcp_sender *s,
			    u64 pos, size_t len)
{
	int more = (!x->io->total || pos + len < x->io->total) ? MSG_MORE : 0;

	unsigned int nr = kttcp_pattern_bvec(s->pat, s->bv, pos, len);
	struct ubuf_info *ubuf;
	int n;

	switch (x->io->mode) {
	case KTTCP_SEND_SENDPAGE:
		return kttcp_sendpages(x->sock, s->bv, nr, len, more);
	case KTTCP_SEND_ZEROCOPY:
		ubuf = kttcp_zc_ubuf(s->zc);
		if (!ubuf)
			return -ENOMEM;
		n = kttcp_sendmsg_bvec(x->sock, s->bv, nr, len,
				       MSG_ZEROCOPY | more, ubuf);
		if (n > 0)
			kttcp_zc_sent(s->zc, n);
		return n;
	default:
		return kttcp_sendmsg_bvec(x->sock, s->bv, nr, len, more, NULL);
	}
}

/* Auto chunk: resize after a full call that started at @t0. */
static void kttcp_auto_chunk(struct kttcp_xfer *x, ktime_t t0)
{
	s64 ns = ktime_to_ns(ktime_sub(ktime_get(), t0));

	if (ns < KTTCP_CALL_NS / 2 && x->chunk < KTTCP_CHUNK_AUTO_MAX)
		x->chunk *= 2;
	else if (ns > KTTCP_CALL_NS * 2 && x->chunk > KTTCP_CHUNK_AUTO_MIN)
		x->chunk /= 2;
}

int kttcp_send(struct kttcp_xfer *x)
{
	struct kttcp_io *io = x->io;
	struct kttcp_sender s;
	ktime_t start, t0;
	u32 una;
	int err;

	err = kttcp_sender_init(&s, x);
	if (err)
		return err;

	start = ktime_get();
	if (io->duration_ns)
		x->deadline = ktime_add_ns(start, io->duration_ns);
	while (!kttcp_loop_should_stop(x, &err)) {
		size_t len = x->chunk;
		int n;

		if (io->total && io->total - io->bytes < len)
			len = io->total - io->bytes;
		io->chunk_peak = max_t(u64, io->chunk_peak, len);
		t0 = ktime_get();
		una = READ_ONCE(tcp_sk(x->sock->sk)->snd_una);
		n = kttcp_send_chunk(x, &s, io->bytes, len);
		if (n == -EAGAIN &&
		    READ_ONCE(tcp_sk(x->sock->sk)->snd_una) != una)
			continue;	/* slow, not stalled */
		if (n <= 0) {
			/*
			 * A call that takes nothing and names no error would
			 * be made again and again: end the transfer instead.
			 */
			err = n ?: -EIO;
			break;
		}
		kttcp_account(x, n);
		if (x->auto_chunk && n == x->chunk)
			kttcp_auto_chunk(x, t0);
		cond_resched();
	}
	io->elapsed_ns = ktime_to_ns(ktime_sub(ktime_get(), start));

	if (s.zc)
		kttcp_zc_finish(s.zc, x->sock, io, &err);
	kttcp_sender_free(&s);
	return err;
}
