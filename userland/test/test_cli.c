// SPDX-License-Identifier: GPL-2.0
/*
 * test_cli.c - runs the built binary.
 *
 * First without a module (this host has no /dev/kttcp), then, if the
 * fake module (fakekttcp.so, an LD_PRELOAD test double) is given, whole
 * transfers over loopback: kttcp to kttcp, kttcp to a plain socket and
 * back, -P, -J, -i, -V, -w, and signals.
 *
 * No fixed sleeps stand in for "it is ready by now": a receiver is ready
 * when /proc/net/tcp shows its socket listening, a transfer is under way
 * when bytes sit in its socket queues or reach our socket.  Every wait,
 * accept, connect and read here has a timeout and says what it waited
 * for, so a tool that dies early fails the checks instead of hanging.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../include/kttcp.h"
#include "check.h"

static const char *kttcp_bin;
static const char *fake_so;

struct proc {
	pid_t pid;
	char out[32];
	char err[32];
	char *stdout_text;
	char *stderr_text;
	int status;		/* exit code, 128 + signal, -1 hung */
	long ms;		/* how long it ran after proc_wait()'s start */
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Only as the interval of a polling loop, never as a wait for readiness. */
static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

/*
 * Start kttcp with the words of @args, with the fake module if @fake,
 * plus "NAME=value" words of @env (space separated, may be NULL).
 */
static void proc_start(struct proc *p, bool fake, const char *env,
		       const char *args)
{
	char copy[512], envcopy[256], *argv[40], *tok, *save = NULL;
	int argc = 0, fd;

	memset(p, 0, sizeof(*p));
	snprintf(p->out, sizeof(p->out), "/tmp/kttcp-out-XXXXXX");
	snprintf(p->err, sizeof(p->err), "/tmp/kttcp-err-XXXXXX");
	close(mkstemp(p->out));
	close(mkstemp(p->err));
	snprintf(copy, sizeof(copy), "%s", args);
	argv[argc++] = (char *)kttcp_bin;
	for (tok = strtok_r(copy, " ", &save); tok && argc < 39;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;

	fflush(stdout);
	p->pid = fork();
	if (p->pid != 0)
		return;
	fd = open(p->out, O_WRONLY | O_TRUNC);
	dup2(fd, 1);
	fd = open(p->err, O_WRONLY | O_TRUNC);
	dup2(fd, 2);
	if (fake)
		setenv("LD_PRELOAD", fake_so, 1);
	if (env) {
		snprintf(envcopy, sizeof(envcopy), "%s", env);
		for (tok = strtok_r(envcopy, " ", &save); tok;
		     tok = strtok_r(NULL, " ", &save))
			putenv(strdup(tok));
	}
	execv(kttcp_bin, argv);
	_exit(127);
}

/* Wait up to @timeout_ms; then kill it and report -1. */
static int proc_wait(struct proc *p, long timeout_ms)
{
	long start = now_ms();
	int st;

	for (;;) {
		pid_t r = waitpid(p->pid, &st, WNOHANG);

		if (r == p->pid)
			break;
		if (now_ms() - start > timeout_ms) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			st = -1;
			break;
		}
		sleep_ms(10);
	}
	p->ms = now_ms() - start;
	if (st == -1)
		p->status = -1;
	else if (WIFEXITED(st))
		p->status = WEXITSTATUS(st);
	else
		p->status = 128 + WTERMSIG(st);
	p->stdout_text = slurp(p->out);
	p->stderr_text = slurp(p->err);
	unlink(p->out);
	unlink(p->err);
	return p->status;
}

static void proc_free(struct proc *p)
{
	free(p->stdout_text);
	free(p->stderr_text);
}

/* Until @text shows up in its stdout (e.g. "connected to"); false on timeout. */
static bool await_in(const char *path, const char *text, long timeout_ms)
{
	long start = now_ms();
	char *out;
	bool found;

	do {
		out = slurp(path);
		found = strstr(out, text) != NULL;
		free(out);
		if (found)
			return true;
		sleep_ms(10);
	} while (now_ms() - start < timeout_ms);
	diag("no \"%s\" from kttcp within %ld ms", text, timeout_ms);
	return false;
}

/* Until kttcp's stdout (or stderr) has @text. */
static bool proc_await(struct proc *p, const char *text, long timeout_ms)
{
	return await_in(p->out, text, timeout_ms);
}

static bool proc_await_err(struct proc *p, const char *text, long timeout_ms)
{
	return await_in(p->err, text, timeout_ms);
}

/* One run to completion. */
static int run(struct proc *p, bool fake, const char *env, const char *args)
{
	proc_start(p, fake, env, args);
	return proc_wait(p, 20000);
}

/* A port nobody listens on (bound and released: good enough here). */
static int free_port(int family)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr *sa = family == AF_INET6 ? (struct sockaddr *)&sin6 :
						   (struct sockaddr *)&sin;
	socklen_t len = family == AF_INET6 ? sizeof(sin6) : sizeof(sin);
	int fd = socket(family, SOCK_STREAM, 0), port = 0;

	if (fd < 0)
		return 0;
	if (family == AF_INET6)
		sin6.sin6_addr = in6addr_loopback;
	else
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0)
		port = ntohs(family == AF_INET6 ? sin6.sin6_port : sin.sin_port);
	close(fd);
	return port;
}

/* Still running (not reaped: proc_wait() still gets its status)? */
static bool proc_running(const struct proc *p)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == 0;
}

/* A row of /proc/net/tcp or /proc/net/tcp6. */
struct tcp_row {
	unsigned int lport, rport, state;
	unsigned long tx, rx;	/* queued: unacked to send, unread */
	unsigned long inode;
};

#define TCP_ESTABLISHED	0x01
#define TCP_LISTEN	0x0a

static bool tcp_parse(const char *line, struct tcp_row *t)
{
	return sscanf(line, " %*x: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x %lx:%lx %*x:%*x %*x %*u %*u %lu",
		      &t->lport, &t->rport, &t->state, &t->tx, &t->rx,
		      &t->inode) == 6;
}

/* The first row, IPv4 or IPv6, that @match takes, in @t. */
static bool tcp_find(bool (*match)(const struct tcp_row *, const void *),
		     const void *arg, struct tcp_row *t)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];
	bool found = false;
	unsigned int i;
	FILE *f;

	for (i = 0; i < 2 && !found; i++) {
		f = fopen(files[i], "r");
		if (!f)
			continue;
		while (!found && fgets(line, sizeof(line), f))
			found = tcp_parse(line, t) && match(t, arg);
		fclose(f);
	}
	return found;
}

/* Does process @pid hold the socket of @inode? */
static bool pid_has_socket(pid_t pid, unsigned long inode)
{
	char dir[32], path[300], target[64], want[40];
	struct dirent *e;
	bool found = false;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		found = strcmp(target, want) == 0;
	}
	closedir(d);
	return found;
}

struct port_owner {
	int port;
	pid_t pid;
};

static bool is_listener(const struct tcp_row *t, const void *arg)
{
	const struct port_owner *o = arg;

	return t->state == TCP_LISTEN && t->lport == (unsigned int)o->port &&
	       pid_has_socket(o->pid, t->inode);
}

/*
 * Until @p listens on @port (its own socket, not a stranger's that took
 * the port): false, with a diagnostic, if it exits or @timeout_ms pass.
 */
static bool await_listen(struct proc *p, int port, long timeout_ms)
{
	struct port_owner o = { port, p->pid };
	long start = now_ms();
	struct tcp_row t;

	while (!tcp_find(is_listener, &o, &t)) {
		if (!proc_running(p)) {
			diag("kttcp exited before listening on port %d", port);
			return false;
		}
		if (now_ms() - start > timeout_ms) {
			diag("kttcp not listening on port %d after %ld ms", port,
			     timeout_ms);
			return false;
		}
		sleep_ms(5);
	}
	return true;
}

