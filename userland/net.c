// SPDX-License-Identifier: GPL-2.0
/*
 * net.c - sockets for kttcp(8).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "net.h"

struct addrinfo *net_resolve(const char *host, const char *port, int family,
			     bool passive)
{
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0),
	};
	struct addrinfo *res;
	int rc;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc == 0)
		return res;
	if (rc == EAI_SYSTEM)
		kwarn("%s: %s", host, strerror(errno));
	else
		kwarn("%s: %s", host, gai_strerror(rc));
	return NULL;
}

/* Numeric address of @sa; IPv4-mapped IPv6 addresses print as IPv4. */
static void addr_string(const struct sockaddr *sa, socklen_t len, char *buf,
			size_t buflen)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	struct sockaddr_in sin;

	if (sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
		sa = (const struct sockaddr *)&sin;
		len = sizeof(sin);
	}
	if (getnameinfo(sa, len, buf, (socklen_t)buflen, NULL, 0,
			NI_NUMERICHOST) != 0)
		snprintf(buf, buflen, "?");
}

static int set_int(int fd, int level, int name, const char *what, int val)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) == 0)
		return 0;
	kwarn("setsockopt %s %d: %s", what, val, strerror(errno));
	return -1;
}

static int set_congestion(int fd, const char *name)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name,
		       (socklen_t)strlen(name)) == 0)
		return 0;
	kwarn("-C %s: the kernel refused this congestion control: %s (see /proc/sys/net/ipv4/tcp_allowed_congestion_control)",
	      name, strerror(errno));
	return -1;
}

/*
 * Options that must be in place before the handshake: the buffer size
 * decides the window scale, the MSS goes into the SYN.  Without -b the
 * kernel's autotuning is left alone (NetBSD always sets 64 KiB).
 */
