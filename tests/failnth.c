// SPDX-License-Identifier: GPL-2.0
/*
 * failnth.c - fail every allocation an ioctl of /dev/kttcp makes, one at a
 * time, with the per-task fail-nth file of the kernel's fault injection.
 *
 * Runs inside a lab guest on the debug kernel (FAULT_INJECTION, FAILSLAB,
 * FAIL_PAGE_ALLOC, FAULT_INJECTION_USERCOPY), as root, with kttcp.ko
 * loaded.  tests/guest/failslab.py configures debugfs first and reads
 * what this prints; see there for the settings and what they mean.
 *
 *   failnth [-P alloc|usercopy] [-t CASE,...] [-b BYTES] [-C CHUNK]
 *           [-k STEP] [-r REPEAT] [-c CAP] [-a ADDR] [-N] [-U] [-v]
 *   failnth -S [-t CASE,...] [-b BYTES] [-a ADDR]
 *   failnth -l
 *
 * Cases: info, progress (KTTCP_IOC_INFO, KTTCP_IOC_PROGRESS), send-copy,
 * send-sendpage, send-zerocopy, recv-copy, recv-verify (copy with
 * KTTCP_F_VERIFY), recv-trunc, recv-readsock, all with the module's
 * default chunk (send: auto; receive: 1 MiB), and send-zerocopy-64k,
 * recv-verify-2k, recv-copy-5m with that chunk (see cases[] for why);
 * -C CHUNK overrides them all.  Each transfer moves BYTES (default
 * 257024, 1024 periods of the pattern) over loopback.
 *
 * The method (Documentation/fault-injection/fault-injection.rst,
 * "fail-nth"): writing N to /proc/thread-self/fail-nth makes the N-th
 * fault point this task passes fail, whatever the probability, interval
 * and times in debugfs say.  A fault point is a call of should_fail() by
 * a capability whose own filters let the request through (failslab:
 * not ignore-gfp-wait for GFP_KERNEL; fail_page_alloc: min-order and
 * ignore-gfp-highmem too; fail_usercopy: every copy_{from,to}_user), and
 * only in task context: allocations in softirq (most of loopback's
 * receive path) never count.  Reading the file back gives 0 if the fault
 * was injected, or what is left of N if the call passed fewer than N
 * points.  So for N = 1, 2, ...: arm, call, read back; the first N that is
 * not consumed means every point of the call has been failed once.
 *
 * Nothing else may pass a fault point between arming and the read-back:
 * the process runs mlockall(MCL_CURRENT | MCL_FUTURE) with its stack
 * prefaulted, so no page fault (page-table or page allocation) happens in
 * that window, and it never forks once locked: a fork would leave its
 * pages copy-on-write, and the first write after it would allocate.  The
 * peers (a drain for sends, a pattern source for receives) are served by
 * a process forked before the lock, which forks one child per
 * connection; the connections are made before arming.
 *
 * Passes (-P): what an injected fault may end in, besides success.
 *   alloc     ENOMEM.  failslab.py excludes fail_usercopy for this pass
 *             with its stack-trace filter (reject every address), so
 *             only slab and page allocations are fault points.
 *   usercopy  EFAULT.  The other way round: only copy_{from,to}_user are
 *             fault points.  The read-back itself copies to user memory:
 *             while the task is still armed (the call passed fewer than N
 *             points) that copy is a fault point too, and it fails with
 *             EFAULT when it is the N-th; either way not consumed.
 * A call whose fault was not consumed is the clean run after the last
 * point: it must succeed.  Before the loop one unarmed call (the
 * baseline) must succeed as well.
 *
 * After every call the socket fd must still be open and a TCP socket, no
 * call may take over CALL_LIMIT seconds (SO_SNDTIMEO/SO_RCVTIMEO of 5 s
 * bound every wait of the module; an alarm ends a call that ignores
 * them), and a zerocopy send must have all its pages back.  A connection
 * that is no longer established, or a receive that stopped at an offset
 * the pattern does not start at (or did not say where), is replaced by a
 * new one before the next call.
 *
 * Output: one JSON object per case on stdout, e.g.
 *   {"pass":"alloc","case":"send-zerocopy","ioctl":"send",
 *    "mode":"zerocopy","step":1,"points":278,"injected":278,"ok":23,
 *    "enomem":255,"efault":0,"err_points":255,"other_count":0,
 *    "repeat":1,"other":[],"baseline":"ok","clean":"ok",
 *    "capped":false,"reconnects":0,"max_secs":0.240,"secs":2.9,
 *    "bytes":257024,"chunk":0}
 * points: the last N whose fault was injected (with -k STEP > 1, only
 * every STEP-th point is failed: N = 1, 1+STEP, ..., and the call has at
 * least that many points); injected, ok, enomem, efault count calls;
 * err_points counts the N at which a call ended in the pass's errno;
 * other: the calls that ended in anything else (at most MAX_OTHER
 * listed, other_count counts them all).
 *
 * The sequence of fault points is not quite the same from call to call:
 * the allocators now and then allocate for themselves inside a call (a
 * new slab, with KASAN's quarantine holding freed objects back; a new
 * pool for KASAN's stack depot; kmemleak's metadata), so a point can
 * move by one between two calls and be skipped (seen: RECV's reference
 * buffer, point 3 of its calls, missed in 2 sweeps of 12).  -r REPEAT
 * makes REPEAT calls for each N, so a point is missed only if it moves
 * in all of them.
 * -S (sanity): one unarmed call per case on a fresh connection, as
 *   {"pass":"sanity","case":...,"ok":true,"detail":"..."}.
 * Debug switches, to prove failslab.py fails when it should:
 *   -N  never arm: every case then finds no fault point;
 *   -U  count every error as unexpected, ENOMEM and EFAULT too.
 * -v prints every injected call's outcome on stderr.
 * Exit status: 0 if every case was clean, 1 if not, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../include/kttcp.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define SOCK_TIMEO	5	/* SO_SNDTIMEO / SO_RCVTIMEO, seconds */
