// SPDX-License-Identifier: GPL-2.0
/*
 * xfer.c - the transfers themselves.
 *
 * Each stream is a thread blocked in one ioctl for the whole transfer;
 * the kernel loop ends when the byte count or duration is reached, the
 * socket fails, or a signal is pending for that thread.  Around the
 * ioctl, the thread keeps the two ends' clocks alike (clock.h): a
 * receiver's waits for its first byte before it, a sender's for the ACK
 * of its last byte after it.  SIGINT and
 * SIGTERM are blocked everywhere and read from a signalfd by the main
 * thread, which then sends SIGUSR1 (handled, no SA_RESTART, unblocked in
 * the stream threads only) to each stream still running.  It repeats
 * that every KICK_MS until all are done, since a kick that lands just
 * before a thread enters the ioctl would otherwise be lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "msg.h"
#include "pin.h"
#include "report.h"
#include "xfer.h"

#define KICK_MS			100
#define STREAM_STACK_SIZE	(256 * 1024)	/* it only makes one ioctl */

static void kick_handler(int sig)
{
	(void)sig;	/* its only job is to make a signal pending */
}

int xfer_signals_init(struct xfer *x)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigset_t set;

	/* No SA_RESTART: the ioctl must return EINTR, not be restarted. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		goto fail;
	/* The module reports EPIPE; the signal would kill us first. */
	signal(SIGPIPE, SIG_IGN);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		goto fail;
	sigdelset(&set, SIGUSR1);
	x->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (x->sigfd >= 0)
		return 0;
fail:
	kwarn("signal setup: %s", strerror(errno));
	return -1;
}

int xfer_dev_open(void)
{
	int fd = open(KTTCP_DEVICE, O_RDWR | O_CLOEXEC);

	return fd >= 0 ? fd : -errno;
}

int xfer_dev_info(int fd, struct kttcp_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->version = KTTCP_ABI_VERSION;
	if (ioctl(fd, KTTCP_IOC_INFO, info) != 0)
		return -errno;
	/* Do not trust the module to terminate its strings. */
	info->kernel[sizeof(info->kernel) - 1] = '\0';
	info->module[sizeof(info->module) - 1] = '\0';
	return 0;
}

static void dev_open_error(int err)
{
	if (err == ENOENT || err == ENXIO || err == ENODEV)
		kwarn("%s: %s: is the kttcp module loaded? (modprobe kttcp, or insmod kttcp.ko)",
		      KTTCP_DEVICE, strerror(err));
	else if (err == EACCES || err == EPERM)
		kwarn("%s: %s: the device is mode 0600 (root only); see README, Permissions",
		      KTTCP_DEVICE, strerror(err));
	else
		kwarn("%s: %s", KTTCP_DEVICE, strerror(err));
}

/*
 * The loaded module's ABI, from KTTCP_SYSFS_ABI (readable whatever the
 * ABI); -1 where it is missing (a module of ABI 1) or unreadable.
 */
