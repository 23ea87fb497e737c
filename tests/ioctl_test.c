// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_test.c - exercise /dev/kttcp's ioctls directly, without the tool.
 *
 * Runs inside a lab guest with kttcp.ko loaded, as root, on loopback
 * (198.18.0.1 is on lo in every lab topology; 127.0.0.1 works too).
 *
 *   ioctl_test [-a addr]
 *   ioctl_test -n            print the number of checks it plans, and exit
 *
 * Checks, each printed as "ok N - ..." or "not ok N - ...":
 *  - KTTCP_IOC_INFO reports the ABI version, all modes and uname's release;
 *    KTTCP_SYSFS_ABI says the same, and ABI 1's request numbers are gone;
 *  - every kind of bad input gets its errno and leaves the socket usable
 *    and untouched (no byte moves): bad fds, non-TCP sockets, unconnected
 *    and listening TCP sockets, unknown ioctls, wrong size/version, unknown
 *    modes and flags, reserved fields set in every structure, zero and
 *    absurd sizes, bad user pointers;
 *  - every send mode against every receive mode moves exactly the bytes
 *    asked for, in-kernel at both ends, with verify on for copy receives;
 *  - a zerocopy send reports one completion per batch of the stream, as
 *    include/kttcp.h defines a batch;
 *  - verify catches a corrupted byte at the right offset;
 *  - the auto chunk grows on a fast path, stays small on a slow one and
 *    shrinks when a path slows down;
 *  - KTTCP_IOC_PROGRESS counts a file's bytes, and shows a transfer
 *    active while it runs;
 *  - in CLOSE_WAIT (the peer closed) a RECV takes what is left, N bytes
 *    when asked for N, then EOF, and a SEND still reaches the peer;
 *  - a signal ends a transfer with EINTR and its bytes, never a restart,
 *    even under SA_RESTART, and also one that TCP never makes wait.
 * Starts with the TAP plan "1..N", ends with "N passed, N failed, 0 skipped";
 * exit status 1 if anything failed or fewer checks ran than planned.
 */
#define _GNU_SOURCE	/* POLLRDHUP */
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
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/ktest.h"

/*
 * Every check main() runs, counted by hand: bump it with each new check
 * (one is not run on the debug kernel: test_auto_chunk_shrinks()).
 */
#define PLANNED 87

/*
 * A connection whose far end a child reads with read() until EOF; with
 * @pause_us, 16 KiB at a time with that pause between reads, and small
 * socket buffers at both ends, so that the sender crawls.
 */
static int tcp_pair_reader(unsigned int pause_us)
{
	int c, s, small = 32 * 1024;

	tcp_pair(&c, &s);
	if (pause_us &&
	    (setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) ||
	     setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small))))
		die("SO_SNDBUF/SO_RCVBUF");
	if (fork() == 0) {
		char b[65536];
		size_t n = pause_us ? 16384 : sizeof(b);

		close(c);
		while (read(s, b, n) > 0)
			if (pause_us)
				usleep(pause_us);
		_exit(0);
	}
	close(s);
	return c;
}

static int tcp_pair_drained(void)
{
	return tcp_pair_reader(0);
}