#define CALL_LIMIT	30	/* a call taking longer is a failure */
#define CALL_ALARM	60	/* ... and one taking this long is ended */
#define MAX_OTHER	16
#define PERIODS_BUF	256	/* pattern periods in the source's buffer */

enum kind { K_INFO, K_PROGRESS, K_SEND, K_RECV };

struct kcase {
	const char *name, *ioctl, *mode;
	enum kind kind;
	unsigned int kmode, flags, chunk;
};

/*
 * The module's default chunks first.  Then chunks that take other
 * allocation paths: a single fault in kvmalloc()'s kmalloc() is always
 * recovered by its vmalloc() fallback (fail-nth fails one point per
 * call), so only a buffer of at most a page, which has no fallback,
 * reaches the module's own ENOMEM paths: the send's bio_vec array with a
 * fixed 64 KiB chunk, the receive buffer and verify reference with a
 * 2000-byte one.  A chunk too large for kmalloc() (5 MiB) goes straight
 * to vmalloc(), whose failures print a warning with a stack trace unless
 * the caller passed __GFP_NOWARN (and which, trying huge pages first,
 * recovers from any single fault by retrying with small ones).
 */
static const struct kcase cases[] = {
	{ "info", "info", "-", K_INFO, 0, 0, 0 },
	{ "progress", "progress", "-", K_PROGRESS, 0, 0, 0 },
	{ "send-copy", "send", "copy", K_SEND, KTTCP_SEND_COPY, 0, 0 },
	{ "send-sendpage", "send", "sendpage", K_SEND, KTTCP_SEND_SENDPAGE,
	  0, 0 },
	{ "send-zerocopy", "send", "zerocopy", K_SEND, KTTCP_SEND_ZEROCOPY,
	  0, 0 },
	{ "send-zerocopy-64k", "send", "zerocopy", K_SEND,
	  KTTCP_SEND_ZEROCOPY, 0, 64 * 1024 },
	{ "recv-copy", "recv", "copy", K_RECV, KTTCP_RECV_COPY, 0, 0 },
	{ "recv-verify", "recv", "copy+verify", K_RECV, KTTCP_RECV_COPY,
	  KTTCP_F_VERIFY, 0 },
	{ "recv-verify-2k", "recv", "copy+verify", K_RECV, KTTCP_RECV_COPY,
	  KTTCP_F_VERIFY, 2000 },
	{ "recv-copy-5m", "recv", "copy", K_RECV, KTTCP_RECV_COPY, 0,
	  5 << 20 },
	{ "recv-trunc", "recv", "trunc", K_RECV, KTTCP_RECV_TRUNC, 0, 0 },
	{ "recv-readsock", "recv", "readsock", K_RECV, KTTCP_RECV_READSOCK,
	  0, 0 },
};
#define NR_CASES	(sizeof(cases) / sizeof(cases[0]))

