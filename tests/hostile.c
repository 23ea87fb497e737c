// SPDX-License-Identifier: GPL-2.0
/*
 * hostile.c - peers that do what TCP allows, and callers that race: the
 * module must stay correct, never spin, and leave the caller's socket as
 * it was.  Runs in a lab guest with kttcp.ko loaded, as root, on loopback.
 *
 *   hostile [-a addr]
 *   hostile -n            print the number of checks it plans, and exit
 *
 * Checks, each "ok N - ..." or "not ok N - ...":
 *  - urgent data (MSG_OOB) in mid-stream: every receive mode counts the
 *    stream that recv() returns (without the urgent byte, or with it
 *    under SO_OOBINLINE); with the peer still connected after the urgent
 *    byte no mode spins, and SO_RCVTIMEO still ends a wait at the mark;
 *  - SO_RCVTIMEO and SO_SNDTIMEO mean "no progress for that long": a
 *    peer that sends, or reads, a little at intervals shorter than the
 *    timeout (and longer in sum) is served to the end in every mode;
 *  - a half-closed socket (its owner did shutdown(SHUT_WR)) receives in
 *    every mode, and sending on it is EPIPE with nothing moved;
 *  - a zerocopy send on a kTLS socket (which refuses a disconnect) that
 *    times out with pages lent leaves the socket connected and usable;
 *  - one transfer per socket: while one runs, another on the same socket
 *    gets EBUSY, from another process, another open file of /dev/kttcp,
 *    or a dup()ed descriptor, sending or receiving; then it is free;
 *  - a signal ends a zerocopy send as it ends the other modes: within a
 *    second, with the socket connected and usable afterwards, and the
 *    peer gets exactly the bytes the module reported, then EOF (no
 *    reset), whether the peer was reading or not at that moment, and
 *    for SIGSTOP and SIGCONT (Ctrl-Z, fg) as for a handled signal.
 *
 * Every wait has a timeout: a child that hangs is killed by its own
 * alarm, and a module that spins is caught by the caller's, whose signal
 * ends the transfer (the check then fails, naming EINTR).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/ktest.h"

#define PLANNED	42

#define KIB	1024
#define MIB	(1024 * 1024)

static const char *const rmode_name[] = { "copy", "trunc", "readsock" };
static const char *const smode_name[] = { "copy", "sendpage", "zerocopy" };

static char zeros[MIB];

static void on_signal(int sig)
{
	(void)sig;
}

/* SIGUSR1 and SIGALRM interrupt ioctls (no SA_RESTART) and do nothing. */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGALRM, &sa, NULL))
		die("sigaction");
}

/* Run an ioctl under a @secs guard: a hang becomes EINTR, not a hang. */
static int guarded_ioctl(int kfd, unsigned long cmd, struct kttcp_io *io,
			 unsigned int secs)
{
	int rc;

	alarm(secs);
	rc = ioctl(kfd, cmd, io);
	if (rc)
		rc = errno;
	alarm(0);
	return rc;
}

static void send_all(int s, size_t n)
{
	while (n) {
		ssize_t k = send(s, zeros, n < sizeof(zeros) ? n : sizeof(zeros),
				 MSG_NOSIGNAL);

		if (k <= 0)
			_exit(3);
		n -= k;
	}
}

/* Read until EOF or an error; returns bytes, *err the error (0: EOF). */
static size_t read_to_end(int s, int *err)
{
	static char b[256 * KIB];
	size_t total = 0;
	ssize_t k;

	while ((k = read(s, b, sizeof(b))) > 0)
		total += k;
	*err = k < 0 ? errno : 0;
	return total;
}

