/* SPDX-License-Identifier: MIT */
/* The supervisor's loop (docs/DESIGN.md §4b): take each notification the filter
 * sends up, decide from one stat of the name (or of the fd) whether it
 * reaches a cowlink, and if it does, act in a worker thread that has taken
 * on the target's credentials: break the name with cl_break_at and let the
 * call go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE), or fail it with the errno
 * the break gave. Calls that change an inode through an fd on a shared
 * inode, and removals that would leave an orphan, are done for the target
 * (the answer is their result), because nothing can be done after a call
 * that was let go on.
 *
 * The loop itself never waits for a lock or a copy: a target that holds a
 * break lock (the shim's own break, under cowlink run) and makes a call
 * that comes up here is answered at once, while a worker waits for that
 * lock. It is a correctness aid, not a sandbox: a thread of the target can
 * change the memory of a path after it was read here. */
#include "supervise.h"
#include "classify.h"

#include <errno.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

#define XATTR_NAME_MAX_ 256
#define XATTR_VALUE_MAX_ 65536

/* What a worker does. */
enum job_kind {
	JOB_BREAK,      /* break PATH, then let the call go on */
	JOB_FD,         /* break the name of the target's fd, then do the call by name */
	JOB_REMOVE,     /* do the removal for the target, then unshare the survivor */
};

struct job {
	int nfd;
	enum job_kind kind;
	struct seccomp_notif req;
	struct cl_break_opts o;
	int fd;                         /* JOB_FD: the target's fd */
	char path[CL_TPATH_MAX];        /* the name to break; JOB_REMOVE: the victim */
	char from[CL_TPATH_MAX];        /* JOB_REMOVE by rename: the source */
	int hold[2];                    /* fds of ours PATH, FROM name, or -1 */
};

static void job_free(struct job *j)
{
	for (int i = 0; i < 2; i++)
		if (j->hold[i] >= 0)
			cl_close(j->hold[i]);
	free(j);
}

static void answer(int nfd, uint64_t id, long r, bool go_on)
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

/* Is the inode ST (of the name or fd PATH, a final link followed when
 * FOLLOW) something to act on: a marked (or, in scope, any) regular file
 * with several names, or an orphaned mark (one name, no owner write bit,
 * which is how every orphan looks)? */
static bool reaches_cowlink(const char *path, const struct stat *st, bool follow)
{
	struct cl_record r;
	int m;

	if (!S_ISREG(st->st_mode) || st->st_nlink == 0)
		return false; /* nlink 0: an O_TMPFILE, a removed file: nobody's name */
	if (st->st_nlink == 1 && (st->st_mode & S_IWUSR))
		return false;
	m = follow ? cl_mark_read_deref(path, &r) : cl_mark_read_path(path, &r);
	if (m < 0)
		/* Unreadable: the break decides for a shared inode; a one-link
		 * file is no reason to fail a call (docs/DESIGN.md §4,
		 * transparency). */
		return st->st_nlink > 1;
	return m > 0 || (st->st_nlink > 1 && cl_scope_active());
}

/* Does the name PATH (a final symlink followed unless NOFOLLOW) reach a
 * cowlink? One lstat for anything else. */
static bool name_reaches(const char *path, bool nofollow)
{
	struct stat st;

	if (cl_fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW))
		return false;
	if (S_ISLNK(st.st_mode)) {
		if (nofollow || cl_fstatat(AT_FDCWD, path, &st, 0))
			return false;
		return reaches_cowlink(path, &st, true);
	}
	return reaches_cowlink(path, &st, false);
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

/* ---- the workers ---------------------------------------------------------- */

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

/* setxattrat or removexattrat of J (an empty path: the fd) on NAME. */
/* Set (REMOVE: remove) on NAME the xattr whose name is at XNAME in PID,
 * with the SIZE bytes at VAL and FLAGS, as the target's call would. */
static long xattr_by_name(pid_t pid, const char *name, uint64_t xname_addr, bool remove,
			  uint64_t val_addr, uint64_t size, int flags)
{
	char xname[XATTR_NAME_MAX_ + 1];
	void *val;
	long r;

	r = cl_target_read_str(pid, xname_addr, xname, sizeof xname);
	if (r < 0)
		return r == -ENAMETOOLONG ? -ERANGE : r;
	if (remove)
		return cl_lremovexattr(name, xname);
	if (size > XATTR_VALUE_MAX_)
		return -E2BIG;
	val = malloc(size ? size : 1);
	if (!val)
		return -ENOMEM;
	r = cl_target_read(pid, val_addr, val, size);
	if (!r)
		r = cl_lsetxattr(name, xname, val, size, flags);
	free(val);
	return r;
}

