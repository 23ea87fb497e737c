// SPDX-License-Identifier: GPL-2.0
/*
 * kttcp - measure TCP throughput with the send or receive loop in the
 * kernel: a Linux port of NetBSD's kttcp(8).
 *
 * The tool opens /dev/kttcp, makes the connection(s), and hands each
 * connected socket to the module (KTTCP_IOC_SEND or KTTCP_IOC_RECV, one
 * thread per stream).  The connection carries nothing but the payload.
 *
 * Exit codes:
 *   0        success
 *   1        usage: bad option, bad number, conflicting options
 *   2        setup failed: /dev/kttcp missing or not permitted, module and
 *            tool don't match, mode not supported, resolve, connect,
 *            listen, accept, socket options; or no memory left to
 *            report the results of a transfer that ended
 *   3        transfer failed: socket error, timeout (-w), verify mismatch,
 *            the module refused the transfer, streams of -P that never
 *            came (receiver)
 *   130/143  interrupted by SIGINT/SIGTERM (results so far are printed)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../include/kttcp.h"
#include "clock.h"
#include "compare.h"
#include "msg.h"
#include "net.h"
#include "opts.h"
#include "report.h"
#include "result.h"
#include "xfer.h"

static void print_modes(const char *what, bool sender, unsigned int mask)
{
	unsigned int m;

	printf("%s modes:", what);
	for (m = 0; m < 32; m++) {
		if (!(mask & (1U << m)))
			continue;
		if (strcmp(mode_name(sender, m), "?") == 0)
			printf(" mode%u", m);
		else
			printf(" %s", mode_name(sender, m));
	}
	putchar('\n');
}

/* --version: ours, then what the running module says about itself. */
static int show_version(void)
{
	struct kttcp_info info;
	int fd, rc;

	printf("kttcp %s (ABI %d)\n", KTTCP_TOOL_VERSION, KTTCP_ABI_VERSION);
	fd = xfer_dev_open();
	if (fd == -ENOENT || fd == -ENXIO || fd == -ENODEV) {
		printf("module: not loaded (%s: %s)\n", KTTCP_DEVICE,
		       strerror(-fd));
		return EXIT_OK;
	}
	if (fd < 0) {
		printf("module: cannot query (%s: %s)\n", KTTCP_DEVICE,
		       strerror(-fd));
		return EXIT_OK;
	}
	rc = xfer_dev_info(fd, &info);
	close(fd);
	if (rc) {
		printf("module: %s: KTTCP_IOC_INFO: %s (module and tool don't match?)\n",
		       KTTCP_DEVICE, strerror(-rc));
		return EXIT_OK;
	}
	printf("module: %s (ABI %u) on Linux %s\n", info.module,
	       info.abi_version, info.kernel);
	print_modes("send", true, info.send_modes);
	print_modes("receive", false, info.recv_modes);
	return EXIT_OK;
}

/* -J: the result's object is out; a failure before it prints its own. */
static bool json_printed;

/*
 * A sender comparing modes (-m LIST, -m all, -N): each run is one
 * transfer; the results go into the comparison and, with -J, into the
 * one object that holds them all.
 */
struct sequence {
	struct compare cmp;
	struct jw jw;		/* -J: inside the "runs" array */
	unsigned int run;	/* this run, from 1 */
	unsigned int nruns;
};

/*
 * All streams started (or a signal came first, or @missing streams never
 * came): wait, then report.
 */
static int finish(const struct kttcp_opts *o, struct xfer *x, int sockbuf,
		  unsigned int missing, unsigned int transfer,
		  struct sequence *seq)
{
	struct kttcp_result r = {
		.sender = o->role == ROLE_SENDER,
		.mode = mode_name(o->role == ROLE_SENDER, o->mode),
		.chunk = o->chunk ? o->chunk :
			 o->role == ROLE_SENDER ? 0 : KTTCP_CHUNK_DEFAULT,
		.chunk_auto = o->role == ROLE_SENDER && !o->chunk,
		.sockbuf = sockbuf,
		.sockbuf_requested = o->sockbuf,
		.verify = o->verify,
		.timeouts_set = o->timeout_ns != 0,
		.parallel = o->streams,
		.missing = missing,
		.transfer = transfer,
	};
	int rc;

