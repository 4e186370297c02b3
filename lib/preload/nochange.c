/* SPDX-License-Identifier: MIT */
/* Changes that change nothing (docs/DESIGN.md §4): a chmod to the mode a
 * cowlink presents, a chown to its owner and group, a setxattr of a user
 * attribute to the value it has, times that leave its mtime as it is. The break
 * asks these under its lock (cl_same, internal.h) and then neither copies nor
 * lets the call reach the shared inode: the call returns what it would on a
 * plain copy that it leaves as it is -- success after the kernel's
 * permission check, or the error it would fail with without a change
 * (EEXIST for XATTR_CREATE of an attribute there, ENODATA for a missing one
 * that XATTR_REPLACE or removexattr names). Only the ctime, which no call
 * can set, is not touched as the kernel would touch it: it is every name's,
 * and stamping it through the shared inode or by a break would change the
 * names the call did not name (docs/DESIGN.md §4 weighs the two). */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <linux/limits.h>
#include <sys/xattr.h>

#include "metachange.h"
#include "peek.h"

/* Values up to this size are compared from the stack. */
#define XATTR_STACK 1024

/* chmod: the mode the name presents. The kernel drops S_ISGID in a chmod
 * by a caller outside the file's group without CAP_FSETID: with S_ISGID
 * asked, only such a caller's chmod is taken as none. */
int cl_same_mode(int fd, const struct stat *st, mode_t shown, const void *arg)
{
	mode_t want = *(const mode_t *)arg & 07777;
	int e;

	if (want != (shown & 07777))
		return 0;
	if ((want & S_ISGID) && !cl_capable(CAP_FSETID))
		return 0;
	e = cl_may_change(fd, st, shown, CL_NEED_OWNER);
	return e ? e : 1;
}

/* chown: -1 or the owner (group) it has. Even then the kernel clears
 * set-user-ID and set-group-ID bits and file capabilities of a regular
 * file: a file with any of those is changed. Nothing but -1 asks nothing;
 * the owner it has, the owner or CAP_CHOWN (EPERM). */
int cl_same_owner(int fd, const struct stat *st, mode_t shown, const void *arg)
{
	const struct cl_same_owner *o = arg;
	ssize_t cap;

	if ((o->uid != (uid_t)-1 && o->uid != st->st_uid) ||
	    (o->gid != (gid_t)-1 && o->gid != st->st_gid))
		return 0;
	if (shown & (S_ISUID | S_ISGID))
		return 0;
	cap = cl_fgetxattr(fd, "security.capability", NULL, 0);
	if (cap >= 0 || cap == -ERANGE)
		return 0;
	if (o->uid == (uid_t)-1 && o->gid == (gid_t)-1)
		return 1;
	if ((uid_t)setfsuid((uid_t)-1) == st->st_uid || cl_capable(CAP_CHOWN))
		return 1;
	return -EPERM;
}

static bool ts_valid(const struct timespec *t)
{
	return t->tv_nsec == UTIME_NOW || t->tv_nsec == UTIME_OMIT ||
	       (t->tv_nsec >= 0 && t->tv_nsec < 1000000000L);
}

/* Explicit times (the owner's, or CAP_FOWNER: EPERM) that leave the mtime
 * as it is: UTIME_OMIT, or the value it has to the call's precision; the
 * utime and timeval forms, which old callers fill from st_mtime, also
 * match on the whole second when they give no fraction (file -p). The
 * atime is not set: the names share it. */
int cl_same_times(int fd, const struct stat *st, mode_t shown, const void *arg)
{
	const struct cl_same_times *t = arg;
	const struct timespec *m = &t->ts[1];
	long have;
	int e;

	if (!ts_valid(&t->ts[0]) || !ts_valid(m))
		return -EINVAL;
	if (m->tv_nsec == UTIME_NOW)
		return 0;
	if (m->tv_nsec != UTIME_OMIT) {
		have = st->st_mtim.tv_nsec / t->unit * t->unit;
		if (m->tv_sec != st->st_mtim.tv_sec)
			return 0;
		if (m->tv_nsec != have && !(t->unit > 1 && m->tv_nsec == 0))
			return 0;
	}
	e = cl_may_change(fd, st, shown, CL_NEED_OWNER);
	return e ? e : 1;
}

/* setxattr or removexattr of a user attribute (write permission, by the
 * presented mode and the ACL: EACCES): the value it has, or an answer the
 * kernel gives without a change. Other namespaces are changed. A value that
 * cannot be read is EFAULT, in any namespace, as the kernel says before it
 * looks at the file: nothing is broken for it. X->name is the wrapper's
 * copy, read already. */
int cl_same_xattr(int fd, const struct stat *st, mode_t shown, const void *arg)
{
	const struct cl_same_xattr *x = arg;
	char stackbuf[XATTR_STACK], *buf = stackbuf;
	char valstack[XATTR_STACK], *val = valstack;
	ssize_t have;
	int e;

	if (x->flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (x->n > XATTR_SIZE_MAX)
		return 0; /* E2BIG from the real call */
	if (x->n > sizeof valstack) {
		val = malloc(x->n);
		if (!val)
			return 0;
	}
	e = x->remove ? 0 : cl_peek(val, x->val, x->n);
	if (e == 0 && (!x->name || strncmp(x->name, "user.", 5) != 0))
		e = 1; /* changed: not ours to tell */
	if (e == 0)
		e = cl_may_change(fd, st, shown, CL_NEED_WRITE);
	if (e == 0 && x->n > sizeof stackbuf) {
		buf = malloc(x->n);
		if (!buf)
			e = 1;
	}
	if (e) {
		if (val != valstack)
			free(val);
		return e == 1 ? 0 : e;
	}
	have = cl_fgetxattr(fd, x->name, x->n ? buf : NULL, x->n);
	if (have == -ENODATA)
		e = x->remove || (x->flags & XATTR_REPLACE) ? -ENODATA : 0;
	else if (have < 0 && have != -ERANGE)
		e = 0; /* the real call will say */
	else if (x->remove)
		e = 0;
	else if (x->flags & XATTR_CREATE)
		e = -EEXIST;
	else
		e = have == (ssize_t)x->n && (!x->n || memcmp(buf, val, x->n) == 0);
	if (buf != stackbuf)
		free(buf);
	if (val != valstack)
		free(val);
	return e;
}
