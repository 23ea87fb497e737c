// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz.c - structured fuzzing of every field of every /dev/kttcp ioctl.
 *
 *   fuzz ADDR SEED COUNT
 *
 * Makes COUNT ioctl calls (tcp pairs on ADDR, loopback), every choice
 * drawn from SEED so that a failure replays:
 *
 *   command   INFO, SEND, RECV, PROGRESS, or another number of type 'k'
 *             (another type could reach the VFS's generic ioctls);
 *   argument  every field from a table of valid, boundary and wild
 *             values (size, version, fd, mode, flags, chunk, total,
 *             duration_ns, reserved fields, and garbage in the outputs);
 *             the pointer itself valid, NULL, wild, or cut by an
 *             unmapped page;
 *   fd        a connected TCP socket (its peer idle, writing, shut down
 *             or reset; or shut down for writing on our side), a bad
 *             number, /dev/null, /dev/kttcp itself, UDP, a unix stream,
 *             a listening or an unconnected TCP socket;
 *   limits    SO_SNDTIMEO/SO_RCVTIMEO and an interval timer whose
 *             SIGALRM (handled) ends the call at a random moment.
 *
 * One call in RACE_EVERY is a race instead: two threads start a transfer
 * on one socket at once while a third drains the peer.
 *
 * What include/kttcp.h promises, checked on every call:
 *   - 0, or -1 with an errno from the set for that command and argument;
 *   - a call that did not start a transfer leaves the argument as it was;
 *   - a transfer sets KTTCP_ST_VALID, errno equals @error, and it moved
 *     no more than @total;
 *   - a send not reset by the module: the peer then reads exactly the
 *     reported bytes, in pattern order, then EOF;
 *   - a receive counts no more than the peer wrote, all of it when it
 *     ended cleanly (at EOF or @total), and never a pattern mismatch;
 *   - a race: one of the two gets EBUSY (or they ran one after the
 *     other), and the peer reads exactly what they reported: one
 *     pattern stream, then the other, never a mix;
 *   - every call returns within CALL_LIMIT seconds.
 *
 * Prints one JSON line: calls, races, outcomes by errno name, and the
 * first broken promises; exits 1 if any promise broke, 2 on setup errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/ktest.h"

#define CALL_LIMIT	10.0	/* s: the longest any call may take */
#define DRAIN_LIMIT	20	/* s: a peer's read of what was sent */
#define RACE_EVERY	8
#define MAX_REPORTED	8

enum target {
	T_CONN,		/* connected; peer idle or writing */
	T_PEER_SHUT,	/* connected; peer wrote, then shutdown(SHUT_WR) */
	T_PEER_RST,	/* connected; peer reset the connection */
	T_SELF_SHUT,	/* connected; our shutdown(SHUT_WR) */
	T_BADFD,
	T_FILE,
	T_DEV,
	T_UDP,
	T_UNIX,
	T_LISTEN,
	T_UNCONN,
	NR_TARGETS
};

static const char *const target_name[NR_TARGETS] = {
	"conn", "peer-shut", "peer-rst", "self-shut", "badfd", "file", "dev",
	"udp", "unix", "listen", "unconn",
};

/* A call: what was asked, what we know of its socket, what came back. */
struct call {
	unsigned int cmd;
	int nr;			/* 0 INFO, 1 SEND, 2 RECV, 3 PROGRESS, -1 other */
	enum target t;
	int fd, peer;
	size_t peer_wrote;
	bool bad_ptr;
	size_t readable;	/* of a bad pointer's argument */
	union {
		struct kttcp_io io;
		struct kttcp_info info;
		struct kttcp_progress p;
		unsigned char raw[256];
	} in, out;
	int ret, err;
	double secs;
};

static int dev;
static unsigned long calls, races, broken;
static char reported[MAX_REPORTED][320];
static unsigned long outcomes[256];
static unsigned char *guard_page;	/* followed by a PROT_NONE page */
static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static unsigned long rnd(unsigned long n)
{
	return n ? (unsigned long)random() % n : 0;
}

static uint64_t rnd64(void)
{
	return (uint64_t)random() << 33 ^ (uint64_t)random() << 11 ^
	       (uint64_t)random();
}

#define PICK(a)	((a)[rnd(sizeof(a) / sizeof((a)[0]))])

static void broke(const struct call *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void broke(const struct call *c, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (broken < MAX_REPORTED)
		snprintf(reported[broken], sizeof(reported[0]),
			 "call %lu nr %d fd %s: %s", calls, c ? c->nr : -2,
			 c ? target_name[c->t] : "race", what);
	broken++;
}

/* Pattern bytes from stream offset @off, as the module sends them. */
static void fill_pattern(unsigned char *b, size_t n, uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = KTTCP_PATTERN(off + i);
}

static void set_timeouts(int fd, long ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* The peer writes up to @n pattern bytes without blocking. */
static size_t peer_write(int s, size_t n)
{
	static unsigned char buf[256 * 1024];
	size_t done = 0;
	ssize_t k;

	fill_pattern(buf, n, 0);
	while (done < n) {
		k = send(s, buf + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k <= 0)
			break;
		done += (size_t)k;
	}
	return done;
}

static void make_target(struct call *c)
{
	static const size_t writes[] = { 0, 0, 1, 1000, 65536, 200000 };
	static const int small_buf = 8192;
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	int s;

	c->fd = c->peer = -1;
	switch (c->t) {
	case T_CONN:
	case T_PEER_SHUT:
	case T_PEER_RST:
	case T_SELF_SHUT:
		tcp_pair(&c->fd, &s);
		/*
		 * Small buffers bound the work of a send into this peer, which
		 * never reads: in 1-byte calls (chunk 1), filling the kernel's
		 * default buffers took 35 s on the debug kernel (64 KiB ones:
		 * 116000 calls, 21 s), past CALL_LIMIT, once each call was
		 * charged the byte it holds (kttcp_zc_fill()) and not a page.
		 */
		setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &small_buf,
			   sizeof(small_buf));
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small_buf,
			   sizeof(small_buf));
		c->peer = s;
		c->peer_wrote = peer_write(s, PICK(writes));
		if (c->t == T_PEER_SHUT) {
			shutdown(s, SHUT_WR);
		} else if (c->t == T_PEER_RST) {
			setsockopt(s, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
			close(s);
			c->peer = -1;
		} else if (c->t == T_SELF_SHUT) {
			shutdown(c->fd, SHUT_WR);
		}
		break;
	case T_BADFD:
		c->fd = rnd(2) ? -1 : 1000 + (int)rnd(1000);
		break;
	case T_FILE:
		c->fd = open("/dev/null", O_RDWR);
		break;
	case T_DEV:
		c->fd = open(KTTCP_DEVICE, O_RDWR);
		break;
	case T_UDP:
		c->fd = socket(AF_INET, SOCK_DGRAM, 0);
		break;
	case T_UNIX: {
		int sv[2];

		if (!socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
			c->fd = sv[0];
			c->peer = sv[1];
		}
		break;
	}
	case T_LISTEN:
		c->fd = socket(AF_INET, SOCK_STREAM, 0);
		listen(c->fd, 1);
		break;
	case T_UNCONN:
		c->fd = socket(AF_INET, SOCK_STREAM, 0);
		break;
	case NR_TARGETS:
		break;
	}
}

/*
 * Which fields of a call's argument get an odd value: none (the call is
 * valid but for what its fd and pointer make it), one, or each with a
 * chance of one in four.  All-random fields would make nearly every call
 * an EINVAL at the first check, and the paths behind it would never run.
 */
static enum { ODD_NONE, ODD_ONE, ODD_MANY } mischief;
static unsigned int odd_field, field;

static void mischief_pick(unsigned int nr_fields)
{
	unsigned long r = rnd(10);

	mischief = r < 4 ? ODD_NONE : r < 8 ? ODD_ONE : ODD_MANY;
	odd_field = (unsigned int)rnd(nr_fields);
	field = 0;
}

/* Is the next field to be odd? */
static bool odd(void)
{
	unsigned int i = field++;

	return mischief == ODD_ONE ? i == odd_field :
	       mischief == ODD_MANY && !rnd(4);
}

#define PICK_ODD(valid, ...) ({ \
	const __typeof__(valid) odd_[] = { __VA_ARGS__ }; \
	odd() ? odd_[rnd(sizeof(odd_) / sizeof(odd_[0]))] : (valid); })

