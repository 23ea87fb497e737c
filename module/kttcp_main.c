// SPDX-License-Identifier: GPL-2.0
/*
 * kttcp - in-kernel TCP send and receive loops for benchmarking the stack.
 *
 * A Linux take on NetBSD's kttcp(4).  A process connects a TCP socket as
 * usual, opens /dev/kttcp and passes the socket's fd to an ioctl; the
 * module then moves bytes over that socket from inside the kernel, with no
 * userland copy or system call per chunk, and reports bytes, time and
 * per-mode statistics.  The ABI is in include/kttcp.h.
 *
 * This file is the device: open/release, ioctl decoding, the checks every
 * argument passes before anything happens, and the pieces the send and
 * receive loops share.  Rules it enforces:
 *
 *  - Bad input changes nothing: size/version/mode/flag/limit errors and
 *    a reserved field not zero give EINVAL, a bad fd EBADF or ENOTSOCK, a socket that is not TCP
 *    EPROTONOSUPPORT, a TCP socket that is not connected ENOTCONN (for
 *    sending: shut down for writing EPIPE), a socket another transfer is
 *    running on EBUSY, a bad pointer EFAULT, an unknown ioctl ENOTTY.
 *  - Once a transfer has started its results are always written back,
 *    including on error (KTTCP_ST_VALID).
 *  - A signal ends a transfer with EINTR, never a restart: the bytes done
 *    must reach the caller.
 *  - The device holds a module reference while open (fops.owner), so rmmod
 *    is refused while any transfer can run.
 *
 * /dev/kttcp is mode 0600: a transfer pins kernel memory and CPU for as
 * long as the caller likes, which is root's call (see README to grant a
 * group access with udev).
 */
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "kttcp.h"
#include "kttcp_compat.h"

#define KTTCP_SEND_MODES	(BIT(KTTCP_SEND_COPY) | BIT(KTTCP_SEND_SENDPAGE) | \
				 BIT(KTTCP_SEND_ZEROCOPY))
#define KTTCP_RECV_MODES	(BIT(KTTCP_RECV_COPY) | BIT(KTTCP_RECV_TRUNC) | \
				 BIT(KTTCP_RECV_READSOCK))

/* Copy in a versioned argument: size and version first, then the rest. */
static int kttcp_copy_in(void *karg, const void __user *uarg, u32 size)
{
	u32 head[2];

	if (copy_from_user(head, uarg, sizeof(head)))
		return -EFAULT;
	if (head[0] != size || head[1] != KTTCP_ABI_VERSION)
		return -EINVAL;
	if (copy_from_user(karg, uarg, size))
		return -EFAULT;
	return 0;
}

static int kttcp_check_io(const struct kttcp_io *io, bool send)
{
	u32 nr_modes = send ? KTTCP_SEND_NR_MODES : KTTCP_RECV_NR_MODES;

	if (io->mode >= nr_modes || io->flags & ~KTTCP_F_ALL)
		return -EINVAL;
	if (io->reserved_in[0] || io->reserved_in[1])
		return -EINVAL;
	if (io->chunk > KTTCP_CHUNK_MAX)
		return -EINVAL;
	if (io->duration_ns > KTTCP_DURATION_MAX_NS)
		return -EINVAL;
	if ((io->flags & KTTCP_F_VERIFY) &&
	    (send || io->mode != KTTCP_RECV_COPY))
		return -EINVAL;
	if (send && !io->total && !io->duration_ns)
		return -EINVAL;
	if (!send && io->duration_ns)
		return -EINVAL;
	return 0;
}

/*
 * A socket can be received on from the moment it is connected until it is
 * closed, also after its owner's shutdown(SHUT_WR) (FIN_WAIT1/2, CLOSING,
 * LAST_ACK): reading a half-closed connection is legal TCP.  It can be
 * sent on while connected and not shut down for writing; after
 * shutdown(SHUT_WR) sending gets EPIPE, as write() does.
 */
