/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clock.h - one clock for both ends of a stream.
 *
 * A transfer's time at either end runs from its first byte to its last,
 * as the network saw them, so that the two ends' rates agree:
 *
 *   receiver  from the first byte's arrival (the kernel's receive
 *             timestamp of its skb) to EOF.  Not from the receiver's
 *             start: the sender may not be there yet, and not from the
 *             moment the receiver woke for the byte: it may have been
 *             queued a while (the receiver still starting its thread).
 *   sender    from its first send to the ACK of its last byte.  Not to
 *             the moment the last byte was queued: up to a send buffer
 *             is still on its way then (reported as the queued time).
 *
 * The receive timestamps (SO_TIMESTAMPNS) are on only until each stream
 * has its first byte: they cost a clock read per packet.
 */
#ifndef KTTCP_CLOCK_H
#define KTTCP_CLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds: the tool's clock for deadlines. */
uint64_t clock_mono_ns(void);

/* @t in nanoseconds (differences of two of them are spans of time). */
int64_t clock_ts_ns(const struct timespec *t);

/*
 * Ask for receive timestamps on listening socket @lfd (its connections
 * inherit them).  Without them (an error here is not fatal), the first
 * byte counts from when the receiver saw it.
 */
void clock_stamp_arrivals(int lfd);

/*
 * @sock has data (or its end): when did its first byte arrive, on the
 * monotonic clock?  The receive timestamp of its skb when there is one,
 * else now.  Turns @sock's receive timestamps off.
 */
void clock_first_arrival(int sock, struct timespec *t);

/*
 * Wait until TCP has every byte queued on @sock acknowledged: the
 * outstanding count of SIOCOUTQ (write_seq - snd_una) reaches 0, or 1 if
 * @fin_sent (the FIN takes a sequence number too; its own ACK is not
 * waited for, since the peer may delay it).  Polls every @step_ns.  0
 * once acknowledged; -ETIMEDOUT after @timeout_ns (0: no limit); -EINTR
 * once *@halt is set (a signal interrupts the sleep); the socket's error,
 * or -EPIPE, if the connection ended with bytes unacknowledged.
 */
int clock_wait_acked(int sock, bool fin_sent, uint64_t timeout_ns,
		     uint64_t step_ns, atomic_bool *halt);

#endif /* KTTCP_CLOCK_H */