/* setxattrat or removexattrat of J (an empty path: the fd) on NAME: the
 * value, its size and flags come in a struct xattr_args. */
static long xattrat_by_name(const struct job *j, const char *name)
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
	return xattr_by_name(pid, name, a[3], j->req.data.nr == __NR_removexattrat,
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
		return xattrat_by_name(j, name);
	case __NR_utimensat: /* fd, NULL or "" with AT_EMPTY_PATH, times, flags */
		if (a[2] && (r = cl_target_read(pid, a[2], ts, sizeof ts)))
			return r;
		return cl_utimensat(AT_FDCWD, name, a[2] ? ts : NULL, AT_SYMLINK_NOFOLLOW);
	case __NR_fsetxattr:
	case __NR_fremovexattr:
		return xattr_by_name(pid, name, a[1], j->req.data.nr == __NR_fremovexattr,
				     a[2], a[3], (int)a[4]);
	case __NR_ioctl: /* FS_IOC_SETFLAGS (an int) or FS_IOC_FSSETXATTR */
		return ioctl_by_name(pid, (unsigned)a[1], a[2], name);
	default:
		return -ETXTBSY;
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
	if (!r && st.st_nlink == 1) {
		/* An orphan, unshared in place: the call may go on. */
		answer(j->nfd, j->req.id, 0, true);
		return;
	}
	if (!r)
		r = apply_by_name(j, name);
	cl_debug("run: pid %u, call %d on fd %d: name broken, change made by name (%ld)",
		 j->req.pid, j->req.data.nr, j->fd, -r);
	answer(j->nfd, j->req.id, r, false);
}

/* Remove J->path (unlink) or replace it (rename from J->from) as the
 * target, then unshare the inode it named if that left it one name. */
/* Are FROM and TO (ST: TO's stat, FD open on it) two different names of
 * one cowlink set? A rename between them is the POSIX no-op between two
 * links of one inode, but the caller, who holds two copies, means "replace
 * TO with FROM": FROM goes, as the shim does it (w_name.c). */
static bool one_set(const char *from, const char *to, int fd, const struct stat *st)
{
	char fdir[PATH_MAX], tdir[PATH_MAX];
	const char *fbase, *tbase;
	struct cl_record rec;
	struct stat fs, fd_, td;

	if (!S_ISREG(st->st_mode) || st->st_nlink < 2 ||
	    cl_fstatat(AT_FDCWD, from, &fs, AT_SYMLINK_NOFOLLOW) ||
	    fs.st_dev != st->st_dev || fs.st_ino != st->st_ino)
		return false;
	fbase = cl_path_split(from, fdir, sizeof fdir);
	tbase = cl_path_split(to, tdir, sizeof tdir);
	if (!fbase || !tbase || cl_fstatat(AT_FDCWD, fdir, &fd_, 0) ||
	    cl_fstatat(AT_FDCWD, tdir, &td, 0))
		return false;
	if (fd_.st_dev == td.st_dev && fd_.st_ino == td.st_ino && !strcmp(fbase, tbase))
		return false; /* one directory entry named twice */
	return cl_mark_read_fd(fd, &rec) > 0 || cl_scope_of_name(to);
}

/* May the target (whose credentials this thread has) replace TO, of ST,
 * in its directory: what the kernel checks for the new side of a rename,
 * write and search permission and the sticky bit. 0 or -errno. */
static long may_replace(const char *to, const struct stat *st)
{
	char dir[PATH_MAX];
	struct stat d;
	uid_t fsuid = (uid_t)syscall(SYS_setfsuid, -1);

	if (!cl_path_split(to, dir, sizeof dir))
		return -ENAMETOOLONG;
	if (syscall(SYS_faccessat2, AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS))
		return -errno;
	if (cl_fstatat(AT_FDCWD, dir, &d, 0) == 0 && (d.st_mode & S_ISVTX) && fsuid != 0 &&
	    fsuid != st->st_uid && fsuid != d.st_uid)
		return -EPERM;
	return 0;
}

