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
#include <time.h>
#include <unistd.h>

#include "ktest.h"

const char *ktest_addr = "198.18.0.1";
static int passed, failed, plan;

bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

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