/* Options. */
static const char *addr = "127.0.0.1";
static const char *pass = "alloc";
static uint64_t total = 1024 * KTTCP_PATTERN_PERIOD;
static unsigned int chunk;	/* -C: overrides every case's */
static unsigned int step = 1, cap = 2000, repeat = 1;
static bool no_arm, all_unexpected, sanity, verbose;
static bool selected[NR_CASES];

/* State. */
static int kfd, fnfd = -1;
static uint16_t drain_port, source_port;
static pid_t server_pid;
static int expect_errno;	/* ENOMEM or EFAULT, by pass */

/*
 * What the ioctls read and write: static, so the pages are there and
 * locked before the first armed call (a page fault in the armed window
 * would be a fault point of its own).
 */
static struct kttcp_io io;
static struct kttcp_info info;
static struct kttcp_progress prog;
static char rbuf[32];

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "failnth: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fprintf(stderr, "\n");
	if (server_pid > 0)
		kill(server_pid, SIGKILL);
	exit(2);
}

static const char *errname(int e)
{
	const char *s = strerrorname_np(e);
	static char buf[16];

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- the peers: a process forked before mlockall() ------------------- */

static int listen_any(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int l, one = 1;

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		die("bad address %s", addr);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 64) ||
	    getsockname(l, (struct sockaddr *)&sin, &len))
		die("listen on %s", addr);
	*port = ntohs(sin.sin_port);
	return l;
}

static void peer_drain(int c)
{
	static char b[65536];

	while (read(c, b, sizeof(b)) > 0)
		;
}

/* Write the pattern from stream offset 0 until the reader goes away. */
static void peer_source(int c)
{
	static uint8_t b[PERIODS_BUF * KTTCP_PATTERN_PERIOD];
	size_t off = 0, i;

	for (i = 0; i < sizeof(b); i++)
		b[i] = KTTCP_PATTERN(i);
	for (;;) {
		ssize_t n = write(c, b + off, sizeof(b) - off);

		if (n <= 0)
			return;
		off = (off + n) % sizeof(b);
	}
}

static void server(int ld, int ls, pid_t parent)
{
	struct pollfd p[2] = { { .fd = ld, .events = POLLIN },
			       { .fd = ls, .events = POLLIN } };
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (i = 0; i < 2; i++) {
			int c;

			if (!(p[i].revents & POLLIN))
				continue;
			c = accept(p[i].fd, NULL, NULL);
			if (c < 0)
				continue;
			if (fork() == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				close(ld);
				close(ls);
				if (i == 0)
					peer_drain(c);
				else
					peer_source(c);
				_exit(0);
			}
			close(c);
		}
	}
}

static void start_server(void)
{
	pid_t parent = getpid();
	int ld = listen_any(&drain_port), ls = listen_any(&source_port);

	fflush(NULL);
	server_pid = fork();
	if (server_pid < 0)
		die("fork");
	if (server_pid == 0)
		server(ld, ls, parent);
	close(ld);
	close(ls);
}

/* A connection to the drain (send) or the pattern source (receive). */
static int peer_connect(bool source)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = SOCK_TIMEO };
	int c;

	inet_pton(AF_INET, addr, &sin.sin_addr);
	sin.sin_port = htons(source ? source_port : drain_port);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect to the %s peer", source ? "source" : "drain");
	if (setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("SO_SNDTIMEO/SO_RCVTIMEO");
	return c;
}

/* --- one call --------------------------------------------------------- */

struct call {
	int rc, err;		/* the ioctl's result and errno */
	bool armed;		/* fail-nth was written */
	bool injected;		/* ... and read back as 0 */
	double secs;
};

