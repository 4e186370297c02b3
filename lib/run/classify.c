/* SPDX-License-Identifier: MIT */
/* What each call the filter sends up is to the supervisor (docs/DESIGN.md
 * §4b), from its row of syscalls.def: the name (dirfd and path) or the
 * target's fd it reaches, or the name it removes, and what it needs of the
 * caller; a few calls add what a row cannot say (its special column). The
 * target's memory is read only where the answer depends on it: an empty
 * path, the times, openat2's struct, a pointer the kernel will refuse. */
#include "supervise.h"
#include "classify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/fsverity.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "banned.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* What a change of the times at ADDR needs of the caller: NULL sets both
 * to now; TIMESPECS, a struct timespec pair, may say now (UTIME_NOW) or
 * leave one as it is (UTIME_OMIT), and *NOOP when it leaves both. */
static enum cl_need times_need(pid_t pid, uint64_t addr, bool timespecs, bool *noop)
{
	struct timespec ts[2];

	*noop = false;
	if (!addr)
		return CL_NEED_WRITE_OR_OWNER;
	if (!timespecs || cl_target_read(pid, addr, ts, sizeof ts))
		return CL_NEED_OWNER;
	if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
		*noop = true;
	if ((ts[0].tv_nsec == UTIME_NOW || ts[0].tv_nsec == UTIME_OMIT) &&
	    (ts[1].tv_nsec == UTIME_NOW || ts[1].tv_nsec == UTIME_OMIT))
		return CL_NEED_WRITE_OR_OWNER;
	return CL_NEED_OWNER;
}

/* An open with FLAGS: C_NONE when they ask for no break, else whether a
 * final symlink is followed and what a break keeps (nothing, for O_TRUNC). */
static void open_flags(struct call *c, uint64_t flags)
{
	c->flags = (int)flags;
	if ((flags & O_PATH) || ((flags & O_CREAT) && (flags & O_EXCL)) ||
	    (!(flags & O_ACCMODE) && !(flags & O_TRUNC))) {
		c->what = C_NONE; /* O_EXCL on an existing name: EEXIST, nothing to break */
		return;
	}
	c->nofollow = flags & O_NOFOLLOW;
	c->keep = flags & O_TRUNC ? 0 : -1;
}

/* openat2's flags and RESOLVE_IN_ROOT, in the struct open_how at ADDR of
 * SIZE bytes (the kernel says EFAULT or EINVAL to one too small or
 * unreadable: nothing to break). */
static void open_how(struct call *c, pid_t pid, uint64_t addr, uint64_t size)
{
	struct { uint64_t flags, mode, resolve; } how = { 0, 0, 0 };

	if (size < sizeof how || cl_target_read(pid, addr, &how, sizeof how))
		c->what = C_NONE;
	else
		open_flags(c, how.flags);
	c->resolve = how.resolve;
}

/* An *at call's FLAGS: AT_SYMLINK_NOFOLLOW, and with AT_EMPTY_PATH and an
 * empty path the call acts on the fd itself (an O_PATH one too), not on a
 * name relative to it ("." would be the directory). */
static void at_flags(struct call *c, pid_t pid, uint64_t flags)
{
	char p[2];

	c->nofollow = flags & AT_SYMLINK_NOFOLLOW;
	if ((flags & AT_EMPTY_PATH) && cl_target_read_str(pid, c->path, p, sizeof p) == 0) {
		c->what = C_FD_META;
		c->fd = c->dirfd;
	}
}

/* Can the kernel read the N bytes at ADDR of PID (N == 0: nothing to read)?
 * Their first and last bytes tell for the sizes at stake here. */
static bool readable(pid_t pid, uint64_t addr, size_t n)
{
	unsigned char b;

	return n == 0 || (cl_target_read(pid, addr, &b, 1) == 0 &&
			  cl_target_read(pid, addr + n - 1, &b, 1) == 0);
}

/* Does REQ pass a pointer the kernel will refuse with EFAULT -- the times,
 * an xattr name or value, an inode ioctl's argument? Then the call changes
 * nothing and nothing is to be broken for it: the kernel answers. (A bad
 * path fails the look at the name the same way.) */
