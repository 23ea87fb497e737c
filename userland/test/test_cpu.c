// SPDX-License-Identifier: GPL-2.0
/*
 * test_cpu.c - /proc/stat parsing and busy share, rusage deltas.
 */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "../cpu.h"
#include "check.h"

static const char stat_a[] =
	"cpu  100 5 50 800 40 3 2 0 7 0\n"
	"cpu0 50 2 25 400 20 1 1 0 3 0\n"
	"cpu1 50 3 25 400 20 2 1 0 4 0\n"
	"intr 12345 0 0\n"
	"ctxt 999\n";

static const char stat_b[] =
	"cpu  160 5 90 850 50 3 2 0 9 0\n"
	"cpu0 80 2 45 425 25 1 1 0 4 0\n"
	"intr 12399 0 0\n";

void test_cpu(void)
{
	struct cpu_stat a, b, z = { 0 };
	struct rusage r0, r1;
	uint64_t u, s;
	double busy;

	CHECK(cpu_parse_stat(stat_a, &a) == 0, "proc/stat: parses");
	/* user..steal: 100+5+50+800+40+3+2+0; guest is inside user */
	CHECK(a.total == 1000 && a.idle == 840, "proc/stat: total and idle+iowait");
	CHECK(cpu_parse_stat(stat_b, &b) == 0 && b.total == 1160 &&
	      b.idle == 900, "proc/stat: second sample");
	busy = cpu_busy_percent(&a, &b);
	/* 160 jiffies, 60 of them idle or iowait */
	CHECK(fabs(busy - 62.5) < 1e-9, "proc/stat: busy percent 62.5");
	/* 100 busy jiffies of USER_HZ each */
	CHECK(cpu_busy_us(&a, &b) == 100 * 1000000 / sysconf(_SC_CLK_TCK),
	      "proc/stat: busy CPU time, 100 jiffies");
	CHECK(cpu_busy_us(&b, &a) == -1, "proc/stat: busy time going backwards, unknown");
	CHECK(cpu_busy_percent(&a, &a) < 0, "proc/stat: no ticks, unknown");
	CHECK(cpu_busy_percent(&z, &b) < 0, "proc/stat: unreadable first sample");
	CHECK(cpu_busy_percent(&b, &a) < 0, "proc/stat: going backwards, unknown");
	CHECK(cpu_parse_stat("cpu0 1 2 3 4\n", &a) == -1,
	      "proc/stat: no aggregate line");
	CHECK(cpu_parse_stat("cpu  1 2 3\n", &a) == -1,
	      "proc/stat: too few fields");
	CHECK(cpu_parse_stat("intr 1\ncpu  1 2 3 4\n", &a) == 0 &&
	      a.total == 10 && a.idle == 4, "proc/stat: old four-field format");
	CHECK(cpu_read_stat(&a) == 0 && a.total > 0,
	      "proc/stat: this host's file reads");

	memset(&r0, 0, sizeof(r0));
	memset(&r1, 0, sizeof(r1));
	r0.ru_utime.tv_sec = 1;
	r0.ru_utime.tv_usec = 900000;
	r1.ru_utime.tv_sec = 2;
	r1.ru_utime.tv_usec = 100000;
	r0.ru_stime.tv_usec = 5;
	r1.ru_stime.tv_sec = 3;
	r1.ru_stime.tv_usec = 7;
	cpu_rusage_delta(&r0, &r1, &u, &s);
	CHECK(u == 200000 && s == 3000002, "rusage: deltas in microseconds");
	cpu_rusage_delta(&r1, &r0, &u, &s);
	CHECK(u == 0 && s == 0, "rusage: never negative");
}