static void on_alarm(int sig)
{
	(void)sig;
}

static unsigned long setup_arg(const struct kcase *c, int sock, void **arg)
{
	switch (c->kind) {
	case K_INFO:
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		info.version = KTTCP_ABI_VERSION;
		*arg = &info;
		return KTTCP_IOC_INFO;
	case K_PROGRESS:
		memset(&prog, 0, sizeof(prog));
		prog.size = sizeof(prog);
		prog.version = KTTCP_ABI_VERSION;
		*arg = &prog;
		return KTTCP_IOC_PROGRESS;
	default:
		memset(&io, 0, sizeof(io));
		io.size = sizeof(io);
		io.version = KTTCP_ABI_VERSION;
		io.fd = sock;
		io.mode = c->kmode;
		io.flags = c->flags;
		io.chunk = chunk ? chunk : c->chunk;
		io.total = total;
		*arg = &io;
		return c->kind == K_SEND ? KTTCP_IOC_SEND : KTTCP_IOC_RECV;
	}
}

/* Write a number to fail-nth; -1 with errno if the write failed. */
static int fail_nth_write(const char *num, size_t len)
{
	return pwrite(fnfd, num, len, 0) == (ssize_t)len ? 0 : -1;
}

/*
 * One call of case @c on @sock, with the @n-th fault point failed (n > 0)
 * or none (n == 0).  Between arming and the read-back there are only the
 * three system calls: no library call that could allocate, no page fault.
 */
static void call(const struct kcase *c, int sock, unsigned int n,
		 struct call *r)
{
	char num[16];
	int len = snprintf(num, sizeof(num), "%u", n);
	unsigned long cmd;
	void *arg;
	double t0;
	ssize_t got;
	int rerr;

	cmd = setup_arg(c, sock, &arg);
	r->armed = n && !no_arm;
	r->injected = false;
	alarm(CALL_ALARM);
	t0 = now();
	if (r->armed && fail_nth_write(num, len))
		die("arming %s", FAIL_NTH);

	r->rc = ioctl(kfd, cmd, arg);
	r->err = errno;
	got = r->armed ? pread(fnfd, rbuf, sizeof(rbuf) - 1, 0) : 0;
	rerr = errno;

	/*
	 * Disarm.  In the usercopy pass a still armed task may fail this
	 * write's own copy_from_user() (EFAULT), which disarms it too; the
	 * second write then sets 0 for sure.
	 */
	if (r->armed) {
		fail_nth_write("0", 1);
		if (fail_nth_write("0", 1))
			die("disarming %s", FAIL_NTH);
	}
	r->secs = now() - t0;
	alarm(0);
	if (r->armed) {
		if (got > 0) {
			rbuf[got] = 0;
			r->injected = strtoul(rbuf, NULL, 10) == 0;
		} else if (!(got < 0 && rerr == EFAULT)) {
			errno = rerr;
			die("reading back %s (%zd)", FAIL_NTH, got);
		}
	}
}

/* The socket fd is still the caller's TCP socket (the module took none). */
static bool sock_intact(int sock)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return fcntl(sock, F_GETFD) != -1 &&
	       !getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) &&
	       type == SOCK_STREAM;
}

static bool sock_established(int sock)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	return !getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &len) &&
	       ti.tcpi_state == TCP_ESTABLISHED;
}

/*
 * Did the call succeed as a clean call must?  NULL if so, else what went
 * wrong, in @why.
 */
static const char *success_why(const struct kcase *c, const struct call *r,
			       char *why, size_t sz)
{
	if (r->rc) {
		snprintf(why, sz, "%s", errname(r->err));
		return why;
	}
	switch (c->kind) {
	case K_INFO:
		if (info.abi_version != KTTCP_ABI_VERSION || !info.send_modes ||
		    !info.recv_modes || !info.kernel[0]) {
			snprintf(why, sz, "INFO output wrong (abi %u)",
				 info.abi_version);
			return why;
		}
		return NULL;
	case K_PROGRESS:
		return NULL;
	default:
		if (!(io.status & KTTCP_ST_VALID) || io.error ||
		    io.bytes != total) {
			snprintf(why, sz, "success with status %#x error %d, "
				 "%llu of %llu bytes", io.status, io.error,
				 (unsigned long long)io.bytes,
				 (unsigned long long)total);
			return why;
		}
		if (io.status & (KTTCP_ST_MISMATCH | KTTCP_ST_ZC_DETACHED)) {
			snprintf(why, sz, "success with status %#x",
				 io.status);
			return why;
		}
		return NULL;
	}
}