/* A struct kttcp_io a forked child fills in and the parent reads. */
static struct kttcp_io *shared_io(void)
{
	struct kttcp_io *io = mmap(NULL, sizeof(*io), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (io == MAP_FAILED)
		die("mmap");
	return io;
}

/* SIGALRM interrupts an ioctl (no SA_RESTART) and does nothing else. */
static void on_alarm(int sig)
{
	(void)sig;
}

static void alarm_interrupts(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		die("sigaction");
}

/* Write @val to /proc/sys file @path; its old value goes to @old. */
static void sysctl_swap(const char *path, const char *val, char *old,
			size_t len)
{
	FILE *f = fopen(path, "r+");

	if (!f || (old && !fgets(old, (int)len, f)))
		die(path);
	rewind(f);
	fputs(val, f);
	if (fclose(f))
		die(path);
}

/*
 * Expect ioctl to fail with @want, at once: one that bad input should
 * refuse but that runs instead (a transfer on a socket whose peer sends
 * nothing) ends after 10 s with EINTR, a failed check and not a hang.
 */
static void expect_errno(int kfd, unsigned long cmd, void *arg, int want,
			 const char *what)
{
	int rc, e;

	alarm(10);
	rc = ioctl(kfd, cmd, arg);
	e = errno;
	alarm(0);

	check(rc == -1 && e == want, "%s: %s (got %s)", what, strerror(want),
	      rc == -1 ? strerror(e) : "success");
}

/* Nothing may have been sent on the pair: the peer has no data. */
static void expect_untouched(int peer, const char *what)
{
	char b;
	ssize_t n = recv(peer, &b, 1, MSG_DONTWAIT);

	check(n == -1 && errno == EAGAIN, "%s: no byte moved", what);
}

static void test_info(int kfd)
{
	struct kttcp_info info = { .size = sizeof(info),
				   .version = KTTCP_ABI_VERSION };
	struct utsname u;
	void *ro;
	int rc;

	uname(&u);
	rc = ioctl(kfd, KTTCP_IOC_INFO, &info);
	check(rc == 0 &&
	      info.abi_version == KTTCP_ABI_VERSION &&
	      info.send_modes == 7 && info.recv_modes == 7 &&
	      !strcmp(info.kernel, u.release) && info.module[0],
	      "INFO: ABI %u, modes %#x/%#x, kernel %s, module %s",
	      info.abi_version, info.send_modes, info.recv_modes,
	      info.kernel, info.module);

	info.version = KTTCP_ABI_VERSION + 1;
	expect_errno(kfd, KTTCP_IOC_INFO, &info, EINVAL, "INFO wrong version");
	info.version = KTTCP_ABI_VERSION;
	info.size = sizeof(info) - 8;
	expect_errno(kfd, KTTCP_IOC_INFO, &info, EINVAL, "INFO wrong size");
	expect_errno(kfd, KTTCP_IOC_INFO, NULL, EFAULT, "INFO NULL pointer");
	expect_errno(kfd, KTTCP_IOC_INFO, (void *)8, EFAULT,
		     "INFO unmapped pointer");
	info.size = sizeof(info);
	info.reserved0 = 1;
	expect_errno(kfd, KTTCP_IOC_INFO, &info, EINVAL,
		     "INFO reserved0 set");
	info.reserved0 = 0;
	info.reserved[0] = 1;
	expect_errno(kfd, KTTCP_IOC_INFO, &info, EINVAL,
		     "INFO reserved[0] set");
	info.reserved[0] = 0;
	info.reserved[1] = 1;
	expect_errno(kfd, KTTCP_IOC_INFO, &info, EINVAL,
		     "INFO reserved[1] set");
	info.reserved[1] = 0;

	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		die("mmap");
	info.size = sizeof(info);
	memcpy(ro, &info, sizeof(info));
	mprotect(ro, 4096, PROT_READ);
	expect_errno(kfd, KTTCP_IOC_INFO, ro, EFAULT, "INFO read-only buffer");
	munmap(ro, 4096);

	expect_errno(kfd, _IO('k', 0x7f), NULL, ENOTTY, "unknown ioctl nr");
	expect_errno(kfd, _IOWR('x', 0x01, struct kttcp_io), &info, ENOTTY,
		     "unknown ioctl magic");
	expect_errno(kfd, _IOWR('k', 0x01, struct kttcp_progress), &info, ENOTTY,
		     "SEND number with the wrong size encoded");
}

/*
 * ABI 1's requests ('k' 0x00-0x03, in ranges ioctl-number.rst gives to
 * other drivers) are gone; the ABI is readable in sysfs for any tool.
 */
static void test_abi(int kfd)
{
	struct kttcp_info info = { .size = sizeof(info), .version = 1 };
	char buf[16] = "";
	int fd = open(KTTCP_SYSFS_ABI, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	check(n > 0 && atoi(buf) == KTTCP_ABI_VERSION && buf[n - 1] == '\n',
	      "%s reads %d (got \"%.*s\")", KTTCP_SYSFS_ABI,
	      KTTCP_ABI_VERSION, n > 0 ? (int)n - 1 : 0, buf);
	expect_errno(kfd, _IOWR('k', 0x00, struct kttcp_info), &info, ENOTTY,
		     "ABI 1's INFO request number");
}

static void test_bad_fds(int kfd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct kttcp_io io;
	int fd, sv[2];

	fd = open("/dev/null", O_RDONLY);
	io_init(&io, fd, KTTCP_SEND_COPY, 4096);
	expect_errno(kfd, KTTCP_IOC_SEND, &io, ENOTSOCK, "SEND on /dev/null");
	close(fd);
	expect_errno(kfd, KTTCP_IOC_SEND, &io, EBADF, "SEND on a closed fd");
	io.fd = -1;
	expect_errno(kfd, KTTCP_IOC_RECV, &io, EBADF, "RECV on fd -1");

	/* A connected UDP socket: connect() on UDP sends nothing. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_port = htons(9);
	inet_pton(AF_INET, ktest_addr, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect udp");
	io_init(&io, fd, KTTCP_SEND_COPY, 4096);
	expect_errno(kfd, KTTCP_IOC_SEND, &io, EPROTONOSUPPORT,
		     "SEND on a UDP socket");
	close(fd);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	io_init(&io, sv[0], KTTCP_RECV_COPY, 0);
	expect_errno(kfd, KTTCP_IOC_RECV, &io, EPROTONOSUPPORT,
		     "RECV on a unix stream socket");
	close(sv[0]);
	close(sv[1]);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	io_init(&io, fd, KTTCP_SEND_COPY, 4096);
	expect_errno(kfd, KTTCP_IOC_SEND, &io, ENOTCONN,
		     "SEND on an unconnected TCP socket");
	listen(fd, 1);
	io.mode = KTTCP_RECV_TRUNC;
	io.total = 0;
	expect_errno(kfd, KTTCP_IOC_RECV, &io, ENOTCONN,
		     "RECV on a listening TCP socket");
	close(fd);
}

/* Bad arguments on a good connection: errno, and nothing moves. */
static void test_bad_args(int kfd)
{
	struct kttcp_io io, *ro;
	int c, s, rc;

	tcp_pair(&c, &s);

#define BAD(cmd, field_set, want, what) do {				\
		io_init(&io, c, KTTCP_SEND_COPY, 4096);			\
		if ((cmd) == KTTCP_IOC_RECV) {				\
			io.mode = KTTCP_RECV_COPY;			\
			io.total = 0;					\
		}							\
		field_set;						\
		expect_errno(kfd, cmd, &io, want, what);		\
	} while (0)

	BAD(KTTCP_IOC_SEND, io.version = 0, EINVAL, "SEND version 0");
	BAD(KTTCP_IOC_SEND, io.size = sizeof(io) + 8, EINVAL,
	    "SEND size too large");
	BAD(KTTCP_IOC_SEND, io.size = 8, EINVAL, "SEND size too small");
	BAD(KTTCP_IOC_SEND, io.mode = KTTCP_SEND_NR_MODES, EINVAL,
	    "SEND unknown mode");
	BAD(KTTCP_IOC_RECV, io.mode = 99, EINVAL, "RECV unknown mode");
	BAD(KTTCP_IOC_SEND, io.flags = 1U << 31, EINVAL,
	    "SEND unknown flag bit");
	BAD(KTTCP_IOC_SEND, io.flags = KTTCP_F_VERIFY, EINVAL,
	    "SEND with verify");
	BAD(KTTCP_IOC_RECV, (io.mode = KTTCP_RECV_TRUNC,
			     io.flags = KTTCP_F_VERIFY), EINVAL,
	    "RECV trunc with verify");
	BAD(KTTCP_IOC_SEND, io.total = 0, EINVAL,
	    "SEND with no byte count and no duration");
	BAD(KTTCP_IOC_SEND, io.chunk = KTTCP_CHUNK_MAX + 1, EINVAL,
	    "SEND chunk above the maximum");
	BAD(KTTCP_IOC_SEND, io.chunk = 0xffffffff, EINVAL,
	    "SEND absurd chunk");
	BAD(KTTCP_IOC_SEND, io.duration_ns = KTTCP_DURATION_MAX_NS + 1,
	    EINVAL, "SEND absurd duration");
	BAD(KTTCP_IOC_RECV, io.duration_ns = 1000000, EINVAL,
	    "RECV with a duration");
	BAD(KTTCP_IOC_SEND, io.reserved_in[0] = 1, EINVAL,
	    "SEND reserved_in[0] set");
	BAD(KTTCP_IOC_SEND, io.reserved_in[1] = 1, EINVAL,
	    "SEND reserved_in[1] set");
	BAD(KTTCP_IOC_RECV, io.reserved_in[0] = 1, EINVAL,
	    "RECV reserved_in[0] set");
	BAD(KTTCP_IOC_RECV, io.reserved_in[1] = 1, EINVAL,
	    "RECV reserved_in[1] set");
	expect_errno(kfd, KTTCP_IOC_SEND, NULL, EFAULT, "SEND NULL pointer");
	expect_errno(kfd, KTTCP_IOC_SEND, (void *)16, EFAULT,
		     "SEND unmapped pointer");

	/* A read-only argument must fail before any byte is sent. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		die("mmap");
	io_init(ro, c, KTTCP_SEND_COPY, 4096);
	mprotect(ro, 4096, PROT_READ);
	expect_errno(kfd, KTTCP_IOC_SEND, ro, EFAULT,
		     "SEND read-only argument");
	munmap(ro, 4096);
#undef BAD

	expect_untouched(s, "after every bad argument");

	/* The connection still works: a good SEND goes through. */
	io_init(&io, c, KTTCP_SEND_COPY, 4096);
	rc = ioctl(kfd, KTTCP_IOC_SEND, &io);
	check(rc == 0 && io.bytes == 4096 &&
	      (io.status & KTTCP_ST_VALID) && io.error == 0,
	      "good SEND after the bad ones: %llu bytes",
	      (unsigned long long)io.bytes);
	close(c);
	close(s);
}

/*
 * What a send's chunk_peak may be: a fixed chunk is the peak (the byte
 * counts here are larger than any chunk); the auto chunk starts at
 * KTTCP_CHUNK_AUTO_MIN and stays within [AUTO_MIN, AUTO_MAX], and the
 * peak is the largest call, a full chunk or the short last one.  Either
 * way no call moved more than the peak: @calls calls of at most the peak
 * carried every byte.
 */
static bool peak_ok(const struct kttcp_io *io, size_t chunk)
{
	uint64_t p = io->chunk_peak;

	if (!p || io->calls * p < io->bytes)
		return false;
	if (chunk)
		return p == chunk;
	return p >= KTTCP_CHUNK_AUTO_MIN && p <= KTTCP_CHUNK_AUTO_MAX;
}

/*
 * How many completions a zerocopy send of @io->bytes must report, from
 * the batch include/kttcp.h defines: 256 KiB of the stream, or one send
 * call if larger; a batch ends with the call that fills it.  With a fixed
 * @chunk every call but the last is a full chunk, so the count is exact;
 * the auto chunk's calls are powers of two of 64 KiB and more, up to the
 * peak, so a batch holds 256 KiB to 256 KiB + peak - 64 KiB.
 */
#define ZC_BATCH	(256 * 1024)

static void zc_batches(const struct kttcp_io *io, size_t chunk,
		       uint64_t *lo, uint64_t *hi)
{
	uint64_t b = io->bytes, most;

	if (chunk) {
		most = chunk * ((ZC_BATCH + chunk - 1) / chunk);
		*lo = *hi = (b + most - 1) / most;
		return;
	}
	most = ZC_BATCH + io->chunk_peak - KTTCP_CHUNK_AUTO_MIN;
	*lo = (b + most - 1) / most;
	*hi = (b + ZC_BATCH - 1) / ZC_BATCH;
}

/*
 * Send @total bytes in @smode from one end and receive in @rmode at the
 * other, both in-kernel (the receiver in a child with its own fd).
 */
static void test_pair(unsigned int smode, unsigned int rmode,
		      uint64_t total, size_t chunk)
{
	static const char *sn[] = { "copy", "sendpage", "zerocopy" };
	static const char *rn[] = { "copy", "trunc", "readsock" };
	struct kttcp_io io, *rio;
	int c, s, kfd, st;
	pid_t pid;

	rio = shared_io();
	tcp_pair(&c, &s);
	pid = fork();
	if (pid == 0) {
		int rfd = kttcp_open();

		close(c);
		io_init(rio, s, rmode, 0);
		rio->chunk = chunk;
		if (rmode == KTTCP_RECV_COPY)
			rio->flags = KTTCP_F_VERIFY;
		_exit(ioctl(rfd, KTTCP_IOC_RECV, rio) ? 1 : 0);
	}
	close(s);
	kfd = kttcp_open();
	io_init(&io, c, smode, total);
	io.chunk = chunk;
	if (ioctl(kfd, KTTCP_IOC_SEND, &io))
		perror("SEND");
	close(c);	/* EOF for the receiver */
	waitpid(pid, &st, 0);
	check(peak_ok(&io, chunk) &&
	      rio->chunk_peak == (chunk ? chunk : KTTCP_CHUNK_DEFAULT),
	      "%s -> %s, chunk %zu: send peak %llu in %llu calls, receive %llu",
	      sn[smode], rn[rmode], chunk, (unsigned long long)io.chunk_peak,
	      (unsigned long long)io.calls,
	      (unsigned long long)rio->chunk_peak);
	check(io.bytes == total && rio->bytes == total &&
	      WIFEXITED(st) && !WEXITSTATUS(st) &&
	      (rio->status & KTTCP_ST_EOF) &&
	      !(rio->status & KTTCP_ST_MISMATCH),
	      "%s -> %s, chunk %zu: sent %llu, received %llu of %llu%s",
	      sn[smode], rn[rmode], chunk, (unsigned long long)io.bytes,
	      (unsigned long long)rio->bytes, (unsigned long long)total,
	      rmode == KTTCP_RECV_COPY ? ", verified" : "");
	if (smode == KTTCP_SEND_ZEROCOPY) {
		uint64_t lo, hi;

		zc_batches(&io, chunk, &lo, &hi);
		check(io.zc_completions >= lo && io.zc_completions <= hi &&
		      !io.zc_outstanding &&
		      io.zc_copied == io.zc_completions &&
		      !(io.status & KTTCP_ST_ZC_DETACHED),
		      "zerocopy on loopback: %llu completions (batches of "
		      "the stream: %llu to %llu), %llu copied, all back",
		      (unsigned long long)io.zc_completions,
		      (unsigned long long)lo, (unsigned long long)hi,
		      (unsigned long long)io.zc_copied);
	}
	close(kfd);
	munmap(rio, sizeof(*rio));
}

/* A userland sender corrupts one byte; the verifying receiver finds it. */
static void test_verify_mismatch(void)
{
	const uint64_t total = 1 << 20, bad_at = 300001;
	struct kttcp_io io;
	uint8_t *buf = malloc(total);
	int c, s, kfd;
	uint64_t i;

	for (i = 0; i < total; i++)
		buf[i] = KTTCP_PATTERN(i);
	buf[bad_at] ^= 0x55;
	tcp_pair(&c, &s);
	if (fork() == 0) {
		size_t off = 0;

		close(s);
		while (off < total) {
			ssize_t n = write(c, buf + off, total - off);

			if (n <= 0)
				_exit(1);
			off += n;
		}
		_exit(0);
	}
	close(c);
	kfd = kttcp_open();
	io_init(&io, s, KTTCP_RECV_COPY, 0);
	io.flags = KTTCP_F_VERIFY;
	expect_errno(kfd, KTTCP_IOC_RECV, &io, EILSEQ,
		     "verify: corrupted stream fails");
	check((io.status & KTTCP_ST_MISMATCH) && io.mismatch_at == bad_at &&
	      io.bytes == bad_at,
	      "verify: mismatch at %llu (want %llu), %llu good bytes",
	      (unsigned long long)io.mismatch_at,
	      (unsigned long long)bad_at, (unsigned long long)io.bytes);
	close(s);
	close(kfd);
	wait(NULL);
	free(buf);
}

/*
 * readsock reads TCP's receive queue directly, so a socket that another
 * layer reads must be refused: here kTLS, attached with no keys yet.  The
 * same bytes then still arrive through recvmsg (mode trunc).
 */
static void test_readsock_ulp(void)
{
	char buf[4096] = { 0 };
	struct kttcp_io io;
	int c, s, rc, kfd = kttcp_open();

	/* TCP_ULP's own module autoload does not work in the lab guests. */
	if (system("modprobe -q tls") != 0)
		fprintf(stderr, "modprobe tls failed\n");
	tcp_pair(&c, &s);
	rc = setsockopt(s, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls"));
	check(rc == 0, "TCP_ULP \"tls\" on the receiving end (%s)",
	      rc ? strerror(errno) : "kTLS attached");
	if (write(c, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		die("write");
	io_init(&io, s, KTTCP_RECV_READSOCK, sizeof(buf));
	expect_errno(kfd, KTTCP_IOC_RECV, &io, EOPNOTSUPP,
		     "RECV readsock on a kTLS socket");
	io_init(&io, s, KTTCP_RECV_TRUNC, sizeof(buf));
	alarm(10);	/* bytes taken after all would leave it waiting */
	rc = ioctl(kfd, KTTCP_IOC_RECV, &io);
	alarm(0);
	check(rc == 0 && io.bytes == sizeof(buf),
	      "... and none of its bytes taken: trunc gets all %llu",
	      (unsigned long long)io.bytes);
	close(c);
	close(s);
	close(kfd);
}

/*
 * The auto chunk (chunk 0) follows the time a call takes: from its first
 * 64 KiB it grows past 1 MiB into an in-kernel receiver on loopback, whose
 * 1 MiB calls take well under a millisecond, and stays small for a reader
 * that takes 16 KiB every 10 ms, so that a timed send there ends near its
 * time.  A fixed chunk is the caller's choice: kept as asked, and the
 * send still runs its whole time.  How far a fixed 1 MiB call overruns
 * depends on the machine, so it is printed, not asserted.
 */
/*
 * A path that slows down: the auto chunk grows while the reader is fast,
 * and must come back down once it slows, or every call would take as long
 * as its large chunk needs (seconds), and with it a signal, the deadline
 * and the progress counter.  Calls are watched through PROGRESS, which
 * moves by one call's bytes at a time: from another process on the same
 * open file, every 2 ms.  The reader takes 32 MiB at full speed, then
 * 64 KiB every 10 ms (6.4 MB/s), where a call of 128 KiB takes twice what
 * a call aims at, so the chunk must come down to 64 KiB within about a
 * second.  It cannot stay there: TCP wakes a waiting sender only once a
 * third of its buffer is free, so calls come in bursts of about that much
 * and the chunk settles near it.  Hence the check: calls at the end of at
 * most a quarter of the peak (a chunk that never shrinks stays at the
 * peak).  A send buffer of 256 KiB (512 KiB as the kernel counts it)
 * keeps the bursts small.  Not on the debug kernel: at its 30-40 MB/s the
 * fast phase grows the chunk no further than the bursts, and the check is
 * out of the plan there.
 */
#define SHRINK_FAST	(32u << 20)
#define SHRINK_SECS	3.5

static void test_auto_chunk_shrinks(int kfd)
{
	struct kttcp_progress p = { .size = sizeof(p),
				    .version = KTTCP_ABI_VERSION };
	int c, s, buf = 256 * 1024, st = -1;
	bool reaped = false;
	uint64_t last = 0, small = UINT64_MAX, stepped = 0;
	struct kttcp_io *io;
	double t0, t;
	pid_t pid;

	io = shared_io();
	tcp_pair(&c, &s);
	if (setsockopt(c, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)))
		die("SO_SNDBUF");
	if (fork() == 0) {
		static char b[65536];
		uint64_t got = 0;
		ssize_t n;

		close(c);
		while ((n = read(s, b, sizeof(b))) > 0)
			if ((got += n) > SHRINK_FAST)
				usleep(10000);
		_exit(0);
	}
	close(s);
	pid = fork();
	if (pid == 0) {
		io_init(io, c, KTTCP_SEND_COPY, 0);
		io->duration_ns = (uint64_t)(SHRINK_SECS * 1e9);
		_exit(ioctl(kfd, KTTCP_IOC_SEND, io) ? 1 : 0);
	}
	close(c);
	t0 = now();
	while (!(reaped = waitpid(pid, &st, WNOHANG) == pid) &&
	       now() - t0 < 20) {
		if (ioctl(kfd, KTTCP_IOC_PROGRESS, &p))
			break;
		t = now() - t0;
		if (p.bytes != last) {
			/* The smallest call of the last half second. */
			if (last > SHRINK_FAST && t > SHRINK_SECS - 0.5) {
				small = p.bytes - last < small ?
					p.bytes - last : small;
				stepped++;
			}
			last = p.bytes;
		}
		usleep(2000);
	}
	if (!reaped) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	check(WIFEXITED(st) && !WEXITSTATUS(st) &&
	      io->chunk_peak >= 4 * KTTCP_CHUNK_AUTO_MIN && stepped > 0 &&
	      small <= io->chunk_peak / 4,
	      "auto chunk shrinks when the path slows: peak %llu, then "
	      "calls of %llu bytes at the end (%llu seen)",
	      (unsigned long long)io->chunk_peak,
	      (unsigned long long)small, (unsigned long long)stepped);
	wait(NULL);
	munmap(io, sizeof(*io));
}

/* The lab's debug kernel (KASAN, lockdep: scripts/debug-kernel). */
static bool debug_kernel(void)
{
	struct utsname u;

	return !uname(&u) && strstr(u.release, "debug");
}

static void test_auto_chunk(void)
{
	const uint64_t dur = 300 * 1000000ULL;
	struct kttcp_io io;
	int c, s, rc, kfd = kttcp_open();

	tcp_pair(&c, &s);
	if (fork() == 0) {
		close(c);
		io_init(&io, s, KTTCP_RECV_TRUNC, 0);
		_exit(ioctl(kttcp_open(), KTTCP_IOC_RECV, &io) ? 1 : 0);
	}
	close(s);
	io_init(&io, c, KTTCP_SEND_SENDPAGE, 256 << 20);
	/*
	 * At most 2 s: a stock kernel sends it all in a fraction of that,
	 * the debug kernel would take 7 s (14 s on a busy host).
	 */
	io.duration_ns = 2000000000ULL;
	rc = ioctl(kfd, KTTCP_IOC_SEND, &io);
	/*
	 * Grown past where it starts, and so fewer calls than those bytes
	 * would take.  How far it grows is the machine's speed (1 MiB on
	 * the debug kernel under emulation, 16 MiB on a stock one).
	 */
	check(rc == 0 &&
	      io.chunk_peak > KTTCP_CHUNK_AUTO_MIN &&
	      io.chunk_peak <= KTTCP_CHUNK_AUTO_MAX &&
	      io.calls < io.bytes / KTTCP_CHUNK_AUTO_MIN,
	      "auto chunk grows on a fast path: peak %llu, %llu calls for "
	      "%llu MiB", (unsigned long long)io.chunk_peak,
	      (unsigned long long)io.calls,
	      (unsigned long long)io.bytes >> 20);
	close(c);
	wait(NULL);

	c = tcp_pair_reader(10000);
	io_init(&io, c, KTTCP_SEND_COPY, 0);
	io.duration_ns = dur;
	rc = ioctl(kfd, KTTCP_IOC_SEND, &io);
	/*
	 * The reader takes at most 1.6 MB/s: once the buffers are full a
	 * 64 KiB call takes 40 ms, four times what a call aims at, so the
	 * chunk stays within a doubling or two of where it starts (the
	 * empty buffers may take the first calls at once), whatever the
	 * machine's speed; how many calls fit is the reader's pace, slower
	 * on the debug kernel.
	 */
	check(rc == 0 &&
	      (io.status & KTTCP_ST_DURATION) && io.elapsed_ns >= dur &&
	      io.chunk_peak <= 4 * KTTCP_CHUNK_AUTO_MIN && io.calls >= 2 &&
	      io.elapsed_ns < dur + 250 * 1000000ULL,
	      "auto chunk stays small on a slow path: peak %llu, %llu bytes in "
	      "%llu calls, %.3f s for a 0.3 s send",
	      (unsigned long long)io.chunk_peak, (unsigned long long)io.bytes,
	      (unsigned long long)io.calls, io.elapsed_ns / 1e9);
	close(c);
	wait(NULL);

	if (!debug_kernel())
		test_auto_chunk_shrinks(kfd);

	c = tcp_pair_reader(10000);
	io_init(&io, c, KTTCP_SEND_COPY, 0);
	io.duration_ns = dur;
	io.chunk = KTTCP_CHUNK_DEFAULT;
	rc = ioctl(kfd, KTTCP_IOC_SEND, &io);
	check(rc == 0 && (io.status & KTTCP_ST_DURATION) &&
	      io.chunk_peak == KTTCP_CHUNK_DEFAULT && io.elapsed_ns >= dur,
	      "a fixed 1 MiB chunk on that path is kept (peak %llu) and the "
	      "send runs its time: %llu calls, %+.3f s past it",
	      (unsigned long long)io.chunk_peak, (unsigned long long)io.calls,
	      ((double)io.elapsed_ns - (double)dur) / 1e9);
	close(c);
	wait(NULL);
	close(kfd);
}

static void test_progress(void)
{
	struct kttcp_progress p = { .size = sizeof(p),
				    .version = KTTCP_ABI_VERSION };
	struct kttcp_io io;
	int c, rc, kfd = kttcp_open();

	c = tcp_pair_drained();
	io_init(&io, c, KTTCP_SEND_SENDPAGE, 3 << 20);
	ioctl(kfd, KTTCP_IOC_SEND, &io);
	io.total = 1 << 20;
	ioctl(kfd, KTTCP_IOC_SEND, &io);
	rc = ioctl(kfd, KTTCP_IOC_PROGRESS, &p);
	check(rc == 0 &&
	      p.bytes == 4 << 20 && p.active == 0,
	      "PROGRESS counts the file's bytes: %llu",
	      (unsigned long long)p.bytes);
	close(c);
	wait(NULL);

	/*
	 * During a transfer, from another process sharing the open file (as
	 * the tool's interval thread does): one transfer active, and bytes
	 * that grow.  A reader at 1.6 MB/s makes the send last 1.3 s.
	 */
	c = tcp_pair_reader(10000);
	if (fork() == 0) {
		io_init(&io, c, KTTCP_SEND_COPY, 2 << 20);
		_exit(ioctl(kfd, KTTCP_IOC_SEND, &io) ? 1 : 0);
	}
	close(c);
	{
		double t0 = now();
		uint64_t first = 0;
		bool seen = false;

		/* From its start (active) until its bytes have grown. */
		while (!seen && now() - t0 < 10) {
			p.version = KTTCP_ABI_VERSION;
			rc = ioctl(kfd, KTTCP_IOC_PROGRESS, &p);
			if (rc || (first && p.active != 1))
				break;
			if (!first && p.active == 1)
				first = p.bytes;
			seen = first && p.bytes > first;
			usleep(20000);
		}
		check(rc == 0 && seen && p.active == 1,
		      "PROGRESS during a send: active %u, bytes %llu growing "
		      "(%.2f s)", p.active, (unsigned long long)p.bytes,
		      now() - t0);
	}
	wait(NULL);	/* the sender */
	wait(NULL);	/* its reader */
	p.version = KTTCP_ABI_VERSION;
	rc = ioctl(kfd, KTTCP_IOC_PROGRESS, &p);
	check(rc == 0 && p.active == 0 && p.bytes == (6u << 20),
	      "PROGRESS after it: active %u, %llu bytes (6 MiB in all)",
	      p.active, (unsigned long long)p.bytes);

	p.version = 0;
	expect_errno(kfd, KTTCP_IOC_PROGRESS, &p, EINVAL,
		     "PROGRESS wrong version");
	p.version = KTTCP_ABI_VERSION;
	p.reserved0 = 1;
	expect_errno(kfd, KTTCP_IOC_PROGRESS, &p, EINVAL,
		     "PROGRESS reserved0 set");
	close(kfd);
}

/*
 * The peer closed its sending side (we are in CLOSE_WAIT): what it sent
 * before is still ours to receive, then EOF; and we may still send to a
 * peer that reads on (TCP's half-close).
 */
static void test_close_wait(void)
{
	const uint64_t total = 40000, part = 10000;
	struct kttcp_io io;
	int c, s, kfd = kttcp_open();
	struct pollfd pfd;
	uint8_t *buf = calloc(1, total);
	ssize_t n = 0, got;

	tcp_pair(&c, &s);
	for (uint64_t i = 0; i < total; i++)
		buf[i] = KTTCP_PATTERN(i);
	while (n < (ssize_t)total && (got = write(c, buf + n, total - n)) > 0)
		n += got;
	shutdown(c, SHUT_WR);
	/*
	 * The FIN has arrived once the socket reports the peer's close (the
	 * bytes fit the first receive window, or the FIN would wait behind
	 * them).
	 */
	pfd = (struct pollfd){ .fd = s, .events = POLLRDHUP };
	poll(&pfd, 1, 5000);
	/* A RECV of N bytes takes N; the next one the rest, then EOF. */
	io_init(&io, s, KTTCP_RECV_TRUNC, part);
	got = ioctl(kfd, KTTCP_IOC_RECV, &io) ? -1 : (ssize_t)io.bytes;
	check(n == (ssize_t)total && (pfd.revents & POLLRDHUP) &&
	      got == (ssize_t)part && !(io.status & KTTCP_ST_EOF),
	      "RECV of %llu bytes in CLOSE_WAIT takes %zd, no EOF yet "
	      "(wrote %zd, poll %#x, status %#x)", (unsigned long long)part,
	      got, n, pfd.revents, io.status);
	io_init(&io, s, KTTCP_RECV_COPY, 0);
	check(ioctl(kfd, KTTCP_IOC_RECV, &io) == 0 &&
	      io.bytes == total - part && (io.status & KTTCP_ST_EOF),
	      "the next RECV: the other %llu of %llu bytes, then EOF",
	      (unsigned long long)io.bytes, (unsigned long long)total);

	io_init(&io, s, KTTCP_SEND_SENDPAGE, total);
	n = ioctl(kfd, KTTCP_IOC_SEND, &io);
	shutdown(s, SHUT_WR);
	got = 0;
	while (got < (ssize_t)total + 1) {
		ssize_t r = read(c, buf, total);

		if (r <= 0)
			break;
		got += r;
	}
	check(n == 0 && io.bytes == total && got == (ssize_t)total,
	      "SEND in CLOSE_WAIT to a peer that reads on: sent %llu, "
	      "it read %zd", (unsigned long long)io.bytes, got);
	close(c);
	close(s);
	close(kfd);
	free(buf);
}

/*
 * "A signal ends a transfer with EINTR, never a restart" (kttcp_main.c),
 * even for a handler installed with SA_RESTART, which restarts what
 * returns -ERESTARTSYS: a restarted transfer would start counting afresh
 * and the bytes done would be lost.  Each receive mode waits for a peer
 * that sent 4 KiB and went quiet, and a send for one that reads nothing;
 * a timer with SA_RESTART fires after 0.3 s.  A watchdog child's SIGUSR1
 * (no SA_RESTART) ends a restarted call after 5 s.
 */
static void no_restart_one(int kfd, unsigned long cmd, unsigned int mode,
			   const char *what)
{
	struct itimerval it = { .it_value = { .tv_usec = 300000 } };
	char b[4096] = { 0 };
	struct kttcp_io io;
	int c, s, rc, e;
	double t0;
	pid_t dog;

	tcp_pair(&c, &s);
	if (cmd == KTTCP_IOC_RECV && write(c, b, sizeof(b)) != sizeof(b))
		die("write");
	io_init(&io, cmd == KTTCP_IOC_RECV ? s : c, mode,
		cmd == KTTCP_IOC_RECV ? 0 : 1ULL << 40);
	dog = fork();
	if (dog == 0) {
		sleep(5);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	t0 = now();
	setitimer(ITIMER_REAL, &it, NULL);
	rc = ioctl(kfd, cmd, &io);
	e = errno;
	kill(dog, SIGKILL);
	waitpid(dog, NULL, 0);
	check(rc == -1 && e == EINTR && now() - t0 < 3 &&
	      (io.status & KTTCP_ST_SIGNAL) && io.error == EINTR &&
	      (cmd != KTTCP_IOC_RECV || io.bytes == sizeof(b)),
	      "%s: a signal whose handler has SA_RESTART ends it with EINTR "
	      "after %.2f s, not a restart (%s, status %#x, error %d, "
	      "%llu bytes)", what, now() - t0, rc ? strerror(e) : "success",
	      io.status, io.error, (unsigned long long)io.bytes);
	close(c);
	close(s);
}

/*
 * The loop itself must see a signal, between calls: TCP notices one only
 * when it waits, and a receive whose stream is all queued, then EOF, never
 * waits.  24 MiB are queued (net.core.rmem_max raised for a receive
 * buffer that holds them, then put back), and a verifying receive takes
 * them in 4 KiB calls (6144 of them).  A watcher sharing the open file
 * signals the receiver once PROGRESS shows it started and less than half
 * done: the receive must end with EINTR and part of the stream.  (A timer
 * set before the call could fire before it, on a loaded debug kernel.)
 * A try where the watcher saw the receive past half before it could
 * signal decides nothing, and is made again, up to SIG_TRIES times.
 */
#define SIG_TRIES	5
#define SIG_TOTAL	(24 << 20)

/* Queue SIG_TOTAL pattern bytes and a FIN on a new pair; the receiving end. */
static int queued_stream(void)
{
	int c, s, big = 2 * SIG_TOTAL;
	char old[64] = "", want[32];
	struct pollfd pfd;

	snprintf(want, sizeof(want), "%d\n", big);
	sysctl_swap("/proc/sys/net/core/rmem_max", want, old, sizeof(old));
	tcp_pair(&c, &s);
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)))
		die("SO_RCVBUF");
	if (fork() == 0) {
		uint8_t *buf = malloc(SIG_TOTAL);
		ssize_t n = 0, k;

		close(s);
		for (k = 0; k < SIG_TOTAL; k++)
			buf[k] = KTTCP_PATTERN(k);
		while (n < SIG_TOTAL &&
		       (k = write(c, buf + n, SIG_TOTAL - n)) > 0)
			n += k;
		shutdown(c, SHUT_WR);
		_exit(n == SIG_TOTAL ? 0 : 1);
	}
	close(c);
	/* All of it is queued once the FIN, which follows it, is in. */
	pfd = (struct pollfd){ .fd = s, .events = POLLRDHUP };
	poll(&pfd, 1, 20000);
	sysctl_swap("/proc/sys/net/core/rmem_max", old, NULL, 0);
	wait(NULL);
	if (!(pfd.revents & POLLRDHUP))
		die("24 MiB and a FIN never all arrived");
	return s;
}

/*
 * Watch @kfd's PROGRESS; once it moves, SIGALRM the parent if the
 * transfer is not yet half done.  Exits 0 if it signalled, 1 if too late.
 */
static void signal_watcher(int kfd)
{
	struct kttcp_progress p = { .size = sizeof(p),
				    .version = KTTCP_ABI_VERSION };
	double end = now() + 20;

	while (now() < end) {
		if (ioctl(kfd, KTTCP_IOC_PROGRESS, &p))
			_exit(2);
		if (p.bytes > 0) {
			if (p.bytes >= SIG_TOTAL / 2)
				_exit(1);
			kill(getppid(), SIGALRM);
			_exit(0);
		}
	}
	_exit(2);
}

static void test_signal_between_calls(void)
{
	struct kttcp_io io;
	int s, rc = 0, e = 0, st = 0, tries, kfd;

	for (tries = 1; tries <= SIG_TRIES; tries++) {
		pid_t w;

		s = queued_stream();
		kfd = kttcp_open();
		w = fork();
		if (w == 0)
			signal_watcher(kfd);
		io_init(&io, s, KTTCP_RECV_COPY, 0);
		io.flags = KTTCP_F_VERIFY;
		io.chunk = 4096;
		rc = ioctl(kfd, KTTCP_IOC_RECV, &io);
		e = errno;
		waitpid(w, &st, 0);
		close(s);
		close(kfd);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 1)
			break;	/* signalled in time (or the watcher failed) */
	}
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0 && rc == -1 &&
	      e == EINTR && (io.status & KTTCP_ST_SIGNAL) &&
	      io.bytes < (uint64_t)SIG_TOTAL &&
	      !(io.status & KTTCP_ST_MISMATCH),
	      "a signal ends a receive that never waits (all queued, then "
	      "EOF) between calls: %s after %llu of %d bytes (try %d, "
	      "watcher %d)", rc ? strerror(e) : "success",
	      (unsigned long long)io.bytes, SIG_TOTAL, tries,
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void test_no_restart(void)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct sigaction usr = { .sa_handler = on_alarm };
	int kfd = kttcp_open();

	sigemptyset(&sa.sa_mask);
	sigemptyset(&usr.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) || sigaction(SIGUSR1, &usr, NULL))
		die("sigaction");
	no_restart_one(kfd, KTTCP_IOC_RECV, KTTCP_RECV_COPY, "RECV copy");
	no_restart_one(kfd, KTTCP_IOC_RECV, KTTCP_RECV_TRUNC, "RECV trunc");
	no_restart_one(kfd, KTTCP_IOC_RECV, KTTCP_RECV_READSOCK,
		       "RECV readsock");
	no_restart_one(kfd, KTTCP_IOC_SEND, KTTCP_SEND_COPY,
		       "SEND copy to a peer that reads nothing");
	alarm_interrupts();
	signal(SIGUSR1, SIG_DFL);
	close(kfd);
}

