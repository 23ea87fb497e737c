// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - the small JSON writer behind -J (see json.h).
 */
#include <math.h>
#include <stdio.h>

#include "json.h"
#include "result.h"

static void jw_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p >= 0x7f)
			/* not known to be UTF-8: keep the JSON valid */
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void jw_key(struct jw *w, const char *key)
{
	if (w->comma)
		fputs(w->one_line ? ", " : ",", w->f);
	if (w->depth > 0 && !w->one_line)
		fprintf(w->f, "\n%*s", 2 * w->depth, "");
	if (key) {
		jw_string(w->f, key);
		fputs(": ", w->f);
	}
	w->comma = true;
}

void jw_open(struct jw *w, const char *key, char c)
{
	jw_key(w, key);
	fputc(c, w->f);
	w->depth++;
	w->comma = false;
}

void jw_close(struct jw *w, char c)
{
	w->depth--;
	if (w->comma && !w->one_line)	/* not empty */
		fprintf(w->f, "\n%*s", 2 * w->depth, "");
	fputc(c, w->f);
	w->comma = true;
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

void jw_int(struct jw *w, const char *key, long long v)
{
	jw_key(w, key);
	fprintf(w->f, "%lld", v);
}

void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	if (s)
		jw_string(w->f, s);
	else
		fputs("null", w->f);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	fputs(v ? "true" : "false", w->f);
}

void jw_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	fputs("null", w->f);
}

void jw_double(struct jw *w, const char *key, double v)
{
	jw_key(w, key);
	if (isfinite(v))
		fprintf(w->f, "%.2f", v);
	else
		fputs("null", w->f);
}

/* Exact decimal seconds from an integer count of 1/scale seconds. */
void jw_secs(struct jw *w, const char *key, uint64_t v, uint64_t scale)
{
	int digits = scale == NSEC_PER_SEC ? 9 : 6;

	jw_key(w, key);
	fprintf(w->f, "%llu.%0*llu", (unsigned long long)(v / scale), digits,
		(unsigned long long)(v % scale));
}

