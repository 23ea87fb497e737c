// SPDX-License-Identifier: GPL-2.0
/*
 * lab_splat.ko - a module whose only job is to splat.
 *
 * tests/lab-selftest.sh loads it in a lab guest to prove that scripts/lab
 * fails a run whose kernel printed a warning, even when the command itself
 * succeeded.  Loading it taints the kernel and prints a WARNING with a
 * call trace; nothing else happens, and it unloads cleanly.
 */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init lab_splat_init(void)
{
	WARN(1, "lab_splat: deliberate warning for the lab self-test\n");
	return 0;
}

static void __exit lab_splat_exit(void)
{
}

module_init(lab_splat_init);
module_exit(lab_splat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Deliberate WARN() for the kttcp lab self-test");
