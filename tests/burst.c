// SPDX-License-Identifier: GPL-2.0
/*
 * burst.c - many KTTCP_IOC_SEND calls in a row on one connection.
 *
 *   burst HOST PORT COUNT SEED
 *
 * Connects to HOST:PORT (IPv4; a kttcp -r or any sink) and issues COUNT
 * send ioctls straight on /dev/kttcp, without the tool, each of a random
 * mode and a random size of 1 byte to 64 KiB (from SEED), then closes.
 * Every call allocates, lends and frees its own set of pattern pages, so
 * a page lost per transfer shows up in soak.py's leak counters after a
 * few hundred calls, where whole tool runs (about a second each in the
 * lab) would need far longer.  Prints one JSON line: calls made, bytes
 * sent, errors; exits 1 after the first error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ktest.h"

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned long long sent = 0;
	unsigned long calls = 0, count;
	const char *err = NULL;
	int s, kfd;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: burst HOST PORT COUNT SEED\n");
		return 2;
	}
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	count = strtoul(argv[3], NULL, 10);
	srandom((unsigned int)strtoul(argv[4], NULL, 10));
	kfd = kttcp_open();
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	while (calls < count && !err) {
		struct kttcp_io io;

		io_init(&io, s, random() % KTTCP_SEND_NR_MODES,
			1 + random() % 65536);
		calls++;
		if (ioctl(kfd, KTTCP_IOC_SEND, &io))
			err = strerror(errno);
		else
			sent += io.bytes;
	}
	close(s);
	close(kfd);
	printf("{\"calls\": %lu, \"bytes\": %llu, \"errors\": [", calls, sent);
	if (err)
		printf("\"%s\"", err);
	printf("]}\n");
	return err ? 1 : 0;
}