/* JSON string quoting for our own short texts (no control characters). */
static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc((unsigned char)*s >= 0x20 ? *s : '?', f);
	}
	fputc('"', f);
}

struct result {
	unsigned int points, injected, ok, enomem, efault, other_count;
	unsigned int err_points;	/* distinct n with the expected errno */
	unsigned int reconnects;
	bool stop;
	char other[MAX_OTHER][160];
	char baseline[160], clean[160];
	bool capped;
	double max_secs, secs;
};

static void add_other(struct result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->other_count < MAX_OTHER) {
		va_start(ap, fmt);
		vsnprintf(res->other[res->other_count],
			  sizeof(res->other[0]), fmt, ap);
		va_end(ap);
	}
	res->other_count++;
}

/* Connection state for a transfer case. */
struct conn {
	int fd;
	bool source;
};

static void conn_close(struct conn *cn)
{
	if (cn->fd >= 0)
		close(cn->fd);
	cn->fd = -1;
}

static void conn_ensure(struct conn *cn, struct result *res)
{
	if (cn->fd >= 0)
		return;
	cn->fd = peer_connect(cn->source);
	if (res)
		res->reconnects++;
}

/*
 * After a transfer call: is the fd intact, and may the next call use the
 * connection?  A receive continues the stream only where a pattern
 * period starts (its offsets count from each call's first byte).
 */
static bool conn_after(const struct kcase *c, struct conn *cn, bool valid)
{
	bool intact = sock_intact(cn->fd);

	if (!intact) {
		cn->fd = -1;	/* not ours any more: do not close it */
		return false;
	}
	if (!sock_established(cn->fd) ||
	    (c->kind == K_RECV &&
	     (!valid || io.bytes % KTTCP_PATTERN_PERIOD)))
		conn_close(cn);
	return true;
}

/*
 * One call of case @c with its @n-th fault point failed, judged into
 * @res.  Sets res->stop when the sweep is over: the call did not reach
 * an n-th point (it is then the clean run after the last one), or the
 * socket fd is gone.  Returns true if it ended in the expected errno.
 */
static bool one_point(const struct kcase *c, struct conn *cn, unsigned int n,
		      struct result *res)
{
	bool xfer = c->kind == K_SEND || c->kind == K_RECV;
	bool valid, expected = false;
	char wbuf[160];
	struct call r;

	if (xfer)
		conn_ensure(cn, res);
	call(c, cn->fd, n, &r);
	valid = xfer && (io.status & KTTCP_ST_VALID);
	if (r.secs > res->max_secs)
		res->max_secs = r.secs;

	if (!r.injected) {
		/* Fewer than n points: the clean run after the last. */
		const char *w = success_why(c, &r, wbuf, sizeof(wbuf));

		snprintf(res->clean, sizeof(res->clean), "%s", w ? w : "ok");
		if (xfer && !conn_after(c, cn, valid))
			snprintf(res->clean, sizeof(res->clean),
				 "socket fd lost");
		res->stop = true;
		return false;
	}
	res->injected++;
	if (verbose)
		fprintf(stderr, "%s n=%u: %s, %llu bytes, status %#x, %.3f s\n",
			c->name, n, r.rc ? errname(r.err) : "success",
			(unsigned long long)(xfer ? io.bytes : 0),
			xfer ? io.status : 0, r.secs);
	if (!success_why(c, &r, wbuf, sizeof(wbuf))) {
		res->ok++;
	} else if (r.rc && r.err == expect_errno && !all_unexpected &&
		   (!valid || io.error == expect_errno) &&
		   !(valid && (io.status & KTTCP_ST_ZC_DETACHED))) {
		expected = true;
		if (expect_errno == ENOMEM)
			res->enomem++;
		else
			res->efault++;
	} else if (r.rc) {
		add_other(res, "n=%u: %s%s, %llu bytes, status %#x, error %d",
			  n, errname(r.err), valid ? "" : " (no results)",
			  (unsigned long long)(xfer ? io.bytes : 0),
			  xfer ? io.status : 0, xfer ? io.error : 0);
	} else {
		add_other(res, "n=%u: %s", n, wbuf);
	}
	if (r.secs > CALL_LIMIT)
		add_other(res, "n=%u: the call took %.1f s", n, r.secs);
	if (xfer && !conn_after(c, cn, valid)) {
		add_other(res, "n=%u: the socket fd is gone", n);
		res->stop = true;
	}
	return expected;
}

