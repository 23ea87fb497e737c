// SPDX-License-Identifier: GPL-2.0
/*
 * kttcp_pattern.c - the data kttcp sends, and the check of what it receives.
 *
 * Byte i of every stream is KTTCP_PATTERN(i) = i % 251.  The sender keeps
 * the pattern in 251 pages from the page allocator (slab memory cannot be
 * lent to the stack: sendpage_ok() refuses it).  251 pages hold exactly
 * 4096 periods, so stream offset pos lives at byte pos % (251 pages) of
 * the set, and any chunk of the stream is a short bio_vec list into it that
 * wraps around at the end.  Every send mode sends from these pages, so the
 * modes differ only in how TCP takes them, never in what it sends.
 *
 * The pages are never written after they are filled, so the stack may keep
 * references to them (sendpage, zerocopy) for as long as it likes: page
 * reference counts, not kttcp, decide when they are freed.
 */
#include <linux/gfp.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kttcp.h"

void kttcp_pattern_free(struct kttcp_pattern *pat)
{
	unsigned int i;

	if (!pat)
		return;
	for (i = 0; i < KTTCP_PAT_PAGES; i++)
		if (pat->pages[i])
			put_page(pat->pages[i]);
	kfree(pat);
}

/*
 * Stream offsets are u64: a 32-bit kernel has no 64-bit '%' (no
 * __umoddi3), so remainders go through div_u64_rem().
 */
static u32 kttcp_mod(u64 pos, u32 by)
{
	u32 rem;

	div_u64_rem(pos, by, &rem);
	return rem;
}

static void kttcp_fill(u8 *p, size_t len, u64 pos)
{
	unsigned int v = kttcp_mod(pos, KTTCP_PATTERN_PERIOD);
	size_t i;

	for (i = 0; i < len; i++) {
		p[i] = v;
		if (++v == KTTCP_PATTERN_PERIOD)
			v = 0;
	}
}

struct kttcp_pattern *kttcp_pattern_alloc(void)
{
	struct kttcp_pattern *pat;
	unsigned int i;

	pat = kzalloc(sizeof(*pat), GFP_KERNEL);
	if (!pat)
		return NULL;
	for (i = 0; i < KTTCP_PAT_PAGES; i++) {
		pat->pages[i] = alloc_page(GFP_KERNEL);
		if (!pat->pages[i]) {
			kttcp_pattern_free(pat);
			return NULL;
		}
		kttcp_fill(page_address(pat->pages[i]), PAGE_SIZE,
			   (u64)i * PAGE_SIZE);
	}
	return pat;
}

/* Enough bio_vecs for any chunk of @chunk bytes at any offset. */
unsigned int kttcp_pattern_bvec_max(size_t chunk)
{
	return DIV_ROUND_UP(chunk, PAGE_SIZE) + 1;
}

/*
 * Describe stream bytes [pos, pos + len) as bio_vecs into the page set.
 * Returns the number of entries used (at most kttcp_pattern_bvec_max()).
 */
unsigned int kttcp_pattern_bvec(const struct kttcp_pattern *pat,
				struct bio_vec *bv, u64 pos, size_t len)
{
	u32 off = kttcp_mod(pos, KTTCP_PAT_BYTES);
	unsigned int pg = off >> PAGE_SHIFT;
	unsigned int in = off & ~PAGE_MASK;
	unsigned int nr = 0;

	while (len) {
		unsigned int n = min_t(size_t, len, PAGE_SIZE - in);

		bvec_set_page(&bv[nr++], pat->pages[pg], n, in);
		len -= n;
		in = 0;
		if (++pg == KTTCP_PAT_PAGES)
			pg = 0;
	}
	return nr;
}

/*
 * The receiver's reference: the pattern from offset 0, one period longer
 * than a chunk, so that received bytes at any stream offset compare with
 * a single memcmp() against ref + pos % period.
 */
u8 *kttcp_pattern_ref_alloc(size_t chunk)
{
	size_t len = chunk + KTTCP_PATTERN_PERIOD;
	u8 *ref = kvmalloc(len, KTTCP_GFP_BUF);

	if (ref)
		kttcp_fill(ref, len, 0);
	return ref;
}

/*
 * Check @len received bytes that start at stream offset @pos.  Returns -1
 * if they match, else the stream offset of the first wrong byte.
 */
s64 kttcp_pattern_check(const u8 *ref, const u8 *buf, size_t len, u64 pos)
{
	const u8 *want = ref + kttcp_mod(pos, KTTCP_PATTERN_PERIOD);
	size_t i;

	if (!memcmp(buf, want, len))
		return -1;
	for (i = 0; i < len && buf[i] == want[i]; i++)
		;
	return pos + i;
}