static void fuzz_head(void *arg, uint32_t size)
{
	uint32_t *h = arg;

	h[0] = PICK_ODD(size, 0, size - 1, size + 8, 1, 4096,
			(uint32_t)random());
	h[1] = PICK_ODD((uint32_t)KTTCP_ABI_VERSION, 0, 1,
			KTTCP_ABI_VERSION + 1, (uint32_t)random());
}

static uint64_t reserved64(void)
{
	return PICK_ODD((uint64_t)0, 1, 1ULL << 63, rnd64());
}

#define NR_IO_FIELDS	9

static void fuzz_io(struct call *c)
{
	static const uint32_t chunks[] = {
		0, 0, 0, 1, 100, 4096, 65536, 1 << 20, KTTCP_CHUNK_MAX,
	};
	static const uint64_t totals[] = {
		1, 1000, 65536, 200000, 1 << 20, 8 << 20, 1ULL << 40, ~0ULL,
	};
	static const uint64_t durations[] = {
		1, 1000000, 50000000, 300000000, KTTCP_DURATION_MAX_NS,
	};
	struct kttcp_io *io = &c->in.io;
	bool send = c->nr == 1;
	unsigned int nr_modes = send ? KTTCP_SEND_NR_MODES : KTTCP_RECV_NR_MODES;
	uint64_t total = PICK(totals), duration = 0;

	/* Garbage in the outputs: the module must not read them. */
	memset(io, 0, sizeof(*io));
	if (rnd(2)) {
		unsigned char *o = (unsigned char *)&io->bytes;
		size_t i;

		for (i = 0; i < sizeof(*io) - offsetof(struct kttcp_io, bytes); i++)
			o[i] = (unsigned char)random();
	}
	/* Valid: a send has a total, a duration or both; a receive may
	 * have neither (until EOF), never a duration. */
	if (send && rnd(3) == 0) {
		duration = PICK(durations);
		total = rnd(2) ? 0 : total;
	} else if (!send && rnd(4) == 0) {
		total = 0;
	}
	mischief_pick(NR_IO_FIELDS);
	fuzz_head(io, sizeof(*io));
	io->fd = PICK_ODD(c->fd, -1, c->fd + 1000,
			  (int32_t)((uint32_t)random() | 0x80000000U));
	io->mode = PICK_ODD((uint32_t)rnd(nr_modes), nr_modes, 0x80000000U,
			    (uint32_t)random());
	io->flags = PICK_ODD(!send && io->mode == KTTCP_RECV_COPY && rnd(2) ?
			     KTTCP_F_VERIFY : 0, KTTCP_F_VERIFY, 2, 1U << 31);
	io->chunk = PICK_ODD(PICK(chunks), KTTCP_CHUNK_MAX + 1, 0xffffffffU);
	io->total = PICK_ODD(total, 0);
	io->duration_ns = PICK_ODD(duration, KTTCP_DURATION_MAX_NS + 1, ~0ULL,
				   send ? 0 : 1000000);
	io->reserved_in[0] = reserved64();
	io->reserved_in[1] = reserved64();
}

