// SPDX-License-Identifier: GPL-2.0
/*
 * fakekttcp.c - an LD_PRELOAD stand-in for kttcp.ko, for end-to-end tests
 * of the tool on a host that cannot load modules.
 *
 * open("/dev/kttcp") returns a memfd named "kttcp-fake"; ioctl() on such
 * an fd runs a userspace imitation of the module's loop with the same ABI
 * (include/kttcp.h): same checks, same output fields, errno on failure.
 * Sizes are the fake's own: its "auto" send chunk is one fixed size (1 MiB
 * unless FAKE_KTTCP_CHUNK_PEAK says), with nothing of the module's
 * adapting; the tests choose the size so as to check the tool's side.
 * Like the kernel loop it stops when a signal that the calling thread
 * does not block is pending, and it honours SO_SNDTIMEO/SO_RCVTIMEO
 * (EAGAIN).  It is a test double: it says nothing about the real module.
 *
 * Knobs (environment):
 *   FAKE_KTTCP_OPEN_ERRNO=n   open() fails with errno n
 *   FAKE_KTTCP_INFO_ERRNO=n   KTTCP_IOC_INFO fails with errno n
 *   FAKE_KTTCP_ABI=n          abi_version reported by INFO
 *   FAKE_KTTCP_SYSFS_ABI=n    KTTCP_SYSFS_ABI holds n (default: absent)
 *   FAKE_KTTCP_SEND_MODES=m   send_modes bitmask (default 7)
 *   FAKE_KTTCP_RECV_MODES=m   recv_modes bitmask (default 7)
 *   FAKE_KTTCP_CORRUPT=off    the sender flips the byte at stream offset off
 *   FAKE_KTTCP_ZC_LEAK=1      zerocopy sends report 3 leaked references
 *   FAKE_KTTCP_CHUNK_PEAK=a,b,...
 *                             send calls with chunk 0 ("auto") use, and
 *                             report as chunk_peak, a for the first such
 *                             transfer of the process, b for the second...
 *                             (the last one for any after it)
 *   FAKE_KTTCP_PROGRESS_LOG=path
 *                             each KTTCP_IOC_PROGRESS answer is appended to
 *                             path as a line "devfd bytes", so that a test
 *                             knows what the tool was told and when
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../../include/kttcp.h"

#define FAKE_NAME	"kttcp-fake"
#define MAX_FD		4096

static _Atomic uint64_t progress[MAX_FD];
static _Atomic uint32_t active[MAX_FD];
static _Atomic unsigned int auto_xfers;	/* for FAKE_KTTCP_CHUNK_PEAK */

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : dflt;
}

static int fake_open(void)
{
	long err = env_long("FAKE_KTTCP_OPEN_ERRNO", 0);

	if (err) {
		errno = (int)err;
		return -1;
	}
	return memfd_create(FAKE_NAME, MFD_CLOEXEC);
}

/* KTTCP_SYSFS_ABI: FAKE_KTTCP_SYSFS_ABI's text, or ENOENT without it. */
static int fake_sysfs_abi(void)
{
	const char *v = getenv("FAKE_KTTCP_SYSFS_ABI");
	int fd;

	if (!v) {
		errno = ENOENT;
		return -1;
	}
	fd = memfd_create("kttcp-fake-abi", MFD_CLOEXEC);
	if (fd < 0 || dprintf(fd, "%s\n", v) < 0 ||
	    lseek(fd, 0, SEEK_SET) != 0)
		return -1;
	return fd;
}

static int real_open(const char *name, const char *path, int flags,
		     mode_t mode)
{
	int (*fn)(const char *, int, ...) = dlsym(RTLD_NEXT, name);

	return fn(path, flags, mode);
}

