/* SPDX-License-Identifier: MIT */
/* What each call the filter sends up is to the supervisor (docs/DESIGN.md
 * §4b): the name (dirfd and path) or the target's fd it reaches, or the
 * name it removes, and what it needs of the caller. The target's memory is
 * read only where the answer depends on it: an empty path, the times,
 * openat2's struct, a pointer the kernel will refuse. */
#include "supervise.h"
#include "classify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
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

static void at_name(struct call *c, uint64_t dirfd, uint64_t path)
{
	c->what = C_NAME;
	c->dirfd = (int)dirfd;
	c->path = path;
}

/* An *at call's DIRFD, PATH with FLAGS: with AT_EMPTY_PATH and an empty
 * PATH the call acts on the fd itself (an O_PATH one too), not on a name
 * relative to it ("." would be the directory). */
static void at_name_or_fd(struct call *c, pid_t pid, uint64_t dirfd, uint64_t path,
			  uint64_t flags)
{
	char p[2];

	at_name(c, dirfd, path);
	if ((flags & AT_EMPTY_PATH) && cl_target_read_str(pid, path, p, sizeof p) == 0) {
		c->what = C_FD_META;
		c->fd = (int)dirfd;
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
		if ((unsigned)a[1] == FS_IOC_FSSETXATTR)
			return !readable(pid, a[2], sizeof(struct fsxattr));
		if ((unsigned)a[1] == FICLONERANGE)
			return !readable(pid, a[2], sizeof(struct file_clone_range));
		return false;
	default:
		return false;
	}
}

