/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kttcp.h - the ioctl ABI of /dev/kttcp, shared by kttcp.ko and kttcp(8).
 *
 * The caller opens /dev/kttcp and hands the module a connected TCP socket
 * (IPv4 or IPv6) by file descriptor.  The module then runs the send or the
 * receive loop in the kernel and reports what it did.  Nothing else travels
 * on the connection: the peer may be any program that sinks or sources
 * bytes.
 *
 * Every argument structure starts with two fields the module checks first:
 *
 *	size	sizeof() the structure as the caller compiled it;
 *	version	KTTCP_ABI_VERSION as the caller compiled it.
 *
 * A mismatch of either fails with EINVAL before anything else happens (a
 * future module may accept older sizes; this one accepts only its own).
 * All fields have fixed widths and natural alignment, so 32-bit and 64-bit
 * callers share one layout.  Reserved fields must be zero on input
 * (EINVAL otherwise), in every structure.
 *
 * ABI 2 (this header) moved the ioctl numbers to 'k' 0x20-0x23, away from
 * the ranges Documentation/userspace-api/ioctl/ioctl-number.rst gives to
 * spidev, kyro and hsi_char ('k' 0x00-0x17), renamed KTTCP_ST_ZC_LEAKED
 * to KTTCP_ST_ZC_DETACHED, added KTTCP_ST_ZC_RESET and KTTCP_SYSFS_ABI,
 * and checks every reserved field.  ABI 1 requests get ENOTTY.
 *
 * Byte counts are 64-bit.  (NetBSD's kttcp stops at 2^31.)
 *
 * Results of a transfer (KTTCP_IOC_SEND, KTTCP_IOC_RECV): once the socket
 * has been checked and the transfer started, the module always writes the
 * output fields back and sets KTTCP_ST_VALID in @status, even when the
 * transfer ends in an error.  The ioctl then returns 0 for a clean end, or
 * -1 with errno equal to @error for a failed one (EINTR on a signal,
 * EAGAIN on a socket timeout, ECONNRESET, EPIPE, ...).  Errors found before
 * the transfer starts (bad fd, not TCP, not connected, bad mode, bad sizes)
 * leave the structure untouched.
 */
#ifndef _UAPI_KTTCP_H
#define _UAPI_KTTCP_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KTTCP_ABI_VERSION	2
#define KTTCP_DEVICE		"/dev/kttcp"
#define KTTCP_DEFAULT_PORT	22222

/*
 * The loaded module's KTTCP_ABI_VERSION, as decimal text: readable whatever
 * the ABI, so that a tool built for another one can say which it found.
 */
#define KTTCP_SYSFS_ABI		"/sys/class/misc/kttcp/abi_version"

/* Send modes (struct kttcp_io.mode with KTTCP_IOC_SEND). */
enum kttcp_send_mode {
	KTTCP_SEND_COPY		= 0,	/* kernel buffer copied into skbs */
	KTTCP_SEND_SENDPAGE	= 1,	/* page references, no completion */
	KTTCP_SEND_ZEROCOPY	= 2,	/* page references + msg_ubuf callback */
	KTTCP_SEND_NR_MODES
};

/* Receive modes (struct kttcp_io.mode with KTTCP_IOC_RECV). */
enum kttcp_recv_mode {
	KTTCP_RECV_COPY		= 0,	/* copied into a kernel buffer */
	KTTCP_RECV_TRUNC	= 1,	/* MSG_TRUNC: consumed, not copied */
	KTTCP_RECV_READSOCK	= 2,	/* tcp_read_sock() counting actor */
	KTTCP_RECV_NR_MODES
};

/* struct kttcp_io.flags (input). */
#define KTTCP_F_VERIFY		(1U << 0)  /* recv copy: check the pattern */
#define KTTCP_F_ALL		(KTTCP_F_VERIFY)

/* struct kttcp_io.status (output). */
#define KTTCP_ST_VALID		(1U << 0)  /* output fields were written */
#define KTTCP_ST_EOF		(1U << 1)  /* recv: the peer closed */
#define KTTCP_ST_DURATION	(1U << 2)  /* send: the duration ran out */
#define KTTCP_ST_SIGNAL		(1U << 3)  /* a signal stopped the loop */
#define KTTCP_ST_MISMATCH	(1U << 4)  /* verify: pattern mismatch */
#define KTTCP_ST_ZC_DETACHED	(1U << 5)  /* zerocopy: returned before every
					    * page was back (not a leak: the
					    * pages come back later) */
#define KTTCP_ST_ZC_RESET	(1U << 6)  /* zerocopy: no ACK for SO_SNDTIMEO,
					    * the socket was disconnected to
					    * get the pages back */

/*
 * The data pattern: byte i of a stream (counting from the first byte the
 * ioctl sends or receives) is KTTCP_PATTERN(i).  A period of 251 (prime)
 * never lines up with page or segment sizes, so a lost, repeated or
 * reordered block shows as a mismatch.
 */
#define KTTCP_PATTERN_PERIOD	251
#define KTTCP_PATTERN(i)	((__u8)((i) % KTTCP_PATTERN_PERIOD))

/* Limits checked by the module (EINVAL outside them). */
#define KTTCP_CHUNK_DEFAULT	(1024U * 1024)	/* receive */
#define KTTCP_CHUNK_AUTO_MIN	(64U * 1024)
#define KTTCP_CHUNK_AUTO_MAX	(16U * 1024 * 1024)
#define KTTCP_CHUNK_MAX		(64U * 1024 * 1024)
#define KTTCP_DURATION_MAX_NS	(24ULL * 3600 * 1000000000ULL)

/*
 * KTTCP_IOC_SEND / KTTCP_IOC_RECV argument.
 *
 * Input:
 *   fd           connected TCP socket (IPv4 or IPv6) of the caller.
 *   mode         enum kttcp_send_mode or enum kttcp_recv_mode.
 *   flags        KTTCP_F_*.  KTTCP_F_VERIFY only with KTTCP_RECV_COPY.
 *   chunk        bytes per sendmsg/recvmsg call, at most KTTCP_CHUNK_MAX.
 *                0: receive KTTCP_CHUNK_DEFAULT per call; send "auto",
 *                calls sized by time (module/kttcp_send.c), starting at
 *                KTTCP_CHUNK_AUTO_MIN, at most KTTCP_CHUNK_AUTO_MAX.
 *   total        bytes to move.  Send: 0 means "until duration_ns" (then
 *                duration_ns must be set).  Receive: 0 means "until the
 *                peer closes".
 *   duration_ns  send only: stop after this long (0: no limit; then total
 *                must be set).  At most KTTCP_DURATION_MAX_NS.
 *
 * Output (valid when status has KTTCP_ST_VALID):
 *   bytes        bytes sent or received.
 *   elapsed_ns   wall time of the loop (ktime_get, monotonic).
 *   calls        sendmsg/recvmsg/read_sock calls made.
 *   zc_completions, zc_copied
 *                zerocopy: batches of the stream (256 KiB, or one send
 *                call if larger) whose lent pages the stack has handed
 *                back, and how many of them it copied, in part or whole,
 *                after all (MSG_ZEROCOPY's semantics; module/kttcp_zc.c
 *                says why batches and not skbs).
 *   zc_outstanding
 *                zerocopy: batches still lent to the stack when the ioctl
 *                returned (0 unless KTTCP_ST_ZC_DETACHED).
 *   zc_wait_ns   zerocopy: time spent after the last send waiting for the
 *                stack to hand every lent page back (not in elapsed_ns,
 *                so every send mode measures the same thing: the time to
 *                hand the bytes to TCP).
 *   chunk_peak   the most bytes handed to one call: the chunk, or the
 *                largest size the auto chunk reached.
 *   mismatch_at  verify: stream offset of the first wrong byte
 *                (KTTCP_ST_MISMATCH).
 *   error        positive errno that ended the transfer, 0 if clean.
 *   status       KTTCP_ST_*.
 */
struct kttcp_io {
	__u32	size;
	__u32	version;
	__s32	fd;
	__u32	mode;
	__u32	flags;
	__u32	chunk;
	__u64	total;
	__u64	duration_ns;
	__u64	reserved_in[2];

	__u64	bytes;
	__u64	elapsed_ns;
	__u64	calls;
	__u64	zc_completions;
	__u64	zc_copied;
	__u64	zc_outstanding;
	__u64	mismatch_at;
	__s32	error;
	__u32	status;
	__u64	zc_wait_ns;
	__u64	chunk_peak;
};

/*
 * KTTCP_IOC_INFO argument: what this module and kernel can do.
 * Input: size, version (reserved0 and reserved zero).  Output: the rest.
 *   abi_version  the module's KTTCP_ABI_VERSION.
 *   send_modes   bit (1 << enum kttcp_send_mode) per supported mode.
 *   recv_modes   bit (1 << enum kttcp_recv_mode) per supported mode.
 *   kernel       the running kernel's release (utsname), NUL-terminated.
 *   module       the module's version string, NUL-terminated.
 */
struct kttcp_info {
	__u32	size;
	__u32	version;
	__u32	abi_version;
	__u32	send_modes;
	__u32	recv_modes;
	__u32	reserved0;
	char	kernel[65];
	char	module[31];
	__u64	reserved[2];
};

/*
 * KTTCP_IOC_PROGRESS argument: bytes moved so far by the transfers running
 * on this open file of /dev/kttcp (for interval reports from another
 * thread).  Input: size, version (reserved0 zero).  Output: bytes,
 * active.
 */
struct kttcp_progress {
	__u32	size;
	__u32	version;
	__u64	bytes;
	__u32	active;
	__u32	reserved0;
};

/* 'k' 0x20-0x2F: free in ioctl-number.rst (6.12); 0x20-0x23 in use. */
#define KTTCP_IOC_MAGIC		'k'
#define KTTCP_IOC_INFO		_IOWR(KTTCP_IOC_MAGIC, 0x20, struct kttcp_info)
#define KTTCP_IOC_SEND		_IOWR(KTTCP_IOC_MAGIC, 0x21, struct kttcp_io)
#define KTTCP_IOC_RECV		_IOWR(KTTCP_IOC_MAGIC, 0x22, struct kttcp_io)
#define KTTCP_IOC_PROGRESS	_IOWR(KTTCP_IOC_MAGIC, 0x23, struct kttcp_progress)

#endif /* _UAPI_KTTCP_H */