#define OPEN_WRAPPER(fname)						\
int fname(const char *path, int flags, ...)				\
{									\
	mode_t mode = 0;						\
	va_list ap;							\
									\
	if (flags & (O_CREAT | __O_TMPFILE)) {				\
		va_start(ap, flags);					\
		mode = va_arg(ap, mode_t);				\
		va_end(ap);						\
	}								\
	if (strcmp(path, KTTCP_DEVICE) == 0)				\
		return fake_open();					\
	if (strcmp(path, KTTCP_SYSFS_ABI) == 0)				\
		return fake_sysfs_abi();				\
	return real_open(#fname, path, flags, mode);			\
}

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

static int is_fake(int fd)
{
	char link[64], target[128];
	ssize_t n;

	if (fd < 0 || fd >= MAX_FD)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strncmp(target, "/memfd:" FAKE_NAME, 7 + strlen(FAKE_NAME)) == 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* What the kernel calls signal_pending(): pending and not blocked. */
static int signal_pending(const sigset_t *unblocked_mask)
{
	sigset_t pend;
	int sig;

	sigpending(&pend);
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(&pend, sig) == 1 &&
		    !sigismember(unblocked_mask, sig))
			return 1;
	return 0;
}

static int fake_info(struct kttcp_info *in)
{
	struct utsname u;
	long err = env_long("FAKE_KTTCP_INFO_ERRNO", 0);

	if (err)
		return (int)err;
	if (in->size != sizeof(*in) || in->version != KTTCP_ABI_VERSION)
		return EINVAL;
	uname(&u);
	in->abi_version = (uint32_t)env_long("FAKE_KTTCP_ABI", KTTCP_ABI_VERSION);
	in->send_modes = (uint32_t)env_long("FAKE_KTTCP_SEND_MODES", 7);
	in->recv_modes = (uint32_t)env_long("FAKE_KTTCP_RECV_MODES", 7);
	snprintf(in->kernel, sizeof(in->kernel), "%s", u.release);
	snprintf(in->module, sizeof(in->module), "fake 0.1");
	return 0;
}

/* The chunk of an "auto" send: the next of FAKE_KTTCP_CHUNK_PEAK. */
static size_t auto_chunk(void)
{
	const char *v = getenv("FAKE_KTTCP_CHUNK_PEAK");
	unsigned int n = atomic_fetch_add(&auto_xfers, 1);
	unsigned long size = KTTCP_CHUNK_DEFAULT;
	char *end;

	while (v && *v) {
		size = strtoul(v, &end, 0);
		if (n-- == 0 || *end != ',')
			break;
		v = end + 1;
	}
	if (size == 0 || size > KTTCP_CHUNK_MAX)
		size = KTTCP_CHUNK_DEFAULT;
	return size;
}

struct loop {
	struct kttcp_io *io;
	int devfd;
	bool send;
	sigset_t old;		/* the caller's mask */
	int timeo_ms;		/* SO_*TIMEO, -1 for none */
	uint64_t deadline;	/* duration end, 0 for none */
	unsigned char *buf;
	size_t chunk;
	int err;
};

static int check_io(struct kttcp_io *io, bool send)
{
	int type;
	socklen_t len = sizeof(type);

	if (io->size != sizeof(*io) || io->version != KTTCP_ABI_VERSION)
		return EINVAL;
	if (io->mode >= (send ? KTTCP_SEND_NR_MODES : KTTCP_RECV_NR_MODES))
		return EINVAL;
	if (io->flags & ~KTTCP_F_ALL)
		return EINVAL;
	if ((io->flags & KTTCP_F_VERIFY) &&
	    (send || io->mode != KTTCP_RECV_COPY))
		return EINVAL;
	if (io->chunk > KTTCP_CHUNK_MAX || io->duration_ns > KTTCP_DURATION_MAX_NS)
		return EINVAL;
	if (send && !io->total && !io->duration_ns)
		return EINVAL;
	if (!send && io->duration_ns)
		return EINVAL;
	if (io->reserved_in[0] || io->reserved_in[1])
		return EINVAL;
	if (getsockopt(io->fd, SOL_SOCKET, SO_TYPE, &type, &len))
		return errno;
	if (type != SOCK_STREAM)
		return EPROTONOSUPPORT;
	return 0;
}

static int sock_timeo_ms(int fd, bool send)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	if (getsockopt(fd, SOL_SOCKET, send ? SO_SNDTIMEO : SO_RCVTIMEO, &tv,
		       &len) || (tv.tv_sec == 0 && tv.tv_usec == 0))
		return -1;
	return (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
}

/* Wait for the socket; 0 to go on, or stop with l->err / a status bit. */
static int wait_sock(struct loop *l)
{
	struct pollfd p = { .fd = l->io->fd,
			    .events = l->send ? POLLOUT : POLLIN };
	struct timespec ts, *tsp = NULL;
	uint64_t wait_ns = UINT64_MAX, now;
	bool by_timeo = false;
	int n;

	if (l->timeo_ms >= 0) {
		wait_ns = (uint64_t)l->timeo_ms * 1000000ULL;
		by_timeo = true;
	}
	if (l->deadline) {
		now = now_ns();
		if (now >= l->deadline || l->deadline - now < wait_ns) {
			wait_ns = now >= l->deadline ? 0 : l->deadline - now;
			by_timeo = false;
		}
	}
	if (wait_ns != UINT64_MAX) {
		ts.tv_sec = (time_t)(wait_ns / 1000000000ULL);
		ts.tv_nsec = (long)(wait_ns % 1000000000ULL);
		tsp = &ts;
	}
	n = ppoll(&p, 1, tsp, &l->old);
	if (n < 0 && errno == EINTR) {
		l->err = EINTR;
		l->io->status |= KTTCP_ST_SIGNAL;
		return -1;
	}
	if (n == 0 && by_timeo) {
		l->err = EAGAIN;
		return -1;
	}
	return 0;	/* ready, or the duration is up: the loop sees it */
}

static ssize_t one_send(struct loop *l)
{
	struct kttcp_io *io = l->io;
	uint64_t off = io->bytes, corrupt;
	size_t len = l->chunk;
	unsigned char *p = l->buf + off % KTTCP_PATTERN_PERIOD;
	unsigned char saved = 0;
	ssize_t n;

	if (io->total && io->total - off < len)
		len = (size_t)(io->total - off);
	corrupt = (uint64_t)env_long("FAKE_KTTCP_CORRUPT", -1);
	if (corrupt >= off && corrupt < off + len) {
		saved = p[corrupt - off];
		p[corrupt - off] ^= 0xff;
		len = (size_t)(corrupt - off + 1);	/* just this one */
	}
	n = send(io->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (corrupt >= off && corrupt < off + len)
		p[corrupt - off] = saved;
	if (n > 0 && io->mode == KTTCP_SEND_ZEROCOPY)
		io->zc_completions++;
	return n;
}

static ssize_t one_recv(struct loop *l)
{
	struct kttcp_io *io = l->io;
	size_t len = l->chunk, i;
	int flags = MSG_DONTWAIT;
	ssize_t n;

	if (io->total && io->total - io->bytes < len)
		len = (size_t)(io->total - io->bytes);
	if (io->mode == KTTCP_RECV_TRUNC)
		flags |= MSG_TRUNC;
	n = recv(io->fd, l->buf, len, flags);
	if (n <= 0 || !(io->flags & KTTCP_F_VERIFY))
		return n;
	for (i = 0; i < (size_t)n; i++) {
		if (l->buf[i] != KTTCP_PATTERN(io->bytes + i)) {
			io->status |= KTTCP_ST_MISMATCH;
			io->mismatch_at = io->bytes + i;
			break;
		}
	}
	return n;
}

static void run_loop(struct loop *l)
{
	struct kttcp_io *io = l->io;
	ssize_t n;

	for (;;) {
		if (signal_pending(&l->old)) {
			l->err = EINTR;
			io->status |= KTTCP_ST_SIGNAL;
			return;
		}
		if (io->total && io->bytes >= io->total)
			return;
		if (l->deadline && now_ns() >= l->deadline) {
			io->status |= KTTCP_ST_DURATION;
			return;
		}
		n = l->send ? one_send(l) : one_recv(l);
		if (n > 0) {
			io->bytes += (uint64_t)n;
			io->calls++;
			atomic_store(&progress[l->devfd], io->bytes);
			if (io->status & KTTCP_ST_MISMATCH) {
				l->err = EILSEQ;	/* as kttcp_recv.c does */
				return;
			}
			continue;
		}
		if (n == 0) {
			io->status |= KTTCP_ST_EOF;
			return;
		}
		if (errno != EAGAIN) {
			l->err = errno;
			return;
		}
		if (wait_sock(l))
			return;
	}
}

static int fake_xfer(int devfd, struct kttcp_io *io, bool send)
{
	struct loop l = { .io = io, .devfd = devfd, .send = send };
	sigset_t all;
	uint64_t t0;
	size_t i;
	int err = check_io(io, send);

	if (err)
		return err;
	if (io->chunk)
		l.chunk = io->chunk;
	else
		l.chunk = send ? auto_chunk() : KTTCP_CHUNK_DEFAULT;
	io->chunk_peak = l.chunk;
	l.buf = malloc(l.chunk + KTTCP_PATTERN_PERIOD);
	if (!l.buf)
		return ENOMEM;
	for (i = 0; i < l.chunk + KTTCP_PATTERN_PERIOD; i++)
		l.buf[i] = KTTCP_PATTERN(i);
	l.timeo_ms = sock_timeo_ms(io->fd, send);

	io->bytes = io->calls = io->zc_completions = io->zc_copied = 0;
	io->zc_outstanding = io->mismatch_at = io->zc_wait_ns = 0;
	io->status = 0;
	atomic_store(&progress[devfd], 0);
	atomic_store(&active[devfd], 1);

	/* Block everything; ppoll() reopens the caller's mask to wait. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &l.old);
	t0 = now_ns();
	if (io->duration_ns)
		l.deadline = t0 + io->duration_ns;
	run_loop(&l);
	io->elapsed_ns = now_ns() - t0;
	pthread_sigmask(SIG_SETMASK, &l.old, NULL);

	if (send && io->mode == KTTCP_SEND_ZEROCOPY &&
	    env_long("FAKE_KTTCP_ZC_LEAK", 0)) {
		io->status |= KTTCP_ST_ZC_DETACHED;
		io->zc_outstanding = 3;
	}
	if (send && io->mode == KTTCP_SEND_ZEROCOPY)
		io->zc_wait_ns = 1000000;
	io->error = l.err;
	io->status |= KTTCP_ST_VALID;
	/* Like a module that forgets a finished transfer. */
	atomic_store(&active[devfd], 0);
	atomic_store(&progress[devfd], 0);
	free(l.buf);
	return l.err;
}

static void log_progress(int devfd, uint64_t bytes)
{
	const char *path = getenv("FAKE_KTTCP_PROGRESS_LOG");
	int fd;

	if (!path || !*path)
		return;
	fd = real_open("open", path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		       0600);
	if (fd < 0)
		return;
	dprintf(fd, "%d %llu\n", devfd, (unsigned long long)bytes);
	close(fd);
}

static int fake_progress(int devfd, struct kttcp_progress *p)
{
	if (p->size != sizeof(*p) || p->version != KTTCP_ABI_VERSION)
		return EINVAL;
	p->bytes = atomic_load(&progress[devfd]);
	p->active = atomic_load(&active[devfd]);
	log_progress(devfd, p->bytes);
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	int (*real)(int, unsigned long, ...);
	void *arg;
	va_list ap;
	int err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!is_fake(fd)) {
		real = dlsym(RTLD_NEXT, "ioctl");
		return real(fd, req, arg);
	}
	switch (req) {
	case KTTCP_IOC_INFO:
		err = fake_info(arg);
		break;
	case KTTCP_IOC_SEND:
		err = fake_xfer(fd, arg, true);
		break;
	case KTTCP_IOC_RECV:
		err = fake_xfer(fd, arg, false);
		break;
	case KTTCP_IOC_PROGRESS:
		err = fake_progress(fd, arg);
		break;
	default:
		err = ENOTTY;
	}
	if (!err)
		return 0;
	errno = err;
	return -1;
}
