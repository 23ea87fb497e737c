// SPDX-License-Identifier: GPL-2.0
/*
 * test_main.c - runs every group; usage: unit [path/to/kttcp [fake.so]]
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"

static int passed, failed;

void check(bool ok, const char *name, const char *file, int line)
{
	if (ok) {
		passed++;
		printf("ok %d - %s\n", passed + failed, name);
		return;
	}
	failed++;
	printf("not ok %d - %s (%s:%d)\n", passed + failed, name, file, line);
}

void check_str(const char *got, const char *want, const char *name,
	       const char *file, int line)
{
	bool ok = got && strcmp(got, want) == 0;

	check(ok, name, file, line);
	if (!ok)
		printf("#   got:  \"%s\"\n#   want: \"%s\"\n", got ? got : "(null)",
		       want);
}

void check_has(const char *text, const char *needle, const char *name,
	       const char *file, int line)
{
	bool ok = text && strstr(text, needle);

	check(ok, name, file, line);
	if (!ok)
		printf("#   no \"%s\" in:\n#   %s\n", needle, text ? text : "(null)");
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
	test_opts();
	test_report();
	test_cpu();
	test_json();
	if (argc > 1)
		test_cli(argv[1], argc > 2 ? argv[2] : NULL);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