static int module_abi(void)
{
	char buf[16], *end;
	ssize_t n;
	long v;
	int fd = open(KTTCP_SYSFS_ABI, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	return end != buf && v >= 0 && v < INT_MAX ? (int)v : -1;
}

static int check_info(struct kttcp_info *info, int fd)
{
	int rc = xfer_dev_info(fd, info);

	if (rc == -ENOTTY || rc == -EINVAL) {
		int abi = module_abi();

		if (abi >= 0)
			kwarn("%s: KTTCP_IOC_INFO: %s: the kttcp module (ABI %d) and this tool (ABI %d) don't match",
			      KTTCP_DEVICE, strerror(-rc), abi,
			      KTTCP_ABI_VERSION);
		else
			kwarn("%s: KTTCP_IOC_INFO: %s: the kttcp module (ABI 1, no %s) and this tool (ABI %d) don't match",
			      KTTCP_DEVICE, strerror(-rc), KTTCP_SYSFS_ABI,
			      KTTCP_ABI_VERSION);
		return -1;
	}
	if (rc) {
		kwarn("%s: KTTCP_IOC_INFO: %s", KTTCP_DEVICE, strerror(-rc));
		return -1;
	}
	if (info->abi_version != KTTCP_ABI_VERSION) {
		kwarn("the kttcp module (%s, ABI %u) and this tool (ABI %d) don't match",
		      info->module, info->abi_version, KTTCP_ABI_VERSION);
		return -1;
	}
	return 0;
}

int xfer_check_mode(const struct kttcp_info *info, bool sender,
		    unsigned int mode)
{
	unsigned int mask = sender ? info->send_modes : info->recv_modes;

	if (mask & (1U << mode))
		return 0;
	kwarn("%s mode %s is not supported by this kernel (Linux %s)",
	      sender ? "send" : "receive", mode_name(sender, mode),
	      info->kernel);
	return -1;
}

int xfer_module_info(struct kttcp_info *info)
{
	int fd = xfer_dev_open(), rc;

	if (fd < 0) {
		dev_open_error(-fd);
		return -1;
	}
	rc = check_info(info, fd);
	close(fd);
	return rc;
}

int xfer_init(struct xfer *x, const struct kttcp_opts *o)
{
	pthread_condattr_t ca;
	unsigned int i;
	int fd;

	memset(x, 0, sizeof(*x));
	x->o = o;
	x->sender = o->role == ROLE_SENDER;
	x->cmd = x->sender ? KTTCP_IOC_SEND : KTTCP_IOC_RECV;
	x->n = o->streams;
	x->sigfd = -1;
	pthread_mutex_init(&x->lock, NULL);
	/* The reporter's deadlines are on the monotonic clock, like t0. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->cond, &ca);
	pthread_condattr_destroy(&ca);
	x->donefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	x->s = calloc(x->n, sizeof(*x->s));
	if (x->donefd < 0 || !x->s) {
		kwarn("%s", strerror(errno));
		return EXIT_SETUP;
	}
	for (i = 0; i < x->n; i++) {
		x->s[i].dev_fd = x->s[i].sock = x->s[i].cpu = -1;
		x->s[i].x = x;
		x->s[i].id = i + 1;
	}
	if (pin_check(o))
		return EXIT_SETUP;
	/* A /dev/kttcp file per stream, so PROGRESS can tell them apart. */
	for (i = 0; i < x->n; i++) {
		fd = xfer_dev_open();
		if (fd < 0) {
			dev_open_error(-fd);
			return EXIT_SETUP;
		}
		x->s[i].dev_fd = fd;
		if (i == 0 && (check_info(&x->info, fd) ||
			       xfer_check_mode(&x->info, x->sender, o->mode)))
			return EXIT_SETUP;
	}
	return 0;
}

static uint64_t since_ns(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(clock_ts_ns(&now) - clock_ts_ns(t0));
}

static void *reporter_main(void *arg);
static void *omit_main(void *arg);

/*
 * The clocks (wall, CPU, interval reports) start with the first stream:
 * a sender's as it starts, a receiver's when its first byte is there
 * (@t, when the stream saw it).
 */
static void first_start(struct xfer *x, const struct timespec *t)
{
	pthread_mutex_lock(&x->lock);
	if (x->clocks_started)
		goto out;
	if (t)
		x->t0 = *t;
	else
		clock_gettime(CLOCK_MONOTONIC, &x->t0);
	getrusage(RUSAGE_SELF, &x->ru0);
	cpu_read_stat(&x->cs0);
	x->clocks_started = true;
	if (x->o->omit_ns) {
		if (pthread_create(&x->omit_thr, NULL, omit_main, x) == 0)
			x->omit_running = true;
		else
			kwarn("-O: cannot start thread");
	}
	if (!x->o->interval_ns)
		goto out;
	if (pthread_create(&x->rep, NULL, reporter_main, x) == 0)
		x->rep_running = true;
	else
		kwarn("interval reports: cannot start thread");
out:
	pthread_mutex_unlock(&x->lock);
}

/*
 * Receiver: wait for the stream's first byte (or its end), so that the
 * receive time runs from the first byte to the last, as the sender's
 * does.  -w bounds the wait; 0, or an errno for the stream.
 */
static int first_byte(struct stream *s)
{
	const struct kttcp_opts *o = s->x->o;
	int ms = o->timeout_ns ? (int)((o->timeout_ns + 999999) / 1000000) : -1;
	struct pollfd p = { .fd = s->sock, .events = POLLIN };
	int n;

	while (!atomic_load(&s->x->halt)) {
		n = poll(&p, 1, ms);
		if (n > 0)
			return 0;
		if (n == 0)
			return EAGAIN;	/* as the module's SO_RCVTIMEO */
		if (errno != EINTR)
			return errno;
	}
	return EINTR;
}

/*
 * Sender: the loop has queued its last byte; the transfer is over when
 * TCP has it acknowledged.  Our FIN goes out at once, so that the
 * receiver's EOF follows its last byte as closely.  Poll at a thousandth
 * of the time so far (10 us to 1 ms): the poll's grain is then a
 * thousandth of the figure at most.
 */
static int wait_acked(struct stream *s)
{
	struct xfer *x = s->x;
	uint64_t step = s->io.elapsed_ns / 1000;
	struct timespec t;
	bool fin;
	int err;

	if (step < 10000)
		step = 10000;
	if (step > 1000000)
		step = 1000000;
	clock_gettime(CLOCK_MONOTONIC, &t);
	fin = shutdown(s->sock, SHUT_WR) == 0;
	err = clock_wait_acked(s->sock, fin, x->o->timeout_ns, step, &x->halt);
	s->ack_ns = since_ns(&t);
	if (err == -ETIMEDOUT) {
		s->ack_timeout = true;
		return EAGAIN;
	}
	return -err;
}

static void *stream_main(void *arg)
{
	struct stream *s = arg;
	struct xfer *x = s->x;
	struct timespec first;
	sigset_t set;

	/* Only stream threads take SIGUSR1: it is what stops the loop. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	if (atomic_load(&x->halt))
		goto out;
	s->ran = true;
	if (!x->sender) {
		s->err = first_byte(s);
		if (s->err) {
			s->ret = -1;
			goto out;
		}
		clock_first_arrival(s->sock, &first);
		first_start(x, &first);
		/* The receive time counts from here; the module's from its call. */
		s->lead_ns = since_ns(&first);
		s->t_start = first;
	} else {
		clock_gettime(CLOCK_MONOTONIC, &s->t_start);
	}
	s->ret = ioctl(s->dev_fd, x->cmd, &s->io);
	s->err = s->ret ? errno : 0;
	atomic_store(&s->ended, true);
	if (x->sender && s->ret == 0) {
		s->err = wait_acked(s);
		s->ret = s->err ? -1 : 0;
	}
	/* At once: the counts stop where this stream's transfer did. */
	tcp_stats_read(s->sock, &s->tcp);
out:
	atomic_store(&s->done, true);
	eventfd_write(x->donefd, 1);
	return NULL;
}