static void fuzz_arg(struct call *c)
{
	switch (c->nr) {
	case 0:
		memset(&c->in.info, 0, sizeof(c->in.info));
		if (rnd(2))
			memset(c->in.info.kernel, 'x', sizeof(c->in.info.kernel));
		mischief_pick(5);
		fuzz_head(&c->in.info, sizeof(c->in.info));
		c->in.info.reserved0 = (uint32_t)reserved64();
		c->in.info.reserved[0] = reserved64();
		c->in.info.reserved[1] = reserved64();
		break;
	case 1:
	case 2:
		fuzz_io(c);
		break;
	case 3:
		memset(&c->in.p, 0, sizeof(c->in.p));
		c->in.p.bytes = rnd(2) ? rnd64() : 0;
		mischief_pick(3);
		fuzz_head(&c->in.p, sizeof(c->in.p));
		c->in.p.reserved0 = (uint32_t)reserved64();
		break;
	default:
		memset(c->in.raw, (int)rnd(256), sizeof(c->in.raw));
		break;
	}
}

static const unsigned int cmds[] = {
	KTTCP_IOC_INFO, KTTCP_IOC_SEND, KTTCP_IOC_RECV, KTTCP_IOC_PROGRESS,
};

static void pick_cmd(struct call *c)
{
	unsigned int nr = (unsigned int)rnd(10);

	if (nr < 4) {		/* sends and receives most, they do most */
		c->nr = (int)nr;
	} else if (nr < 9) {
		c->nr = 1 + (int)rnd(2);
	} else {
		/* Type 'k' only: any other type may reach the VFS. */
		const unsigned int sizes[] = {
			0, 8, 16, 24, sizeof(struct kttcp_io),
			sizeof(struct kttcp_info), (unsigned int)rnd(1 << 14),
		};

		do {
			c->cmd = _IOC(rnd(4), KTTCP_IOC_MAGIC, rnd(0x40),
				      PICK(sizes));
		} while (c->cmd == KTTCP_IOC_INFO || c->cmd == KTTCP_IOC_SEND ||
			 c->cmd == KTTCP_IOC_RECV || c->cmd == KTTCP_IOC_PROGRESS);
		c->nr = -1;
		return;
	}
	c->cmd = cmds[c->nr];
}

