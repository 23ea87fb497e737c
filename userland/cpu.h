/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpu.h - CPU accounting around a transfer: our own rusage, and the
 * host-wide busy share from /proc/stat (netperf's method).
 */
#ifndef KTTCP_CPU_H
#define KTTCP_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

/* The aggregate "cpu" line of /proc/stat, in jiffies. */
struct cpu_stat {
	uint64_t total;		/* user .. steal (guest is inside user) */
	uint64_t idle;		/* idle + iowait */
};

/* Parse the text of /proc/stat; 0 on success, -1 if no "cpu " line. */
int cpu_parse_stat(const char *text, struct cpu_stat *cs);

/* Read /proc/stat; 0 on success, -1 (and cs->total = 0) if unreadable. */
int cpu_read_stat(struct cpu_stat *cs);

/* Busy percent of all CPUs between two samples, or -1 if unknown. */
double cpu_busy_percent(const struct cpu_stat *a, const struct cpu_stat *b);

/*
 * Busy CPU time of all CPUs between two samples, in microseconds (to the
 * 1/USER_HZ of /proc/stat), or -1 if unknown: service demand's numerator.
 */
int64_t cpu_busy_us(const struct cpu_stat *a, const struct cpu_stat *b);

/* Microseconds of user and system time between two getrusage() calls. */
void cpu_rusage_delta(const struct rusage *a, const struct rusage *b,
		      uint64_t *user_us, uint64_t *sys_us);

#endif /* KTTCP_CPU_H */