static void job_remove(struct job *j)
{
	const __u64 *a = j->req.data.args;
	struct cl_record rec;
	struct stat st;
	long r;
	int fd;

	fd = cl_openat(AT_FDCWD, j->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
			       O_CLOEXEC, 0);
	if (fd < 0 || !still_valid(j->nfd, j->req.id)) {
		if (fd >= 0)
			cl_close(fd);
		answer(j->nfd, j->req.id, 0, true); /* fsck and presentation cope */
		return;
	}
	switch (j->req.data.nr) {
#ifdef __NR_unlink
	case __NR_unlink:
		r = cl_unlinkat(AT_FDCWD, j->path, 0);
		break;
#endif
	case __NR_unlinkat:
		r = cl_unlinkat(AT_FDCWD, j->path, (int)a[2]);
		break;
	default: /* rename, renameat, renameat2 without EXCHANGE or NOREPLACE */
		if (!cl_fstat(fd, &st) && one_set(j->from, j->path, fd, &st)) {
			r = may_replace(j->path, &st);
			if (!r)
				r = cl_unlinkat(AT_FDCWD, j->from, 0);
			cl_debug("run: pid %u renamed a name of a cowlink set over another: "
				 "the source removed (%ld)", j->req.pid, -r);
		} else {
			r = cl_renameat2(AT_FDCWD, j->from, AT_FDCWD, j->path,
					 j->req.data.nr == __NR_renameat2 ? (unsigned)a[4] : 0);
		}
		break;
	}
	if (!r && !cl_fstat(fd, &st) && st.st_nlink == 1 && cl_mark_read_fd(fd, &rec) > 0) {
		int u = cl_unshare_orphan(fd, &st, &rec);

		cl_debug("run: pid %u removed a name: survivor unshared in place (%d)",
			 j->req.pid, -u);
	}
	cl_close(fd);
	answer(j->nfd, j->req.id, r, false);
}

static void *worker(void *arg)
{
	struct job *j = arg;
	long e;

	e = cl_target_become((pid_t)j->req.pid);
	if (e) {
		cl_debug("run: pid %u: cannot take on its credentials (%ld)", j->req.pid, -e);
		answer(j->nfd, j->req.id, e == -ESRCH ? -EPERM : e, false);
	} else if (j->kind == JOB_FD) {
		job_fd(j);
	} else if (j->kind == JOB_REMOVE) {
		job_remove(j);
	} else {
		j->o.scope = cl_scope_of_name(j->path);
		e = cl_break_at(AT_FDCWD, j->path, &j->o);
		cl_debug("run: pid %u, call %d: %s broken first (%ld)", j->req.pid,
			 j->req.data.nr, j->path, -e);
		answer(j->nfd, j->req.id, e, e == 0);
	}
	job_free(j);
	return NULL;
}

/* Hand J to a worker thread (it frees J); answered here when none can be
 * had: the call fails, it never goes on unbroken. */
static void dispatch(struct job *j)
{
	pthread_attr_t at;
	pthread_t t;
	int e;

	if (!still_valid(j->nfd, j->req.id)) {
		job_free(j);
		return;
	}
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&t, &at, worker, j);
	pthread_attr_destroy(&at);
	if (e) {
		answer(j->nfd, j->req.id, -e, false);
		job_free(j);
	}
}

/* ---- deciding on one notification ---------------------------------------- */

