/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfer.h - running the transfers: /dev/kttcp, one thread per stream
 * blocked in KTTCP_IOC_SEND/RECV, signals, and the interval reporter.
 *
 * Threads:
 *   main       sets up, then waits in xfer_wait() on a signalfd (SIGINT,
 *              SIGTERM) and an eventfd (a stream finished).  On a signal
 *              it sends SIGUSR1 to every stream thread still running.
 *   stream i   unblocks SIGUSR1 only and sits in the ioctl; the module's
 *              loop stops when a signal is pending for its thread.  A
 *              receiver waits for its first byte before the ioctl; a
 *              sender, after it, for the ACK of its last (see
 *              stream_main()).
 *   reporter   (-i) sleeps, reads KTTCP_IOC_PROGRESS on each stream's fd
 *              and prints interval lines.  All signals blocked.
 *   omit       (-O) sleeps until -O's time is over, then reads every
 *              stream's bytes and TCP_INFO, the process's CPU and the
 *              host's: the results count from there.
 */
#ifndef KTTCP_XFER_H
#define KTTCP_XFER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include "../include/kttcp.h"
#include "cpu.h"
#include "opts.h"
#include "result.h"
#include "tcpinfo.h"

struct xfer;

struct stream {
	struct xfer *x;
	unsigned int id;	/* 1-based */
	int dev_fd;		/* its own open file of /dev/kttcp */
	int sock;		/* the data socket, owned once started */
	pthread_t tid;
	int cpu;		/* -A: the CPU its thread runs on, or -1 */
	bool started;		/* thread created; main thread only */
	atomic_bool ended;	/* the ioctl returned */
	atomic_bool done;	/* ... and the thread is done with the stream */
	bool ran;		/* the stream thread went to work */
	struct kttcp_io io;
	int ret;		/* ioctl() return value */
	int err;		/* its errno */
	struct timespec t_start;	/* its first send, or first byte */
	uint64_t lead_ns;	/* receiver: from its first byte to the call */
	uint64_t ack_ns;	/* sender: from the ioctl's return until TCP
				 * had every byte acknowledged */
	bool ack_timeout;	/* ... and -w ran out first */
	struct tcp_stats tcp;	/* TCP_INFO as the stream ended */
	uint64_t last;		/* reporter: bytes at the last report */
	uint32_t iv_retrans;	/* ... and its retransmits then */
	bool omit_taken;	/* -O: the counts below were read */
	uint64_t omit_bytes;	/* ... bytes moved by the end of -O's time */
	struct tcp_stats tcp_omit;	/* ... and its TCP_INFO then */
};

struct xfer {
	const struct kttcp_opts *o;
	bool sender;
	unsigned long cmd;	/* KTTCP_IOC_SEND or KTTCP_IOC_RECV */
	struct kttcp_info info;
	unsigned int n;
	struct stream *s;
	atomic_uint started;	/* streams started, in order */
	int sigfd;		/* SIGINT, SIGTERM */
	int donefd;		/* eventfd: a stream finished */
	atomic_int stop;	/* the signal that stops the run, or 0 */
	atomic_bool halt;	/* stop the streams (a signal or a failure) */

	bool clocks_started;	/* t0, ru0, cs0 are set; under lock */
	struct timespec t0;	/* the first stream started (sender), or had
				 * its first byte (receiver) */
	uint64_t end_ns;	/* all streams done, relative to t0 */
	struct rusage ru0, ru1;
	struct cpu_stat cs0, cs1;

	bool rep_running;
	pthread_t rep;
	bool omit_running;	/* -O: a thread takes the counts at its end */
	pthread_t omit_thr;
	bool omitted;		/* ... and did, at omit_at_ns after t0 */
	uint64_t omit_at_ns;
	struct rusage ru_omit;
	struct cpu_stat cs_omit;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool rep_stop;
	bool rep_failed;
	struct interval_rec *iv;	/* -J: kept for the JSON */
	unsigned int niv, cap;
};

/*
 * Block SIGINT, SIGTERM and SIGUSR1 in the calling thread (threads created
 * later inherit that), install the SIGUSR1 handler without SA_RESTART,
 * ignore SIGPIPE, and open x->sigfd, a signalfd for SIGINT and SIGTERM.
 * Call before creating any thread; 0 or -1 after a message.
 */
int xfer_signals_init(struct xfer *x);

/* Open /dev/kttcp; the fd or -errno, no message. */
int xfer_dev_open(void);

/* KTTCP_IOC_INFO into *info; 0 or -errno, no message. */
int xfer_dev_info(int fd, struct kttcp_info *info);

/*
 * Open /dev/kttcp, read its KTTCP_IOC_INFO and check that module and
 * tool match; 0, or -1 after a message saying what is wrong.
 */
int xfer_module_info(struct kttcp_info *info);

/* 0 if the module has @mode, else -1 after a message. */
int xfer_check_mode(const struct kttcp_info *info, bool sender,
		    unsigned int mode);

/*
 * Open a /dev/kttcp fd per stream and check the module: ABI version and
 * that it supports the mode.  0, or EXIT_SETUP after a message.
 */
int xfer_init(struct xfer *x, const struct kttcp_opts *o);

/* Start the next stream on connected socket @sock (now owned by x). */
int xfer_start(struct xfer *x, int sock);

/* Has a started stream's transfer ended? */
bool xfer_any_done(struct xfer *x);

/* Stop the started streams, for a failure while starting the others. */
void xfer_halt(struct xfer *x);

/* Wait for every started stream, forwarding SIGINT/SIGTERM to them. */
void xfer_wait(struct xfer *x);

/* Fill the measured part of *r; free it with result_free(). */
int xfer_result(struct xfer *x, struct kttcp_result *r);

/*
 * After a sender's transfer: wait up to @timeout_ns for the peer to close
 * each connection (a kttcp receiver closes them once it has reported the
 * transfer and is about to accept the next), reading and dropping what
 * it sends meanwhile.  0 (closed, or the time ran out), or -1 when a
 * signal came (x->stop says which).
 */
int xfer_await_peer_close(struct xfer *x, uint64_t timeout_ns);

void xfer_destroy(struct xfer *x);

#endif /* KTTCP_XFER_H */