static size_t arg_size(const struct call *c)
{
	switch (c->nr) {
	case 0:
		return sizeof(c->in.info);
	case 1:
	case 2:
		return sizeof(c->in.io);
	case 3:
		return sizeof(c->in.p);
	default:
		return 64;
	}
}

/* Where the argument goes: a buffer, or a pointer that must fault. */
static void *place_arg(struct call *c, void *buf)
{
	size_t n = arg_size(c);
	size_t cut;

	c->bad_ptr = true;
	switch (rnd(24)) {
	case 0:
		return NULL;
	case 1:
		return (void *)16;
	case 2:
		/* The last @cut bytes of the argument fall on a PROT_NONE page. */
		cut = 1 + rnd(n - 1);
		c->readable = n - cut;
		memcpy(guard_page + 4096 - (n - cut), &c->in, n - cut);
		return guard_page + 4096 - (n - cut);
	default:
		c->bad_ptr = false;
		memcpy(buf, &c->in, n);
		return buf;
	}
}

/*
 * The model: how a call must end before any transfer, from the rules of
 * include/kttcp.h alone, never from the module's code.  @e holds the
 * errnos it may fail with (any of them: the header does not order the
 * checks after size and version); none means it must succeed, or start
 * its transfer.
 */
struct expect {
	int e[3];
	int n;
	bool may_start;		/* also fine: the transfer starts */
};

static void expect_add(struct expect *x, int e)
{
	x->e[x->n++] = e;
}

static bool expect_has(const struct expect *x, int e)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (x->e[i] == e)
			return true;
	return false;
}

static bool io_fields_valid(const struct kttcp_io *io, bool send)
{
	unsigned int nr_modes = send ? KTTCP_SEND_NR_MODES : KTTCP_RECV_NR_MODES;

	if (io->mode >= nr_modes || io->flags & ~KTTCP_F_ALL ||
	    io->reserved_in[0] || io->reserved_in[1] ||
	    io->chunk > KTTCP_CHUNK_MAX ||
	    io->duration_ns > KTTCP_DURATION_MAX_NS)
		return false;
	if (io->flags & KTTCP_F_VERIFY && (send || io->mode != KTTCP_RECV_COPY))
		return false;
	return send ? io->total || io->duration_ns : !io->duration_ns;
}

