// SPDX-License-Identifier: GPL-2.0
/*
 * test_main.c - runs every group; usage: unit [path/to/kttcp [fake.so]]
 *
 * The output is TAP: the plan "1..N" first, one ok/not ok line per check,
 * then "P passed, F failed, S skipped".  The Makefile always gives both
 * arguments; without them the checks of test_cli.c do not run, so fewer
 * than planned ran and the run fails.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/*
 * Every check of a full run, skipped ones included.  Adding or removing
 * a check?  Change this number in the same commit: a run that makes any
 * other number of checks fails, which is how a check that silently stops
 * running (a group returning early, a lost branch) gets noticed.
 */
#define PLANNED_CHECKS	574

static int passed, failed, skipped;

static int ran(void)
{
	return passed + failed + skipped;
}

bool check(bool ok, const char *name, const char *file, int line)
{
	if (ok) {
		passed++;
		printf("ok %d - %s\n", ran(), name);
		return true;
	}
	failed++;
	printf("not ok %d - %s (%s:%d)\n", ran(), name, file, line);
	return false;
}

void skip(const char *name, const char *reason)
{
	skipped++;
	printf("ok %d - %s # SKIP %s\n", ran(), name, reason);
}

/* Every line behind a "# ", so that a tool's stderr cannot break TAP. */
void diag(const char *fmt, ...)
{
	char *text = NULL, *line, *save = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		printf("# %s\n", line);
	free(text);
}

/* @text in quotes, every line of it behind a "#" so TAP stays TAP. */
static void diag_quoted(const char *label, const char *text)
{
	const char *p;

	printf("#   %s \"", label);
	if (!text) {
		printf("(null)\"\n");
		return;
	}
	for (p = text; *p; p++) {
		putchar(*p);
		if (*p == '\n')
			printf("#   %*s  ", (int)strlen(label), "");
	}
	printf("\"\n");
}

void check_str(const char *got, const char *want, const char *name,
	       const char *file, int line)
{
	if (check(got && strcmp(got, want) == 0, name, file, line))
		return;
	diag_quoted("got: ", got);
	diag_quoted("want:", want);
}

void check_has(const char *text, const char *needle, const char *name,
	       const char *file, int line)
{
	if (check(text && strstr(text, needle), name, file, line))
		return;
	diag_quoted("no:", needle);
	diag_quoted("in:", text);
}

FILE *cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	return c->f;
}

const char *cap_text(struct capture *c)
{
	if (c->f) {
		fclose(c->f);
		c->f = NULL;
	}
	return c->buf ? c->buf : "";
}

void cap_free(struct capture *c)
{
	cap_text(c);
	free(c->buf);
	c->buf = NULL;
}

bool have_python3(void)
{
	static int have = -1;

	if (have < 0)
		have = system("python3 -c '' >/dev/null 2>&1") == 0;
	return have;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%d\n", PLANNED_CHECKS);
	test_opts();
	test_report();
	test_cpu();
	test_json();
	test_tcpinfo();
	test_compare();
	test_clock();
	test_pin();
	if (argc > 1)
		test_cli(argv[1], argc > 2 ? argv[2] : NULL);
	if (ran() != PLANNED_CHECKS)
		diag("planned %d checks, ran %d", PLANNED_CHECKS, ran());
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed || ran() != PLANNED_CHECKS ? 1 : 0;
}
