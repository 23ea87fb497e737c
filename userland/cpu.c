// SPDX-License-Identifier: GPL-2.0
/*
 * cpu.c - CPU accounting.
 *
 * The in-kernel loop runs in our threads' system time, so getrusage()
 * (RUSAGE_SELF: all threads) around the ioctls is what NetBSD's "sys"
 * figure means.  Softirq work done for us on other CPUs is not in it;
 * the host busy share from /proc/stat catches that, as netperf does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cpu.h"

/* user nice system idle iowait irq softirq steal guest guest_nice */
enum { F_IDLE = 3, F_IOWAIT = 4, F_SUMMED = 8, F_MAX = 10 };

int cpu_parse_stat(const char *text, struct cpu_stat *cs)
{
	uint64_t v[F_MAX] = { 0 };
	const char *p = text;
	char *end;
	int i;

	/* The aggregate line comes first, but do not rely on it. */
	while (p && strncmp(p, "cpu ", 4) != 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	p += 4;
	for (i = 0; i < F_MAX; i++) {
		v[i] = strtoull(p, &end, 10);
		if (end == p)
			break;
		p = end;
	}
	if (i <= F_IDLE)	/* not even the idle field */
		return -1;

	cs->total = 0;
	for (i = 0; i < F_SUMMED; i++)
		cs->total += v[i];
	cs->idle = v[F_IDLE] + v[F_IOWAIT];
	return 0;
}

int cpu_read_stat(struct cpu_stat *cs)
{
	char buf[4096];
	size_t n;
	FILE *f;

	cs->total = cs->idle = 0;
	f = fopen("/proc/stat", "re");
	if (!f)
		return -1;
	/* The aggregate line is the first one: one read is enough. */
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return cpu_parse_stat(buf, cs);
}

double cpu_busy_percent(const struct cpu_stat *a, const struct cpu_stat *b)
{
	uint64_t total, idle;

	if (a->total == 0 || b->total <= a->total || b->idle < a->idle)
		return -1;
	total = b->total - a->total;
	idle = b->idle - a->idle;
	if (idle > total)
		return -1;
	return (double)(total - idle) * 100.0 / (double)total;
}

int64_t cpu_busy_us(const struct cpu_stat *a, const struct cpu_stat *b)
{
	long hz = sysconf(_SC_CLK_TCK);

	if (cpu_busy_percent(a, b) < 0 || hz <= 0)
		return -1;
	return (int64_t)((b->total - a->total) - (b->idle - a->idle)) *
	       1000000 / hz;
}

static uint64_t tv_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000 + (uint64_t)tv->tv_usec;
}

static uint64_t delta(uint64_t a, uint64_t b)
{
	return b > a ? b - a : 0;
}

void cpu_rusage_delta(const struct rusage *a, const struct rusage *b,
		      uint64_t *user_us, uint64_t *sys_us)
{
	*user_us = delta(tv_us(&a->ru_utime), tv_us(&b->ru_utime));
	*sys_us = delta(tv_us(&a->ru_stime), tv_us(&b->ru_stime));
}
