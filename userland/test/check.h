/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h - the whole test "framework": TAP, one ok/not ok line per check.
 *
 * The plan ("1..N", test_main.c) is a number kept by hand, as in Perl's
 * Test::More: a check that silently stops running (a group that returns
 * early, a helper that skips) then shows as "ran fewer than planned".
 */
#ifndef KTTCP_CHECK_H
#define KTTCP_CHECK_H

#include <stdbool.h>
#include <stdio.h>

bool check(bool ok, const char *name, const char *file, int line);
void check_str(const char *got, const char *want, const char *name,
	       const char *file, int line);
void check_has(const char *text, const char *needle, const char *name,
	       const char *file, int line);
/* Not run here, for @reason: "ok N - name # SKIP reason", not a pass. */
void skip(const char *name, const char *reason);
/* "# "-prefixed diagnostic lines (printf-like). */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK(cond, name)	check(!!(cond), name, __FILE__, __LINE__)
#define CHECK_STR(got, want, name) \
	check_str(got, want, name, __FILE__, __LINE__)
#define CHECK_HAS(text, needle, name) \
	check_has(text, needle, name, __FILE__, __LINE__)
#define SKIP(name, reason)	skip(name, reason)
/* json_query(@text, @expr) prints @want; a skip only without python3. */
#define CHECK_QUERY(text, expr, want, name) \
	check_query(text, expr, want, name, __FILE__, __LINE__)

/* A FILE * whose text can be taken afterwards (open_memstream). */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

FILE *cap_open(struct capture *c);
const char *cap_text(struct capture *c);	/* closes the FILE */
void cap_free(struct capture *c);

/* Is python3 there (for json.tool)? */
bool have_python3(void);

void test_opts(void);
void test_report(void);
void test_cpu(void);
void test_json(void);
void test_tcpinfo(void);
void test_compare(void);
void test_clock(void);
void test_pin(void);
void test_cli(const char *kttcp, const char *fake);

/* test_json.c: a strict JSON validator; true if @s is one JSON value. */
bool json_valid(const char *s);
/* Run python3 -m json.tool on @text; 1 ok, 0 invalid, -1 no python3. */
int json_python(const char *text);
/*
 * python3 expression over the parsed object "d"; its printed value, or,
 * if python3 fails (a missing key...), "python3 error: " and its stderr.
 * NULL only without python3 or a temporary file.
 */
char *json_query(const char *text, const char *expr);
void check_query(const char *text, const char *expr, const char *want,
		 const char *name, const char *file, int line);

#endif /* KTTCP_CHECK_H */
