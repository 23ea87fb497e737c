// SPDX-License-Identifier: GPL-2.0
/*
 * test_pin.c - -A: which CPU each stream goes on, and a CPU this process
 * may run on accepted (one it may not is the end-to-end test's).
 */
#include <sched.h>
#include <string.h>

#include "../pin.h"
#include "check.h"

void test_pin(void)
{
	struct kttcp_opts o;
	cpu_set_t set;
	int c;

	memset(&o, 0, sizeof(o));
	CHECK(pin_cpu(&o, 0) == -1 && pin_cpu(&o, 5) == -1,
	      "pin: without -A, no stream is pinned");

	/* -P 5 -A 3,5: the list in order, then again from its start. */
	o.cpus[0] = 3;
	o.cpus[1] = 5;
	o.ncpus = 2;
	CHECK(pin_cpu(&o, 0) == 3 && pin_cpu(&o, 1) == 5 &&
	      pin_cpu(&o, 2) == 3 && pin_cpu(&o, 3) == 5 &&
	      pin_cpu(&o, 4) == 3,
	      "pin: -A 3,5 for 5 streams: 3 5 3 5 3");

	/* The first CPU this process may run on passes the check. */
	CPU_ZERO(&set);
	sched_getaffinity(0, sizeof(set), &set);
	for (c = 0; c < CPU_SETSIZE && !CPU_ISSET(c, &set); c++)
		;
	o.cpus[0] = (unsigned int)c;
	o.ncpus = 1;
	CHECK(c < CPU_SETSIZE && pin_check(&o) == 0,
	      "pin: a CPU of this process's affinity is accepted");
}
