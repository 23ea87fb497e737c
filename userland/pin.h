/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pin.h - -A: each stream's thread, and with it the in-kernel loop its
 * ioctl runs, on a CPU of the user's choosing.
 *
 * The module's send and receive loops run in the calling thread, so
 * pinning the thread pins the loop (softirq work for its socket still
 * runs wherever the NIC's interrupts land, as for any application).
 */
#ifndef KTTCP_PIN_H
#define KTTCP_PIN_H

#include <pthread.h>

#include "opts.h"

/* The CPU stream @idx (0-based) goes on: -A's list in order, reused when
 * shorter; -1 without -A. */
int pin_cpu(const struct kttcp_opts *o, unsigned int idx);

/* Every CPU of -A is one this process may run on; else a message and -1. */
int pin_check(const struct kttcp_opts *o);

/* Set @attr's affinity to @cpu (>= 0); 0 or an errno. */
int pin_attr(pthread_attr_t *attr, int cpu);

#endif /* KTTCP_PIN_H */
