// SPDX-License-Identifier: GPL-2.0
/*
 * bench-memcpy.c - the guest's own memory copy bandwidth, for scripts/bench.
 *
 *   bench-memcpy [MIB [SECONDS]]
 *
 * Copies a MIB-mebibyte buffer (default 64, far beyond any cache) into
 * another, over and over for about SECONDS (default 1) per method, and
 * prints one JSON object: for each method the best and the median pass
 * in GB/s (1e9 bytes copied per second; each byte is read once and
 * written once; for rep_stosb, bytes zeroed).  Methods:
 *
 *   memcpy      glibc's memcpy(), what a userland copy costs;
 *   rep_movsb   "rep movsb": with ERMS (the lab guest's -cpu max has
 *               it, but not FSRM) the kernel's copy_to/from_user on 6.1
 *               and 6.12, i.e. read() and write(), and the kernel's own
 *               memcpy() on 6.1 (memcpy_erms);
 *   rep_movsq   "rep movsq", the kernel's fallback without ERMS;
 *   movq_loop   an unrolled loop of 8-byte moves, like the kernel's
 *               memcpy_orig: 6.12's memcpy() on CPUs without FSRM;
 *   rep_stosb   not a copy: "rep stosb" zeroing, the kernel's
 *               clear_page_erms, which zeroes every page the kernel
 *               allocates when init_on_alloc is on (Debian's default),
 *               e.g. each new page of socket buffer a copying send fills.
 *
 * scripts/bench builds it on the host (cc -O2) and runs it in the guest
 * from the shared file system.  Single-threaded, like one TCP stream.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PASSES 4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void copy_memcpy(void *d, const void *s, size_t n)
{
	memcpy(d, s, n);
	/* Keep the compiler from dropping a copy whose result is unused. */
	__asm__ __volatile__("" : : "r"(d) : "memory");
}

static void copy_movsb(void *d, const void *s, size_t n)
{
	__asm__ __volatile__("rep movsb"
			     : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static void zero_stosb(void *d, const void *s, size_t n)
{
	(void)s;
	__asm__ __volatile__("rep stosb"
			     : "+D"(d), "+c"(n) : "a"(0) : "memory");
}

static void copy_movsq(void *d, const void *s, size_t n)
{
	size_t q = n / 8;

	__asm__ __volatile__("rep movsq"
			     : "+D"(d), "+S"(s), "+c"(q) : : "memory");
}

/* Four 8-byte moves a turn; neither vectorised nor turned into memcpy. */
__attribute__((optimize("no-tree-vectorize", "no-tree-loop-distribute-patterns")))
static void copy_movq(void *d, const void *s, size_t n)
{
	uint64_t *dq = d;
	const uint64_t *sq = s;
	size_t i;

	for (i = 0; i + 4 <= n / 8; i += 4) {
		uint64_t a = sq[i], b = sq[i + 1], c = sq[i + 2], e = sq[i + 3];

		dq[i] = a;
		dq[i + 1] = b;
		dq[i + 2] = c;
		dq[i + 3] = e;
	}
	__asm__ __volatile__("" : : "r"(d) : "memory");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void measure(const char *name, void (*fn)(void *, const void *, size_t),
		    char *dst, const char *src, size_t n, double secs, int last)
{
	static double gbps[MAX_PASSES];
	double t_end, t0, t1, total = 0;
	int passes = 0;

	fn(dst, src, n);	/* warm up: fault the pages in, fill the TLB */
	t_end = now() + secs;
	do {
		t0 = now();
		fn(dst, src, n);
		t1 = now();
		if (t1 > t0)
			gbps[passes++] = (double)n / (t1 - t0) / 1e9;
		total += t1 - t0;
	} while ((t1 < t_end || passes < 3) && passes < MAX_PASSES);
	qsort(gbps, passes, sizeof(gbps[0]), cmp_double);
	printf("  \"%s\": {\"passes\": %d, \"seconds\": %.3f, "
	       "\"best_gbytes_per_second\": %.3f, "
	       "\"median_gbytes_per_second\": %.3f}%s\n",
	       name, passes, total, gbps[passes - 1], gbps[passes / 2],
	       last ? "" : ",");
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 1.0;
	size_t n = mib << 20;
	char *src, *dst;

	if (!mib || secs <= 0) {
		fprintf(stderr, "usage: bench-memcpy [MIB [SECONDS]]\n");
		return 1;
	}
	src = aligned_alloc(4096, n);
	dst = aligned_alloc(4096, n);
	if (!src || !dst) {
		perror("bench-memcpy");
		return 1;
	}
	memset(src, 0x5a, n);
	memset(dst, 0, n);
	printf("{\n  \"buffer_bytes\": %zu,\n", n);
	measure("memcpy", copy_memcpy, dst, src, n, secs, 0);
	measure("rep_movsb", copy_movsb, dst, src, n, secs, 0);
	measure("rep_movsq", copy_movsq, dst, src, n, secs, 0);
	measure("movq_loop", copy_movq, dst, src, n, secs, 0);
	measure("rep_stosb", zero_stosb, dst, src, n, secs, 1);
	printf("}\n");
	return 0;
}