/* Is the target's fd FD a writable fd on a shared inode? */
static bool fd_write_shared(pid_t pid, int fd, const char *proc, const struct stat *st)
{
	char info[CL_TPATH_MAX], buf[256], *p;
	unsigned long flags = 0;
	ssize_t n;
	int f;

	if (!S_ISREG(st->st_mode) || st->st_nlink < 2 || !reaches_cowlink(proc, st, true))
		return false;
	snprintf(info, sizeof info, "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = cl_openat(AT_FDCWD, info, O_RDONLY | O_CLOEXEC, 0);
	if (f < 0)
		return true;
	n = cl_read(f, buf, sizeof buf - 1);
	cl_close(f);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strstr(buf, "flags:");
	if (!p)
		return true;
	flags = strtoul(p + 6, NULL, 8);
	return (flags & O_ACCMODE) != O_RDONLY;
}

/* open_by_handle_at for writing: a handle has no name to break, so the
 * call fails with ETXTBSY when it leads to a shared inode, as in the shim.
 * Looking needs CAP_DAC_READ_SEARCH, which the call needs too. */
static bool handle_shared(pid_t pid, int mountfd, uint64_t addr)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[MAX_HANDLE_SZ];
	} h;
	char p[CL_TPATH_MAX];
	struct stat st;
	bool shared = false;
	int m, f;

	if (cl_target_read(pid, addr, &h.fh, sizeof h.fh) || h.fh.handle_bytes > MAX_HANDLE_SZ ||
	    cl_target_read(pid, addr + sizeof h.fh, h.bytes, h.fh.handle_bytes))
		return false;
	if (mountfd == AT_FDCWD)
		snprintf(p, sizeof p, "/proc/%d/cwd", (int)pid);
	else
		cl_target_fd_path(pid, mountfd, p);
	/* Not O_PATH: the kernel wants a real fd on the mount. */
	m = cl_openat(AT_FDCWD, p, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (m < 0)
		return false;
	f = cl_open_by_handle_at(m, &h.fh, O_PATH | O_CLOEXEC);
	cl_close(m);
	if (f < 0)
		return false;
	cl_proc_fd_path(f, p);
	if (!cl_fstat(f, &st) && S_ISREG(st.st_mode) && st.st_nlink > 1)
		shared = reaches_cowlink(p, &st, true);
	cl_close(f);
	return shared;
}

static struct job *new_job(int nfd, const struct seccomp_notif *req, enum job_kind kind)
{
	struct job *j = malloc(sizeof *j);

	if (!j)
		return NULL;
	memset(&j->o, 0, sizeof j->o);
	j->nfd = nfd;
	j->kind = kind;
	j->req = *req;
	j->o.keep = -1;
	j->hold[0] = j->hold[1] = -1;
	return j;
}

/* P, a name the target gave relative to DIRFD, whose form with the /proc
 * prefix in front (OUT) is too long for a system call: open its directory
 * part from the prefix and name it through that fd of ours instead,
 * "/proc/self/fd/N/BASE" (*HOLD gets N, to close when the name is no
 * longer used). False when that cannot be had. */