/* Does @p block @sig (its main thread: /proc/PID/status, SigBlk)? */
static bool proc_blocks(const struct proc *p, int sig)
{
	unsigned long long mask = 0;
	char path[32], line[128];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "SigBlk: %llx", &mask) == 1;
	fclose(f);
	return found && (mask & (1ULL << (sig - 1)));
}

/* Until @p has set up its signal handling (it blocks @sig, see xfer.c). */
static bool await_blocked(struct proc *p, int sig, long timeout_ms)
{
	long start = now_ms();

	while (!proc_blocks(p, sig)) {
		if (!proc_running(p) || now_ms() - start > timeout_ms) {
			diag("kttcp did not block signal %d within %ld ms", sig,
			     timeout_ms);
			return false;
		}
		sleep_ms(5);
	}
	return true;
}

static bool is_flowing(const struct tcp_row *t, const void *arg)
{
	unsigned int port = *(const int *)arg;

	return t->state == TCP_ESTABLISHED &&
	       (t->lport == port || t->rport == port) && (t->tx || t->rx);
}

/*
 * Until bytes are on their way over a connection to @port: queued unacked
 * at the sender or unread at the receiver.  A sender in full flow keeps
 * some there nearly all the time; none means no transfer yet.
 */
static bool await_flow(int port, long timeout_ms)
{
	long start = now_ms();
	struct tcp_row t;

	while (!tcp_find(is_flowing, &port, &t)) {
		if (now_ms() - start > timeout_ms) {
			diag("no bytes in flight to port %d within %ld ms", port,
			     timeout_ms);
			return false;
		}
		sleep_ms(5);
	}
	return true;
}

struct conn {
	unsigned int lport, rport;
};

static bool is_conn(const struct tcp_row *t, const void *arg)
{
	const struct conn *c = arg;

	return t->state == TCP_ESTABLISHED && t->lport == c->lport &&
	       t->rport == c->rport;
}

static int local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}

/*
 * Until the receiver on @port has read every byte we sent it on @fd:
 * nothing unacked on our side, nothing unread on its side.
 */
static bool await_drained(int fd, int port, long timeout_ms)
{
	struct conn ours = { local_port(fd), port };
	struct conn theirs = { port, ours.lport };
	long start = now_ms();
	struct tcp_row a, b;

	while (!(tcp_find(is_conn, &ours, &a) && a.tx == 0 &&
		 tcp_find(is_conn, &theirs, &b) && b.rx == 0)) {
		if (now_ms() - start > timeout_ms) {
			diag("the receiver on port %d did not read everything within %ld ms",
			     port, timeout_ms);
			return false;
		}
		sleep_ms(5);
	}
	return true;
}