/* What the socket behind @io->fd allows, by how the target was made. */
static int fd_errno(const struct call *c, const struct kttcp_io *io)
{
	if (io->fd != c->fd)
		return EBADF;		/* mangled: negative, or not open */
	switch (c->t) {
	case T_BADFD:
		return EBADF;
	case T_FILE:
	case T_DEV:
		return ENOTSOCK;
	case T_UDP:
	case T_UNIX:
		return EPROTONOSUPPORT;
	case T_LISTEN:
	case T_UNCONN:
	case T_PEER_RST:
		return ENOTCONN;
	case T_SELF_SHUT:
		return c->nr == 1 ? EPIPE : 0;
	default:
		return 0;
	}
}

static void expect_call(const struct call *c, struct expect *x)
{
	const uint32_t *head = (const uint32_t *)&c->in;
	bool head_ok = head[0] == arg_size(c) && head[1] == KTTCP_ABI_VERSION;
	int e;

	memset(x, 0, sizeof(*x));
	if (c->nr < 0) {
		expect_add(x, ENOTTY);
		return;
	}
	if (c->bad_ptr) {
		/* Size and version first, when they can be read at all. */
		expect_add(x, c->readable >= 8 && !head_ok ? EINVAL : EFAULT);
		return;
	}
	if (!head_ok) {
		expect_add(x, EINVAL);
		return;
	}
	switch (c->nr) {
	case 0:
		if (c->in.info.reserved0 || c->in.info.reserved[0] ||
		    c->in.info.reserved[1])
			expect_add(x, EINVAL);
		return;
	case 3:
		if (c->in.p.reserved0)
			expect_add(x, EINVAL);
		return;
	}
	if (!io_fields_valid(&c->in.io, c->nr == 1))
		expect_add(x, EINVAL);
	e = fd_errno(c, &c->in.io);
	if (e)
		expect_add(x, e);
	/* A reset may not have reached the socket yet: then it is still
	 * connected, and the transfer meets the reset. */
	x->may_start = !x->n || (x->n == 1 && c->t == T_PEER_RST &&
				 c->in.io.fd == c->fd);
}

/* Errnos a transfer may end with. */
static bool transfer_errno(int e)
{
	return e == 0 || e == EINTR || e == EAGAIN || e == EPIPE ||
	       e == ECONNRESET || e == ENOTCONN || e == ECONNABORTED ||
	       e == ETIMEDOUT || e == EIO || e == ENOMEM || e == EILSEQ;
}

/*
 * Read the peer's end until EOF (at most @limit s); the bytes read, or
 * -1 (with *bad at the first byte off the pattern, -1 if none).
 */
static long long drain(int s, int limit, long long *bad)
{
	static unsigned char buf[256 * 1024], want[sizeof(buf)];
	double end = now() + limit;
	long long got = 0;
	struct pollfd p = { .fd = s, .events = POLLIN };
	ssize_t k, i;

	*bad = -1;
	while (now() < end) {
		if (poll(&p, 1, 200) <= 0)
			continue;
		k = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
		if (k == 0)
			return got;
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		fill_pattern(want, (size_t)k, (uint64_t)got);
		for (i = 0; *bad < 0 && i < k; i++)
			if (buf[i] != want[i])
				*bad = got + i;
		got += k;
	}
	return -1;
}

static void check_sent(struct call *c, uint64_t bytes)
{
	long long bad, got;

	shutdown(c->fd, SHUT_WR);
	got = drain(c->peer, DRAIN_LIMIT, &bad);
	if (got != (long long)bytes)
		broke(c, "send reported %llu bytes, peer read %lld",
		      (unsigned long long)bytes, got);
	else if (bad >= 0)
		broke(c, "peer read a wrong byte at %lld of %lld", bad, got);
}