	xfer_wait(x);
	if (xfer_result(x, &r)) {
		/* Not a failed transfer: one that cannot be reported. */
		kwarn("the transfer ended, but its results cannot be reported: %s",
		      strerror(ENOMEM));
		return EXIT_SETUP;
	}
	result_tally(&r);
	json_printed = o->json;
	if (seq && atomic_load(&x->started))
		compare_add(&seq->cmp, o->mode, &r);
	if (o->json && seq) {
		report_json_in(&seq->jw, &r);
	} else if (o->json) {
		report_json(stdout, &r);
	} else {
		if (transfer)
			printf("kttcp: transfer %u\n", transfer);
		report_summary(stdout, &r, o->verbose);
	}
	fflush(stdout);
	report_outcome(stderr, &r);
	rc = r.exit_code;
	result_free(&r);
	return rc;
}

/* Something failed with streams already running: stop them first. */
static int abort_run(struct xfer *x)
{
	xfer_halt(x);
	xfer_wait(x);
	return EXIT_SETUP;
}

static void say_connected(const struct kttcp_opts *o, int fd, bool first,
			  const char *peer)
{
	if (o->json)
		return;
	if (first)
		report_sockbuf(stdout, net_sockbuf(fd, true));
	if (o->verbose)
		report_connected(stdout, peer);
	fflush(stdout);
}

/*
 * Connect every stream first, then start them together, so that the
 * streams of -P overlap as much as they can.
 */
static int connect_all(const struct kttcp_opts *o, struct xfer *x,
		       const struct addrinfo *dst, const struct addrinfo *src,
		       int *socks, unsigned int *n)
{
	char peer[NET_PEER_LEN];
	int fd;

	for (*n = 0; *n < o->streams; (*n)++) {
		fd = net_connect(o, dst, src, x->sigfd, peer, sizeof(peer));
		if (fd == NET_CANCELLED)
			return NET_CANCELLED;
		if (fd < 0)
			return NET_ERROR;
		socks[*n] = fd;
		if (net_data_opts(fd, o)) {
			(*n)++;
			return NET_ERROR;
		}
		say_connected(o, fd, *n == 0, peer);
	}
	return 0;
}

/* Hand the sockets to x (which owns them from then on) and start them. */
static int start_all(struct xfer *x, int *socks, unsigned int n)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (rc == 0 && xfer_start(x, socks[i]))
			rc = -1;
		else if (rc)
			close(socks[i]);
		socks[i] = -1;
	}
	return rc;
}

static int run_sender(const struct kttcp_opts *o, struct xfer *x,
		      struct sequence *seq)
{
	struct addrinfo *dst, *src = NULL;
	int socks[KTTCP_STREAMS_MAX];
	unsigned int i, n = 0;
	int rc = EXIT_SETUP, sockbuf;

	dst = net_resolve(o->host, o->port, o->family, false);
	if (!dst)
		return EXIT_SETUP;
	if (o->bind_addr) {
		src = net_resolve(o->bind_addr, "0", o->family, true);
		if (!src)
			goto out;
	}
	/* Only now: a signal during a DNS wait simply kills us. */
	if (xfer_signals_init(x))
		goto out;
	rc = connect_all(o, x, dst, src, socks, &n);
	if (rc == NET_ERROR) {
		rc = EXIT_SETUP;
		goto out;
	}
	sockbuf = n ? net_sockbuf(socks[0], true) : 0;
	/* On NET_CANCELLED nothing starts; finish() reports the signal. */
	if (rc == 0 && start_all(x, socks, n))
		rc = abort_run(x);
	else
		rc = finish(o, x, sockbuf, 0, 0, seq);
out:
	for (i = 0; i < n; i++)
		if (socks[i] >= 0)
			close(socks[i]);
	freeaddrinfo(dst);
	if (src)
		freeaddrinfo(src);
	return rc;
}

#define ACCEPT_SLICE_MS	100

/*
 * Accept the streams one by one; each starts as soon as it is there.  A
 * sender that opens fewer streams than our -P would leave us waiting for
 * ever: once one stream has ended, the missing ones get -w (or
 * KTTCP_STREAM_GRACE_NS) more to come, and *missing says how many never
 * did.  A sender connects all its streams before it starts any, so a
 * stream still missing by then is not coming.
 */
static int accept_all(const struct kttcp_opts *o, struct xfer *x, int lfd,
		      unsigned int *missing)
{
	uint64_t grace = o->timeout_ns ? o->timeout_ns : KTTCP_STREAM_GRACE_NS;
	uint64_t give_up = 0;
	char peer[NET_PEER_LEN];
	unsigned int i = 0;
	int fd;

	while (i < o->streams) {
		fd = net_accept(lfd, x->sigfd, i ? ACCEPT_SLICE_MS : -1, peer,
				sizeof(peer));
		if (fd == NET_TIMEOUT) {
			if (!give_up && xfer_any_done(x))
				give_up = clock_mono_ns() + grace;
			if (give_up && clock_mono_ns() >= give_up) {
				*missing = o->streams - i;
				return 0;
			}
			continue;
		}
		if (fd == NET_CANCELLED)
			return 0;
		if (fd < 0)
			return -1;
		if (net_data_opts(fd, o)) {
			close(fd);
			return -1;
		}
		if (!o->json && o->verbose) {
			report_connect_from(stdout, peer);
			fflush(stdout);
		}
		if (xfer_start(x, fd))
			return -1;
		i++;
	}
	return 0;
}