static void set_timeout(int fd, int opt, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* accept() within @ms, else -1 and a diagnostic; reads time out too. */
static int accept_within(int lfd, long ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int fd;

	if (poll(&pfd, 1, (int)ms) != 1) {
		diag("no connection to accept within %ld ms", ms);
		return -1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		diag("accept: %s", strerror(errno));
		return -1;
	}
	set_timeout(fd, SO_RCVTIMEO, ms);
	return fd;
}

/* Until bytes wait on @fd to be read, for up to @ms. */
static bool await_bytes(int fd, long ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (fd >= 0 && poll(&pfd, 1, (int)ms) == 1)
		return true;
	diag("no bytes arrived within %ld ms", ms);
	return false;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void test_no_module(void)
{
	struct proc p;

	run(&p, false, NULL, "--help");
	CHECK(p.status == 0, "cli: --help exits 0");
	CHECK_HAS(p.stdout_text, "usage: kttcp -r", "cli: --help usage on stdout");
	CHECK_HAS(p.stdout_text, "Exit status", "cli: --help lists exit codes");
	CHECK_HAS(p.stdout_text, "each\n                         stream moves BYTES",
		  "cli: --help says -n is per stream");
	proc_free(&p);

	run(&p, false, NULL, "");
	CHECK(p.status == 1, "cli: no arguments exits 1");
	CHECK_HAS(p.stderr_text, "usage:", "cli: no arguments prints usage");
	proc_free(&p);

	run(&p, false, NULL, "-t -m bogus x");
	CHECK(p.status == 1, "cli: -t -m bogus exits 1");
	CHECK_HAS(p.stderr_text, "copy, sendpage, zerocopy",
		  "cli: -m bogus names the valid modes");
	proc_free(&p);

	run(&p, false, NULL, "-r -n 12q");
	CHECK(p.status == 1, "cli: -r -n 12q exits 1");
	CHECK_HAS(p.stderr_text, "-n: invalid byte count '12q'",
		  "cli: -n 12q message");
	proc_free(&p);

	if (access(KTTCP_DEVICE, F_OK) == 0) {
		/* A real module answers: "-r" would start a receiver. */
		SKIP("cli: -r without module exits 2", "/dev/kttcp exists");
		SKIP("cli: -r without module message", "/dev/kttcp exists");
		SKIP("cli: -r without module prints no results", "/dev/kttcp exists");
		SKIP("cli: --version exits 0", "/dev/kttcp exists");
		SKIP("cli: --version tool version", "/dev/kttcp exists");
		SKIP("cli: --version module not loaded", "/dev/kttcp exists");
		return;
	}
	run(&p, false, NULL, "-r");
	CHECK(p.status == 2, "cli: -r without module exits 2");
	CHECK_STR(p.stderr_text,
		  "kttcp: /dev/kttcp: No such file or directory: is the kttcp module loaded? (modprobe kttcp, or insmod kttcp.ko)\n",
		  "cli: -r without module message");
	CHECK_STR(p.stdout_text, "", "cli: -r without module prints no results");
	proc_free(&p);

	run(&p, false, NULL, "--version");
	CHECK(p.status == 0, "cli: --version exits 0");
	CHECK_HAS(p.stdout_text, "kttcp 1.0", "cli: --version tool version");
	CHECK_HAS(p.stdout_text, "not loaded", "cli: --version module not loaded");
	proc_free(&p);
}

static void test_fake_setup(void)
{
	struct proc p;
	char args[128];

	run(&p, true, NULL, "--version");
	CHECK(p.status == 0 && strstr(p.stdout_text, "module: fake 0.1 (ABI 2)") &&
	      strstr(p.stdout_text, "send modes: copy sendpage zerocopy") &&
	      strstr(p.stdout_text, "receive modes: copy trunc readsock"),
	      "fake: --version shows the module and its modes");
	proc_free(&p);

	run(&p, true, "FAKE_KTTCP_OPEN_ERRNO=13", "-r");
	CHECK(p.status == 2, "fake: EACCES exits 2");
	CHECK_STR(p.stderr_text,
		  "kttcp: /dev/kttcp: Permission denied: the device is mode 0600 (root only); see README, Permissions\n",
		  "fake: EACCES message");
	proc_free(&p);

	run(&p, true, "FAKE_KTTCP_INFO_ERRNO=25", "-r");
	CHECK_STR(p.stderr_text,
		  "kttcp: /dev/kttcp: KTTCP_IOC_INFO: Inappropriate ioctl for device: the kttcp module (ABI 1, no /sys/class/misc/kttcp/abi_version) and this tool (ABI 2) don't match\n",
		  "fake: INFO ENOTTY, no sysfs ABI: names ABI 1 and the tool's");
	CHECK(p.status == 2, "fake: INFO ENOTTY exits 2");
	proc_free(&p);

	run(&p, true, "FAKE_KTTCP_INFO_ERRNO=22 FAKE_KTTCP_SYSFS_ABI=3", "-r");
	CHECK(p.status == 2 &&
	      strstr(p.stderr_text, "the kttcp module (ABI 3) and this tool (ABI 2) don't match"),
	      "fake: INFO EINVAL: names the module's ABI from sysfs and the tool's, exit 2");
	proc_free(&p);

	run(&p, true, "FAKE_KTTCP_ABI=3", "-t 127.0.0.1");
	CHECK(p.status == 2 && strstr(p.stderr_text, "(fake 0.1, ABI 3)") &&
	      strstr(p.stderr_text, "don't match"),
	      "fake: ABI 3: module and tool don't match, exit 2");
	proc_free(&p);

	run(&p, true, "FAKE_KTTCP_SEND_MODES=3", "-t -m zerocopy 127.0.0.1");
	CHECK(p.status == 2 &&
	      strstr(p.stderr_text, "send mode zerocopy is not supported by this kernel (Linux "),
	      "fake: unsupported mode names the kernel, exit 2");
	proc_free(&p);

	snprintf(args, sizeof(args), "-t -p %d 127.0.0.1", free_port(AF_INET));
	run(&p, true, NULL, args);
	CHECK(p.status == 2, "fake: connection refused exits 2");
	CHECK_HAS(p.stderr_text, "port", "fake: refused message");
	CHECK_HAS(p.stderr_text, ": Connection refused\n",
		  "fake: refused message has strerror");
	CHECK_HAS(p.stderr_text, "kttcp: connect to 127.0.0.1 port ",
		  "fake: refused message names host");
	proc_free(&p);

	/* -J: a failure before any result is still one JSON object. */
	snprintf(args, sizeof(args), "-t -J -p %d 127.0.0.1", free_port(AF_INET));
	run(&p, true, NULL, args);
	CHECK_QUERY(p.stdout_text, "d['status'], d['exit_code'], d['role'], 'Connection refused' in d['error']",
		    "error 2 sender True", "fake: -J refused: one JSON object, exit 2");
	proc_free(&p);
	run(&p, true, "FAKE_KTTCP_ABI=3", "-r -J");
	CHECK(p.status == 2, "fake: -J ABI mismatch exits 2");
	CHECK_QUERY(p.stdout_text, "d['status'], d['exit_code'], d['role'], 'ABI 3' in d['error']",
		    "error 2 receiver True", "fake: -J ABI mismatch: one JSON object");
	proc_free(&p);

	/* A -B address that is not ours: the bind fails, not the connect. */
	snprintf(args, sizeof(args), "-t -B 198.51.100.7 -p %d 127.0.0.1",
		 free_port(AF_INET));
	run(&p, true, NULL, args);
	CHECK(p.status == 2 && strstr(p.stderr_text,
	      "kttcp: bind to 198.51.100.7 (-B): Cannot assign requested address"),
	      "fake: -B of a foreign address is a bind failure, exit 2");
	proc_free(&p);

	/* CPU 1023: not one of this host's (unless it has 1024). */
	snprintf(args, sizeof(args), "-t -A 1023 -p %d 127.0.0.1",
		 free_port(AF_INET));
	run(&p, true, NULL, args);
	CHECK(p.status == 2 && strstr(p.stderr_text,
	      "kttcp: -A: CPU 1023 is not one this process may run on (CPUs ") &&
	      !strstr(p.stderr_text, "connect"),
	      "fake: -A of a CPU this process may not use: named, exit 2, before any connect");
	proc_free(&p);

	snprintf(args, sizeof(args), "-t -C nosuchcc -p %d 127.0.0.1",
		 free_port(AF_INET));
	run(&p, true, NULL, args);
	CHECK(p.status == 2 &&
	      strstr(p.stderr_text, "-C nosuchcc: the kernel refused this congestion control"),
	      "fake: unknown -C refused clearly, exit 2");
	proc_free(&p);
}

/*
 * A receiver in the background, listening on @port (the port of @args):
 * false, with its stderr as a diagnostic, if it is not.
 */
static bool start_receiver(struct proc *r, const char *env, const char *args,
			   int port)
{
	proc_start(r, true, env, args);
	if (await_listen(r, port, 5000))
		return true;
	proc_wait(r, 1000);
	diag("kttcp %s: exit %d, stderr: %s", args, r->status, r->stderr_text);
	return false;
}

static void test_pair(void)
{
	struct proc r, s;
	char args[160], line[64];
	int port = free_port(AF_INET);

	snprintf(args, sizeof(args), "-r -p %d", port);
	if (!CHECK(start_receiver(&r, NULL, args, port), "pair: receiver starts")) {
		proc_free(&r);
		return;
	}
	snprintf(args, sizeof(args), "-t -n 1m -M 1000 -D -b 256k -p %d 127.0.0.1",
		 port);
	run(&s, true, NULL, args);
	proc_wait(&r, 5000);
	CHECK(s.status == 0 && r.status == 0, "pair: both exit 0");
	/* Scripts wait for this line; the tests wait for the socket. */
	snprintf(line, sizeof(line), "kttcp: listening on port %d\n", port);
	CHECK_HAS(r.stderr_text, line, "pair: receiver listening line on stderr");
	CHECK_HAS(s.stdout_text, "kttcp: socket buffer size: ",
		  "pair: sender socket buffer line");
	CHECK_HAS(s.stdout_text, "kttcp: connected to 127.0.0.1\nkttcp: 1048576 bytes in ",
		  "pair: sender connected and result lines");
	CHECK_HAS(s.stdout_text, " Megabits/sec\n  ", "pair: sender Megabits line");
	CHECK_HAS(s.stdout_text, "sys ", "pair: sender CPU line");
	CHECK_HAS(r.stdout_text, "kttcp: connect from 127.0.0.1\n",
		  "pair: dual-stack receiver shows the IPv4 peer");
	CHECK_HAS(r.stdout_text, "kttcp: 1048576 bytes in ",
		  "pair: receiver got every byte");
	CHECK_STR(s.stderr_text, "", "pair: sender stderr empty");
	proc_free(&r);
	proc_free(&s);
}

static bool have_ipv6_loopback(void)
{
	return free_port(AF_INET6) != 0;
}

/*
 * The rates against the definition, bits = bytes * 8 / seconds, computed
 * here from the JSON's bytes and seconds (the tool truncates: within 1).
 */
static const char rates_expr[] =
	"all(abs(x['bits_per_second'] - x['bytes'] * 8 / x['seconds']) <= 1 for x in [d] + d['streams'])";

static void skip_parallel(const char *why)
{
	SKIP("parallel: receiver starts", why);
	SKIP("parallel: both exit 0", why);
	SKIP("parallel: sender stdout is one JSON object", why);
	SKIP("parallel: receiver stdout is one JSON object", why);
	SKIP("parallel: receiver totals over 3 streams", why);
	SKIP("parallel: sender totals", why);
	SKIP("parallel: sender seconds: each stream's at most, the run's at most", why);
	SKIP("parallel: sender bits_per_second is bytes * 8 / seconds", why);
	SKIP("parallel: receiver bits_per_second is bytes * 8 / seconds", why);
	SKIP("parallel: receiver default chunk", why);
}

static void test_parallel_json(void)
{
	struct proc r, s;
	char args[200], expr[200];
	int port = free_port(AF_INET6);

	if (!have_ipv6_loopback()) {
		skip_parallel("no ::1");
		return;
	}
	/* -J prints no "listening" line: start_receiver() needs none. */
	snprintf(args, sizeof(args), "-r -6 -P 3 -V -J -p %d", port);
	if (!CHECK(start_receiver(&r, NULL, args, port),
		   "parallel: receiver starts")) {
		proc_free(&r);
		return;
	}
	snprintf(args, sizeof(args), "-t -P 3 -n 2m -J -l 32k -p %d ::1", port);
	run(&s, true, NULL, args);
	proc_wait(&r, 5000);
	CHECK(s.status == 0 && r.status == 0, "parallel: both exit 0");
	CHECK(json_valid(s.stdout_text), "parallel: sender stdout is one JSON object");
	CHECK(json_valid(r.stdout_text), "parallel: receiver stdout is one JSON object");
	CHECK_QUERY(r.stdout_text, "d['bytes'], len(d['streams']), d['status'], d['verify']['enabled'], d['role'], sorted(s['bytes'] for s in d['streams'])",
		    "6291456 3 ok True receiver [2097152, 2097152, 2097152]",
		    "parallel: receiver totals over 3 streams");
	CHECK_QUERY(s.stdout_text, "d['bytes'], [s['bytes'] for s in d['streams']], d['chunk'], d['chunk_auto'], d['mode']",
		    "6291456 [2097152, 2097152, 2097152] 32768 False copy",
		    "parallel: sender totals");
	/* Bounds from outside the tool: the sender ran s.ms by our clock. */
	snprintf(expr, sizeof(expr),
		 "all(0 < x['seconds'] <= d['seconds'] for x in d['streams']), d['seconds'] <= %ld / 1000",
		 s.ms + 1);
	CHECK_QUERY(s.stdout_text, expr, "True True",
		    "parallel: sender seconds: each stream's at most, the run's at most");
	CHECK_QUERY(s.stdout_text, rates_expr, "True",
		    "parallel: sender bits_per_second is bytes * 8 / seconds");
	CHECK_QUERY(r.stdout_text, rates_expr, "True",
		    "parallel: receiver bits_per_second is bytes * 8 / seconds");
	CHECK_QUERY(r.stdout_text, "d['chunk'], d['chunk_auto']", "1048576 False",
		    "parallel: receiver default chunk");
	proc_free(&r);
	proc_free(&s);
}

/* kttcp -t into a plain socket that just counts. */
static void test_plain_sink(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	char args[64], buf[65536];
	long long total = 0;
	struct proc s;
	ssize_t n = 0;
	int lfd, fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	bind(lfd, (struct sockaddr *)&sin, sizeof(sin));
	listen(lfd, 1);
	getsockname(lfd, (struct sockaddr *)&sin, &len);
	snprintf(args, sizeof(args), "-t -q -p %d 127.0.0.1", ntohs(sin.sin_port));
	proc_start(&s, true, NULL, args);
	fd = accept_within(lfd, 5000);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	if (n < 0)
		diag("plain sink: read after %lld bytes: %s", total, strerror(errno));
	close_fd(fd);
	close(lfd);
	proc_wait(&s, 5000);
	CHECK(s.status == 0 && total == 10485760,
	      "plain sink: default 10 MiB, nothing else on the wire");
	CHECK(!strstr(s.stdout_text, "connected to"), "plain sink: -q hides connected");
	proc_free(&s);
}

/*
 * Connect to a receiver on @port and send it @len pattern bytes, the byte
 * at @corrupt flipped; the socket, or -1 with a diagnostic.  Connect and
 * write give up after 5 s (SO_SNDTIMEO covers both) rather than hang.
 */
static int plain_source(int port, long len, long corrupt)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned char buf[4096];
	long off = 0, i, chunk;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	set_timeout(fd, SO_SNDTIMEO, 5000);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		diag("plain source: connect to port %d: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	while (off < len) {
		chunk = len - off < (long)sizeof(buf) ? len - off : (long)sizeof(buf);
		for (i = 0; i < chunk; i++)
			buf[i] = KTTCP_PATTERN(off + i) ^ (off + i == corrupt ? 0xff : 0);
		if (write(fd, buf, (size_t)chunk) != chunk) {
			diag("plain source: write after %ld bytes: %s", off,
			     strerror(errno));
			close(fd);
			return -1;
		}
		off += chunk;
	}
	return fd;
}

static void test_plain_source(void)
{
	struct proc r;
	char args[64];
	int port = free_port(AF_INET), fd;

	snprintf(args, sizeof(args), "-r -V -4 -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port),
		  "plain source: receiver starts")) {
		close_fd(plain_source(port, 1048576 + 7, -1));
		proc_wait(&r, 5000);
		CHECK(r.status == 0 && strstr(r.stdout_text, "kttcp: 1048583 bytes in"),
		      "plain source: receiver -V takes any source until EOF");
	}
	proc_free(&r);

	port = free_port(AF_INET);
	snprintf(args, sizeof(args), "-r -V -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port), "verify: receiver starts")) {
		close_fd(plain_source(port, 100000, 4242));
		proc_wait(&r, 5000);
		CHECK(r.status == 3, "verify: mismatch exits 3");
		CHECK_HAS(r.stderr_text, "kttcp: verify: first mismatch at byte offset 4242\n",
			  "verify: mismatch offset");
		CHECK_HAS(r.stdout_text, " bytes in ", "verify: results still printed");
	}
	proc_free(&r);

	port = free_port(AF_INET);
	snprintf(args, sizeof(args), "-r -w 0.3 -n 1m -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port), "timeout: receiver starts")) {
		fd = plain_source(port, 1000, -1);
		proc_wait(&r, 5000);
		close_fd(fd);
		CHECK(r.status == 3, "timeout: -w on a stalled transfer exits 3");
		CHECK_HAS(r.stderr_text, "kttcp: timed out after 1000 bytes\n",
			  "timeout: message with bytes");
		CHECK(r.ms < 3000, "timeout: ends soon after -w");
	}
	proc_free(&r);
}