#define KTTCP_RECV_STATES	(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | \
				 TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 | \
				 TCPF_CLOSING | TCPF_LAST_ACK)
#define KTTCP_SEND_STATES	(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)

static int kttcp_check_sock(struct socket *sock, bool send)
{
	struct sock *sk = sock->sk;
	int state;

	if (!sk || sock->type != SOCK_STREAM ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6) ||
	    sk->sk_protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	state = 1 << READ_ONCE(sk->sk_state);
	if (!send)
		return state & KTTCP_RECV_STATES ? 0 : -ENOTCONN;
	if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN &&
	    state & KTTCP_RECV_STATES)
		return -EPIPE;
	return state & KTTCP_SEND_STATES ? 0 : -ENOTCONN;
}

/*
 * One transfer per socket at a time: two loops on one socket would
 * interleave their streams (each sends the pattern from its own offset,
 * each counts bytes the other reads).  A transfer claims its socket for
 * its whole run; a second one, from any thread or process, through any
 * descriptor of that socket, gets EBUSY.  Transfers are few (one per
 * stream), so a list is all the lookup needs.
 */
struct kttcp_claim {
	struct list_head	node;
	const struct sock	*sk;
};

static LIST_HEAD(kttcp_claims);
static DEFINE_SPINLOCK(kttcp_claims_lock);

static int kttcp_claim(struct kttcp_claim *c, const struct sock *sk)
{
	struct kttcp_claim *o;
	int err = 0;

	spin_lock(&kttcp_claims_lock);
	list_for_each_entry(o, &kttcp_claims, node) {
		if (o->sk == sk) {
			err = -EBUSY;
			goto out;
		}
	}
	c->sk = sk;
	list_add(&c->node, &kttcp_claims);
out:
	spin_unlock(&kttcp_claims_lock);
	return err;
}

static void kttcp_unclaim(struct kttcp_claim *c)
{
	spin_lock(&kttcp_claims_lock);
	list_del(&c->node);
	spin_unlock(&kttcp_claims_lock);
}

static void kttcp_clear_results(struct kttcp_io *io)
{
	io->bytes = 0;
	io->elapsed_ns = 0;
	io->calls = 0;
	io->zc_completions = 0;
	io->zc_copied = 0;
	io->zc_outstanding = 0;
	io->mismatch_at = 0;
	io->error = 0;
	io->status = 0;
	io->zc_wait_ns = 0;
	io->chunk_peak = 0;
}

static int kttcp_run(struct kttcp_file *kf, struct kttcp_io *io,
		     struct socket *sock, bool send)
{
	struct kttcp_xfer x = {
		.sock = sock,
		.kf = kf,
		.io = io,
		.chunk = io->chunk ? io->chunk :
			 send ? KTTCP_CHUNK_AUTO_MIN : KTTCP_CHUNK_DEFAULT,
		.auto_chunk = send && !io->chunk,
	};
	int err;

	kttcp_clear_results(io);
	atomic_inc(&kf->active);
	err = send ? kttcp_send(&x) : kttcp_recv(&x);
	atomic_dec(&kf->active);

	/* A signal ends the transfer; never let the ioctl restart. */
	if (err == -ERESTARTSYS || err == -EINTR) {
		err = -EINTR;
		io->status |= KTTCP_ST_SIGNAL;
	}
	io->error = -err;
	io->status |= KTTCP_ST_VALID;
	return err;
}

static long kttcp_ioc_xfer(struct kttcp_file *kf, void __user *uarg,
			   bool send)
{
	struct kttcp_claim claim;
	struct kttcp_io io;
	struct socket *sock;
	int err;

	err = kttcp_copy_in(&io, uarg, sizeof(io));
	if (err)
		return err;
	err = kttcp_check_io(&io, send);
	if (err)
		return err;
	/* The results must be deliverable before any byte moves. */
	if (copy_to_user(uarg, &io, sizeof(io)))
		return -EFAULT;

	sock = sockfd_lookup(io.fd, &err);
	if (!sock)
		return err;
	err = kttcp_check_sock(sock, send);
	if (err)
		goto out_put;
	err = kttcp_claim(&claim, sock->sk);
	if (err)
		goto out_put;

	err = kttcp_run(kf, &io, sock, send);
	kttcp_unclaim(&claim);
	if (copy_to_user(uarg, &io, sizeof(io)))
		err = -EFAULT;
out_put:
	sockfd_put(sock);
	return err;
}

