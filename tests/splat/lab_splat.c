// SPDX-License-Identifier: GPL-2.0
/*
 * lab_splat.ko - a module whose only job is to be wrong, in one chosen way.
 *
 * tests/lab-selftest.sh loads it in a lab guest to prove that scripts/lab
 * fails a run whose kernel reported a bug, even when the command itself
 * succeeded.  The parameter bug= picks the defect, each the kind a
 * detector of the debug kernel exists for:
 *
 *   warn       WARN(): a warning with a call trace (every kernel)
 *   uaf        a read of freed slab memory (KASAN)
 *   lockorder  two locks taken in both orders (lockdep)
 *   sleep      an allocation that may sleep, under a spinlock
 *              (DEBUG_ATOMIC_SLEEP)
 *   leak       allocations nothing points to any more (kmemleak, at
 *              the scan scripts/guest-run makes after the command)
 *
 * Each defect happens once, at load; the module then unloads cleanly.
 */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *bug = "warn";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "warn | uaf | lockorder | sleep | leak");

/* Through a global, so the compiler cannot see the defect and drop it. */
static void *lab_ptr;

static void lab_uaf(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return;
	WRITE_ONCE(lab_ptr, p);
	kfree(p);
	p = READ_ONCE(lab_ptr);
	pr_info("lab_splat: read %d after free\n", READ_ONCE(p[8]));
	WRITE_ONCE(lab_ptr, NULL);
}

static DEFINE_MUTEX(lab_a);
static DEFINE_MUTEX(lab_b);

static void lab_lockorder(void)
{
	mutex_lock(&lab_a);
	mutex_lock(&lab_b);
	mutex_unlock(&lab_b);
	mutex_unlock(&lab_a);

	mutex_lock(&lab_b);
	mutex_lock(&lab_a);
	mutex_unlock(&lab_a);
	mutex_unlock(&lab_b);
}

static DEFINE_SPINLOCK(lab_lock);

static void lab_sleep(void)
{
	void *p;

	spin_lock(&lab_lock);
	p = kmalloc(64, GFP_KERNEL);
	spin_unlock(&lab_lock);
	kfree(p);
}

/*
 * kmemleak scans stacks, registers and freed-but-cached thread stacks
 * conservatively: a stale copy of a pointer there hides that one object
 * (a false negative, seen once in CI with a single leaked object).  So
 * leak many; a stale copy can hide one or two of them, never all.
 */
#define LAB_LEAKS 32

static void lab_leak(void)
{
	int i;

	for (i = 0; i < LAB_LEAKS; i++) {
		WRITE_ONCE(lab_ptr, kmalloc(1024, GFP_KERNEL));
		WRITE_ONCE(lab_ptr, NULL);
	}
}

static int __init lab_splat_init(void)
{
	if (!strcmp(bug, "warn"))
		WARN(1, "lab_splat: deliberate warning for the lab self-test\n");
	else if (!strcmp(bug, "uaf"))
		lab_uaf();
	else if (!strcmp(bug, "lockorder"))
		lab_lockorder();
	else if (!strcmp(bug, "sleep"))
		lab_sleep();
	else if (!strcmp(bug, "leak"))
		lab_leak();
	else
		return -EINVAL;
	return 0;
}

static void __exit lab_splat_exit(void)
{
}

module_init(lab_splat_init);
module_exit(lab_splat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Deliberate kernel bugs for the kttcp lab self-test");