static int sock_pre(int fd, const struct kttcp_opts *o, bool sender)
{
	if (o->sockbuf &&
	    set_int(fd, SOL_SOCKET, sender ? SO_SNDBUF : SO_RCVBUF,
		    sender ? "SO_SNDBUF" : "SO_RCVBUF", o->sockbuf))
		return -1;
	if (o->mss && set_int(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG", o->mss))
		return -1;
	if (o->congestion && set_congestion(fd, o->congestion))
		return -1;
	if (o->nodelay && set_int(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1))
		return -1;
	return 0;
}

int net_data_opts(int fd, const struct kttcp_opts *o)
{
	struct timeval tv;

	if (o->role == ROLE_RECEIVER) {
		/* Not all of these are inherited from the listener. */
		if (o->congestion && set_congestion(fd, o->congestion))
			return -1;
		if (o->nodelay &&
		    set_int(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1))
			return -1;
	}
	if (!o->timeout_ns)
		return 0;
	tv.tv_sec = (time_t)(o->timeout_ns / 1000000000ULL);
	tv.tv_usec = (suseconds_t)(o->timeout_ns % 1000000000ULL / 1000);
	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1;		/* zero would mean "no timeout" */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		kwarn("setsockopt SO_SNDTIMEO/SO_RCVTIMEO: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int net_sockbuf(int fd, bool sender)
{
	socklen_t len;
	int val;

	len = sizeof(val);
	if (getsockopt(fd, SOL_SOCKET, sender ? SO_SNDBUF : SO_RCVBUF, &val,
		       &len) != 0)
		return -1;
	return val;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until @fd is ready for @events, the cancel fd is readable or
 * @timeout_ms (-1: forever) runs out.  0, NET_CANCELLED or a positive
 * errno (ETIMEDOUT).
 */
static int wait_fd(int fd, short events, int cancel_fd, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct pollfd p[2] = {
		{ .fd = fd, .events = events },
		{ .fd = cancel_fd, .events = POLLIN },
	};
	int left = timeout_ms, n;

	for (;;) {
		n = poll(p, cancel_fd >= 0 ? 2 : 1, left);
		if (n < 0 && errno != EINTR)
			return errno;
		if (n > 0 && (p[1].revents & POLLIN))
			return NET_CANCELLED;
		if (n > 0)
			return 0;
		if (timeout_ms >= 0) {
			left = (int)(deadline - now_ms());
			if (left <= 0)
				return ETIMEDOUT;
		}
	}
}

static const struct addrinfo *match_family(const struct addrinfo *src,
					    int family)
{
	for (; src; src = src->ai_next)
		if (src->ai_family == family)
			return src;
	return NULL;
}

/*
 * One attempt; 0 (connected, blocking again), NET_CANCELLED or errno,
 * with *at_bind saying whether it was bind() (-B) that failed.
 */
static int try_connect(int fd, const struct addrinfo *ai,
		       const struct addrinfo *src, int cancel_fd, bool *at_bind)
{
	socklen_t len = sizeof(int);
	int rc, soerr = 0;

	*at_bind = src && bind(fd, src->ai_addr, src->ai_addrlen) != 0;
	if (*at_bind)
		return errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS)
			return errno;
		rc = wait_fd(fd, POLLOUT, cancel_fd, NET_CONNECT_TIMEOUT_MS);
		if (rc)
			return rc;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
			return errno;
		if (soerr)
			return soerr;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
		return errno;
	return 0;
}

int net_connect(const struct kttcp_opts *o, const struct addrinfo *dst,
		const struct addrinfo *src, int cancel_fd, char *peer,
		size_t peerlen)
{
	const struct addrinfo *ai, *local = NULL;
	bool at_bind = false;
	int fd, rc = 0;

	for (ai = dst; ai; ai = ai->ai_next) {
		if (src) {
			local = match_family(src, ai->ai_family);
			if (!local)
				continue;	/* -B of the other family */
		}
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			rc = errno;
			continue;
		}
		if (sock_pre(fd, o, true)) {
			close(fd);
			return NET_ERROR;
		}
		rc = try_connect(fd, ai, local, cancel_fd, &at_bind);
		if (rc == 0) {
			addr_string(ai->ai_addr, ai->ai_addrlen, peer, peerlen);
			return fd;
		}
		close(fd);
		if (rc == NET_CANCELLED)
			return NET_CANCELLED;
	}
	if (rc == 0)	/* nothing tried */
		kwarn("-B %s: not of the same address family as %s",
		      o->bind_addr, o->host);
	else if (at_bind)
		kwarn("bind to %s (-B): %s", o->bind_addr, strerror(rc));
	else
		kwarn("connect to %s port %s: %s", o->host, o->port,
		      strerror(rc));
	return NET_ERROR;
}

/* Bind and listen on one address; the socket or -1 with errno set. */
static int listen_on(const struct kttcp_opts *o, const struct sockaddr *sa,
		     socklen_t len, int v6only)
{
	int fd, one = 1, saved;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_TCP);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (sa->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)))
		goto fail;
	if (sock_pre(fd, o, false)) {
		close(fd);
		errno = 0;	/* already reported */
		return -1;
	}
	/* The backlog holds every stream of -P before we accept it. */
	if (bind(fd, sa, len) || listen(fd, KTTCP_STREAMS_MAX))
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int listen_wildcard(const struct kttcp_opts *o)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	uint16_t port = htons((uint16_t)atoi(o->port));
	int fd;

	sin6.sin6_port = sin.sin_port = port;
	if (o->family != AF_INET) {
		/* -6: IPv6 only; no -4/-6: both families on one socket. */
		fd = listen_on(o, (struct sockaddr *)&sin6, sizeof(sin6),
			       o->family == AF_INET6);
		if (fd >= 0 || o->family == AF_INET6 || errno != EAFNOSUPPORT)
			return fd;
	}
	return listen_on(o, (struct sockaddr *)&sin, sizeof(sin), 0);
}

static int listen_bind_addr(const struct kttcp_opts *o)
{
	struct addrinfo *res, *ai;
	int fd = -1, saved;

	res = net_resolve(o->bind_addr, o->port, o->family, true);
	if (!res) {
		errno = 0;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = listen_on(o, ai->ai_addr, ai->ai_addrlen, 1);
		if (fd >= 0 || errno == 0)
			break;
	}
	saved = errno;
	freeaddrinfo(res);
	errno = saved;
	return fd;
}

int net_listen(const struct kttcp_opts *o)
{
	int fd;

	fd = o->bind_addr ? listen_bind_addr(o) : listen_wildcard(o);
	if (fd >= 0)
		return fd;
	if (errno)
		kwarn("listen on %s port %s: %s",
		      o->bind_addr ? o->bind_addr : "*", o->port,
		      strerror(errno));
	return NET_ERROR;
}

int net_accept(int lfd, int cancel_fd, int timeout_ms, char *peer,
	       size_t peerlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, rc;

	for (;;) {
		rc = wait_fd(lfd, POLLIN, cancel_fd, timeout_ms);
		if (rc == NET_CANCELLED)
			return NET_CANCELLED;
		if (rc == ETIMEDOUT)
			return NET_TIMEOUT;
		if (rc) {
			kwarn("poll: %s", strerror(rc));
			return NET_ERROR;
		}
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		/* The listener is non-blocking: a vanished peer is no error. */
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
			kwarn("accept: %s", strerror(errno));
			return NET_ERROR;
		}
	}
	addr_string((struct sockaddr *)&ss, len, peer, peerlen);
	return fd;
}