/* Returns true if the case was clean: every call as it should be. */
static bool run_case(const struct kcase *c)
{
	static struct result res;
	struct conn cn = { .fd = -1, .source = c->kind == K_RECV };
	bool xfer = c->kind == K_SEND || c->kind == K_RECV;
	const char *why;
	char wbuf[160];
	double start = now();
	struct call r;
	unsigned int n, i, rep;

	memset(&res, 0, sizeof(res));
	strcpy(res.baseline, "ok");
	strcpy(res.clean, "-");

	/* Baseline: unarmed, on a fresh connection. */
	if (xfer)
		conn_ensure(&cn, NULL);
	call(c, cn.fd, 0, &r);
	why = success_why(c, &r, wbuf, sizeof(wbuf));
	if (why)
		snprintf(res.baseline, sizeof(res.baseline), "%s", why);
	if (xfer && !conn_after(c, &cn, io.status & KTTCP_ST_VALID) && !why)
		why = strcpy(res.baseline, "socket fd lost");

	for (n = 1; !why && !res.stop; n += step) {
		unsigned int injected = res.injected;
		bool expected = false;

		if (n > cap) {
			res.capped = true;
			break;
		}
		for (rep = 0; rep < repeat && !res.stop; rep++)
			expected |= one_point(c, &cn, n, &res);
		if (expected)
			res.err_points++;
		if (res.injected > injected)
			res.points = n;
	}
	conn_close(&cn);
	res.secs = now() - start;

	printf("{\"pass\":\"%s\",\"case\":\"%s\",\"ioctl\":\"%s\","
	       "\"mode\":\"%s\",\"step\":%u,\"points\":%u,\"injected\":%u,"
	       "\"ok\":%u,\"enomem\":%u,\"efault\":%u,\"err_points\":%u,"
	       "\"other_count\":%u,\"repeat\":%u,\"other\":[", pass, c->name,
	       c->ioctl, c->mode, step, res.points, res.injected, res.ok,
	       res.enomem, res.efault, res.err_points, res.other_count,
	       repeat);
	for (i = 0; i < res.other_count && i < MAX_OTHER; i++) {
		if (i)
			putchar(',');
		jstr(stdout, res.other[i]);
	}
	printf("],\"baseline\":");
	jstr(stdout, res.baseline);
	printf(",\"clean\":");
	jstr(stdout, res.clean);
	printf(",\"capped\":%s,\"reconnects\":%u,\"max_secs\":%.3f,"
	       "\"secs\":%.1f,\"bytes\":%llu,\"chunk\":%u}\n",
	       res.capped ? "true" : "false", res.reconnects, res.max_secs,
	       res.secs, (unsigned long long)total,
	       chunk ? chunk : c->chunk);
	fflush(stdout);
	return !res.other_count && !res.capped &&
	       !strcmp(res.baseline, "ok") && !strcmp(res.clean, "ok");
}

static bool case_ok_json(const struct kcase *c)
{
	struct conn cn = { .fd = -1, .source = c->kind == K_RECV };
	bool xfer = c->kind == K_SEND || c->kind == K_RECV;
	char wbuf[160];
	const char *why;
	struct call r;

	if (xfer)
		conn_ensure(&cn, NULL);
	call(c, cn.fd, 0, &r);
	why = success_why(c, &r, wbuf, sizeof(wbuf));
	if (!why && xfer && !sock_intact(cn.fd))
		why = "socket fd lost";
	printf("{\"pass\":\"sanity\",\"case\":\"%s\",\"ioctl\":\"%s\","
	       "\"mode\":\"%s\",\"ok\":%s,\"detail\":", c->name, c->ioctl,
	       c->mode, why ? "false" : "true");
	if (why) {
		jstr(stdout, why);
	} else if (xfer) {
		snprintf(wbuf, sizeof(wbuf), "%llu bytes in %.3f s",
			 (unsigned long long)io.bytes, r.secs);
		jstr(stdout, wbuf);
	} else {
		jstr(stdout, "ok");
	}
	printf("}\n");
	fflush(stdout);
	conn_close(&cn);
	return !why;
}