static void check_xfer(struct call *c, const struct expect *x)
{
	const struct kttcp_io *in = &c->in.io, *io = &c->out.io;
	bool send = c->nr == 1;
	uint64_t want;

	/*
	 * A transfer rewrites every output field (the input may hold any
	 * garbage there, KTTCP_ST_VALID included); a call that failed
	 * before it leaves the argument as it was.
	 */
	if (!memcmp(in, io, sizeof(*io))) {
		if (!c->ret || !expect_has(x, c->err))
			broke(c, "returned %d (%s) before the transfer; the "
			      "header says %s", c->ret, strerrorname_np(c->err),
			      x->n ? strerrorname_np(x->e[0]) : "start it");
		return;
	}
	if (!x->may_start)
		broke(c, "started a transfer; the header says %s",
		      strerrorname_np(x->e[0]));
	if (!(io->status & KTTCP_ST_VALID)) {
		broke(c, "changed the argument without KTTCP_ST_VALID (%s)",
		      strerrorname_np(c->err));
		return;
	}
	if (c->ret ? c->err != io->error : io->error != 0)
		broke(c, "returned %d errno %s, error field %d",
		      c->ret, strerrorname_np(c->err), io->error);
	if (!transfer_errno(io->error))
		broke(c, "transfer ended with %s", strerrorname_np(io->error));
	if (in->total && io->bytes > in->total)
		broke(c, "moved %llu of a total of %llu",
		      (unsigned long long)io->bytes,
		      (unsigned long long)in->total);
	if (send) {
		if (c->t == T_CONN && !(io->status & KTTCP_ST_ZC_RESET) &&
		    (io->error == 0 || io->error == EINTR ||
		     io->error == EAGAIN))
			check_sent(c, io->bytes);
		return;
	}
	if (io->status & KTTCP_ST_MISMATCH)
		broke(c, "pattern mismatch at %llu on a clean stream",
		      (unsigned long long)io->mismatch_at);
	if (io->bytes > c->peer_wrote)
		broke(c, "received %llu, peer wrote %zu",
		      (unsigned long long)io->bytes, c->peer_wrote);
	want = in->total && in->total < c->peer_wrote ? in->total :
	       c->peer_wrote;
	if ((!c->ret || io->status & KTTCP_ST_EOF) && c->t == T_PEER_SHUT &&
	    io->bytes != want)
		broke(c, "ended cleanly with %llu bytes, peer wrote %zu",
		      (unsigned long long)io->bytes, c->peer_wrote);
}

static void check_call(struct call *c)
{
	struct expect x;

	expect_call(c, &x);
	if (c->secs > CALL_LIMIT)
		broke(c, "took %.1f s (mode %u chunk %u total %llu duration %llu ns: %llu bytes in %llu calls, errno %d)",
		      c->secs, c->in.io.mode, c->in.io.chunk,
		      (unsigned long long)c->in.io.total,
		      (unsigned long long)c->in.io.duration_ns,
		      (unsigned long long)c->out.io.bytes,
		      (unsigned long long)c->out.io.calls, c->err);
	if (c->nr == 1 || c->nr == 2) {
		check_xfer(c, &x);
		return;
	}
	if (x.n ? !c->ret || !expect_has(&x, c->err) : c->ret)
		broke(c, "cmd 0x%x returned %d (%s); the header says %s",
		      c->cmd, c->ret, strerrorname_np(c->err),
		      x.n ? strerrorname_np(x.e[0]) : "success");
	if (c->ret && memcmp(&c->in, &c->out, arg_size(c)))
		broke(c, "failed with %s but changed the argument",
		      strerrorname_np(c->err));
	if (!c->ret && c->nr == 0 &&
	    c->out.info.abi_version != KTTCP_ABI_VERSION)
		broke(c, "INFO says ABI %u", c->out.info.abi_version);
}

