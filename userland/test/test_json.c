// SPDX-License-Identifier: GPL-2.0
/*
 * test_json.c - a strict little JSON validator (RFC 8259 grammar), and
 * python3 as a second opinion when it is installed.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../json.h"
#include "check.h"

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *value(const char *p, int depth);

static const char *string(const char *p)
{
	int i;

	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;	/* also the end of the text */
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)p[i]))
					return NULL;
			p += 4;
		} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *digits(const char *p)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

static const char *number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (!(p = digits(p)))
		return NULL;
	if (*p == '.' && !(p = digits(p + 1)))
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = digits(p);
	}
	return p;
}

static const char *members(const char *p, char close, int depth)
{
	p = ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = string(ws(p));
			if (!p || *(p = ws(p)) != ':')
				return NULL;
			p++;
		}
		p = value(p, depth + 1);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = ws(p);
	switch (*p) {
	case '{':
		return members(p + 1, '}', depth);
	case '[':
		return members(p + 1, ']', depth);
	case '"':
		return string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	}
	return number(p);
}

bool json_valid(const char *s)
{
	const char *end = value(s, 0);

	return end && *ws(end) == '\0';
}

static char *tmp_json(const char *text)
{
	static char path[] = "/tmp/kttcp-json-XXXXXX";
	char *p = strdup(path);
	int fd;

	if (!p)
		return NULL;
	fd = mkstemp(p);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		if (fd >= 0) {
			close(fd);
			unlink(p);
		}
		free(p);
		return NULL;
	}
	close(fd);
	return p;
}

int json_python(const char *text)
{
	char cmd[256], *path;
	int rc;

	if (!have_python3())
		return -1;
	path = tmp_json(text);
	if (!path)
		return 0;
	snprintf(cmd, sizeof(cmd), "python3 -m json.tool %s >/dev/null", path);
	rc = system(cmd);
	unlink(path);
	free(path);
	return rc == 0;
}

/* The whole output of @cmd; its exit code (-1: no exit) in @rc. */
static char *run_output(const char *cmd, int *rc)
{
	char *out = NULL;
	size_t len = 0;
	FILE *p = popen(cmd, "r");

	*rc = -1;
	if (!p)
		return NULL;
	if (getdelim(&out, &len, '\0', p) < 0) {
		free(out);
		out = strdup("");
	}
	*rc = pclose(p);
	*rc = *rc >= 0 && WIFEXITED(*rc) ? WEXITSTATUS(*rc) : -1;
	return out;
}

char *json_query(const char *text, const char *expr)
{
	char *cmd, *path, *out, *err;
	int rc;

	if (!have_python3())
		return NULL;
	path = tmp_json(text);
	if (!path)
		return NULL;
	/* stderr too: a KeyError must show in the check's "got". */
	if (asprintf(&cmd, "python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); print(*[%s])\" %s 2>&1",
		     expr, path) < 0)
		cmd = NULL;
	out = cmd ? run_output(cmd, &rc) : NULL;
	unlink(path);
	free(path);
	free(cmd);
	if (out && rc != 0) {
		if (asprintf(&err, "python3 error (exit %d): %s", rc, out) < 0)
			err = NULL;
		free(out);
		return err;
	}
	if (out && *out && out[strlen(out) - 1] == '\n')
		out[strlen(out) - 1] = '\0';
	return out;
}

void check_query(const char *text, const char *expr, const char *want,
		 const char *name, const char *file, int line)
{
	char *q;

	if (!have_python3()) {
		skip(name, "no python3");
		return;
	}
	q = json_query(text, expr);
	check_str(q, want, name, file, line);
	free(q);
}

/* jw: a figure that is no number (a 0/0, an overflow) is null. */
static void test_writer(void)
{
	struct capture c;
	struct jw w = { .f = cap_open(&c), .one_line = true };

	jw_open(&w, NULL, '{');
	jw_double(&w, "inf", INFINITY);
	jw_double(&w, "nan", NAN);
	jw_double(&w, "x", 2.5);
	jw_secs(&w, "us", 10000, 1000000);
	jw_close(&w, '}');
	CHECK_STR(cap_text(&c),
		  "{\"inf\": null, \"nan\": null, \"x\": 2.50, \"us\": 0.010000}",
		  "writer: inf and nan as null, %.2f, microseconds to 6 places");
	cap_free(&c);
}

void test_json(void)
{
	CHECK(json_valid("{\"a\": [1, -2.5e3, true, null, \"x\\u00e9\"], \"b\": {}}"),
	      "validator: accepts valid JSON");
	CHECK(!json_valid("{\"a\": 1,}"), "validator: rejects trailing comma");
	CHECK(!json_valid("{\"a\": inf}"), "validator: rejects inf");
	CHECK(!json_valid("{\"a\": nan}"), "validator: rejects nan");
	CHECK(!json_valid("{\"a\": 01}") , "validator: rejects leading zero");
	CHECK(!json_valid("{\"a\": \"\t\"}"), "validator: rejects raw control char");
	CHECK(!json_valid("{} {}"), "validator: rejects two objects");
	CHECK(!json_valid("{\"a\": 1"), "validator: rejects truncation");
	test_writer();
}