/*
 * -w with a fraction, 0.9 s: a transfer that pauses well inside it (a
 * tenth of a second) is no stall and succeeds; one that stalls, after
 * its first byte or before it, times out, exit 3, and never before the
 * 0.9 s (counted from before the bytes were sent: a bound, no race).
 */
static void test_fractional_timeout(void)
{
	static const char junk[100000];
	struct proc r;
	char args[64];
	int port = free_port(AF_INET), fd;
	long t0;

	snprintf(args, sizeof(args), "-r -J -w 0.9 -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port),
		  "-w 0.9: receiver starts")) {
		fd = plain_source(port, 100000, -1);
		sleep_ms(100);	/* the pause under test, not a wait */
		if (fd >= 0 && write(fd, junk, sizeof(junk)) != sizeof(junk))
			diag("-w 0.9: second write: %s", strerror(errno));
		close_fd(fd);
		proc_wait(&r, 5000);
		if (!CHECK(r.status == 0, "-w 0.9: a pause of 0.1 s is no stall, exit 0"))
			diag("receiver exit %d, stderr: %s", r.status, r.stderr_text);
		CHECK_QUERY(r.stdout_text, "d['status'], d['bytes']", "ok 200000",
			    "-w 0.9: every byte of the paused transfer received");
	}
	proc_free(&r);

	port = free_port(AF_INET);
	snprintf(args, sizeof(args), "-r -w 0.9 -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port),
		  "-w 0.9 stall: receiver starts")) {
		t0 = now_ms();
		fd = plain_source(port, 1000, -1);
		proc_wait(&r, 5000);
		CHECK(r.status == 3 && strstr(r.stderr_text,
		      "kttcp: timed out after 1000 bytes\n") &&
		      now_ms() - t0 >= 899,
		      "-w 0.9: a stall after 1000 bytes times out, exit 3, not before 0.9 s");
		close_fd(fd);
	}
	proc_free(&r);

	port = free_port(AF_INET);
	snprintf(args, sizeof(args), "-r -w 0.9 -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port),
		  "-w 0.9 no first byte: receiver starts")) {
		t0 = now_ms();
		fd = plain_source(port, 0, -1);
		proc_wait(&r, 5000);
		CHECK(r.status == 3 && strstr(r.stderr_text,
		      "kttcp: timed out after 0 bytes\n") &&
		      now_ms() - t0 >= 899,
		      "-w 0.9: no first byte times out, exit 3, not before 0.9 s");
		close_fd(fd);
	}
	proc_free(&r);
}