/* A random moment to end the call at, when no socket timeout will. */
static void arm_timer(long sock_ms)
{
	struct itimerval it = { 0 };
	long us;

	if (sock_ms && rnd(2))
		return;
	us = 1000 + (long)rnd(400000);
	it.it_value.tv_sec = us / 1000000;
	it.it_value.tv_usec = us % 1000000;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_timer(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void one_call(void)
{
	static const long timeouts[] = { 0, 50, 200 };
	static unsigned char buf[4096] __attribute__((aligned(8)));
	struct call c;
	long ms = PICK(timeouts);
	void *arg;
	double t0;

	memset(&c, 0, sizeof(c));
	pick_cmd(&c);
	c.t = (enum target)(rnd(2) ? T_CONN : rnd(NR_TARGETS));
	make_target(&c);
	if (c.fd >= 0 && c.t != T_BADFD)
		set_timeouts(c.fd, ms);
	fuzz_arg(&c);
	arg = place_arg(&c, buf);

	arm_timer(ms);
	t0 = now();
	c.ret = ioctl(dev, c.cmd, arg);
	c.err = c.ret ? errno : 0;
	c.secs = now() - t0;
	disarm_timer();
	if (arg == buf)
		memcpy(&c.out, buf, arg_size(&c));
	else
		memcpy(&c.out, &c.in, sizeof(c.out));	/* cannot be read */
	calls++;
	outcomes[c.err & 0xff]++;
	check_call(&c);

	if (c.t != T_BADFD && c.fd >= 0)
		close(c.fd);
	if (c.peer >= 0)
		close(c.peer);
}

/*
 * A race: two transfers on one socket at once (the second through the
 * same descriptor or a dup), the peer draining.  One may be a receive.
 */
struct racer {
	pthread_barrier_t *go;
	struct kttcp_io io;
	bool recv;
	int dev, ret, err;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->ret = ioctl(r->dev, r->recv ? KTTCP_IOC_RECV : KTTCP_IOC_SEND,
		       &r->io);
	r->err = r->ret ? errno : 0;
	return NULL;
}

#define RACE_MAX	(1 << 20)	/* bytes per racer */

struct drainer {
	int s;
	unsigned char *buf;	/* what the peer read, up to 2 * RACE_MAX */
	long long got;
};

static void *drainer_main(void *arg)
{
	struct drainer *d = arg;
	struct pollfd p = { .fd = d->s, .events = POLLIN };
	double end = now() + DRAIN_LIMIT;
	ssize_t k;

	d->got = 0;
	while (now() < end) {
		if (poll(&p, 1, 200) <= 0)
			continue;
		k = recv(d->s, d->buf + d->got, 2 * RACE_MAX + 1 - d->got,
			 MSG_DONTWAIT);
		if (k == 0)
			return NULL;
		if (k < 0 && errno != EAGAIN && errno != EINTR)
			break;
		if (k > 0)
			d->got += k;
	}
	d->got = -1;
	return NULL;
}

/* Is @b (@n bytes) the pattern of a stream from its first byte? */
static bool is_pattern(const unsigned char *b, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		if (b[i] != KTTCP_PATTERN(i))
			return false;
	return true;
}

/*
 * Each transfer sends the pattern from its own first byte: so the peer
 * must read one stream's bytes, then the other's, never a mix (two loops
 * interleaved on one socket).
 */
static void check_race(struct racer *r, const struct drainer *d)
{
	uint64_t sent[2] = { 0, 0 };
	int i, busy = 0;

	for (i = 0; i < 2; i++) {
		outcomes[r[i].err & 0xff]++;
		if (r[i].err == EBUSY) {
			busy++;
			continue;
		}
		if (!(r[i].io.status & KTTCP_ST_VALID))
			broke(NULL, "racer %d: %s without a result", i,
			      strerrorname_np(r[i].err));
		else if (r[i].err && r[i].err != EAGAIN)
			broke(NULL, "racer %d: %s", i, strerrorname_np(r[i].err));
		else if (!r[i].recv)
			sent[i] = r[i].io.bytes;
	}
	if (busy == 2)
		broke(NULL, "both transfers got EBUSY");
	if (d->got != (long long)(sent[0] + sent[1])) {
		broke(NULL, "racers sent %llu + %llu, peer read %lld",
		      (unsigned long long)sent[0],
		      (unsigned long long)sent[1], d->got);
		return;
	}
	if (!(is_pattern(d->buf, sent[0]) &&
	      is_pattern(d->buf + sent[0], sent[1])) &&
	    !(is_pattern(d->buf, sent[1]) &&
	      is_pattern(d->buf + sent[1], sent[0])))
		broke(NULL, "racers sent %llu + %llu (%s, %s): the peer read "
		      "them mixed", (unsigned long long)sent[0],
		      (unsigned long long)sent[1], strerrorname_np(r[0].err),
		      strerrorname_np(r[1].err));
}

static void one_race(void)
{
	pthread_t tid[2], dt;
	struct drainer d;
	struct racer r[2];
	pthread_barrier_t go;
	int c, i;

	d.buf = malloc(2 * RACE_MAX + 1);
	if (!d.buf)
		die("race: malloc");
	tcp_pair(&c, &d.s);
	set_timeouts(c, 300);
	pthread_barrier_init(&go, NULL, 3);
	if (pthread_create(&dt, NULL, drainer_main, &d))
		die("race: drainer");
	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].go = &go;
		r[i].dev = open(KTTCP_DEVICE, O_RDWR);
		r[i].recv = i && !rnd(4);
		io_init(&r[i].io, i && rnd(2) ? dup(c) : c,
			(unsigned int)rnd(r[i].recv ? KTTCP_RECV_NR_MODES :
					  KTTCP_SEND_NR_MODES),
			RACE_MAX / 4 + rnd(RACE_MAX - RACE_MAX / 4));
		/* Many calls each: two loops left to run at once interleave. */
		r[i].io.chunk = 4096U << rnd(4);
		if (r[i].dev < 0 || r[i].io.fd < 0 ||
		    pthread_create(&tid[i], NULL, racer_main, &r[i]))
			die("race");
	}
	pthread_barrier_wait(&go);
	for (i = 0; i < 2; i++) {
		pthread_join(tid[i], NULL);
		close(r[i].dev);
	}
	shutdown(c, SHUT_WR);
	pthread_join(dt, NULL);
	calls += 2;
	races++;
	check_race(r, &d);
	if (r[1].io.fd != c)
		close(r[1].io.fd);
	close(c);
	close(d.s);
	free(d.buf);
	pthread_barrier_destroy(&go);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned long count, i;
	bool first = true;
	int e;

	if (argc != 4) {
		fprintf(stderr, "usage: fuzz ADDR SEED COUNT\n");
		return 2;
	}
	ktest_addr = argv[1];
	srandom((unsigned int)strtoul(argv[2], NULL, 10));
	count = strtoul(argv[3], NULL, 10);

	sigemptyset(&sa.sa_mask);	/* no SA_RESTART: EINTR, as Ctrl-C */
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	guard_page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_page == MAP_FAILED || mprotect(guard_page + 4096, 4096,
						 PROT_NONE))
		die("mmap");
	dev = kttcp_open();

	for (i = 0; i < count; i++) {
		if (rnd(RACE_EVERY))
			one_call();
		else
			one_race();
	}

	printf("{\"calls\": %lu, \"races\": %lu, \"alarms\": %d, "
	       "\"outcomes\": {", calls, races, (int)alarms);
	for (e = 0; e < 256; e++) {
		if (!outcomes[e])
			continue;
		printf("%s\"%s\": %lu", first ? "" : ", ",
		       e ? strerrorname_np(e) : "ok", outcomes[e]);
		first = false;
	}
	printf("}, \"broken\": %lu, \"first\": [", broken);
	for (i = 0; i < broken && i < MAX_REPORTED; i++)
		printf("%s\"%s\"", i ? ", " : "", reported[i]);
	printf("]}\n");
	close(dev);
	return broken ? 1 : 0;
}