/* Wait up to @secs for @n bytes on pipe @fd; false on timeout or EOF. */
static bool pipe_read(int fd, void *buf, size_t n, double secs)
{
	double end = now() + secs;
	char *p = buf;

	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms = (int)((end - now()) * 1000);
		ssize_t k;

		if (ms <= 0 || poll(&pfd, 1, ms) <= 0)
			return false;
		k = read(fd, p, n);
		if (k <= 0)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

static void pipe_write(int fd, const void *buf, size_t n)
{
	if (write(fd, buf, n) != (ssize_t)n)
		_exit(4);
}

/*
 * A child that runs @fn on socket @s and exits, killed after 60 s.  It
 * closes @other, the parent's end: a copy of it held open in the child
 * would keep the connection from ever seeing EOF.
 */
static pid_t child(void (*fn)(int s, void *arg), int s, int other, void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		alarm(60);
		signal(SIGALRM, SIG_DFL);
		close(other);
		fn(s, arg);
		_exit(0);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int tcp_state(int s)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
}

static void set_timeo(int s, int opt, double secs)
{
	struct timeval tv = { .tv_sec = (time_t)secs,
			      .tv_usec = (long)((secs - (time_t)secs) * 1e6) };

	if (setsockopt(s, SOL_SOCKET, opt, &tv, sizeof(tv)))
		die("SO_RCVTIMEO/SO_SNDTIMEO");
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *err_name(int e)
{
	return e ? strerror(e) : "success";
}

/* --- urgent data ----------------------------------------------------- */

struct urgent {
	size_t before, after;	/* stream bytes around the urgent byte */
	unsigned int pause_ms;	/* between the urgent byte and the rest */
	bool stay;		/* then stay connected until we close */
};

static void peer_urgent(int s, void *arg)
{
	const struct urgent *u = arg;
	int err;

	send_all(s, u->before);
	if (send(s, "!", 1, MSG_OOB) != 1)
		_exit(3);
	usleep(u->pause_ms * 1000);
	send_all(s, u->after);
	if (u->stay)
		read_to_end(s, &err);
}

/*
 * Receive in @mode from a peer playing @u; returns the ioctl's errno and
 * the result in *io, the wall and thread CPU time in *wall and *cpu.
 */
static int recv_urgent(unsigned int mode, const struct urgent *u,
		       bool inline_oob, double rcvtimeo, struct kttcp_io *io,
		       double *wall, double *cpu)
{
	int c, s, rc, one = 1, kfd = kttcp_open();
	double t0, c0;
	pid_t pid;

	tcp_pair(&c, &s);
	if (inline_oob &&
	    setsockopt(c, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)))
		die("SO_OOBINLINE");
	if (rcvtimeo)
		set_timeo(c, SO_RCVTIMEO, rcvtimeo);
	pid = child(peer_urgent, s, c, (void *)u);
	close(s);
	io_init(io, c, mode, 0);
	t0 = now();
	c0 = thread_cpu();
	rc = guarded_ioctl(kfd, KTTCP_IOC_RECV, io, 20);
	*cpu = thread_cpu() - c0;
	*wall = now() - t0;
	close(c);
	reap(pid);
	close(kfd);
	return rc;
}

/* Silence after the urgent byte, the peer still connected: no spinning. */
static void urgent_paused(unsigned int m)
{
	const struct urgent paused = { .before = 64 * KIB, .after = 64 * KIB,
				       .pause_ms = 1500 };
	struct kttcp_io io;
	double wall, cpu;
	int rc;

	rc = recv_urgent(m, &paused, false, 0, &io, &wall, &cpu);
	check(rc == 0 && io.bytes == 128 * KIB && cpu < wall / 2,
	      "urgent byte, then 1.5 s of silence: %s counts %llu of %d bytes (%s) using %.2f s CPU in %.2f s",
	      rmode_name[m], (unsigned long long)io.bytes, 128 * KIB,
	      err_name(rc), cpu, wall);
}

/* A peer that goes quiet after the urgent byte: SO_RCVTIMEO still ends it. */
static void urgent_quiet(unsigned int m)
{
	const struct urgent quiet = { .before = 64 * KIB, .stay = true };
	struct kttcp_io io;
	double wall, cpu;
	int rc;

	rc = recv_urgent(m, &quiet, false, 1.0, &io, &wall, &cpu);
	check(rc == EAGAIN && io.bytes == 64 * KIB && wall < 10,
	      "urgent byte, then a quiet peer: SO_RCVTIMEO 1 s ends %s after %.2f s with %s, %llu bytes",
	      rmode_name[m], wall, err_name(rc),
	      (unsigned long long)io.bytes);
}

static void test_urgent(void)
{
	const struct urgent closed = { .before = MIB, .after = MIB };
	struct kttcp_io io;
	double wall, cpu;
	unsigned int m, oob;
	int rc;

	for (oob = 0; oob < 2; oob++) {
		for (m = 0; m < KTTCP_RECV_NR_MODES; m++) {
			uint64_t want = 2 * MIB + oob;

			rc = recv_urgent(m, &closed, oob, 0, &io, &wall, &cpu);
			check(rc == 0 && io.bytes == want &&
			      (io.status & KTTCP_ST_EOF),
			      "urgent byte between two MiB%s: %s counts %llu of %llu bytes (%s)",
			      oob ? ", SO_OOBINLINE" : "", rmode_name[m],
			      (unsigned long long)io.bytes,
			      (unsigned long long)want, err_name(rc));
		}
	}
	/* These wait on purpose: every mode at once. */
	ktest_parallel(urgent_paused, KTTCP_RECV_NR_MODES);
	ktest_parallel(urgent_quiet, KTTCP_RECV_NR_MODES);
}

/* --- timeouts bound a wait for progress, not the transfer ------------ */

static void peer_trickle(int s, void *arg)
{
	int i, err;

	(void)arg;
	for (i = 0; i < 3; i++) {
		if (i)
			usleep(1200 * 1000);
		send_all(s, 256 * KIB);
	}
	shutdown(s, SHUT_WR);
	read_to_end(s, &err);
}

struct slow_reader {
	int result;		/* pipe: struct read_report */
	unsigned int pause_ms;	/* after each read of up to 64 KiB */
};

struct read_report {
	uint64_t total;
	int err;
};

/* Read 64 KiB at a time until EOF; report the count and the error. */
static void peer_slow_reader(int s, void *arg)
{
	const struct slow_reader *r = arg;
	struct read_report rep = { 0 };
	static char b[64 * KIB];
	ssize_t k;

	while ((k = read(s, b, sizeof(b))) > 0) {
		rep.total += k;
		usleep(r->pause_ms * 1000);
	}
	rep.err = k < 0 ? errno : 0;
	pipe_write(r->result, &rep, sizeof(rep));
}

/* A peer that sends 256 KiB every 1.2 s, under SO_RCVTIMEO 2 s. */
static void timeout_recv(unsigned int m)
{
	struct kttcp_io io;
	int c, s, rc, kfd = kttcp_open();
	pid_t pid;

	tcp_pair(&c, &s);
	set_timeo(c, SO_RCVTIMEO, 2.0);
	pid = child(peer_trickle, s, c, NULL);
	close(s);
	io_init(&io, c, m, 0);
	rc = guarded_ioctl(kfd, KTTCP_IOC_RECV, &io, 30);
	close(c);
	reap(pid);
	close(kfd);
	check(rc == 0 && io.bytes == 768 * KIB && (io.status & KTTCP_ST_EOF),
	      "SO_RCVTIMEO 2 s, 256 KiB every 1.2 s: %s receives %llu of %d bytes (%s)",
	      rmode_name[m], (unsigned long long)io.bytes, 768 * KIB,
	      err_name(rc));
}

/* A peer that reads 64 KiB every 100 ms, under SO_SNDTIMEO 1 s. */
static void timeout_send(unsigned int m)
{
	int p[2], sndbuf = MIB, rcvbuf = 64 * KIB;
	struct read_report rep = { 0, -1 };
	struct slow_reader r;
	struct kttcp_io io;
	int c, s, rc, kfd = kttcp_open();
	pid_t pid;

	if (pipe(p))
		die("pipe");
	tcp_pair(&c, &s);
	set_timeo(c, SO_SNDTIMEO, 1.0);
	/* FORCE: past wmem_max, so the queue outlasts the timeout. */
	if (setsockopt(c, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(int)) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(int)))
		die("SO_SNDBUFFORCE/SO_RCVBUF");
	r.result = p[1];
	r.pause_ms = 100;
	pid = child(peer_slow_reader, s, c, &r);
	close(s);
	close(p[1]);
	io_init(&io, c, m, 3 * MIB);
	rc = guarded_ioctl(kfd, KTTCP_IOC_SEND, &io, 30);
	close(c);
	pipe_read(p[0], &rep, sizeof(rep), 30);
	close(p[0]);
	reap(pid);
	close(kfd);
	/*
	 * The peer takes at least 100 ms per 64 KiB: a queue of over a MiB
	 * drains for longer than the timeout, whatever the machine, and
	 * zerocopy waits for every page of it.
	 */
	check(rc == 0 && io.bytes == 3 * MIB && rep.total == 3 * MIB &&
	      rep.err == 0 && !(io.status & KTTCP_ST_ZC_RESET) &&
	      (m != KTTCP_SEND_ZEROCOPY || io.zc_wait_ns > 1000000000),
	      "SO_SNDTIMEO 1 s, a peer reading 64 KiB every 100 ms: %s sends %llu of %d bytes (%s; %.2f s sending, %.2f s waiting for pages), the peer reads %llu (%s)",
	      smode_name[m], (unsigned long long)io.bytes, 3 * MIB,
	      err_name(rc), io.elapsed_ns / 1e9, io.zc_wait_ns / 1e9,
	      (unsigned long long)rep.total,
	      rep.err < 0 ? "no report" : err_name(rep.err));
}