static bool bad_pointer(const struct seccomp_notif *req)
{
	const __u64 *a = req->data.args;
	pid_t pid = (pid_t)req->pid;

	switch (req->data.nr) {
#ifdef __NR_utime
	case __NR_utime:
		return a[1] && !readable(pid, a[1], 2 * sizeof(time_t));
#endif
#ifdef __NR_utimes
	case __NR_utimes:
		return a[1] && !readable(pid, a[1], 2 * sizeof(struct timeval));
#endif
#ifdef __NR_futimesat
	case __NR_futimesat:
		return a[2] && !readable(pid, a[2], 2 * sizeof(struct timeval));
#endif
	case __NR_utimensat:
		return a[2] && !readable(pid, a[2], 2 * sizeof(struct timespec));
	case __NR_setxattr:
	case __NR_lsetxattr:
	case __NR_fsetxattr:
		return !readable(pid, a[1], 1) || !readable(pid, a[2], (size_t)a[3]);
	case __NR_removexattr:
	case __NR_lremovexattr:
	case __NR_fremovexattr:
		return !readable(pid, a[1], 1);
	case __NR_setxattrat:
		return !readable(pid, a[3], 1) || !readable(pid, a[4], (size_t)a[5]);
	case __NR_removexattrat:
		return !readable(pid, a[3], 1);
	case __NR_ioctl:
		if ((unsigned)a[1] == FS_IOC_SETFLAGS || (unsigned)a[1] == FS_IOC32_SETFLAGS)
			return !readable(pid, a[2], sizeof(int));
		if ((unsigned)a[1] == FS_IOC_SETVERSION)
			return !readable(pid, a[2], sizeof(int));
		if ((unsigned)a[1] == FS_IOC_ENABLE_VERITY)
			return !readable(pid, a[2], sizeof(struct fsverity_enable_arg));
		if ((unsigned)a[1] == FS_IOC_FSSETXATTR)
			return !readable(pid, a[2], sizeof(struct fsxattr));
		if ((unsigned)a[1] == FICLONERANGE)
			return !readable(pid, a[2], sizeof(struct file_clone_range));
		return false;
	default:
		return false;
	}
}

/* ---- what the rows cannot say: the special column of syscalls.def ----- */

#ifdef __NR_creat
/* creat: an open for writing that truncates, whatever it is given. */
static void creat_flags(const struct seccomp_notif *req, struct call *c)
{
	(void)req;
	open_flags(c, O_CREAT | O_WRONLY | O_TRUNC);
}
#endif

#ifdef __NR_truncate
/* truncate: the break keeps no more than the length (argument 1). */
static void truncate_keep(const struct seccomp_notif *req, struct call *c)
{
	off_t len = (off_t)req->data.args[1];

	c->keep = len < 0 ? -1 : len;
}
#endif

/* utimensat with a NULL path changes the fd in argument 0 itself
 * (futimens): no name, so no dirfd and no symlink to follow. */
static void utimensat_fd(const struct seccomp_notif *req, struct call *c)
{
	if (!req->data.args[1]) {
		c->what = C_FD_META;
		c->fd = c->dirfd;
		c->dirfd = AT_FDCWD;
		c->nofollow = false;
	}
}

/* A clone into the fd changes its content, not its flags. */
static void ioctl_clone(const struct seccomp_notif *req, struct call *c)
{
	unsigned cmd = (unsigned)req->data.args[1];

	if (cmd == FICLONE || cmd == FICLONERANGE)
		c->what = C_FD_DATA;
}

/* unlinkat with AT_REMOVEDIR removes a directory: never a cowlink. */
static void unlinkat_file(const struct seccomp_notif *req, struct call *c)
{
	if (req->data.args[2] & AT_REMOVEDIR)
		c->what = C_NONE;
}

#ifdef __NR_rename
/* rename: the source is argument 0. */
static void rename_from(const struct seccomp_notif *req, struct call *c)
{
	c->fromdir = AT_FDCWD;
	c->from = req->data.args[0];
}
#endif

/* renameat, renameat2: the source is arguments 0 and 1. */
static void renameat_from(const struct seccomp_notif *req, struct call *c)
{
	c->fromdir = (int)req->data.args[0];
	c->from = req->data.args[1];
}