static void stream_io(const struct xfer *x, struct stream *s)
{
	const struct kttcp_opts *o = x->o;
	struct kttcp_io *io = &s->io;

	memset(io, 0, sizeof(*io));
	io->size = sizeof(*io);
	io->version = KTTCP_ABI_VERSION;
	io->fd = s->sock;
	io->mode = o->mode;
	io->flags = o->verify ? KTTCP_F_VERIFY : 0;
	io->chunk = o->chunk;
	io->total = o->total;
	/* A timed send runs -O's time more: it is left out of the results. */
	io->duration_ns = o->duration_ns ? o->duration_ns + o->omit_ns : 0;
}

int xfer_start(struct xfer *x, int sock)
{
	unsigned int i = atomic_load(&x->started);
	struct stream *s = &x->s[i];
	pthread_attr_t attr;
	char name[16];
	int rc;

	s->sock = sock;
	stream_io(x, s);
	if (x->sender)
		first_start(x, NULL);

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STREAM_STACK_SIZE);
	s->cpu = pin_cpu(x->o, i);
	rc = s->cpu >= 0 ? pin_attr(&attr, s->cpu) : 0;
	if (rc == 0)
		rc = pthread_create(&s->tid, &attr, stream_main, s);
	pthread_attr_destroy(&attr);
	if (rc) {
		kwarn("stream %u: cannot start thread: %s", s->id, strerror(rc));
		return -1;
	}
	/* "kttcp/N" in top -H, ps -L and /proc/PID/task/TID/comm. */
	snprintf(name, sizeof(name), "kttcp/%u", s->id);
	pthread_setname_np(s->tid, name);
	s->started = true;
	atomic_store(&x->started, i + 1);
	return 0;
}