/* Each mode in its own process at once: these tests are mostly waiting. */
static void test_timeouts(void)
{
	ktest_parallel(timeout_recv, KTTCP_RECV_NR_MODES);
	ktest_parallel(timeout_send, KTTCP_SEND_NR_MODES);
}

/* --- half-closed sockets --------------------------------------------- */

/* Send 1 MiB, then wait for the word to close (a byte on pipe @arg). */
static void peer_send_then_wait(int s, void *arg)
{
	int go = *(int *)arg;
	char b;

	send_all(s, MIB);
	if (read(go, &b, 1) < 0)
		_exit(5);
}

static void test_half_closed(void)
{
	struct kttcp_io io;
	unsigned int m;
	int c, s, rc, st, p[2], kfd = kttcp_open();
	double end;
	char b;
	pid_t pid;

	for (m = 0; m < KTTCP_RECV_NR_MODES; m++) {
		tcp_pair(&c, &s);
		if (shutdown(c, SHUT_WR) || read(s, &b, 1) != 0)
			die("shutdown");
		/* The peer has our FIN; its ACK takes us to FIN_WAIT2. */
		end = now() + 5;
		while ((st = tcp_state(c)) != TCP_FIN_WAIT2 && now() < end)
			usleep(1000);
		if (pipe(p))
			die("pipe");
		pid = child(peer_send_then_wait, s, c, &p[0]);
		close(s);
		close(p[0]);
		io_init(&io, c, m, MIB);
		rc = guarded_ioctl(kfd, KTTCP_IOC_RECV, &io, 20);
		pipe_write(p[1], "x", 1);
		close(p[1]);
		reap(pid);
		check(st == TCP_FIN_WAIT2 && rc == 0 && io.bytes == MIB,
		      "after shutdown(SHUT_WR) (state %s): %s receives %llu of %d bytes (%s)",
		      st == TCP_FIN_WAIT2 ? "FIN_WAIT2" : "not FIN_WAIT2",
		      rmode_name[m], (unsigned long long)io.bytes, MIB,
		      err_name(rc));
		close(c);
	}
	for (m = 0; m < KTTCP_SEND_NR_MODES; m++) {
		tcp_pair(&c, &s);
		if (shutdown(c, SHUT_WR))
			die("shutdown");
		io_init(&io, c, m, MIB);
		rc = guarded_ioctl(kfd, KTTCP_IOC_SEND, &io, 20);
		check(rc == EPIPE && !(io.status & KTTCP_ST_VALID) &&
		      read(s, &b, 1) == 0,
		      "after shutdown(SHUT_WR): %s send is EPIPE (%s), nothing moved",
		      smode_name[m], err_name(rc));
		close(c);
		close(s);
	}
	close(kfd);
}