/*
 * One transfer on listener @lfd: its streams, then its results.  With
 * @idle (-k), a signal that came before any stream did ends it with no
 * report: *idle says so.
 */
static int receive_one(const struct kttcp_opts *o, struct xfer *x, int lfd,
		       int sockbuf, unsigned int transfer, bool *idle)
{
	unsigned int missing = 0;

	if (accept_all(o, x, lfd, &missing))
		return abort_run(x);
	if (idle && !atomic_load(&x->started)) {
		xfer_wait(x);
		*idle = true;
		return EXIT_OK;
	}
	return finish(o, x, sockbuf, missing, transfer, NULL);
}

/* Exit statuses of -k's transfers: the worst wins (3 over 2 over 0). */
static int worse(int a, int b)
{
	return b > a ? b : a;
}

/*
 * -k: serve transfers until a signal.  Each has its own struct xfer
 * (streams, devices, clocks); the listener stays.  A signal while no
 * stream has come ends the server quietly with the worst status of the
 * transfers so far; one during a transfer reports it and ends with
 * 130/143, as without -k.
 */
static int serve(const struct kttcp_opts *o, struct xfer *x, int lfd,
		 int sockbuf)
{
	int rc, worst = EXIT_OK;
	unsigned int n;
	bool idle;

	for (n = 1;; n++) {
		json_printed = false;
		idle = false;
		rc = receive_one(o, x, lfd, sockbuf, n, &idle);
		if (idle) {
			/* A signal between transfers: nothing to report. */
			json_printed = true;
			return worst;
		}
		/* A signal, or the listener itself failing, ends it. */
		if (atomic_load(&x->stop) || rc == EXIT_SETUP)
			return rc;
		worst = worse(worst, rc);
		xfer_destroy(x);
		rc = xfer_init(x, o);
		if (rc == 0 && xfer_signals_init(x))
			rc = EXIT_SETUP;
		if (rc)
			return rc;
	}
}

static int run_receiver(const struct kttcp_opts *o, struct xfer *x)
{
	int lfd, rc, sockbuf;

	lfd = net_listen(o);
	if (lfd < 0)
		return EXIT_SETUP;
	sockbuf = net_sockbuf(lfd, false);
	clock_stamp_arrivals(lfd);
	/* Signals first: a script that sees the line may Ctrl-C us at once. */
	if (xfer_signals_init(x)) {
		close(lfd);
		return EXIT_SETUP;
	}
	if (!o->json)
		report_sockbuf(stdout, sockbuf);
	fflush(stdout);
	/* Scripts wait for this line: on stderr, so -J's stdout stays JSON. */
	if (o->verbose)
		report_listening(stderr, o->port);
	if (o->keep)
		rc = serve(o, x, lfd, sockbuf);
	else
		rc = receive_one(o, x, lfd, sockbuf, 0, NULL);
	close(lfd);
	return rc;
}

/*
 * The send modes to compare: -m all's are those the loaded module has;
 * a listed one it lacks fails here, before anything connects.  0, or
 * EXIT_SETUP after a message.
 */
static int compare_modes(struct kttcp_opts *o)
{
	struct kttcp_info info;
	unsigned int m, i;

	if (xfer_module_info(&info))
		return EXIT_SETUP;
	if (o->modes_all)
		for (m = 0; m < KTTCP_SEND_NR_MODES; m++)
			if (info.send_modes & (1U << m))
				o->modes[o->nmodes++] = m;
	if (!o->nmodes) {
		kwarn("-m all: the module has no send mode this tool knows");
		return EXIT_SETUP;
	}
	for (i = 0; i < o->nmodes; i++)
		if (xfer_check_mode(&info, true, o->modes[i]))
			return EXIT_SETUP;
	return EXIT_OK;
}

