/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a small JSON writer: one member per line, two spaces per level, or
 * the whole object on one line (-k: a stream of objects, JSON Lines).
 * It tracks only whether the current container already has a member.
 */
#ifndef KTTCP_JSON_H
#define KTTCP_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jw {
	FILE *f;
	int depth;
	bool comma;
	bool one_line;
};

/* Each writes "key": value, or a bare value inside an array (key NULL). */
void jw_open(struct jw *w, const char *key, char c);	/* '{' or '[' */
void jw_close(struct jw *w, char c);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_int(struct jw *w, const char *key, long long v);
void jw_str(struct jw *w, const char *key, const char *s);	/* NULL: null */
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);
void jw_double(struct jw *w, const char *key, double v);	/* %.2f */
/* Exact decimal seconds from an integer count of 1/scale seconds. */
void jw_secs(struct jw *w, const char *key, uint64_t v, uint64_t scale);

#endif /* KTTCP_JSON_H */