static bool shorten(pid_t pid, int dirfd, const char *p, char *out, int *hold)
{
	char pre[CL_TPATH_MAX], dir[PATH_MAX];
	const char *base;
	int pfd, dfd;

	if (cl_target_path(pid, dirfd, p[0] == '/' ? "/" : ".", pre))
		return false;
	while (*p == '/')
		p++;
	base = cl_path_split(p, dir, sizeof dir);
	if (!base || !*base)
		return false;
	pfd = cl_openat(AT_FDCWD, pre, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (pfd < 0)
		return false;
	dfd = cl_openat(pfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	cl_close(pfd);
	if (dfd < 0)
		return false;
	snprintf(out, CL_TPATH_MAX, "/proc/self/fd/%d/%s", dfd, base);
	*hold = dfd;
	return true;
}

/* Absolute name P of the target's, through its own magic links:
 * /proc/self and /proc/thread-self are whoever looks (here, the
 * supervisor), /dev/fd/N and /dev/stdin, stdout, stderr lead to them. Such
 * a name gets its form with the target's pid in OUT (CL_TPATH_MAX) and
 * *OWN set. True when the name ends in one of the target's fds,
 * /proc/PID/fd/N, whose magic link the kernel follows to the inode the fd
 * has, whatever a break does to the fd's name. */
static bool magic_name(pid_t pid, const char *p, char *out, bool *own_magic)
{
	static const struct { const char *from, *to; } own[] = {
		{ "/proc/self/", "" }, { "/proc/thread-self/", "" }, { "/dev/fd/", "fd/" },
		{ "/dev/stdin", "fd/0" }, { "/dev/stdout", "fd/1" }, { "/dev/stderr", "fd/2" },
	};
	const char *rest = NULL, *to = "";
	size_t n;

	for (size_t i = 0; i < sizeof own / sizeof own[0] && !rest; i++) {
		n = strlen(own[i].from);
		if (!strncmp(p, own[i].from, n) &&
		    (own[i].from[n - 1] == '/' || p[n] == '\0' || p[n] == '/')) {
			rest = p + n;
			to = own[i].to;
		}
	}
	*own_magic = rest != NULL;
	if (rest) {
		snprintf(out, CL_TPATH_MAX, "/proc/%d/%s%s", (int)pid, to, rest);
		p = out;
	}
	/* /proc/N/fd/M or /proc/N/task/T/fd/M, as given or as made above. */
	if (strncmp(p, "/proc/", 6))
		return false;
	p += 6 + strspn(p + 6, "0123456789");
	if (!strncmp(p, "/task/", 6))
		p += 6 + strspn(p + 6, "0123456789");
	return !strncmp(p, "/fd/", 4);
}

/* A name argument into the supervisor's form of it; false: let the kernel
 * say what is wrong with it (EFAULT, ENOENT, ENAMETOOLONG). IN_ROOT: an
 * absolute name is relative to DIRFD (openat2's RESOLVE_IN_ROOT). *HOLD
 * gets an fd the name goes through (a long one, shorten()), or -1; *MAGIC
 * (unless NULL) whether it ends in a magic link to one of the target's fds
 * (magic_name()). */
static bool target_name(pid_t pid, int dirfd, uint64_t addr, bool in_root, char *out,
			int *hold, bool *magic)
{
	char path[PATH_MAX];
	const char *p = path;
	ssize_t n = cl_target_read_str(pid, addr, path, sizeof path);
	bool m, own;

	*hold = -1;
	if (magic)
		*magic = false;
	if (n < 0 && n != -EFAULT && n != -ENAMETOOLONG)
		cl_debug("run: pid %d: cannot read its memory (%zd): call not looked at",
			 (int)pid, -n);
	if (n <= 0)
		return false;
	if (in_root && dirfd != AT_FDCWD)
		while (*p == '/')
			p++;
	if (!*p)
		p = ".";
	if (p[0] == '/' && !in_root) {
		m = magic_name(pid, p, out, &own);
		if (magic)
			*magic = m;
		if (own) /* the target's own: looked at through our /proc */
			return strlen(out) < PATH_MAX;
	}
	if (cl_target_path(pid, dirfd, p, out) == 0 && strlen(out) < PATH_MAX)
		return true;
	/* Valid for the kernel, too long with the prefix: a look that fails
	 * here must not let the call reach a shared inode unlooked at. */
	return shorten(pid, dirfd, p, out, hold);
}

/* Is the source of C, a rename, the inode ST (its target's)? */
static bool from_same(pid_t pid, const struct call *c, const struct stat *st)
{
	char p[CL_TPATH_MAX];
	struct stat fs;
	int hold;
	bool same;

	same = target_name(pid, c->fromdir, c->from, false, p, &hold, NULL) &&
	       cl_fstatat(AT_FDCWD, p, &fs, AT_SYMLINK_NOFOLLOW) == 0 &&
	       fs.st_dev == st->st_dev && fs.st_ino == st->st_ino;
	if (hold >= 0)
		cl_close(hold);
	return same;
}

/* COWLINK_EXCLUDE as the supervisor found it (the shim reads it in each
 * program): a program it names is left alone here too. */
static const char *exclude;

/* Is the target PID a program COWLINK_EXCLUDE names? By its executable. */
static bool target_excluded(pid_t pid)
{
	char link[40];

	if (!exclude)
		return false;
	snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
	return cl_excluded(exclude, link, NULL);
}

static void handle(int nfd, const struct seccomp_notif *req)
{
	char p[CL_TPATH_MAX];
	pid_t pid = (pid_t)req->pid;
	struct cl_record rec;
	struct call c;
	struct stat st;
	struct job *j = NULL;
	int hold[2] = { -1, -1 };
	bool magic;

	cl_classify(req, &c);
	if (c.what != C_NONE && target_excluded(pid)) {
		answer(nfd, req->id, 0, true);
		return;
	}
	switch (c.what) {
	case C_NAME:
		if (!target_name(pid, c.dirfd, c.path, c.in_root, p, &hold[0], &magic) ||
		    !name_reaches(p, c.nofollow))
			break;
		if (magic) {
			/* The kernel would follow the fd's magic link to the
			 * shared inode again after any break of its name, so
			 * the call is refused, with what protection answers a
			 * writer that is not root: the shim, whose first try
			 * this may be, then breaks the name itself and opens
			 * or changes the name it broke. */
			cl_debug("run: pid %u: %s leads to a shared inode through an fd: refused",
				 req->pid, p);
			if (hold[0] >= 0)
				cl_close(hold[0]);
			answer(nfd, req->id, -EACCES, false);
			return;
		}
		j = new_job(nfd, req, JOB_BREAK);
		if (!j) {
			if (hold[0] >= 0)
				cl_close(hold[0]);
			answer(nfd, req->id, -ENOMEM, false);
			return;
		}
		memcpy(j->path, p, sizeof p);
		j->o.keep = c.keep;
		j->o.nofollow = c.nofollow;
		j->o.need = c.need;
		break;
	case C_FD_DATA:
	case C_FD_META:
		cl_target_fd_path(pid, c.fd, p);
		if (cl_fstatat(AT_FDCWD, p, &st, 0) || !S_ISREG(st.st_mode))
			break;
		if (c.what == C_FD_DATA) {
			if (fd_write_shared(pid, c.fd, p, &st)) {
				cl_debug("run: pid %u: writable fd %d on a shared inode", req->pid, c.fd);
				answer(nfd, req->id, -ETXTBSY, false); /* as the shim */
				return;
			}
			break;
		}
		if (!reaches_cowlink(p, &st, true))
			break;
		j = new_job(nfd, req, JOB_FD);
		if (!j) {
			answer(nfd, req->id, -ENOMEM, false);
			return;
		}
		j->fd = c.fd;
		j->o.need = c.need;
		break;
	case C_REMOVE:
		/* A removal that may leave an orphan (two names), or a rename
		 * from another name of the set (one_set, job_remove). */
		if (!target_name(pid, c.dirfd, c.path, c.in_root, p, &hold[0], NULL) ||
		    cl_fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode) || st.st_nlink < 2 ||
		    (st.st_nlink != 2 && !(c.from && from_same(pid, &c, &st))) ||
		    cl_mark_read_path(p, &rec) <= 0)
			break;
		j = new_job(nfd, req, JOB_REMOVE);
		if (!j)
			break; /* an orphan is no harm: fsck and presentation cope */
		memcpy(j->path, p, sizeof p);
		if (c.from && !target_name(pid, c.fromdir, c.from, false, j->from, &hold[1], NULL)) {
			free(j);
			j = NULL;
		}
		break;
	case C_HANDLE:
		if (handle_shared(pid, c.fd, c.path)) {
			cl_debug("run: pid %u: open_by_handle_at for writing of a shared inode", req->pid);
			answer(nfd, req->id, -ETXTBSY, false); /* as the shim */
			return;
		}
		break;
	case C_NONE:
		break;
	}
	if (j) {
		j->hold[0] = hold[0];
		j->hold[1] = hold[1];
		dispatch(j);
		return;
	}
	for (int i = 0; i < 2; i++)
		if (hold[i] >= 0)
			cl_close(hold[i]);
	answer(nfd, req->id, 0, true);
}

/* ---- the loop --------------------------------------------------------------- */

static void reap(pid_t child, int *status, bool *done)
{
	pid_t p;
	int st;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (p == child) {
			*status = st;
			*done = true;
		}
	}
}

