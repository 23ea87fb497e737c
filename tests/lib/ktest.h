/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktest.h - what the C tests of /dev/kttcp share (ioctl_test, hostile):
 * TAP output against a fixed plan, parts run in parallel, the device, and
 * loopback TCP pairs.
 */
#ifndef KTTCP_KTEST_H
#define KTTCP_KTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "../../include/kttcp.h"

/* Where tcp_pair() listens: 198.18.0.1 is on lo in every lab topology. */
extern const char *ktest_addr;

/* "ok N - ..." or "not ok N - ..."; returns @ok. */
bool check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The command line every C test takes: "-a ADDR" (where tcp_pair()
 * listens) or "-n" (print @planned and exit); then prints the plan.
 */
void ktest_start(int argc, char **argv, const char *prog, int planned);
void tap_plan(int planned);
/* The closing line; the exit status: 1 if a check failed or the count
 * of checks run is not the plan. */
int tap_done(void);

/*
 * Run part(0) .. part(n - 1) at the same time, each in a child process,
 * and report their checks here in order: part(0)'s, then part(1)'s, ...
 * For tests that mostly wait (timeouts, silent peers), one per mode.  A
 * part that does not exit 0 after its checks is one failed check more.
 */
#define KTEST_PARALLEL_MAX 8
void ktest_parallel(void (*part)(unsigned int i), unsigned int n);

void die(const char *what) __attribute__((noreturn));
int kttcp_open(void);
void io_init(struct kttcp_io *io, int fd, unsigned int mode, uint64_t total);
/* A connected pair on loopback: *c is the client end, *s the accepted. */
void tcp_pair(int *c, int *s);
/* Monotonic seconds. */
double now(void);

#endif /* KTTCP_KTEST_H */