/*
 * -O 0.3 with -T 0.5: the sender sends 0.8 s and leaves the first 0.3 s
 * out.  What it left out plus what it reports is what the receiver got;
 * its seconds and its CPU's real time are under the 0.8 s it sent for
 * (the fake's loop runs at least the 0.8 s: without the cut, at least
 * that).
 */
static void test_omit_cli(void)
{
	struct proc r, s;
	char args[96], expr[200], *rbytes;
	int port = free_port(AF_INET);

	snprintf(args, sizeof(args), "-r -J -p %d", port);
	if (!CHECK(start_receiver(&r, NULL, args, port), "-O: receiver starts")) {
		proc_free(&r);
		return;
	}
	snprintf(args, sizeof(args), "-t -J -T 0.5 -O 0.3 -p %d 127.0.0.1", port);
	run(&s, true, NULL, args);
	proc_wait(&r, 5000);
	CHECK(s.status == 0 && r.status == 0, "-O: sender and receiver exit 0");
	rbytes = json_query(r.stdout_text, "d['bytes']");
	snprintf(expr, sizeof(expr),
		 "d['omitted_seconds'], d['omitted_bytes'] > 0, d['bytes'] > 0, d['bytes'] + d['omitted_bytes'] == %s",
		 rbytes ? rbytes : "None");
	CHECK_QUERY(s.stdout_text, expr, "0.3 True True True",
		    "-O: omitted bytes plus reported bytes are what the receiver got");
	CHECK_QUERY(s.stdout_text,
		    "d['streams'][0]['omitted_bytes'] == d['omitted_bytes'], 0 < d['seconds'] < 0.8, 0 < d['cpu']['real_seconds'] < 0.8",
		    "True True True",
		    "-O: the sender's seconds and CPU real time leave the omitted time out");
	free(rbytes);
	proc_free(&r);
	proc_free(&s);
}

/* A listener on loopback that accepts but never reads. */
static int stall_listener(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), small = 4096;

	/* Small buffers: the sender stalls after little data. */
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(lfd, (struct sockaddr *)&sin, sizeof(sin));
	listen(lfd, 4);
	getsockname(lfd, (struct sockaddr *)&sin, &len);
	*port = ntohs(sin.sin_port);
	return lfd;
}

static void test_stalled_peer(void)
{
	struct proc s;
	char args[96];
	int port, lfd, fd;

	lfd = stall_listener(&port);
	snprintf(args, sizeof(args), "-t -J -w 0.5 -m zerocopy -n 1g -p %d 127.0.0.1",
		 port);
	proc_start(&s, true, NULL, args);
	fd = accept_within(lfd, 5000);
	proc_wait(&s, 5000);
	CHECK(s.status == 3, "stalled peer: -w sender times out, exit 3");
	CHECK_QUERY(s.stdout_text, "d['status'], d['bytes'] > 0, d['error'].startswith('timed out after')",
		    "timeout True True", "stalled peer: JSON status timeout");
	proc_free(&s);
	close_fd(fd);

	snprintf(args, sizeof(args), "-t -q -n 1g -p %d 127.0.0.1", port);
	proc_start(&s, true, NULL, args);
	fd = accept_within(lfd, 5000);
	/*
	 * Bytes arriving: the sender is under way; with 4 KiB of room here
	 * and no reads it blocks right after.
	 */
	CHECK(await_bytes(fd, 5000), "stalled peer: the sender's bytes arrive");
	kill(s.pid, SIGINT);
	proc_wait(&s, 3000);
	CHECK(s.status == 130 && s.ms < 1000,
	      "stalled peer: SIGINT ends a blocked sender within a second");
	CHECK_HAS(s.stderr_text, "kttcp: interrupted after ",
		  "stalled peer: interrupted message");
	proc_free(&s);
	close_fd(fd);
	close(lfd);
}

/* A source that sends @len pattern bytes and then resets the connection. */
static void rst_source(int port, long len)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = plain_source(port, len, -1);

	if (fd < 0)
		return;
	/* The reset must come after the receiver took every byte. */
	await_drained(fd, port, 5000);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void test_reset(void)
{
	struct proc r;
	char args[64];
	int port = free_port(AF_INET);

	snprintf(args, sizeof(args), "-r -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port), "reset: receiver starts")) {
		rst_source(port, 3 * 1048576);
		proc_wait(&r, 5000);
		CHECK(r.status == 3, "reset: receiver exits 3");
		CHECK_HAS(r.stderr_text,
			  "kttcp: transfer failed after 3145728 bytes: Connection reset by peer\n",
			  "reset: message with the bytes done");
	}
	proc_free(&r);

	port = free_port(AF_INET);
	snprintf(args, sizeof(args), "-r -J -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port),
		  "reset: JSON receiver starts")) {
		rst_source(port, 1048576);
		proc_wait(&r, 5000);
		CHECK_QUERY(r.stdout_text, "d['status'], d['bytes'], d['error']",
			    "error 1048576 Connection reset by peer",
			    "reset: JSON error and bytes");
	}
	proc_free(&r);
}

static void test_signals(void)
{
	struct proc r, s;
	char args[96];
	int port = free_port(AF_INET);

	/*
	 * A signal while blocked in accept().  Listening comes before the
	 * signal set-up: wait for that too, or SIGINT just kills it.
	 */
	snprintf(args, sizeof(args), "-r -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port) &&
		  await_blocked(&r, SIGINT, 5000), "signal: receiver starts")) {
		kill(r.pid, SIGINT);
		proc_wait(&r, 3000);
		CHECK(r.status == 130 && r.ms < 1000,
		      "signal: SIGINT in accept exits 130 at once");
		CHECK_HAS(r.stderr_text, "kttcp: interrupted after 0 bytes\n",
			  "signal: accept interrupted message");
	}
	proc_free(&r);

	/* SIGINT during a timed send, once bytes flow. */
	port = free_port(AF_INET);
	snprintf(args, sizeof(args), "-r -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port),
		  "signal: receiver of a timed send starts")) {
		snprintf(args, sizeof(args), "-t -T 30 -p %d 127.0.0.1", port);
		proc_start(&s, true, NULL, args);
		CHECK(proc_await(&s, "connected to", 5000) &&
		      await_flow(port, 5000), "signal: the sender connects, bytes flow");
		kill(s.pid, SIGINT);
		proc_wait(&s, 3000);
		proc_wait(&r, 3000);
		CHECK(s.status == 130 && s.ms < 1000,
		      "signal: SIGINT ends the sender within a second, exit 130");
		CHECK_HAS(s.stdout_text, " real seconds ==> ",
			  "signal: results for the bytes done");
		CHECK_HAS(s.stderr_text, "kttcp: interrupted after ",
			  "signal: interrupted message");
		CHECK(r.status == 0, "signal: the receiver sees EOF and exits 0");
		proc_free(&s);
	}
	proc_free(&r);

	/* SIGTERM to four streams. */
	port = free_port(AF_INET);
	snprintf(args, sizeof(args), "-r -P 4 -J -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port),
		  "signal: 4-stream receiver starts")) {
		snprintf(args, sizeof(args), "-t -P 4 -T 30 -p %d 127.0.0.1", port);
		proc_start(&s, true, NULL, args);
		CHECK(proc_await(&s, "connected to", 5000) &&
		      await_flow(port, 5000),
		      "signal: 4 streams connect, bytes flow");
		kill(s.pid, SIGTERM);
		proc_wait(&s, 3000);
		proc_wait(&r, 3000);
		CHECK(s.status == 143 && s.ms < 1000,
		      "signal: SIGTERM ends 4 streams within a second, exit 143");
		CHECK(r.status == 0 && json_valid(r.stdout_text),
		      "signal: 4-stream receiver ends cleanly with JSON");
		proc_free(&s);
	}
	proc_free(&r);
}