int cl_supervise(int nfd, pid_t child)
{
	struct seccomp_notif_sizes sizes = { 0 };
	struct seccomp_notif *req;
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	sigset_t chld;
	size_t size = sizeof *req;
	int sfd, status = 0;
	bool done = false;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0 &&
	    sizes.seccomp_notif > size)
		size = sizes.seccomp_notif;
	req = malloc(size);
	if (!req)
		return -ENOMEM;
	exclude = secure_getenv("COWLINK_EXCLUDE");
	if (exclude && !*exclude)
		exclude = NULL;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	pfd[0] = (struct pollfd){ .fd = nfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	reap(child, &status, &done);
	for (;;) {
		if (sfd < 0)
			reap(child, &status, &done);
		if (poll(pfd, sfd >= 0 ? 2 : 1, sfd >= 0 ? -1 : 100) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (sfd >= 0 && (pfd[1].revents & POLLIN)) {
			while (cl_read(sfd, &si, sizeof si) == sizeof si)
				;
			reap(child, &status, &done);
		}
		if (pfd[0].revents & POLLIN) {
			memset(req, 0, size);
			if (cl_ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, req) == 0)
				handle(nfd, req);
		} else if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			break; /* no target left */
		}
	}
	/* Every target has been reaped (a filter counts a task until then). */
	while (!done) {
		pid_t p = waitpid(child, &status, 0);

		if (p == child || (p < 0 && errno != EINTR))
			break;
	}
	if (sfd >= 0)
		cl_close(sfd);
	free(req);
	return status;
}