/* renameat2 with RENAME_EXCHANGE or RENAME_NOREPLACE removes nothing. */
static void renameat2_flags(const struct seccomp_notif *req, struct call *c)
{
	if (req->data.args[4] & (RENAME_EXCHANGE | RENAME_NOREPLACE))
		c->what = C_NONE;
	else
		renameat_from(req, c);
}

/* Who may set or remove an xattr: a user one needs write permission, an
 * ACL (system.*) ownership, EPERM for others, as the kernel says; trusted.*
 * needs root, who owns everything (the shim's xattr_how). The name is the
 * 2nd argument, the 4th of the *xattrat calls. */
static bool owner_xattr(pid_t pid, uint64_t addr)
{
	char n[9];
	ssize_t r = cl_target_read_str(pid, addr, n, sizeof n);

	/* -ENAMETOOLONG: longer than N, whose bytes were read. */
	return (r >= 0 || r == -ENAMETOOLONG) &&
	       (!strncmp(n, "system.", 7) || !strncmp(n, "trusted.", 8));
}

static void xattr_need(const struct seccomp_notif *req, struct call *c)
{
	if (owner_xattr((pid_t)req->pid, req->data.args[1]))
		c->need = CL_NEED_OWNER;
}

static void xattrat_need(const struct seccomp_notif *req, struct call *c)
{
	if (owner_xattr((pid_t)req->pid, req->data.args[3]))
		c->need = CL_NEED_OWNER;
}

/* ---- the table --------------------------------------------------------- */

/* One row of syscalls.def (its columns, CL_SC_NO where none). */
struct row {
	int up, what, dirfd, path, fd, at, need;
	void (*special)(const struct seccomp_notif *req, struct call *c);
};

/* The row of call NR, or NULL: not trapped. */
static const struct row *row_of(int nr)
{
	switch (nr) {
#define SYSCALL(name, up, what, dirfd, path, fd, at, need, special)                      \
	case __NR_##name: {                                                               \
		static const struct row r = { up, what, dirfd, path, fd, at, need, special }; \
		return &r;                                                                \
	}
#include "syscalls.def"
#undef SYSCALL
	default:
		return NULL;
	}
}

/* Classify REQ by its row; *C says what to look at. */
void cl_classify(const struct seccomp_notif *req, struct call *c)
{
	const __u64 *a = req->data.args;
	pid_t pid = (pid_t)req->pid;
	const struct row *r = row_of(req->data.nr);
	bool noop;

	memset(c, 0, sizeof *c);
	c->dirfd = AT_FDCWD;
	c->keep = -1;
	c->need = CL_NEED_WRITE;
	if (!r || bad_pointer(req))
		return; /* C_NONE */
	c->what = r->what;
	if (r->dirfd != CL_SC_NO)
		c->dirfd = (int)a[r->dirfd];
	if (r->path != CL_SC_NO)
		c->path = a[r->path];
	if (r->fd != CL_SC_NO)
		c->fd = (int)a[r->fd];
	if (r->at == CL_SC_NOFOLLOW)
		c->nofollow = true;
	else if (CL_SC_KIND(r->at) == CL_SC_AT)
		at_flags(c, pid, a[CL_SC_ARG(r->at)]);
	if (CL_SC_KIND(r->up) == CL_SC_OPEN)
		open_flags(c, a[CL_SC_ARG(r->up)]);
	else if (CL_SC_KIND(r->up) == CL_SC_HOW)
		open_how(c, pid, a[CL_SC_ARG(r->up)], a[CL_SC_ARG(r->up) + 1]);
	switch (CL_SC_KIND(r->need)) {
	case CL_SC_TIMES:
		c->need = times_need(pid, a[CL_SC_ARG(r->need)], false, &noop);
		break;
	case CL_SC_TIMESPECS:
		c->need = times_need(pid, a[CL_SC_ARG(r->need)], true, &noop);
		if (noop)
			c->what = C_NONE;
		break;
	default:
		c->need = (enum cl_need)r->need;
		break;
	}
	if (r->special && c->what != C_NONE)
		r->special(req, c);
}