/*
 * The fake's FAKE_KTTCP_PROGRESS_LOG at @path as a python list per
 * stream, [[bytes, ...], ...]: what each KTTCP_IOC_PROGRESS told the tool,
 * in order, the streams in the order of their /dev/kttcp descriptors
 * (opened one per stream, stream 1 first).  NULL if unreadable.
 */
static char *progress_log(const char *path)
{
	int fds[8], nfd = 0, fd, i, j, tmp;
	unsigned long long bytes;
	char *text, *line, *save = NULL;
	struct capture c;
	bool first;

	text = slurp(path);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%d %llu", &fd, &bytes) != 2)
			continue;
		for (i = 0; i < nfd && fds[i] != fd; i++)
			;
		if (i == nfd && nfd < 8)
			fds[nfd++] = fd;
	}
	free(text);
	for (i = 0; i < nfd; i++)
		for (j = i + 1; j < nfd; j++)
			if (fds[j] < fds[i]) {
				tmp = fds[i];
				fds[i] = fds[j];
				fds[j] = tmp;
			}
	cap_open(&c);
	fputc('[', c.f);
	for (i = 0; i < nfd; i++) {
		fprintf(c.f, "%s[", i ? ", " : "");
		text = slurp(path);
		save = NULL;
		first = true;
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (sscanf(line, "%d %llu", &fd, &bytes) != 2 ||
			    fd != fds[i])
				continue;
			fprintf(c.f, "%s%llu", first ? "" : ", ", bytes);
			first = false;
		}
		free(text);
		fputc(']', c.f);
	}
	fputc(']', c.f);
	text = strdup(cap_text(&c));
	cap_free(&c);
	return text;
}

/*
 * A sender's -J intervals (@json) against what is known without the
 * tool's arithmetic: interval k runs from k * @step_ms to (k + 1) * @step_ms
 * (the last one from there to the end); each stream's bytes in it are
 * the growth of the counts the fake module reported to the tool's
 * samples (@log), counts never going backwards (a finished transfer's
 * progress reads 0) and the samples after a stream ended, or the final
 * interval's, its final count; that final count, summed over the
 * streams, is what the receiver (@rjson) got.  Each stream has at least
 * one sample while it ran (the first interval ends long before -T).
 */
static void check_intervals(const char *json, const char *rjson,
			    const char *log, int step_ms, const char *name)
{
	char *samples, *expr = NULL, *rbytes;

	if (!have_python3()) {
		SKIP(name, "no python3");
		return;
	}
	samples = progress_log(log);
	rbytes = json_query(rjson, "d['bytes']");
	if (!samples || !rbytes ||
	    asprintf(&expr,
		     "(lambda L, n, acc: ("
		     "[round(i['start'] * 1000) for i in d['intervals']] == [%d * k for k in range(n)], "
		     "[round(i['end'] * 1000) for i in d['intervals'][:-1]] == [%d * (k + 1) for k in range(n - 1)], "
		     "d['intervals'][-1]['end'] > d['intervals'][-1]['start'], "
		     "len(L) == len(d['streams']) and all(len(l) >= 1 for l in L), "
		     "[[i['streams'][k]['bytes'] for i in d['intervals']] for k in range(len(L))] == "
		     "[[b - a for a, b in zip([0] + v, v)] for v in "
		     "[list(acc(l + [s['bytes']] * (n - len(l)), max)) for l, s in zip(L, d['streams'])]], "
		     "sum(s['bytes'] for s in d['streams']) == %s))"
		     "(%s, len(d['intervals']), __import__('itertools').accumulate)",
		     step_ms, step_ms, rbytes, samples) < 0)
		expr = NULL;
	if (expr) {
		CHECK_QUERY(json, expr, "(True, True, True, True, True, True)", name);
	} else {
		CHECK(false, name);
		diag("progress log %s: %s; receiver bytes: %s", log,
		     samples ? samples : "unreadable", rbytes ? rbytes : "?");
	}
	free(expr);
	free(samples);
	free(rbytes);
}

static void test_intervals(void)
{
	struct proc r, s;
	char args[96], env[200], log[] = "/tmp/kttcp-progress-XXXXXX";
	int port = free_port(AF_INET), fd;

	snprintf(args, sizeof(args), "-r -q -P 2 -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port),
		  "intervals: receiver starts")) {
		snprintf(args, sizeof(args), "-t -P 2 -T 1 -i 0.25 -p %d 127.0.0.1",
			 port);
		run(&s, true, NULL, args);
		proc_wait(&r, 3000);
		CHECK(s.status == 0, "intervals: timed sender exits 0");
		CHECK_HAS(s.stdout_text, "[  1] 0.00-0.25 sec  ", "intervals: stream 1 line");
		CHECK_HAS(s.stdout_text, "[  2] 0.25-0.50 sec  ", "intervals: stream 2 line");
		CHECK_HAS(s.stdout_text, "[SUM] 0.50-0.75 sec  ", "intervals: SUM line");
		CHECK_HAS(s.stdout_text, " Mbits/sec\n", "intervals: rate");
		proc_free(&s);
	}
	proc_free(&r);

	/* The fake appends to it: empty, and unlinked before each run. */
	fd = mkstemp(log);
	close_fd(fd);
	unlink(log);
	port = free_port(AF_INET);
	snprintf(args, sizeof(args), "-r -q -J -p %d", port);
	if (!CHECK(start_receiver(&r, NULL, args, port),
		   "json: receiver for intervals starts")) {
		proc_free(&r);
		return;
	}
	snprintf(args, sizeof(args), "-t -J -m zerocopy -T 1 -i 0.3 -p %d 127.0.0.1",
		 port);
	/* An auto chunk size of the test's choosing (the fake's knob). */
	snprintf(env, sizeof(env),
		 "FAKE_KTTCP_ZC_LEAK=1 FAKE_KTTCP_CHUNK_PEAK=196608 FAKE_KTTCP_PROGRESS_LOG=%s",
		 log);
	run(&s, true, env, args);
	proc_wait(&r, 3000);
	CHECK(s.status == 0 && json_valid(s.stdout_text),
	      "json: zerocopy sender with intervals is valid JSON");
	CHECK_HAS(s.stderr_text, "kttcp: note: zerocopy: 3 batches still lent",
		  "json: detach note on stderr");
	CHECK_QUERY(s.stdout_text, "len(d['intervals']) >= 3, d['intervals'][0]['end'], d['zerocopy']['outstanding'], d['status']",
		    "True 0.3 3 ok", "json: intervals, zerocopy and status");
	check_intervals(s.stdout_text, r.stdout_text, log, 300,
			"json: intervals: every 0.3 s from 0, each stream's bytes what the module reported");
	CHECK_QUERY(s.stdout_text, "d['chunk'], d['chunk_auto']", "196608 True",
		    "json: sender without -l: the auto chunk's peak");
	proc_free(&r);
	proc_free(&s);

	/* Two streams: each interval's bytes are its own stream's. */
	unlink(log);
	port = free_port(AF_INET);
	snprintf(args, sizeof(args), "-r -J -P 2 -p %d", port);
	if (CHECK(start_receiver(&r, NULL, args, port),
		  "json: 2-stream receiver for intervals starts")) {
		snprintf(args, sizeof(args), "-t -J -P 2 -T 1 -i 0.25 -p %d 127.0.0.1",
			 port);
		snprintf(env, sizeof(env), "FAKE_KTTCP_PROGRESS_LOG=%s", log);
		run(&s, true, env, args);
		proc_wait(&r, 3000);
		CHECK(s.status == 0 && r.status == 0,
		      "json: 2-stream sender with intervals and its receiver exit 0");
		check_intervals(s.stdout_text, r.stdout_text, log, 250,
				"json: 2 streams' intervals: every 0.25 s from 0, each stream's bytes what the module reported for it");
		proc_free(&s);
	}
	proc_free(&r);
	unlink(log);
}