/* Classify REQ; *C says what to look at. */
void cl_classify(const struct seccomp_notif *req, struct call *c)
{
	const __u64 *a = req->data.args;
	pid_t pid = (pid_t)req->pid;
	struct { uint64_t flags, mode, resolve; } how;
	bool noop;

	memset(c, 0, sizeof *c);
	c->dirfd = AT_FDCWD;
	c->keep = -1;
	c->need = CL_NEED_WRITE;
	if (bad_pointer(req))
		return; /* C_NONE */
	switch (req->data.nr) {
#ifdef __NR_open
	case __NR_open:
		at_name(c, (uint64_t)AT_FDCWD, a[0]);
		open_flags(c, a[1]);
		break;
#endif
#ifdef __NR_creat
	case __NR_creat:
		at_name(c, (uint64_t)AT_FDCWD, a[0]);
		open_flags(c, O_CREAT | O_WRONLY | O_TRUNC);
		break;
#endif
	case __NR_openat:
		at_name(c, a[0], a[1]);
		open_flags(c, a[2]);
		break;
	case __NR_open_by_handle_at:
		c->what = C_HANDLE;
		c->fd = (int)a[0];
		c->path = a[1]; /* the struct file_handle */
		open_flags(c, a[2]);
		if (c->what == C_NONE)
			break;
		c->what = C_HANDLE;
		break;
	case __NR_openat2:
		at_name(c, a[0], a[1]);
		if (a[3] < sizeof how || cl_target_read(pid, a[2], &how, sizeof how))
			c->what = C_NONE; /* the kernel says EFAULT or EINVAL */
		else
			open_flags(c, how.flags);
		c->in_root = how.resolve & RESOLVE_IN_ROOT;
		break;
#ifdef __NR_truncate
	case __NR_truncate:
		at_name(c, (uint64_t)AT_FDCWD, a[0]);
		c->keep = (off_t)a[1] < 0 ? -1 : (off_t)a[1];
		break;
#endif
#ifdef __NR_chmod
	case __NR_chmod:
		at_name(c, (uint64_t)AT_FDCWD, a[0]);
		c->need = CL_NEED_OWNER;
		break;
#endif
	case __NR_fchmodat:
		at_name(c, a[0], a[1]);
		c->need = CL_NEED_OWNER;
		break;
	case __NR_fchmodat2:
		at_name_or_fd(c, pid, a[0], a[1], a[3]);
		c->need = CL_NEED_OWNER;
		c->nofollow = a[3] & AT_SYMLINK_NOFOLLOW;
		break;
#ifdef __NR_chown
	case __NR_chown:
	case __NR_lchown:
		at_name(c, (uint64_t)AT_FDCWD, a[0]);
		c->need = CL_NEED_OWNER;
		c->nofollow = req->data.nr == __NR_lchown;
		break;
#endif
	case __NR_fchownat:
		at_name_or_fd(c, pid, a[0], a[1], a[4]);
		c->need = CL_NEED_OWNER;
		c->nofollow = a[4] & AT_SYMLINK_NOFOLLOW;
		break;
#ifdef __NR_utime
	case __NR_utime:
#endif
#ifdef __NR_utimes
	case __NR_utimes:
#endif
#if defined(__NR_utime) || defined(__NR_utimes)
		at_name(c, (uint64_t)AT_FDCWD, a[0]);
		c->need = times_need(pid, a[1], false, &noop);
		break;
#endif
#ifdef __NR_futimesat
	case __NR_futimesat:
		at_name(c, a[0], a[1]);
		c->need = times_need(pid, a[2], false, &noop);
		break;
#endif
	case __NR_utimensat:
		c->need = times_need(pid, a[2], true, &noop);
		if (noop) {
			c->what = C_NONE;
		} else if (!a[1]) {
			c->what = C_FD_META;
			c->fd = (int)a[0];
		} else {
			at_name_or_fd(c, pid, a[0], a[1], a[3]);
			c->nofollow = a[3] & AT_SYMLINK_NOFOLLOW;
		}
		break;
	case __NR_setxattr:
	case __NR_removexattr:
		at_name(c, (uint64_t)AT_FDCWD, a[0]);
		break;
	case __NR_lsetxattr:
	case __NR_lremovexattr:
		at_name(c, (uint64_t)AT_FDCWD, a[0]);
		c->nofollow = true;
		break;
	case __NR_setxattrat:
	case __NR_removexattrat:
		at_name_or_fd(c, pid, a[0], a[1], a[2]);
		c->nofollow = a[2] & AT_SYMLINK_NOFOLLOW;
		break;
	case __NR_fchmod:
	case __NR_fchown:
	case __NR_fsetxattr:
	case __NR_fremovexattr:
		c->what = C_FD_META;
		c->fd = (int)a[0];
		c->need = req->data.nr == __NR_fchmod || req->data.nr == __NR_fchown
			? CL_NEED_OWNER : CL_NEED_WRITE;
		break;
	case __NR_ioctl:
		c->fd = (int)a[0];
		c->what = (unsigned)a[1] == FICLONE || (unsigned)a[1] == FICLONERANGE
			? C_FD_DATA : C_FD_META;
		c->need = CL_NEED_OWNER;
		break;
	case __NR_ftruncate:
	case __NR_fallocate:
		c->what = C_FD_DATA;
		c->fd = (int)a[0];
		break;
	case __NR_copy_file_range:
		c->what = C_FD_DATA;
		c->fd = (int)a[2];
		break;
#ifdef __NR_unlink
	case __NR_unlink:
		c->what = C_REMOVE;
		c->path = a[0];
		break;
#endif
	case __NR_unlinkat:
		if (!(a[2] & AT_REMOVEDIR)) {
			c->what = C_REMOVE;
			c->dirfd = (int)a[0];
			c->path = a[1];
		}
		break;
#ifdef __NR_rename
	case __NR_rename:
		c->what = C_REMOVE;
		c->fromdir = AT_FDCWD;
		c->from = a[0];
		c->path = a[1];
		break;
#endif
#ifdef __NR_renameat
	case __NR_renameat:
#endif
	case __NR_renameat2:
		if (req->data.nr == __NR_renameat2 && (a[4] & (RENAME_EXCHANGE | RENAME_NOREPLACE)))
			break; /* nothing is removed */
		c->what = C_REMOVE;
		c->fromdir = (int)a[0];
		c->from = a[1];
		c->dirfd = (int)a[2];
		c->path = a[3];
		break;
	default:
		break;
	}
}