/* Free memory in KiB, after dropping caches and draining page lists. */
static long free_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f;

	sync();
	/* No compact_memory on a kernel without CONFIG_COMPACTION (debug). */
	system("echo 3 > /proc/sys/vm/drop_caches;"
	       "[ ! -e /proc/sys/vm/compact_memory ] ||"
	       " echo 1 > /proc/sys/vm/compact_memory");
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * Every SEND allocates a fresh pattern page set (1 MiB).  Run 100 sends
 * per mode on one connection: if the pages of any mode were never freed
 * (a reference lost between kttcp and the stack), 100 MiB per mode would
 * go missing, far beyond the ~35 MiB free memory wanders by.
 */
static void test_no_page_leak(void)
{
	const int rounds = 100;
	long before, after;
	unsigned int m;
	int c, kfd, i, bad = 0;

	c = tcp_pair_drained();
	kfd = kttcp_open();
	before = free_kib();
	for (m = 0; m < KTTCP_SEND_NR_MODES; m++) {
		for (i = 0; i < rounds; i++) {
			struct kttcp_io io;

			io_init(&io, c, m, 65536);
			if (ioctl(kfd, KTTCP_IOC_SEND, &io) || io.bytes != 65536)
				bad++;
		}
	}
	close(c);
	wait(NULL);
	after = free_kib();
	check(!bad && before > 0 && before - after < 65536,
	      "%d sends (%d per mode), each with its own pattern pages: "
	      "free memory %+ld KiB (a leak would be -%d KiB)",
	      rounds * KTTCP_SEND_NR_MODES, rounds, after - before,
	      rounds * KTTCP_SEND_NR_MODES * 1028);
	close(kfd);
}

int main(int argc, char **argv)
{
	static const size_t chunks[] = { 0, 1000, 1 << 20 };
	unsigned int sm, rm;
	int kfd;

	ktest_start(argc, argv, "ioctl_test", PLANNED - debug_kernel());
	alarm_interrupts();
	kfd = kttcp_open();
	test_info(kfd);
	test_abi(kfd);
	test_bad_fds(kfd);
	test_bad_args(kfd);
	close(kfd);

	for (sm = 0; sm < KTTCP_SEND_NR_MODES; sm++)
		for (rm = 0; rm < KTTCP_RECV_NR_MODES; rm++)
			test_pair(sm, rm, (8 << 20) + 12345,
				  chunks[(sm + rm) % 3]);
	test_verify_mismatch();
	test_readsock_ulp();
	test_auto_chunk();
	test_progress();
	test_close_wait();
	test_no_restart();
	test_signal_between_calls();
	test_no_page_leak();

	return tap_done();
}