/*
 * The tool's part of the auto chunk: the peak over every stream, from
 * what the module reports (here the fake, told what to report: the real
 * module's sizes are checked in the VMs, not here).
 */
static void test_auto_chunk(void)
{
	struct proc r, s;
	char args[96];
	int port = free_port(AF_INET);

	snprintf(args, sizeof(args), "-r -q -P 2 -p %d", port);
	if (!CHECK(start_receiver(&r, NULL, args, port),
		   "auto chunk: receiver starts")) {
		proc_free(&r);
		return;
	}
	snprintf(args, sizeof(args), "-t -P 2 -n 1m -J -p %d 127.0.0.1", port);
	run(&s, true, "FAKE_KTTCP_CHUNK_PEAK=131072,393216", args);
	proc_wait(&r, 3000);
	if (!CHECK(s.status == 0 && r.status == 0, "auto chunk: both exit 0"))
		diag("sender exit %d, stderr: %s; receiver exit %d, stderr: %s",
		     s.status, s.stderr_text, r.status, r.stderr_text);
	CHECK_QUERY(s.stdout_text, "d['chunk'], d['chunk_auto']", "393216 True",
		    "auto chunk: -P 2 reports the larger stream's peak");
	proc_free(&r);
	proc_free(&s);
}

/*
 * A receiver told -P 3 and a sender with -P 2: once the two have ended,
 * the receiver waits -w for the third, then reports the two and exits 3
 * (without -w it would wait KTTCP_STREAM_GRACE_NS).
 */
static void test_missing_streams(void)
{
	struct proc r, s;
	char args[96];
	int port = free_port(AF_INET);

	snprintf(args, sizeof(args), "-r -J -P 3 -w 0.5 -p %d", port);
	if (!CHECK(start_receiver(&r, NULL, args, port),
		   "missing streams: receiver starts")) {
		proc_free(&r);
		return;
	}
	snprintf(args, sizeof(args), "-t -P 2 -n 1m -p %d 127.0.0.1", port);
	run(&s, true, NULL, args);
	proc_wait(&r, 5000);
	CHECK(s.status == 0 && r.status == 3,
	      "missing streams: the sender's 2 succeed, the receiver of -P 3 "
	      "exits 3 within 5 s");
	CHECK_HAS(r.stderr_text, "kttcp: expected 3 streams (-P), 2 came",
		  "missing streams: the receiver says how many came");
	CHECK_QUERY(r.stdout_text, "d['status'], d['bytes'], len(d['streams'])",
		    "error 2097152 2", "missing streams: JSON has what came");
	proc_free(&r);
	proc_free(&s);
}

/* JSON Lines as one array, for CHECK_QUERY; lines that are not an
 * object on their own make it invalid. */
static char *json_lines_array(const char *text)
{
	size_t n = strlen(text);
	char *a = malloc(n + 3), *p;

	if (!a)
		return NULL;
	a[0] = '[';
	memcpy(a + 1, text, n + 1);
	for (p = a + 1; *p; p++)
		if (*p == '\n' && p[1])
			*p = ',';
	if (n && a[n] == '\n')
		a[n] = ']';
	else
		strcat(a, "]");
	return a;
}

