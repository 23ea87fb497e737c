// SPDX-License-Identifier: GPL-2.0
/*
 * pin.c - -A: CPUs for the stream threads.
 *
 * Checked before any connection is made, against the CPUs this process
 * may use (sched_getaffinity(): offline CPUs, cpusets and taskset all
 * show there), so that a CPU that does not exist is a setup error with
 * its name rather than a thread that fails to start mid-transfer.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "pin.h"

int pin_cpu(const struct kttcp_opts *o, unsigned int idx)
{
	if (!o->ncpus)
		return -1;
	return (int)o->cpus[idx % o->ncpus];
}

/* @set as "0-3,6" for the message. */
static void set_text(const cpu_set_t *set, char *buf, size_t len)
{
	size_t n = 0;
	int c, first = -1;

	buf[0] = '\0';
	for (c = 0; c <= CPU_SETSIZE; c++) {
		bool in = c < CPU_SETSIZE && CPU_ISSET(c, set);

		if (in && first < 0)
			first = c;
		if (in || first < 0)
			continue;
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%d",
					      n ? "," : "", first);
		if (c - 1 > first && n < len)
			n += (size_t)snprintf(buf + n, len - n, "-%d", c - 1);
		first = -1;
	}
}

int pin_check(const struct kttcp_opts *o)
{
	char avail[128];
	cpu_set_t set;
	unsigned int i;

	if (!o->ncpus)
		return 0;
	if (sched_getaffinity(0, sizeof(set), &set)) {
		kwarn("-A: cannot read this process's CPUs: %s",
		      strerror(errno));
		return -1;
	}
	for (i = 0; i < o->ncpus; i++) {
		if (CPU_ISSET(o->cpus[i], &set))
			continue;
		set_text(&set, avail, sizeof(avail));
		kwarn("-A: CPU %u is not one this process may run on (CPUs %s)",
		      o->cpus[i], avail);
		return -1;
	}
	return 0;
}

int pin_attr(pthread_attr_t *attr, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_attr_setaffinity_np(attr, sizeof(set), &set);
}