static long kttcp_ioc_info(void __user *uarg)
{
	struct kttcp_info info;
	int err;

	err = kttcp_copy_in(&info, uarg, sizeof(info));
	if (err)
		return err;
	if (info.reserved0 || info.reserved[0] || info.reserved[1])
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.version = KTTCP_ABI_VERSION;
	info.abi_version = KTTCP_ABI_VERSION;
	info.send_modes = KTTCP_SEND_MODES;
	info.recv_modes = KTTCP_RECV_MODES;
	strscpy(info.kernel, utsname()->release, sizeof(info.kernel));
	strscpy(info.module, KTTCP_MODULE_VERSION, sizeof(info.module));
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long kttcp_ioc_progress(struct kttcp_file *kf, void __user *uarg)
{
	struct kttcp_progress p;
	int err;

	err = kttcp_copy_in(&p, uarg, sizeof(p));
	if (err)
		return err;
	if (p.reserved0)
		return -EINVAL;
	p.bytes = atomic64_read(&kf->bytes);
	p.active = atomic_read(&kf->active);
	p.reserved0 = 0;
	if (copy_to_user(uarg, &p, sizeof(p)))
		return -EFAULT;
	return 0;
}

static long kttcp_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg)
{
	struct kttcp_file *kf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KTTCP_IOC_INFO:
		return kttcp_ioc_info(uarg);
	case KTTCP_IOC_SEND:
		return kttcp_ioc_xfer(kf, uarg, true);
	case KTTCP_IOC_RECV:
		return kttcp_ioc_xfer(kf, uarg, false);
	case KTTCP_IOC_PROGRESS:
		return kttcp_ioc_progress(kf, uarg);
	default:
		return -ENOTTY;
	}
}

static int kttcp_open(struct inode *inode, struct file *file)
{
	struct kttcp_file *kf = kzalloc(sizeof(*kf), GFP_KERNEL);

	if (!kf)
		return -ENOMEM;
	file->private_data = kf;
	return 0;
}

static int kttcp_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static const struct file_operations kttcp_fops = {
	.owner		= THIS_MODULE,
	.open		= kttcp_open,
	.release	= kttcp_release,
	.unlocked_ioctl	= kttcp_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * KTTCP_SYSFS_ABI: the ABI in a place every tool can read, whatever ABI
 * it was built for (an ioctl of another ABI gets ENOTTY or EINVAL).
 */
static ssize_t abi_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", KTTCP_ABI_VERSION);
}
static DEVICE_ATTR_RO(abi_version);

static struct attribute *kttcp_attrs[] = {
	&dev_attr_abi_version.attr,
	NULL
};
ATTRIBUTE_GROUPS(kttcp);

static struct miscdevice kttcp_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kttcp",
	.fops	= &kttcp_fops,
	.mode	= 0600,
	.groups	= kttcp_groups,
};

static int __init kttcp_init(void)
{
	int err = misc_register(&kttcp_misc);

	if (err)
		return err;
	pr_info("kttcp: version %s, ABI %d, /dev/kttcp ready\n",
		KTTCP_MODULE_VERSION, KTTCP_ABI_VERSION);
	return 0;
}

static void __exit kttcp_exit(void)
{
	misc_deregister(&kttcp_misc);
	kttcp_zc_exit();
}

module_init(kttcp_init);
module_exit(kttcp_exit);

MODULE_DESCRIPTION("kttcp: in-kernel TCP send/receive loops for benchmarking");
MODULE_AUTHOR("The kttcp for Linux authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(KTTCP_MODULE_VERSION);
