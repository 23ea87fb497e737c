// SPDX-License-Identifier: GPL-2.0
/*
 * ktest.c - see ktest.h.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"

const char *ktest_addr = "198.18.0.1";
static int passed, failed, plan;

/*
 * In a part run by ktest_parallel(), checks go to this pipe, one record
 * each ('1' or '0', the text, a newline), for the parent to number and
 * print in order; -1 elsewhere.
 */
static int record_fd = -1;

static void record(bool ok, const char *fmt, va_list ap)
{
	char text[2048];
	char *nl;

	vsnprintf(text, sizeof(text), fmt, ap);
	while ((nl = strchr(text, '\n')))
		*nl = ' ';
	dprintf(record_fd, "%c%s\n", ok ? '1' : '0', text);
}

bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (record_fd >= 0) {
		va_start(ap, fmt);
		record(ok, fmt, ap);
		va_end(ap);
		return ok;
	}
	printf("%s %d - ", ok ? "ok" : "not ok", passed + failed + 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
	return ok;
}

/* Part @i's records, checked here; then one failure if it did not exit 0. */
static void replay(unsigned int i, unsigned int n, FILE *in, pid_t pid)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int st;

	while ((len = getline(&line, &cap, in)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		check(line[0] == '1', "%s", line + 1);
	}
	free(line);
	fclose(in);
	if (waitpid(pid, &st, 0) != pid)
		check(false, "part %u of %u: waitpid failed", i + 1, n);
	else if (WIFSIGNALED(st))
		check(false, "part %u of %u killed by signal %d", i + 1, n,
		      WTERMSIG(st));
	else if (WEXITSTATUS(st) != 0)
		check(false, "part %u of %u exited %d", i + 1, n,
		      WEXITSTATUS(st));
}

void ktest_parallel(void (*part)(unsigned int i), unsigned int n)
{
	FILE *in[KTEST_PARALLEL_MAX];
	pid_t pid[KTEST_PARALLEL_MAX];
	unsigned int i, j;
	int p[2];

	if (n > KTEST_PARALLEL_MAX)
		die("ktest_parallel: too many parts");
	fflush(stdout);
	for (i = 0; i < n; i++) {
		if (pipe(p))
			die("pipe");
		pid[i] = fork();
		if (pid[i] < 0)
			die("fork");
		if (pid[i] == 0) {
			for (j = 0; j < i; j++)
				fclose(in[j]);
			close(p[0]);
			record_fd = p[1];
			part(i);
			_exit(0);
		}
		close(p[1]);
		in[i] = fdopen(p[0], "r");
		if (!in[i])
			die("fdopen");
	}
	for (i = 0; i < n; i++)
		replay(i, n, in[i], pid[i]);
}

void ktest_start(int argc, char **argv, const char *prog, int planned)
{
	int opt;

	while ((opt = getopt(argc, argv, "a:n")) != -1) {
		switch (opt) {
		case 'a':
			ktest_addr = optarg;
			break;
		case 'n':
			printf("%d\n", planned);
			exit(0);
		default:
			fprintf(stderr, "usage: %s [-a addr] | -n\n", prog);
			exit(2);
		}
	}
	tap_plan(planned);
}

void tap_plan(int planned)
{
	plan = planned;
	printf("1..%d\n", plan);
	fflush(stdout);
}

int tap_done(void)
{
	if (passed + failed != plan)
		printf("# planned %d checks, ran %d\n", plan, passed + failed);
	printf("%d passed, %d failed, 0 skipped\n", passed, failed);
	return failed || passed + failed != plan ? 1 : 0;
}

void die(const char *what)
{
	perror(what);
	exit(2);
}

int kttcp_open(void)
{
	int fd = open(KTTCP_DEVICE, O_RDWR);

	if (fd < 0)
		die(KTTCP_DEVICE);
	return fd;
}

void io_init(struct kttcp_io *io, int fd, unsigned int mode, uint64_t total)
{
	memset(io, 0, sizeof(*io));
	io->size = sizeof(*io);
	io->version = KTTCP_ABI_VERSION;
	io->fd = fd;
	io->mode = mode;
	io->total = total;
}

void tcp_pair(int *c, int *s)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int l, one = 1;

	inet_pton(AF_INET, ktest_addr, &sin.sin_addr);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, 4) ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sin, &len))
		die("listen");
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (*c < 0 || connect(*c, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	*s = accept(l, NULL, NULL);
	if (*s < 0)
		die("accept");
	close(l);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
