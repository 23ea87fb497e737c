// SPDX-License-Identifier: GPL-2.0
/*
 * lab_zerosend.ko - make TCP's send calls return 0 for one program.
 *
 * A send call that takes nothing and names no error is not something TCP
 * does on its own, which is why kttcp's send loop would have spun on it
 * unnoticed.  tests/guest/core.py loads this module to make it happen: a
 * kretprobe on tcp_sendmsg() (and tcp_sendpage(), 6.1's path for page
 * references) replaces each positive return with 0 in the threads of a
 * process whose name (its thread group leader's comm) is the parameter
 * comm= (default "ktzerosend"), so the bytes go out but the caller is
 * told none did: the process's name, since kttcp names its stream
 * threads kttcp/N.  hits counts the calls changed.  Every other task is
 * left alone.
 */
#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/string.h>

static char *comm = "ktzerosend";
module_param(comm, charp, 0444);
MODULE_PARM_DESC(comm, "the task name whose TCP send calls return 0");

static atomic_t hits = ATOMIC_INIT(0);
static int hits_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&hits));
}
static const struct kernel_param_ops hits_ops = { .get = hits_get };
module_param_cb(hits, &hits_ops, NULL, 0444);
MODULE_PARM_DESC(hits, "send calls whose return was made 0");

static int zerosend_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	if ((long)regs_return_value(regs) > 0 &&
	    !strncmp(current->group_leader->comm, comm, TASK_COMM_LEN - 1)) {
		regs_set_return_value(regs, 0);
		atomic_inc(&hits);
	}
	return 0;
}

static struct kretprobe zerosend_probes[] = {
	{ .kp.symbol_name = "tcp_sendmsg", .handler = zerosend_ret,
	  .maxactive = 64 },
	{ .kp.symbol_name = "tcp_sendpage", .handler = zerosend_ret,
	  .maxactive = 64 },
};
static bool registered[ARRAY_SIZE(zerosend_probes)];

static void zerosend_unregister(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(zerosend_probes); i++)
		if (registered[i])
			unregister_kretprobe(&zerosend_probes[i]);
}

static int __init zerosend_init(void)
{
	unsigned int i, n = 0;

	/* tcp_sendpage() is gone since 6.5: one probe is enough. */
	for (i = 0; i < ARRAY_SIZE(zerosend_probes); i++) {
		registered[i] = !register_kretprobe(&zerosend_probes[i]);
		n += registered[i];
	}
	if (!n)
		return -ENOENT;
	pr_info("lab_zerosend: TCP sends of \"%s\" return 0 (%u probes)\n",
		comm, n);
	return 0;
}

static void __exit zerosend_exit(void)
{
	zerosend_unregister();
}

module_init(zerosend_init);
module_exit(zerosend_exit);

MODULE_DESCRIPTION("kttcp lab: TCP send calls that return 0, for one task");
MODULE_LICENSE("GPL");