/* --- setup ------------------------------------------------------------ */

/* Touch the stack far below where any call here goes. */
static void __attribute__((noinline)) prefault_stack(void)
{
	volatile char b[512 * 1024];
	size_t i;

	for (i = 0; i < sizeof(b); i += 4096)
		b[i] = 0;
}

static void select_cases(char *list)
{
	char *tok, *save = NULL;
	size_t i;

	memset(selected, 0, sizeof(selected));
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NR_CASES; i++)
			if (!strcmp(tok, cases[i].name))
				break;
		if (i == NR_CASES) {
			errno = 0;
			die("unknown case '%s' (failnth -l lists them)", tok);
		}
		selected[i] = true;
	}
}

static unsigned long long number(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		errno = 0;
		die("bad %s '%s'", what, s);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: failnth [-P alloc|usercopy] [-t CASE,...] [-b BYTES] "
		"[-C CHUNK] [-k STEP]\n"
		"               [-r REPEAT] [-c CAP] [-a ADDR] [-N] [-U] [-v]\n"
		"       failnth -S [-t CASE,...] [-b BYTES] [-a ADDR]\n"
		"       failnth -l\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	bool all_ok = true;
	size_t i;
	int opt;

	for (i = 0; i < NR_CASES; i++)
		selected[i] = true;
	while ((opt = getopt(argc, argv, "a:P:t:b:C:k:c:r:NUSlv")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'P':
			pass = optarg;
			break;
		case 't':
			select_cases(optarg);
			break;
		case 'b':
			total = number(optarg, "byte count");
			break;
		case 'C':
			chunk = number(optarg, "chunk");
			break;
		case 'k':
			step = number(optarg, "step");
			break;
		case 'c':
			cap = number(optarg, "cap");
			break;
		case 'r':
			repeat = number(optarg, "repeat count");
			break;
		case 'N':
			no_arm = true;
			break;
		case 'U':
			all_unexpected = true;
			break;
		case 'S':
			sanity = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'l':
			for (i = 0; i < NR_CASES; i++)
				printf("%s\n", cases[i].name);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc || !step || !repeat || !total)
		usage();
	if (!strcmp(pass, "alloc"))
		expect_errno = ENOMEM;
	else if (!strcmp(pass, "usercopy"))
		expect_errno = EFAULT;
	else
		usage();

	errno = 0;
	kfd = open(KTTCP_DEVICE, O_RDWR);
	if (kfd < 0)
		die("%s", KTTCP_DEVICE);
	if (!sanity && !no_arm) {
		fnfd = open(FAIL_NTH, O_RDWR);
		if (fnfd < 0)
			die("%s (a kernel without CONFIG_FAULT_INJECTION?)",
			    FAIL_NTH);
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: EINTR */
	start_server();

	if (!sanity) {
		/*
		 * After the fork: mlock faults every writable private page
		 * in for writing, which also ends its sharing with the
		 * server (copy-on-write) for good.
		 */
		prefault_stack();
		if (mlockall(MCL_CURRENT | MCL_FUTURE))
			die("mlockall");
		/* Resolve every library call of the armed window once. */
		if (!no_arm && (fail_nth_write("0", 1) ||
				pread(fnfd, rbuf, sizeof(rbuf) - 1, 0) <= 0))
			die("%s", FAIL_NTH);
		now();
	}

	for (i = 0; i < NR_CASES; i++) {
		if (!selected[i])
			continue;
		if (sanity)
			all_ok &= case_ok_json(&cases[i]);
		else
			all_ok &= run_case(&cases[i]);
	}
	kill(server_pid, SIGKILL);
	return all_ok ? 0 : 1;
}
