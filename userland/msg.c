// SPDX-License-Identifier: GPL-2.0
/*
 * msg.c - diagnostics.
 */
#include <stdarg.h>
#include <stdio.h>

#include "msg.h"

/* For -J: a run that fails before its result prints this as its error. */
static char last[1024];

void kwarn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last, sizeof(last), fmt, ap);
	va_end(ap);
	/* Results already printed on stdout should come first. */
	fflush(stdout);
	fprintf(stderr, "kttcp: %s\n", last);
}

const char *kwarn_last(void)
{
	return last;
}