/* -J: the object that holds every run, up to the runs' array. */
static void seq_json_open(struct sequence *seq, const struct kttcp_opts *o)
{
	struct jw *w = &seq->jw;
	unsigned int i;

	w->f = stdout;
	jw_open(w, NULL, '{');
	report_json_who(w, true);
	jw_open(w, "modes", '[');
	for (i = 0; i < o->nmodes; i++)
		jw_str(w, NULL, mode_name(true, o->modes[i]));
	jw_close(w, ']');
	jw_u64(w, "repeat", o->repeat);
	jw_open(w, "runs", '[');
}

static void seq_json_close(struct sequence *seq, int rc)
{
	struct jw *w = &seq->jw;

	jw_close(w, ']');
	compare_json(w, &seq->cmp);
	jw_str(w, "status", result_status_name(
		rc == EXIT_OK ? RS_OK : rc > 128 ? RS_INTERRUPTED : RS_ERROR));
	jw_int(w, "exit_code", rc);
	jw_close(w, '}');
	fputc('\n', stdout);
	json_printed = true;
}

/*
 * One run of a comparison: its own transfer, then a wait for the
 * receiver to close the connections, which it does once it has reported
 * this transfer and goes back to accept() (so that the next run's first
 * bytes are not held up by the last one's report).  *stop is set when a
 * signal came.
 */
static int seq_run(const struct kttcp_opts *o, struct sequence *seq,
		   bool *stop)
{
	uint64_t grace = o->timeout_ns ? o->timeout_ns : KTTCP_STREAM_GRACE_NS;
	struct xfer x;
	int rc;

	if (!o->json) {
		printf("kttcp: run %u of %u: %s\n", seq->run, seq->nruns,
		       mode_name(true, o->mode));
		fflush(stdout);
	}
	rc = xfer_init(&x, o);
	if (rc == 0)
		rc = run_sender(o, &x, seq);
	if (rc == EXIT_SETUP && o->json)
		report_json_failure_in(&seq->jw, true, mode_name(true, o->mode),
				       kwarn_last(), rc);
	if (!atomic_load(&x.stop) && atomic_load(&x.started) &&
	    xfer_await_peer_close(&x, grace) && rc == EXIT_OK)
		rc = 128 + atomic_load(&x.stop);	/* as 130/143 elsewhere */
	*stop = atomic_load(&x.stop) != 0;
	xfer_destroy(&x);
	return rc;
}

/*
 * -m LIST, -m all, -N: every mode in turn, the rounds interleaved, each
 * run against a receiver that stays (-k).  A run that fails is counted
 * and the next one goes on; one that cannot even start (connect refused:
 * the receiver is gone) or a signal ends the sequence.  The table covers
 * the runs made; the exit status is the worst of them.
 */
static int run_compare(struct kttcp_opts *o)
{
	struct sequence seq = { 0 };
	unsigned int round, i;
	int rc, worst;
	bool stop = false;

	rc = compare_modes(o);
	if (rc)
		return rc;
	if (compare_init(&seq.cmp, o->modes, o->nmodes, o->repeat)) {
		kwarn("%s", strerror(ENOMEM));
		return EXIT_SETUP;
	}
	seq.nruns = o->nmodes * o->repeat;
	if (o->json)
		seq_json_open(&seq, o);
	worst = EXIT_OK;
	for (round = 0; round < o->repeat && !stop; round++) {
		for (i = 0; i < o->nmodes && !stop; i++) {
			o->mode = o->modes[i];
			seq.run++;
			rc = seq_run(o, &seq, &stop);
			worst = worse(worst, rc);
			if (rc == EXIT_SETUP)
				stop = true;
		}
	}
	if (o->json)
		seq_json_close(&seq, worst);
	else
		compare_print(stdout, &seq.cmp);
	fflush(stdout);
	compare_free(&seq.cmp);
	return worst;
}

static int run(struct kttcp_opts *o)
{
	struct xfer x;
	int rc;

	if (opts_compare(o))
		return run_compare(o);
	rc = xfer_init(&x, o);
	if (rc == 0)
		rc = o->role == ROLE_SENDER ? run_sender(o, &x, NULL) :
					      run_receiver(o, &x);
	xfer_destroy(&x);
	return rc;
}

int main(int argc, char **argv)
{
	struct kttcp_opts o;
	int rc;

	if (opts_parse(&o, argc, argv, stderr))
		return EXIT_USAGE;
	if (o.help) {
		opts_help(stdout);
		return EXIT_OK;
	}
	if (o.version)
		return show_version();
	rc = run(&o);
	if (o.json && !json_printed && rc != EXIT_OK) {
		report_json_failure(stdout, o.role == ROLE_SENDER,
				    mode_name(o.role == ROLE_SENDER, o.mode),
				    kwarn_last(), rc, o.keep);
		fflush(stdout);
	}
	return rc;
}