/* --- a socket another layer owns is never disconnected -------------- */

/*
 * kTLS (the ULP alone, no keys: TCP still sends) refuses a disconnect.
 * A zerocopy send on it that times out with pages lent must leave it as it
 * was: connected (connect() says EISCONN, not EINVAL for a socket marked
 * disconnecting), the pages left with the stack, and the stream intact.
 */
static void test_layered_timeout(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct read_report rep = { 0, -1 };
	struct slow_reader r = { .pause_ms = 0 };
	struct kttcp_io io, io2;
	int c, s, rc, rc2, ulp, e, p[2], kfd = kttcp_open();
	pid_t pid;

	if (system("modprobe -q tls") != 0)
		fprintf(stderr, "modprobe tls failed\n");
	tcp_pair(&c, &s);
	ulp = setsockopt(c, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls"));
	set_timeo(c, SO_SNDTIMEO, 1.0);
	io_init(&io, c, KTTCP_SEND_ZEROCOPY, 64ULL * MIB);
	rc = guarded_ioctl(kfd, KTTCP_IOC_SEND, &io, 30);
	check(ulp == 0 && rc == EAGAIN && (io.status & KTTCP_ST_ZC_DETACHED) &&
	      io.zc_outstanding > 0 && !(io.status & KTTCP_ST_ZC_RESET),
	      "kTLS socket, peer not reading: SO_SNDTIMEO ends zerocopy (%s), %llu batches left lent, %s",
	      ulp ? "no kTLS" : err_name(rc),
	      (unsigned long long)io.zc_outstanding,
	      io.status & KTTCP_ST_ZC_RESET ? "connection reset" : "no reset");
	if (getpeername(c, (struct sockaddr *)&ss, &len))
		die("getpeername");
	rc2 = connect(c, (struct sockaddr *)&ss, len);
	e = errno;
	check(rc2 == -1 && e == EISCONN,
	      "... and the socket is still connected: connect() says %s",
	      rc2 ? strerror(e) : "success");
	if (pipe(p))
		die("pipe");
	r.result = p[1];
	pid = child(peer_slow_reader, s, c, &r);
	close(s);
	close(p[1]);
	io_init(&io2, c, KTTCP_SEND_COPY, MIB);
	rc2 = guarded_ioctl(kfd, KTTCP_IOC_SEND, &io2, 30);
	close(c);
	pipe_read(p[0], &rep, sizeof(rep), 30);
	close(p[0]);
	reap(pid);
	check(rc2 == 0 && rep.err == 0 && rep.total == io.bytes + io2.bytes,
	      "... and usable: the peer reads %llu bytes, the module reported %llu + %llu (%s), then %s",
	      (unsigned long long)rep.total, (unsigned long long)io.bytes,
	      (unsigned long long)io2.bytes, err_name(rc2),
	      rep.err < 0 ? "no report" : rep.err ? strerror(rep.err) : "EOF");
	close(kfd);
}

/* --- one transfer per socket ----------------------------------------- */

/* Receive on @c until a signal; exit with the ioctl's errno. */
static void receive_until_signal(int c, void *arg)
{
	struct kttcp_io io;
	int kfd = *(int *)arg;

	io_init(&io, c, KTTCP_RECV_TRUNC, 0);
	_exit(ioctl(kfd, KTTCP_IOC_RECV, &io) ? errno : 0);
}

/* Wait until @kfd's file has @n transfers running. */
static bool running(int kfd, unsigned int n)
{
	struct kttcp_progress p = { .size = sizeof(p),
				    .version = KTTCP_ABI_VERSION };
	double end = now() + 10;

	while (now() < end) {
		if (ioctl(kfd, KTTCP_IOC_PROGRESS, &p))
			return false;
		if (p.active == n)
			return true;
		usleep(1000);
	}
	return false;
}

static void peer_send_mib(int s, void *arg)
{
	(void)arg;
	send_all(s, MIB);
}

static void test_busy(void)
{
	struct kttcp_io io;
	int c, s, d, rc, kfd = kttcp_open(), kfd2 = kttcp_open();
	pid_t pid;

	tcp_pair(&c, &s);
	pid = child(receive_until_signal, c, s, &kfd);
	check(running(kfd, 1), "a receive runs in another process");

	io_init(&io, c, KTTCP_RECV_COPY, MIB);
	rc = guarded_ioctl(kfd, KTTCP_IOC_RECV, &io, 5);
	check(rc == EBUSY && !(io.status & KTTCP_ST_VALID),
	      "a second receive on the socket, same open file: EBUSY (%s)",
	      err_name(rc));
	io_init(&io, c, KTTCP_RECV_READSOCK, MIB);
	rc = guarded_ioctl(kfd2, KTTCP_IOC_RECV, &io, 5);
	check(rc == EBUSY, "... from another open file of the device: EBUSY (%s)",
	      err_name(rc));
	d = dup(c);
	io_init(&io, d, KTTCP_SEND_COPY, MIB);
	rc = guarded_ioctl(kfd2, KTTCP_IOC_SEND, &io, 5);
	check(rc == EBUSY && recv(s, zeros, 1, MSG_DONTWAIT) < 0 &&
	      errno == EAGAIN,
	      "... a send through a dup()ed descriptor: EBUSY (%s), nothing sent",
	      err_name(rc));
	close(d);
	kill(pid, SIGUSR1);
	rc = reap(pid);
	check(rc == EINTR, "the first receive ends on its signal (%s)",
	      rc < 0 ? "not reaped" : err_name(rc));
	pid = child(peer_send_mib, s, c, NULL);
	io_init(&io, c, KTTCP_RECV_READSOCK, MIB);
	rc = guarded_ioctl(kfd2, KTTCP_IOC_RECV, &io, 20);
	reap(pid);
	check(rc == 0 && io.bytes == MIB,
	      "then the socket is free: a receive gets %llu of %d bytes (%s)",
	      (unsigned long long)io.bytes, MIB, err_name(rc));
	close(c);
	close(s);
	close(kfd);
	close(kfd2);
}

/* --- a signal ends a zerocopy send; the socket stays ------------------ */

struct zc_peer {
	int ready;	/* pipe: a byte once reading or holding */
	int go;		/* pipe: -1, or read nothing until a byte comes */
	int result;	/* pipe: struct read_report */
};

static void peer_zc(int s, void *arg)
{
	const struct zc_peer *z = arg;
	struct read_report rep = { 0 };
	static char b[256 * KIB];
	bool told = false;
	ssize_t k;
	int q = 0;

	if (z->go >= 0) {
		/* Not reading: tell once the sender has filled the window. */
		while (ioctl(s, FIONREAD, &q) == 0 && q < 64 * KIB)
			usleep(1000);
		pipe_write(z->ready, "h", 1);
		if (read(z->go, b, 1) != 1)
			_exit(5);
	}
	while ((k = read(s, b, sizeof(b))) > 0) {
		rep.total += k;
		if (!told && rep.total >= MIB) {
			pipe_write(z->ready, "r", 1);
			told = true;
		}
	}
	rep.err = k < 0 ? errno : 0;
	pipe_write(z->result, &rep, sizeof(rep));
}

struct zc_sender {
	int kfd;
	int result;	/* pipe: two struct kttcp_io, zerocopy then copy */
};

/* Zerocopy for 30 s or until a signal, then 1 MiB by copy; report both. */
static void sender_zc(int c, void *arg)
{
	const struct zc_sender *z = arg;
	struct kttcp_io io;

	io_init(&io, c, KTTCP_SEND_ZEROCOPY, 0);
	io.duration_ns = 30ULL * 1000000000;
	if (ioctl(z->kfd, KTTCP_IOC_SEND, &io))
		io.error = errno;
	pipe_write(z->result, &io, sizeof(io));
	io_init(&io, c, KTTCP_SEND_COPY, MIB);
	if (ioctl(z->kfd, KTTCP_IOC_SEND, &io))
		io.error = errno;
	pipe_write(z->result, &io, sizeof(io));
}

/*
 * Wait up to @secs for socket @c's window to be shut: bytes not yet sent
 * (SIOCOUTQNSD) while every byte sent has been acknowledged (SIOCOUTQ,
 * unacknowledged plus unsent, equals the unsent), seen 20 times in a row
 * 10 ms apart.  Unsent bytes alone are no proof: while TCP is still
 * filling the window some wait their turn for a moment, are sent during
 * the signal's grace period, and their pages come back (seen once on the
 * debug kernel under load).
 */
static bool window_shut(int c, double secs)
{
	double end = now() + secs;
	int outq, unsent, seen = 0;

	while (seen < 20 && now() < end) {
		if (ioctl(c, SIOCOUTQ, &outq) || ioctl(c, SIOCOUTQNSD, &unsent))
			return false;
		seen = unsent > 0 && outq == unsent ? seen + 1 : 0;
		usleep(10000);
	}
	return seen >= 20;
}

/* Is @pid stopped (state T in /proc/PID/stat)? */
static bool stopped(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'T';
}

/*
 * Interrupt the sending child: SIGUSR1 (a handler, as the tool's), or
 * SIGSTOP and, once it has stopped, SIGCONT (Ctrl-Z and fg; the freezer
 * interrupts the same way).  Returns seconds until it ended the ioctl
 * (for SIGSTOP: until it stopped), or -1.
 */
static double interrupt(pid_t pid, bool stop, int out, struct kttcp_io *io)
{
	double t0 = now(), secs = -1, end = t0 + 10;

	if (!stop) {
		kill(pid, SIGUSR1);
		if (pipe_read(out, io, sizeof(*io), 10))
			secs = now() - t0;
		return secs;
	}
	kill(pid, SIGSTOP);
	while (!stopped(pid) && now() < end)
		usleep(1000);
	if (stopped(pid))
		secs = now() - t0;
	kill(pid, SIGCONT);
	if (!pipe_read(out, io, sizeof(*io), 10))
		secs = -1;
	return secs;
}

static void zc_signal(bool reading, bool stop)
{
	int c, s, ready[2], go[2], res[2], out[2], kfd = kttcp_open();
	struct zc_peer zp;
	struct zc_sender zs = { .kfd = kfd };
	struct kttcp_io io[2];
	struct read_report rep = { 0, -1 };
	const char *what = stop ? "SIGSTOP, SIGCONT, peer reading" :
			   reading ? "peer reading" : "peer not reading";
	pid_t peer, sender;
	double secs = -1;
	bool got = false;
	char b;

	if (pipe(ready) || pipe(go) || pipe(res) || pipe(out))
		die("pipe");
	memset(io, 0, sizeof(io));
	tcp_pair(&c, &s);
	zp = (struct zc_peer){ .ready = ready[1], .go = reading ? -1 : go[0],
			       .result = res[1] };
	peer = child(peer_zc, s, c, &zp);
	zs.result = out[1];
	sender = child(sender_zc, c, s, &zs);
	close(s);
	close(ready[1]);
	close(res[1]);
	close(out[1]);
	/*
	 * go[0] stays open here until the end: with a reading peer nobody
	 * reads "go", and once both children have exited (a slow parent, on
	 * a loaded host) writing it would fail with EPIPE (seen in CI).
	 */

	/*
	 * Not reading: signal once the sender has bytes it cannot send (the
	 * window is shut), which hold lent pages nothing will give back.
	 */
	if (pipe_read(ready[0], &b, 1, 30) && (reading || window_shut(c, 30))) {
		secs = interrupt(sender, stop, out[0], &io[0]);
		got = secs >= 0;
	}
	close(c);
	check(got && io[0].error == EINTR &&
	      (io[0].status & KTTCP_ST_SIGNAL) && secs < 1.0 &&
	      !(io[0].status & KTTCP_ST_ZC_RESET) &&
	      (reading || ((io[0].status & KTTCP_ST_ZC_DETACHED) &&
			   io[0].zc_outstanding > 0)),
	      "zerocopy, %s: a signal ends the send in %.2f s (%s), %s, status %#x, %llu batches left lent",
	      what, secs, got ? err_name(io[0].error) : "no result",
	      io[0].status & KTTCP_ST_ZC_RESET ? "connection reset" :
	      "no reset", io[0].status,
	      (unsigned long long)io[0].zc_outstanding);
	pipe_write(go[1], "g", 1);
	got = pipe_read(out[0], &io[1], sizeof(io[1]), 30);
	check(got && io[1].error == 0 && io[1].bytes == MIB,
	      "zerocopy, %s: after the signal the socket still sends (%llu bytes by copy, %s)",
	      what, (unsigned long long)io[1].bytes,
	      got ? err_name(io[1].error) : "no result");
	pipe_read(res[0], &rep, sizeof(rep), 30);
	check(rep.err == 0 && rep.total == io[0].bytes + io[1].bytes,
	      "zerocopy, %s: the peer reads %llu bytes, the module reported %llu + %llu, then %s",
	      what, (unsigned long long)rep.total,
	      (unsigned long long)io[0].bytes, (unsigned long long)io[1].bytes,
	      rep.err < 0 ? "no report" : rep.err ? strerror(rep.err) : "EOF");
	reap(sender);
	reap(peer);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(res[0]);
	close(out[0]);
	close(kfd);
}

static void test_zerocopy_signal(void)
{
	zc_signal(true, false);
	zc_signal(false, false);
	zc_signal(true, true);
}

int main(int argc, char **argv)
{
	ktest_start(argc, argv, "hostile", PLANNED);
	catch_signals();
	signal(SIGPIPE, SIG_IGN);
	test_urgent();
	test_timeouts();
	test_half_closed();
	test_layered_timeout();
	test_busy();
	test_zerocopy_signal();
	return tap_done();
}
