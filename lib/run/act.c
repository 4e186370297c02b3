/* SPDX-License-Identifier: MIT */
/* The supervisor's acts (docs/DESIGN.md §4b): a worker thread per job that
 * the loop (supervise.c) decided on, with the target's credentials taken
 * on. It breaks the name with cl_break_at, re-points the target's fds that
 * had the old inode (SECCOMP_ADDFD_FLAG_SETFD), then makes the call itself
 * -- an open handed over with SECCOMP_ADDFD_FLAG_SEND, a change by name
 * made on the copy, a removal in the directory decided on -- or lets a
 * change through a re-pointed fd go on, and answers the notification. */
#include "job.h"

#include <errno.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/fsverity.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <dirent.h>
#include <unistd.h>

#include "banned.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

#define XATTR_NAME_MAX_ 256
#define XATTR_VALUE_MAX_ 65536

void cl_job_free(struct job *j)
{
	cl_tname_free(&j->name);
	cl_tname_free(&j->from);
	if (j->obj >= 0)
		cl_close(j->obj);
	free(j);
}

void cl_answer(int nfd, uint64_t id, long r, bool go_on)
{
	struct seccomp_notif_resp resp = { .id = id };

	if (go_on)
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else if (r < 0)
		resp.error = (int32_t)r;
	else
		resp.val = r;
	/* ENOENT: the target is gone or was interrupted; nothing to tell. */
	(void)cl_ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static bool still_valid(int nfd, uint64_t id)
{
	return cl_ioctl(nfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* Is the directory of the name T under COWLINK_TREES? */
static bool scope_of(const struct tname *t)
{
	char base[NAME_MAX + 1];
	bool in;
	int d;

	if (!cl_scope_active() || cl_tname_parent(t, &d, base))
		return false;
	in = cl_scope_contains_dir(d, NULL);
	cl_close(d);
	return in;
}

bool cl_scope_of_name(const char *path)
{
	char dir[CL_TPATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (!cl_scope_active() || !slash)
		return false;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return cl_scope_contains_dir(AT_FDCWD, n ? dir : "/");
}

/* Status flags an fd keeps when it is re-pointed. */
#define KEEP_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_LARGEFILE | \
		    O_PATH | O_SYNC)

int cl_fd_info(pid_t pid, int fd, long long *pos, unsigned long *flags)
{
	char info[64], buf[512], *p;
	ssize_t n;
	int f;

	snprintf(info, sizeof info, "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = cl_openat(AT_FDCWD, info, O_RDONLY | O_CLOEXEC, 0);
	if (f < 0)
		return f;
	n = cl_read(f, buf, sizeof buf - 1);
	cl_close(f);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (!(p = strstr(buf, "pos:")))
		return -EIO;
	*pos = strtoll(p + 4, NULL, 10);
	if (!(p = strstr(buf, "flags:")))
		return -EIO;
	*flags = strtoul(p + 6, NULL, 8);
	return 0;
}

/* Make the target's fd NUM an fd on P,
 * the broken name's private copy, with its access mode, status flags,
 * offset and close-on-exec, in place (SECCOMP_ADDFD_FLAG_SETFD): what
 * cl_fd_reopen does for the shim's inherited fds 0-2. 0 or -errno. */
static int repoint_one(const struct job *j, int num, const char *p, const struct stat *old)
{
	struct seccomp_notif_addfd add = { .id = j->req.id, .flags = SECCOMP_ADDFD_FLAG_SETFD };
	unsigned long flags;
	long long pos;
	struct stat st;
	int e, nf;

	e = cl_fd_info((pid_t)j->req.pid, num, &pos, &flags);
	if (e)
		return e;
	nf = cl_openat(AT_FDCWD, p, (int)(flags & KEEP_FLAGS) | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0);
	if (nf < 0)
		return nf;
	if (cl_fstat(nf, &st) || !S_ISREG(st.st_mode) ||
	    (st.st_dev == old->st_dev && st.st_ino == old->st_ino)) {
		cl_close(nf);
		return -ESTALE;
	}
	if (!(flags & O_PATH) && pos > 0 && cl_lseek(nf, (off_t)pos, SEEK_SET) < 0) {
		e = -errno;
		cl_close(nf);
		return e;
	}
	add.srcfd = (uint32_t)nf;
	add.newfd = (uint32_t)num;
	add.newfd_flags = (uint32_t)(flags & O_CLOEXEC);
	e = cl_ioctl(j->nfd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	cl_close(nf);
	return e < 0 ? e : 0;
}

/* After the break of the name P away from the inode OLD: the target's fds
 * that had OLD through that name ("P (deleted)" since) are made fds on its
 * private copy, so that what it does through them next (fchmod, fstat,
 * a /proc/self/fd/N name) reaches the copy. Returns whether the target's
 * fd WANT (or -1) was among them. */
static bool repoint(const struct job *j, const struct stat *old, const char *p, int want)
{
	char dirp[40], link[PATH_MAX + 16], buf[4096];
	size_t plen = strlen(p);
	bool got = false;
	int dir, n;

	snprintf(dirp, sizeof dirp, "/proc/%d/fd", (int)j->req.pid);
	dir = cl_openat(AT_FDCWD, dirp, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dir < 0)
		return false;
	while ((n = (int)cl_getdents64(dir, buf, sizeof buf)) > 0) {
		for (int off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			struct stat st;
			ssize_t k;
			int e;

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9' ||
			    cl_fstatat(dir, d->d_name, &st, 0) ||
			    st.st_dev != old->st_dev || st.st_ino != old->st_ino)
				continue;
			k = cl_readlinkat(dir, d->d_name, link, sizeof link - 1);
			if (k <= 0)
				continue;
			link[k] = '\0';
			if (strncmp(link, p, plen) || (link[plen] && strcmp(link + plen, " (deleted)")))
				continue; /* another name of the set: that name's fd */
			e = repoint_one(j, atoi(d->d_name), p, old);
			cl_debug("run: pid %u: fd %s re-pointed at %s (%d)", j->req.pid, d->d_name, p, -e);
			if (!e && atoi(d->d_name) == want)
				got = true;
		}
	}
	cl_close(dir);
	return got;
}

/* The name behind the target's fd FD, into NAME, trusted only when it still
 * names the fd's inode (*ST). 0 or -ETXTBSY (no such name any more). */
static int fd_name(const struct job *j, char *name, struct stat *st)
{
	char proc[CL_TPATH_MAX];
	struct stat now;
	ssize_t n;

	cl_target_fd_path((pid_t)j->req.pid, j->fd, proc);
	if (cl_fstatat(AT_FDCWD, proc, st, 0))
		return -ETXTBSY;
	n = cl_readlinkat(AT_FDCWD, proc, name, PATH_MAX - 1);
	if (n <= 0 || name[0] != '/')
		return -ETXTBSY;
	name[n] = '\0';
	if (cl_fstatat(AT_FDCWD, name, &now, AT_SYMLINK_NOFOLLOW) ||
	    now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return -ETXTBSY;
	return 0;
}

/* The file-flag ioctl CMD with the target's argument at ADDR, on NAME. */
static long ioctl_by_name(pid_t pid, unsigned cmd, uint64_t addr, const char *name)
{
	struct fsxattr fsx;
	int fd;
	long r;

	if (cmd == FS_IOC_ENABLE_VERITY)
		return -ETXTBSY; /* its argument points into the target: by the fd only */
	if (cmd == FS_IOC_FSSETXATTR)
		r = cl_target_read(pid, addr, &fsx, sizeof fsx);
	else
		r = cl_target_read(pid, addr, &fsx, sizeof(int));
	if (r)
		return r;
	fd = cl_openat(AT_FDCWD, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	r = cl_ioctl(fd, cmd, &fsx);
	cl_close(fd);
	return r;
}

/* Set (REMOVE: remove) on NAME (a final symlink followed when FOLLOW: a
 * /proc/self/fd/N name) the xattr whose name is at XNAME in PID, with the
 * SIZE bytes at VAL and FLAGS, as the target's call would. */
static long xattr_by_name(pid_t pid, const char *name, bool follow, uint64_t xname_addr,
			  bool remove, uint64_t val_addr, uint64_t size, int flags)
{
	char xname[XATTR_NAME_MAX_ + 1];
	void *val;
	long r;

	r = cl_target_read_str(pid, xname_addr, xname, sizeof xname);
	if (r < 0)
		return r == -ENAMETOOLONG ? -ERANGE : r;
	if (remove && follow)
		return syscall(SYS_removexattr, name, xname) ? -errno : 0;
	if (remove)
		return cl_lremovexattr(name, xname);
	if (size > XATTR_VALUE_MAX_)
		return -E2BIG;
	val = malloc(size ? size : 1);
	if (!val)
		return -ENOMEM;
	r = cl_target_read(pid, val_addr, val, size);
	if (!r && follow)
		r = syscall(SYS_setxattr, name, xname, val, size, flags) ? -errno : 0;
	else if (!r)
		r = cl_lsetxattr(name, xname, val, size, flags);
	free(val);
	return r;
}

/* setxattrat or removexattrat of J (an empty path: the fd) on NAME: the
 * value, its size and flags come in a struct xattr_args. */
static long xattrat_by_name(const struct job *j, const char *name, bool follow)
{
	const __u64 *a = j->req.data.args;
	pid_t pid = (pid_t)j->req.pid;
	struct { uint64_t value; uint32_t size, flags; } xa = { 0, 0, 0 };
	long r;

	if (j->req.data.nr == __NR_setxattrat) {
		if (a[5] < sizeof xa)
			return -EINVAL;
		r = cl_target_read(pid, a[4], &xa, sizeof xa);
		if (r)
			return r;
	}
	return xattr_by_name(pid, name, follow, a[3], j->req.data.nr == __NR_removexattrat,
			     xa.value, xa.size, (int)xa.flags);
}

/* Do the call J describes (an fd form) on NAME instead, as the target. */
static long apply_by_name(const struct job *j, const char *name)
{
	const __u64 *a = j->req.data.args;
	pid_t pid = (pid_t)j->req.pid;
	struct timespec ts[2];
	long r;

	switch (j->req.data.nr) {
	case __NR_fchmod:
		return cl_fchmodat(AT_FDCWD, name, (mode_t)a[1]);
	case __NR_fchown:
		return cl_fchownat(AT_FDCWD, name, (uid_t)a[1], (gid_t)a[2], AT_SYMLINK_NOFOLLOW);
	case __NR_fchownat: /* fd, "", uid, gid, AT_EMPTY_PATH */
		return cl_fchownat(AT_FDCWD, name, (uid_t)a[2], (gid_t)a[3], AT_SYMLINK_NOFOLLOW);
	case __NR_fchmodat2: /* fd, "", mode, AT_EMPTY_PATH */
		return cl_fchmodat(AT_FDCWD, name, (mode_t)a[2]);
	case __NR_setxattrat: /* fd, "", AT_EMPTY_PATH, name, args, size */
	case __NR_removexattrat: /* fd, "", AT_EMPTY_PATH, name */
		return xattrat_by_name(j, name, false);
	case __NR_utimensat: /* fd, NULL or "" with AT_EMPTY_PATH, times, flags */
		if (a[2] && (r = cl_target_read(pid, a[2], ts, sizeof ts)))
			return r;
		return cl_utimensat(AT_FDCWD, name, a[2] ? ts : NULL, AT_SYMLINK_NOFOLLOW);
	case __NR_fsetxattr:
	case __NR_fremovexattr:
		return xattr_by_name(pid, name, false, a[1], j->req.data.nr == __NR_fremovexattr,
				     a[2], a[3], (int)a[4]);
	case __NR_ioctl: /* FS_IOC_SETFLAGS (an int) or FS_IOC_FSSETXATTR */
		return ioctl_by_name(pid, (unsigned)a[1], a[2], name);
	default:
		return -ETXTBSY;
	}
}

/* Times at ADDR of PID as the call gives them (a struct utimbuf for utime,
 * two struct timeval for utimes and futimesat) into TS; NULL (*NOW) means
 * now. 0 or -errno. */
static int times_of(pid_t pid, int nr, uint64_t addr, struct timespec ts[2], bool *now)
{
	struct timeval tv[2];
	time_t ut[2];
	int e;

	*now = !addr;
	if (!addr)
		return 0;
#ifdef __NR_utime
	if (nr == __NR_utime) {
		if ((e = cl_target_read(pid, addr, ut, sizeof ut)))
			return e;
		ts[0] = (struct timespec){ ut[0], 0 };
		ts[1] = (struct timespec){ ut[1], 0 };
		return 0;
	}
#endif
	if (nr == __NR_utimensat)
		return cl_target_read(pid, addr, ts, 2 * sizeof *ts);
	if ((e = cl_target_read(pid, addr, tv, sizeof tv)))
		return e;
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i] = (struct timespec){ tv[i].tv_sec, tv[i].tv_usec * 1000 };
	}
	return 0;
}

/* Make J's call, a change by name that reached a cowlink now broken, on
 * the file FD (O_PATH, the name's private copy) instead of letting the
 * kernel resolve the name again: its result, or 1 when it is not one this
 * does (the call then goes on). */
static long apply_named(const struct job *j, int fd)
{
	const __u64 *a = j->req.data.args;
	pid_t pid = (pid_t)j->req.pid;
	char p[CL_PROC_FD_MAX];
	struct timespec ts[2];
	bool now;
	long r;

	cl_proc_fd_path(fd, p);
	switch (j->req.data.nr) {
#ifdef __NR_chmod
	case __NR_chmod:
		return cl_fchmodat(AT_FDCWD, p, (mode_t)a[1]);
#endif
	case __NR_fchmodat:
	case __NR_fchmodat2:
		return cl_fchmodat(AT_FDCWD, p, (mode_t)a[2]);
#ifdef __NR_chown
	case __NR_chown:
	case __NR_lchown:
		return cl_fchownat(AT_FDCWD, p, (uid_t)a[1], (gid_t)a[2], 0);
#endif
	case __NR_fchownat:
		return cl_fchownat(AT_FDCWD, p, (uid_t)a[2], (gid_t)a[3], 0);
#ifdef __NR_utime
	case __NR_utime:
#endif
#ifdef __NR_utimes
	case __NR_utimes:
#endif
#if defined(__NR_utime) || defined(__NR_utimes)
		r = times_of(pid, j->req.data.nr, a[1], ts, &now);
		return r ? r : cl_utimensat(AT_FDCWD, p, now ? NULL : ts, 0);
#endif
#ifdef __NR_futimesat
	case __NR_futimesat:
#endif
	case __NR_utimensat:
		r = times_of(pid, j->req.data.nr, a[2], ts, &now);
		return r ? r : cl_utimensat(AT_FDCWD, p, now ? NULL : ts, 0);
#ifdef __NR_truncate
	case __NR_truncate:
		/* By its name, not ftruncate: truncate(2) to the size a file
		 * has leaves its times alone, ftruncate does not. */
		return syscall(SYS_truncate, p, (off_t)a[1]) ? -errno : 0;
#endif
	case __NR_setxattr:
	case __NR_lsetxattr:
	case __NR_removexattr:
	case __NR_lremovexattr:
		return xattr_by_name(pid, p, true, a[1], j->req.data.nr == __NR_removexattr ||
				     j->req.data.nr == __NR_lremovexattr, a[2], a[3], (int)a[4]);
	case __NR_setxattrat:
	case __NR_removexattrat:
		return xattrat_by_name(j, p, true);
	default:
		return 1;
	}
}

static void job_fd(struct job *j)
{
	char name[PATH_MAX];
	struct stat st;
	long r;

	r = fd_name(j, name, &st);
	if (!r) {
		j->o.dev = st.st_dev;
		j->o.ino = st.st_ino;
		j->o.nofollow = true;
		j->o.scope = cl_scope_of_name(name);
		r = cl_break_at(AT_FDCWD, name, &j->o);
	}
	if (!r && (st.st_nlink == 1 || repoint(j, &st, name, j->fd))) {
		/* An orphan, unshared in place, or the fd is on the private
		 * copy now: the call goes on, on it. */
		cl_debug("run: pid %u, call %d on fd %d: name broken, fd re-pointed", j->req.pid,
			 j->req.data.nr, j->fd);
		cl_answer(j->nfd, j->req.id, 0, true);
		return;
	}
	if (!r)
		r = apply_by_name(j, name);
	cl_debug("run: pid %u, call %d on fd %d: name broken, change made by name (%ld)",
		 j->req.pid, j->req.data.nr, j->fd, -r);
	cl_answer(j->nfd, j->req.id, r, false);
}

/* The open J's call asks for, into *HOW; false when it is not an open. */
static bool open_args(const struct job *j, struct open_how *how)
{
	const __u64 *a = j->req.data.args;

	memset(how, 0, sizeof *how);
	switch (j->req.data.nr) {
#ifdef __NR_open
	case __NR_open:
		how->flags = a[1];
		how->mode = a[2];
		return true;
#endif
#ifdef __NR_creat
	case __NR_creat:
		how->flags = O_CREAT | O_WRONLY | O_TRUNC;
		how->mode = a[1];
		return true;
#endif
	case __NR_openat:
		how->flags = a[2];
		how->mode = a[3];
		return true;
	case __NR_openat2:
		return a[3] >= sizeof *how &&
		       cl_target_read((pid_t)j->req.pid, a[2], how, sizeof *how) == 0;
	default:
		return false;
	}
}

/* Make the open J's call asks for (HOW), of the name it gave, or of P (a
 * magic link's file) when not NULL, and hand the fd to the target as the
 * call's result (SECCOMP_ADDFD_FLAG_SEND): the kernel does not resolve the
 * name again after the break. 0 (answered) or -errno (not answered). */
static long act_open(const struct job *j, const struct open_how *how, const char *p)
{
	struct seccomp_notif_addfd add = { .id = j->req.id, .flags = SECCOMP_ADDFD_FLAG_SEND };
	struct tname t = j->name; /* the same dirfd, not ours to close */
	int flags = (int)how->flags;
	struct stat st;
	long r;
	int fd;

	t.resolve |= how->resolve & ~(uint64_t)RESOLVE_CACHED;
	if (p)
		fd = cl_openat(AT_FDCWD, p, flags | O_NOFOLLOW, (mode_t)how->mode);
	else
		fd = cl_tname_open(&t, flags, (mode_t)how->mode);
	if (fd < 0)
		return fd;
	/* A name made a cowlink again in between (cowln -f) is not handed on
	 * for writing. */
	if (cl_fstat(fd, &st) || (S_ISREG(st.st_mode) && st.st_nlink > 1 &&
				  cl_reaches_cowlink(fd, (flags & O_PATH) != 0, &st))) {
		cl_close(fd);
		return -ETXTBSY;
	}
	add.srcfd = (uint32_t)fd;
	add.newfd_flags = (uint32_t)(flags & O_CLOEXEC);
	r = cl_ioctl(j->nfd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	cl_close(fd);
	return r < 0 ? r : 0;
}

static void job_name(struct job *j)
{
	char p[PATH_MAX];
	struct open_how how;
	struct stat old, now;
	bool have_p;
	long r;
	int fd;

	if (cl_fstat(j->obj, &old)) {
		cl_answer(j->nfd, j->req.id, -ETXTBSY, false);
		return;
	}
	have_p = cl_fd_name_of(j->obj, &old, p) == 0;
	if (j->magic || j->name.resolve) {
		/* A name the break cannot take as it is (a magic link, a
		 * name in a chroot): the object's own name is broken. */
		if (!have_p) {
			cl_debug("run: pid %u: the file %s leads to has no name to break: refused",
				 j->req.pid, j->name.path);
			cl_answer(j->nfd, j->req.id, -ETXTBSY, false); /* as the shim */
			return;
		}
		j->o.dev = old.st_dev;
		j->o.ino = old.st_ino;
		j->o.nofollow = true;
		j->o.scope = cl_scope_of_name(p);
		r = cl_break_at(AT_FDCWD, p, &j->o);
	} else {
		j->o.scope = scope_of(&j->name);
		r = cl_break_at(j->name.dirfd, j->name.path, &j->o);
	}
	cl_debug("run: pid %u, call %d: %s broken first (%ld)", j->req.pid, j->req.data.nr,
		 have_p ? p : j->name.path, -r);
	if (r) {
		cl_answer(j->nfd, j->req.id, r, false);
		return;
	}
	if (have_p && old.st_nlink > 1)
		repoint(j, &old, p, -1);
	if (open_args(j, &how)) {
		r = act_open(j, &how, j->magic && have_p ? p : NULL);
		if (r)
			cl_answer(j->nfd, j->req.id, r, false);
		return;
	}
	/* A change by name: made here on the copy, the name not resolved
	 * again (a magic link's file by its own name). */
	if (j->magic && have_p)
		fd = cl_openat(AT_FDCWD, p, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	else
		fd = cl_tname_open(&j->name, O_PATH | (j->nofollow ? O_NOFOLLOW : 0) | O_CLOEXEC, 0);
	r = fd < 0 ? fd : cl_fstat(fd, &now);
	if (!r) {
		if ((now.st_dev == old.st_dev && now.st_ino == old.st_ino && now.st_nlink > 1) ||
		    (S_ISREG(now.st_mode) && now.st_nlink > 1 && cl_reaches_cowlink(fd, true, &now)))
			r = -ETXTBSY; /* shared again: a relink in between */
		else
			r = apply_named(j, fd);
	}
	if (fd >= 0)
		cl_close(fd);
	if (r == 1 && j->magic) {
		/* The kernel follows the link again: on only if it leads to
		 * the copy now (the target's own fd, re-pointed). */
		fd = cl_tname_open(&j->name, O_PATH | O_CLOEXEC, 0);
		r = fd < 0 || cl_fstat(fd, &now) ||
		    (now.st_dev == old.st_dev && now.st_ino == old.st_ino && now.st_nlink > 1)
			? -EACCES : 1;
		if (fd >= 0)
			cl_close(fd);
	}
	cl_debug("run: pid %u, call %d: %s (%ld)", j->req.pid, j->req.data.nr,
		 r == 1 ? "goes on" : "made on the copy", r == 1 ? 0 : -r);
	cl_answer(j->nfd, j->req.id, r == 1 ? 0 : r, r == 1);
}

/* Are FBASE in FDIR and TBASE in TDIR (FD open on it, of ST) two different
 * names of one cowlink set? A rename between them is the POSIX no-op
 * between two links of one inode, but the caller, who holds two copies,
 * means "replace TO with FROM": FROM goes, as the shim does it (w_name.c). */
static bool one_set(int fdir, const char *fbase, int tdir, const char *tbase, int fd,
		    const struct stat *st)
{
	struct cl_record rec;
	struct stat fs, fd_, td;

	if (!S_ISREG(st->st_mode) || st->st_nlink < 2 ||
	    cl_fstatat(fdir, fbase, &fs, AT_SYMLINK_NOFOLLOW) ||
	    fs.st_dev != st->st_dev || fs.st_ino != st->st_ino ||
	    cl_fstat(fdir, &fd_) || cl_fstat(tdir, &td))
		return false;
	if (fd_.st_dev == td.st_dev && fd_.st_ino == td.st_ino && !strcmp(fbase, tbase))
		return false; /* one directory entry named twice */
	return cl_mark_read_fd(fd, &rec) > 0 ||
	       (cl_scope_active() && cl_scope_contains_dir(tdir, NULL));
}

/* May the target (whose credentials this thread has) replace an entry of
 * ST in the directory DIR: what the kernel checks for the new side of a
 * rename, write and search permission and the sticky bit. 0 or -errno. */
static long may_replace(int dir, const struct stat *st)
{
	struct stat d;
	uid_t fsuid = (uid_t)syscall(SYS_setfsuid, -1);

	if (syscall(SYS_faccessat2, dir, "", W_OK | X_OK, AT_EACCESS | AT_EMPTY_PATH))
		return -errno;
	if (cl_fstat(dir, &d) == 0 && (d.st_mode & S_ISVTX) && fsuid != 0 &&
	    fsuid != st->st_uid && fsuid != d.st_uid)
		return -EPERM;
	return 0;
}

/* Remove J's name (unlink) or replace it (rename from J's FROM) as the
 * target, in the directories decided on, then unshare the inode it named
 * if that left it one name. */
static void job_remove(struct job *j)
{
	const __u64 *a = j->req.data.args;
	char base[NAME_MAX + 1], fbase[NAME_MAX + 1];
	struct cl_record rec;
	struct stat st;
	int fd, dir = -1, fdir = -1;
	long r;

	fd = cl_tname_open(&j->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0 || !still_valid(j->nfd, j->req.id) || cl_tname_parent(&j->name, &dir, base) ||
	    (j->has_from && cl_tname_parent(&j->from, &fdir, fbase))) {
		cl_answer(j->nfd, j->req.id, 0, true); /* fsck and presentation cope */
		goto out;
	}
	switch (j->req.data.nr) {
#ifdef __NR_unlink
	case __NR_unlink:
		r = cl_unlinkat(dir, base, 0);
		break;
#endif
	case __NR_unlinkat:
		r = cl_unlinkat(dir, base, (int)a[2]);
		break;
	default: /* rename, renameat, renameat2 without EXCHANGE or NOREPLACE */
		if (!cl_fstat(fd, &st) && one_set(fdir, fbase, dir, base, fd, &st)) {
			r = may_replace(dir, &st);
			if (!r)
				r = cl_unlinkat(fdir, fbase, 0);
			cl_debug("run: pid %u renamed a name of a cowlink set over another: "
				 "the source removed (%ld)", j->req.pid, -r);
		} else {
			r = cl_renameat2(fdir, fbase, dir, base,
					 j->req.data.nr == __NR_renameat2 ? (unsigned)a[4] : 0);
		}
		break;
	}
	if (!r && !cl_fstat(fd, &st) && st.st_nlink == 1 && cl_mark_read_fd(fd, &rec) > 0) {
		int u = cl_unshare_orphan(fd, &st, &rec);

		cl_debug("run: pid %u removed a name: survivor unshared in place (%d)",
			 j->req.pid, -u);
	}
	cl_answer(j->nfd, j->req.id, r, false);
out:
	if (fd >= 0)
		cl_close(fd);
	if (dir >= 0)
		cl_close(dir);
	if (fdir >= 0)
		cl_close(fdir);
}

static void *worker(void *arg)
{
	struct job *j = arg;
	long e;

	e = cl_target_become((pid_t)j->req.pid);
	if (e) {
		cl_debug("run: pid %u: cannot take on its credentials (%ld)", j->req.pid, -e);
		cl_answer(j->nfd, j->req.id, e == -ESRCH ? -EPERM : e, false);
	} else if (j->kind == JOB_FD) {
		job_fd(j);
	} else if (j->kind == JOB_REMOVE) {
		job_remove(j);
	} else {
		job_name(j);
	}
	cl_job_free(j);
	return NULL;
}

/* Hand J to a worker thread (it frees J); answered here when none can be
 * had: the call fails, it never goes on unbroken. */
void cl_job_dispatch(struct job *j)
{
	pthread_attr_t at;
	pthread_t t;
	int e;

	if (!still_valid(j->nfd, j->req.id)) {
		cl_job_free(j);
		return;
	}
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&t, &at, worker, j);
	pthread_attr_destroy(&at);
	if (e) {
		cl_answer(j->nfd, j->req.id, -e, false);
		cl_job_free(j);
	}
}