static unsigned int count_lines(const char *text)
{
	unsigned int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/*
 * -k: one receiver serves two transfers, each reported as it ends (with
 * -J one object per line), and ends cleanly on SIGINT between them:
 * status 0 when both succeeded, 3 when one failed (here: -P 2 against a
 * sender's one stream).
 */
static void test_keep(void)
{
	struct proc r, s;
	char args[96], *arr;
	int port = free_port(AF_INET);

	snprintf(args, sizeof(args), "-r -k -J -p %d", port);
	if (!CHECK(start_receiver(&r, NULL, args, port) &&
		   await_blocked(&r, SIGINT, 5000), "keep: receiver starts")) {
		proc_free(&r);
		return;
	}
	snprintf(args, sizeof(args), "-t -q -n 1m -p %d 127.0.0.1", port);
	run(&s, true, NULL, args);
	CHECK(s.status == 0, "keep: first sender exits 0");
	proc_free(&s);
	snprintf(args, sizeof(args), "-t -q -n 2m -p %d 127.0.0.1", port);
	run(&s, true, NULL, args);
	CHECK(s.status == 0, "keep: second sender exits 0");
	proc_free(&s);
	CHECK(proc_running(&r), "keep: the receiver is still serving");
	CHECK(proc_await(&r, "\"transfer\": 2", 5000),
	      "keep: the second transfer's result is out");
	kill(r.pid, SIGINT);
	proc_wait(&r, 3000);
	CHECK(r.status == 0 && r.ms < 1000,
	      "keep: SIGINT between transfers ends it at once, exit 0");
	CHECK(count_lines(r.stdout_text) == 2,
	      "keep: -J prints one line per transfer");
	arr = json_lines_array(r.stdout_text);
	CHECK_QUERY(arr ? arr : "", "[(o['transfer'], o['bytes'], o['status']) for o in d]",
		    "[(1, 1048576, 'ok'), (2, 2097152, 'ok')]",
		    "keep: each line one transfer's object, in order");
	free(arr);
	snprintf(args, sizeof(args), "kttcp: listening on port %d\n", port);
	CHECK_STR(r.stderr_text, args,
		  "keep: stderr has the listening line once, nothing else");
	proc_free(&r);

	/* Text, and a failed transfer among them. */
	port = free_port(AF_INET);
	snprintf(args, sizeof(args), "-r -k -P 2 -w 2 -p %d", port);
	if (!CHECK(start_receiver(&r, NULL, args, port) &&
		   await_blocked(&r, SIGINT, 5000),
		   "keep: -P 2 receiver starts")) {
		proc_free(&r);
		return;
	}
	snprintf(args, sizeof(args), "-t -q -n 1m -p %d 127.0.0.1", port);
	run(&s, true, NULL, args);
	proc_free(&s);
	CHECK(proc_await_err(&r, "expected 2 streams (-P), 1 came", 5000) &&
	      proc_running(&r),
	      "keep: a transfer with a stream missing is reported, and the "
	      "receiver goes on");
	snprintf(args, sizeof(args), "-t -q -P 2 -n 1m -p %d 127.0.0.1", port);
	run(&s, true, NULL, args);
	if (!CHECK(s.status == 0, "keep: the next transfer (-P 2) succeeds"))
		diag("sender exit %d, stderr: %s", s.status, s.stderr_text);
	proc_free(&s);
	CHECK(proc_await(&r, "kttcp: transfer 2\n", 5000),
	      "keep: text: each transfer's result under its number");
	kill(r.pid, SIGINT);
	proc_wait(&r, 3000);
	if (!CHECK(r.status == 3,
		   "keep: SIGINT then exits with the worst status of its transfers (3)") ||
	    !strstr(r.stdout_text, "kttcp: transfer 2\nkttcp: 2097152 bytes in "))
		diag("receiver exit %d, stdout: %s stderr: %s", r.status,
		     r.stdout_text, r.stderr_text);
	CHECK_HAS(r.stdout_text, "kttcp: transfer 2\nkttcp: 2097152 bytes in ",
		  "keep: text: the second transfer's bytes (2 streams)");
	proc_free(&r);
}

/*
 * -m LIST -N: the sender runs each mode in turn, the rounds interleaved,
 * against one -k receiver, and ends with the comparison; the receiver's
 * own lines say what arrived.  A receiver without -k ends the sequence
 * after its one transfer: the next connect is refused (status 2), and
 * the table covers the run that was made.
 */
static void test_compare_cli(void)
{
	struct proc r, s;
	char args[128], *arr;
	int port = free_port(AF_INET);

	snprintf(args, sizeof(args), "-r -k -J -m trunc -p %d", port);
	if (!CHECK(start_receiver(&r, NULL, args, port) &&
		   await_blocked(&r, SIGINT, 5000), "compare: receiver starts")) {
		proc_free(&r);
		return;
	}
	snprintf(args, sizeof(args), "-t -J -m copy,zerocopy -N 2 -n 1m -p %d 127.0.0.1",
		 port);
	run(&s, true, NULL, args);
	if (!CHECK(s.status == 0, "compare: -m copy,zerocopy -N 2 exits 0"))
		diag("sender exit %d, stderr: %s", s.status, s.stderr_text);
	CHECK_QUERY(s.stdout_text,
		    "(d['modes'], d['repeat'], [(x['mode'], x['bytes'], x['status']) for x in d['runs']], d['status'], d['exit_code'])",
		    "(['copy', 'zerocopy'], 2, [('copy', 1048576, 'ok'), ('zerocopy', 1048576, 'ok'), ('copy', 1048576, 'ok'), ('zerocopy', 1048576, 'ok')], 'ok', 0)",
		    "compare: -J, one object, the runs interleaved in rounds");
	CHECK_QUERY(s.stdout_text,
		    "[(c['mode'], c['runs'], c['ok'], abs(c['bits_per_second']['median'] - sum(x['bits_per_second'] for x in d['runs'] if x['mode'] == c['mode']) / 2) <= 0.5, c['bits_per_second']['min'] == min(x['bits_per_second'] for x in d['runs'] if x['mode'] == c['mode'])) for c in d['comparison']]",
		    "[('copy', 2, 2, True, True), ('zerocopy', 2, 2, True, True)]",
		    "compare: -J, per mode the median and minimum of its runs");
	CHECK_QUERY(s.stdout_text,
		    "(d['comparison'][0]['against_first'], sorted(d['comparison'][1]['against_first']))",
		    "(None, ['cpu_per_byte_of', 'cpu_per_byte_percent', 'throughput_percent'])",
		    "compare: -J, the second mode against the first");
	proc_free(&s);
	CHECK(proc_await(&r, "\"transfer\": 4", 5000),
	      "compare: the receiver served four transfers");

	snprintf(args, sizeof(args), "-t -m all -n 1m -p %d 127.0.0.1", port);
	run(&s, true, NULL, args);
	CHECK(s.status == 0, "compare: -m all exits 0");
	CHECK_HAS(s.stdout_text, "kttcp: run 3 of 3: zerocopy\n",
		  "compare: -m all runs the module's three send modes");
	CHECK_HAS(s.stdout_text, "\n  sendpage    1/1  ",
		  "compare: text, the table has a row per mode");
	CHECK_HAS(s.stdout_text, "kttcp: zerocopy: ",
		  "compare: text, each mode against the first");
	proc_free(&s);
	kill(r.pid, SIGINT);
	proc_wait(&r, 3000);
	arr = json_lines_array(r.stdout_text);
	CHECK_QUERY(arr ? arr : "", "[(o['transfer'], o['bytes']) for o in d]",
		    "[(1, 1048576), (2, 1048576), (3, 1048576), (4, 1048576), (5, 1048576), (6, 1048576), (7, 1048576)]",
		    "compare: the receiver got every run's bytes, one transfer each");
	free(arr);
	proc_free(&r);

	port = free_port(AF_INET);
	snprintf(args, sizeof(args), "-r -p %d", port);
	if (!CHECK(start_receiver(&r, NULL, args, port),
		   "compare: a receiver without -k starts")) {
		proc_free(&r);
		return;
	}
	snprintf(args, sizeof(args), "-t -m copy,sendpage -n 1m -p %d 127.0.0.1",
		 port);
	run(&s, true, NULL, args);
	CHECK(s.status == 2 && strstr(s.stderr_text, "Connection refused"),
	      "compare: the receiver gone after one transfer: status 2, connect refused");
	CHECK_HAS(s.stdout_text, "\n  copy        1/1  ",
		  "compare: the table still has the run that was made");
	proc_free(&s);
	proc_wait(&r, 3000);
	proc_free(&r);
}

static int loopback_listener(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lfd, 4) ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len)) {
		diag("loopback listener: %s", strerror(errno));
		close_fd(lfd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return lfd;
}

/* Read @fd to EOF (its reads time out after accept_within's @ms). */
static long read_to_eof(int fd)
{
	char buf[65536];
	long total = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	return n == 0 ? total : -1;
}

/*
 * Between two runs of a comparison the sender waits for its peer to
 * close the last run's connection: a sink that keeps it open holds the
 * next run back until it closes; a signal meanwhile ends the sender
 * (130) with the table of the runs made.
 */
static void test_compare_waits(void)
{
	struct proc s;
	char args[128];
	int lfd, port = 0, c1, c2;

	lfd = loopback_listener(&port);
	if (!CHECK(lfd >= 0, "compare wait: a plain listener"))
		return;
	snprintf(args, sizeof(args), "-t -m copy,sendpage -n 1m -p %d 127.0.0.1",
		 port);
	proc_start(&s, true, NULL, args);
	c1 = accept_within(lfd, 5000);
	CHECK(read_to_eof(c1) == 1048576 && accept_within(lfd, 300) < 0,
	      "compare wait: run 1 sent all; no run 2 while its peer keeps the connection");
	close_fd(c1);
	c2 = accept_within(lfd, 3000);
	CHECK(read_to_eof(c2) == 1048576,
	      "compare wait: the peer closes, run 2 connects and sends all");
	close_fd(c2);
	proc_wait(&s, 5000);
	CHECK(s.status == 0 && strstr(s.stdout_text, "\n  copy        1/1  ") &&
	      strstr(s.stdout_text, "\n  sendpage    1/1  "),
	      "compare wait: both runs in the table, exit 0");
	proc_free(&s);

	proc_start(&s, true, NULL, args);
	c1 = accept_within(lfd, 5000);
	CHECK(read_to_eof(c1) == 1048576 && accept_within(lfd, 300) < 0 &&
	      proc_running(&s), "compare wait: run 1 done, the sender waits");
	kill(s.pid, SIGINT);
	proc_wait(&s, 3000);
	CHECK(s.status == 130 && s.ms < 3000 &&
	      strstr(s.stdout_text, "\n  copy        1/1  ") &&
	      strstr(s.stdout_text, "\n  sendpage    0/0  "),
	      "compare wait: SIGINT meanwhile ends it, 130, the table of run 1");
	close_fd(c1);
	proc_free(&s);
	close(lfd);
}

void test_cli(const char *kttcp, const char *fake)
{
	kttcp_bin = kttcp;
	fake_so = fake;
	signal(SIGPIPE, SIG_IGN);
	test_no_module();
	if (!fake)
		return;
	test_fake_setup();
	test_pair();
	test_parallel_json();
	test_plain_sink();
	test_plain_source();
	test_fractional_timeout();
	test_omit_cli();
	test_stalled_peer();
	test_reset();
	test_signals();
	test_intervals();
	test_auto_chunk();
	test_missing_streams();
	test_keep();
	test_compare_cli();
	test_compare_waits();
}
