// SPDX-License-Identifier: GPL-2.0
/*
 * msg.c - diagnostics.
 */
#include <stdarg.h>
#include <stdio.h>

#include "msg.h"

void kwarn(const char *fmt, ...)
{
	va_list ap;

	/* Results already printed on stdout should come first. */
	fflush(stdout);
	fputs("kttcp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