/*
 * A second SIGINT/SIGTERM means the streams did not stop (a module that
 * ignores signals?): die of it the default way, without results.
 */
static void die_of(int sig)
{
	sigset_t set;

	kwarn("second signal: exiting without results");
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

static void read_signals(struct xfer *x)
{
	struct signalfd_siginfo si;
	int first;

	while (read(x->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		first = 0;
		if (!atomic_compare_exchange_strong(&x->stop, &first,
						    (int)si.ssi_signo))
			die_of((int)si.ssi_signo);
		atomic_store(&x->halt, true);
	}
}

bool xfer_any_done(struct xfer *x)
{
	unsigned int i, n = atomic_load(&x->started);

	for (i = 0; i < n; i++)
		if (atomic_load(&x->s[i].done))
			return true;
	return false;
}

void xfer_halt(struct xfer *x)
{
	atomic_store(&x->halt, true);
}

static bool kick_running(struct xfer *x)
{
	bool running = false;
	unsigned int i;

	for (i = 0; i < x->n; i++) {
		struct stream *s = &x->s[i];

		if (!s->started || atomic_load(&s->done))
			continue;
		running = true;
		if (atomic_load(&x->halt))
			pthread_kill(s->tid, SIGUSR1);
	}
	return running;
}

static void stop_reporter(struct xfer *x)
{
	pthread_mutex_lock(&x->lock);
	x->rep_stop = true;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
	if (x->omit_running)
		pthread_join(x->omit_thr, NULL);
	x->omit_running = false;
	if (x->rep_running)
		pthread_join(x->rep, NULL);
	x->rep_running = false;
}

void xfer_wait(struct xfer *x)
{
	struct pollfd p[2] = {
		{ .fd = x->sigfd, .events = POLLIN },
		{ .fd = x->donefd, .events = POLLIN },
	};
	eventfd_t v;
	unsigned int i;

	/* A signal may have ended connect() or accept() already. */
	read_signals(x);
	while (kick_running(x)) {
		if (poll(p, 2, atomic_load(&x->halt) ? KICK_MS : -1) < 0 &&
		    errno != EINTR)
			break;
		read_signals(x);
		eventfd_read(x->donefd, &v);
	}
	for (i = 0; i < x->n; i++)
		if (x->s[i].started)
			pthread_join(x->s[i].tid, NULL);
	if (x->clocks_started) {
		x->end_ns = since_ns(&x->t0);
		getrusage(RUSAGE_SELF, &x->ru1);
		cpu_read_stat(&x->cs1);
	}
	stop_reporter(x);
}

/*
 * Bytes stream @s has moved so far: a finished stream's own result, a
 * running one's from its /dev/kttcp file.  False if they cannot be read.
 */
static bool stream_bytes(const struct stream *s, uint64_t *bytes)
{
	struct kttcp_progress p = {
		.size = sizeof(p),
		.version = KTTCP_ABI_VERSION,
	};

	if (atomic_load(&s->ended)) {
		*bytes = s->io.bytes;
		return s->io.status & KTTCP_ST_VALID;
	}
	if (ioctl(s->dev_fd, KTTCP_IOC_PROGRESS, &p))
		return false;
	*bytes = p.bytes;
	return true;
}

/*
 * Reporter: bytes of one stream so far.  Never let the count go
 * backwards (the module may forget a finished transfer).
 */
static uint64_t sample(struct xfer *x, struct stream *s)
{
	uint64_t cur = s->last;

	if (!stream_bytes(s, &cur) && !atomic_load(&s->ended) &&
	    !x->rep_failed) {
		x->rep_failed = true;
		kwarn("KTTCP_IOC_PROGRESS: %s", strerror(errno));
	}
	return cur > s->last ? cur : s->last;
}

static int keep_interval(struct xfer *x, const struct interval_rec *rec)
{
	struct interval_rec *iv = x->iv;

	if (x->niv == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 16;
		iv = realloc(x->iv, x->cap * sizeof(*iv));
		if (!iv)
			return -1;
		x->iv = iv;
	}
	x->iv[x->niv++] = *rec;
	return 0;
}

static void print_interval(const struct xfer *x, const struct interval_rec *rec,
			   unsigned int nstarted)
{
	/* TCP's view per stream: the sender's, with -v. */
	bool tcp = x->sender && x->o->verbose > 1;
	unsigned int i;

	for (i = 0; i < nstarted; i++)
		report_interval(stdout, i + 1, rec->start_ns, rec->end_ns,
				rec->bytes[i], rec->omitted,
				tcp ? &rec->tcp[i] : NULL);
	if (x->n > 1)
		report_interval(stdout, 0, rec->start_ns, rec->end_ns, rec->sum,
				rec->omitted, NULL);
	fflush(stdout);
}

/* TCP_INFO of stream @s now, with the segments retransmitted since the last. */
static void interval_tcp(struct stream *s, struct tcp_stats *st)
{
	uint32_t total;

	if (tcp_stats_read(s->sock, st))
		return;
	total = st->retrans;
	st->retrans = total - s->iv_retrans;
	s->iv_retrans = total;
}

/* One interval, [start, end) relative to t0; the last one may be empty. */
static void interval(struct xfer *x, uint64_t start, uint64_t end, bool last)
{
	unsigned int i, nstarted = atomic_load(&x->started);
	struct interval_rec rec = {
		.start_ns = start, .end_ns = end,
		.omitted = x->o->omit_ns && end <= x->o->omit_ns,
	};
	uint64_t cur, retrans = 0;

	rec.bytes = calloc(x->n, sizeof(*rec.bytes));
	rec.tcp = calloc(x->n, sizeof(*rec.tcp));
	if (!rec.bytes || !rec.tcp)
		goto drop;
	for (i = 0; i < nstarted; i++) {
		cur = sample(x, &x->s[i]);
		rec.bytes[i] = cur - x->s[i].last;
		rec.sum += rec.bytes[i];
		x->s[i].last = cur;
		interval_tcp(&x->s[i], &rec.tcp[i]);
		retrans += rec.tcp[i].retrans;
	}
	/* An empty last one is dropped, unless TCP retransmitted in it. */
	if (last && rec.sum == 0 && retrans == 0)
		goto drop;
	if (!x->o->json)
		print_interval(x, &rec, nstarted);
	if (x->o->json && keep_interval(x, &rec) == 0)
		return;		/* kept: x->iv owns the arrays now */
drop:
	free(rec.bytes);
	free(rec.tcp);
}

static void add_ns(struct timespec *ts, const struct timespec *t0, uint64_t ns)
{
	ns += (uint64_t)t0->tv_nsec;
	ts->tv_sec = t0->tv_sec + (time_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
}

static void *reporter_main(void *arg)
{
	struct xfer *x = arg;
	uint64_t step = x->o->interval_ns, prev = 0, next = step;
	struct timespec deadline;

	pthread_mutex_lock(&x->lock);
	while (!x->rep_stop) {
		add_ns(&deadline, &x->t0, next);
		if (pthread_cond_timedwait(&x->cond, &x->lock, &deadline) !=
		    ETIMEDOUT)
			continue;	/* woken: re-check rep_stop */
		pthread_mutex_unlock(&x->lock);
		interval(x, prev, next, false);
		prev = next;
		next += step;
		pthread_mutex_lock(&x->lock);
	}
	pthread_mutex_unlock(&x->lock);
	if (x->end_ns > prev)
		interval(x, prev, x->end_ns, true);
	return NULL;
}

/* -O's time is over: what every stream, the process and the host did by now. */
static void omit_take(struct xfer *x)
{
	unsigned int i, n = atomic_load(&x->started);

	x->omit_at_ns = since_ns(&x->t0);
	getrusage(RUSAGE_SELF, &x->ru_omit);
	cpu_read_stat(&x->cs_omit);
	for (i = 0; i < n; i++) {
		struct stream *s = &x->s[i];

		s->omit_taken = stream_bytes(s, &s->omit_bytes);
		tcp_stats_read(s->sock, &s->tcp_omit);
	}
	x->omitted = true;
}

static void *omit_main(void *arg)
{
	struct xfer *x = arg;
	struct timespec deadline;
	bool stop;

	add_ns(&deadline, &x->t0, x->o->omit_ns);
	pthread_mutex_lock(&x->lock);
	while (!x->rep_stop &&
	       pthread_cond_timedwait(&x->cond, &x->lock, &deadline) !=
	       ETIMEDOUT)
		;
	stop = x->rep_stop;
	pthread_mutex_unlock(&x->lock);
	if (!stop)
		omit_take(x);
	return NULL;
}

/* Leave what stream @s did within -O's time out of its result @sr. */
static void omit_stream(const struct xfer *x, const struct stream *s,
			struct stream_result *sr)
{
	int64_t d;
	uint64_t cut;

	if (!s->omit_taken)
		return;		/* it started after (or never ran) */
	/* The stream's time from its start to the end of -O's. */
	d = clock_ts_ns(&x->t0) + (int64_t)x->omit_at_ns -
	    clock_ts_ns(&s->t_start);
	cut = d > 0 ? (uint64_t)d : 0;
	sr->omitted_bytes = s->omit_bytes < sr->bytes ? s->omit_bytes : sr->bytes;
	sr->bytes -= sr->omitted_bytes;
	sr->elapsed_ns = sr->elapsed_ns > cut ? sr->elapsed_ns - cut : 0;
	sr->queued_ns = sr->queued_ns > cut ? sr->queued_ns - cut : 0;
	tcp_stats_sub(&sr->tcp, &s->tcp_omit);
}

/* Read and drop what the peer sends; true once it closed or failed. */
static bool peer_gone(int sock)
{
	char buf[4096];
	ssize_t n;

	do
		n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
	while (n > 0);
	return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
			  errno != EINTR);
}

int xfer_await_peer_close(struct xfer *x, uint64_t timeout_ns)
{
	uint64_t deadline = clock_mono_ns() + timeout_ns, now;
	struct pollfd p[2] = { { .fd = x->sigfd, .events = POLLIN } };
	unsigned int i;

	for (i = 0; i < x->n; i++) {
		p[1].fd = x->s[i].sock;
		p[1].events = POLLIN | POLLRDHUP;
		while (p[1].fd >= 0 && !peer_gone(p[1].fd)) {
			now = clock_mono_ns();
			if (now >= deadline)
				return 0;
			if (poll(p, 2, (int)((deadline - now) / 1000000 + 1)) < 0 &&
			    errno != EINTR)
				return 0;
			if (p[0].revents & POLLIN) {
				read_signals(x);
				if (atomic_load(&x->stop))
					return -1;
			}
		}
	}
	return 0;
}

int xfer_result(struct xfer *x, struct kttcp_result *r)
{
	unsigned int i, n = atomic_load(&x->started);

	r->kernel = x->info.kernel;
	r->module = x->info.module;
	r->abi_version = x->info.abi_version;
	r->stop_signal = atomic_load(&x->stop);
	r->host_busy = -1;
	r->host_busy_us = -1;
	r->nstreams = n;
	r->streams = calloc(n ? n : 1, sizeof(*r->streams));
	if (!r->streams)
		return -1;
	for (i = 0; i < n; i++) {
		const struct stream *s = &x->s[i];
		struct stream_result *sr = &r->streams[i];

		sr->id = s->id;
		sr->pinned = s->cpu >= 0;
		sr->cpu = s->cpu >= 0 ? (unsigned int)s->cpu : 0;
		sr->ran = s->ran;
		sr->valid = s->io.status & KTTCP_ST_VALID;
		sr->error = s->ret ? s->err : 0;
		sr->status = s->io.status;
		if (!sr->valid)
			continue;
		sr->bytes = s->io.bytes;
		sr->elapsed_ns = s->lead_ns + s->io.elapsed_ns;
		if (x->sender) {
			/* The loop, its wait for lent pages, then ACKs. */
			sr->queued_ns = s->io.elapsed_ns;
			sr->elapsed_ns += s->io.zc_wait_ns + s->ack_ns;
			sr->ack_timeout = s->ack_timeout;
		}
		sr->calls = s->io.calls;
		sr->zc_completions = s->io.zc_completions;
		sr->zc_copied = s->io.zc_copied;
		sr->zc_outstanding = s->io.zc_outstanding;
		sr->zc_wait_ns = s->io.zc_wait_ns;
		sr->chunk_peak = s->io.chunk_peak;
		sr->mismatch_at = s->io.mismatch_at;
		sr->tcp = s->tcp;
		if (x->omitted)
			omit_stream(x, s, sr);
	}
	r->omit_ns = x->o->omit_ns;
	r->omit_missed = x->clocks_started && x->o->omit_ns && !x->omitted;
	if (x->omitted) {
		cpu_rusage_delta(&x->ru_omit, &x->ru1, &r->user_us, &r->sys_us);
		r->cpu_real_ns = x->end_ns - x->omit_at_ns;
		r->host_busy = cpu_busy_percent(&x->cs_omit, &x->cs1);
		r->host_busy_us = cpu_busy_us(&x->cs_omit, &x->cs1);
	} else if (x->clocks_started) {
		cpu_rusage_delta(&x->ru0, &x->ru1, &r->user_us, &r->sys_us);
		r->cpu_real_ns = x->end_ns;
		r->host_busy = cpu_busy_percent(&x->cs0, &x->cs1);
		r->host_busy_us = cpu_busy_us(&x->cs0, &x->cs1);
	}
	/* The intervals move over to the result. */
	r->have_intervals = x->o->interval_ns != 0;
	r->intervals = x->iv;
	r->nintervals = x->niv;
	x->iv = NULL;
	x->niv = x->cap = 0;
	return 0;
}

void xfer_destroy(struct xfer *x)
{
	unsigned int i;

	stop_reporter(x);
	for (i = 0; x->s && i < x->n; i++) {
		if (x->s[i].sock >= 0)
			close(x->s[i].sock);
		if (x->s[i].dev_fd >= 0)
			close(x->s[i].dev_fd);
	}
	for (i = 0; i < x->niv; i++) {
		free(x->iv[i].bytes);
		free(x->iv[i].tcp);
	}
	free(x->iv);
	free(x->s);
	if (x->donefd >= 0)
		close(x->donefd);
	if (x->sigfd >= 0)
		close(x->sigfd);
	pthread_cond_destroy(&x->cond);
	pthread_mutex_destroy(&x->lock);
	x->s = NULL;
	x->iv = NULL;
}
