/* SPDX-License-Identifier: GPL-2.0 */
/*
 * net.h - the sockets kttcp hands to the module: resolving, connecting
 * with a bounded timeout, listening, accepting, socket options.
 *
 * The waits (connect, accept) also watch a "cancel" fd (the signalfd of
 * SIGINT/SIGTERM), so a signal ends them at once.  Failures are reported
 * on stderr here; callers only map them to exit codes.
 */
#ifndef KTTCP_NET_H
#define KTTCP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <netdb.h>

#include "opts.h"

#define NET_ERROR		(-1)	/* reported on stderr */
#define NET_CANCELLED		(-2)	/* the cancel fd became readable */
#define NET_TIMEOUT		(-3)	/* nothing within the timeout */
#define NET_CONNECT_TIMEOUT_MS	10000
#define NET_PEER_LEN		NI_MAXHOST

/* getaddrinfo() honouring -4/-6; NULL after a message on failure. */
struct addrinfo *net_resolve(const char *host, const char *port, int family,
			     bool passive);

/*
 * Connect to the first address of @dst that answers, within
 * NET_CONNECT_TIMEOUT_MS per address.  Socket options that must precede
 * the handshake (-b, -M, -C, -D, -B) are set first.  Returns the blocking
 * connected socket, NET_ERROR or NET_CANCELLED; @peer gets the address.
 */
int net_connect(const struct kttcp_opts *o, const struct addrinfo *dst,
		const struct addrinfo *src, int cancel_fd, char *peer,
		size_t peerlen);

/* The receiver's listening socket (-B, -4/-6 or dual-stack wildcard). */
int net_listen(const struct kttcp_opts *o);

/*
 * The next connection, waiting at most @timeout_ms (-1: no limit); same
 * returns as net_connect().
 */
int net_accept(int lfd, int cancel_fd, int timeout_ms, char *peer,
	       size_t peerlen);

/* Options for an established data socket: -w, and -C/-D on accepted ones. */
int net_data_opts(int fd, const struct kttcp_opts *o);

/* The socket buffer size getsockopt() reports (SO_SNDBUF or SO_RCVBUF). */
int net_sockbuf(int fd, bool sender);

#endif /* KTTCP_NET_H */
