/* SPDX-License-Identifier: MIT */
/* A name a target gave, made the supervisor's without changing what it
 * means (tname.h): the text stays the target's, relative to an fd of ours
 * on the directory the kernel would start from.
 *
 * - A relative name starts at the target's cwd or dirfd, opened here
 *   through /proc/PID/cwd or /proc/PID/fd/N: the name keeps its own length.
 * - The target's own magic links (/proc/self, /proc/thread-self, /dev/fd,
 *   /dev/stdin...) start at /proc/PID, so that they are the target's, not
 *   the supervisor's.
 * - A target whose root is not ours (a chroot) has its names resolved with
 *   openat2's RESOLVE_IN_ROOT on its root: absolute symlinks and ".." stay
 *   in the jail. A relative name then becomes the jail's absolute name of
 *   its start directory followed by the name.
 * - openat2's own RESOLVE flags are kept for every look. */
#include "tname.h"

#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "banned.h"
#include "path.h"

/* The target's own magic links, and where they lead under /proc/PID. */
static const struct { const char *from, *to; } own[] = {
	{ "/proc/self", "" }, { "/proc/thread-self", "" }, { "/dev/fd", "fd" },
	{ "/dev/stdin", "fd/0" }, { "/dev/stdout", "fd/1" }, { "/dev/stderr", "fd/2" },
};

/* TEXT with one of the target's magic prefixes into OUT, relative to
 * /proc/PID ("fd/3", "." for /proc/self itself). False: not one of them. */
static bool own_magic(const char *text, char *out, size_t n)
{
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
		size_t k = strlen(own[i].from);
		const char *rest = text + k;

		if (strncmp(text, own[i].from, k) || (*rest && *rest != '/'))
			continue;
		while (*rest == '/')
			rest++;
		if (snprintf(out, n, "%s%s%s", own[i].to, *own[i].to && *rest ? "/" : "",
			     *own[i].to || *rest ? rest : ".") >= (int)n)
			return false;
		return true;
	}
	return false;
}

/* Is the target's root ours? (A chroot's is not.) */
static bool same_root(pid_t pid)
{
	static dev_t dev;
	static ino_t ino;
	char p[40];
	struct stat st;

	if (!ino) {
		if (cl_fstatat(AT_FDCWD, "/", &st, 0))
			return true;
		dev = st.st_dev;
		ino = st.st_ino;
	}
	snprintf(p, sizeof p, "/proc/%d/root", (int)pid);
	return cl_fstatat(AT_FDCWD, p, &st, 0) || (st.st_dev == dev && st.st_ino == ino);
}

/* Has the jailed target PID a /proc of its own that is procfs (a mount of
 * ours: the same pid namespace), so that its /proc/self is what ours
 * says of it? Without one its /proc names are ordinary names in the jail. */
static bool jail_proc(pid_t pid)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT };
	struct statfs sf;
	char p[40];
	long fd;
	int root;
	bool yes;

	snprintf(p, sizeof p, "/proc/%d/root", (int)pid);
	root = cl_openat(AT_FDCWD, p, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (root < 0)
		return false;
	fd = syscall(SYS_openat2, root, "/proc", &how, sizeof how);
	cl_close(root);
	if (fd < 0)
		return false;
	yes = cl_fstatfs((int)fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
	cl_close((int)fd);
	return yes;
}

/* The jail's absolute name of the target's directory START (its cwd or an
 * fd, a /proc/PID/... link) followed by REL, into OUT: the part of START's
 * name, as we see it, under the target's root. False when START is not
 * under that root (a cwd left outside by chroot without chdir). */
static bool jail_name(pid_t pid, const char *start, const char *rel, char *out)
{
	char root[PATH_MAX], dir[PATH_MAX], p[40];
	ssize_t r, d;

	snprintf(p, sizeof p, "/proc/%d/root", (int)pid);
	r = cl_readlinkat(AT_FDCWD, p, root, sizeof root - 1);
	d = cl_readlinkat(AT_FDCWD, start, dir, sizeof dir - 1);
	if (r <= 0 || d <= 0 || root[0] != '/' || dir[0] != '/')
		return false;
	root[r] = dir[d] = '\0';
	if (r == 1)
		r = 0; /* "/" */
	if (strncmp(dir, root, (size_t)r) || (dir[r] && dir[r] != '/'))
		return false;
	return snprintf(out, CL_TPATH_MAX, "%s/%s", dir[r] ? dir + r : "", rel) < PATH_MAX;
}

int cl_tname_get(pid_t pid, int dirfd, uint64_t addr, uint64_t resolve, struct tname *t)
{
	char text[PATH_MAX], start[40], rest[PATH_MAX];
	bool rooted = resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH);
	ssize_t n;
	int fd;

	t->dirfd = AT_FDCWD;
	t->resolve = resolve & ~(uint64_t)RESOLVE_CACHED;
	n = cl_target_read_str(pid, addr, text, sizeof text);
	if (n == -EFAULT || n == -ENAMETOOLONG)
		return (int)n;
	if (n < 0) {
		cl_debug("run: pid %d: cannot read its memory (%zd): call not looked at",
			 (int)pid, -n);
		return 1;
	}
	if (n == 0)
		return -ENOENT;
	if (text[0] == '/' && !rooted) {
		bool same = same_root(pid), proc = same || jail_proc(pid);

		if (proc && own_magic(text, rest, sizeof rest)) {
			snprintf(start, sizeof start, "/proc/%d", (int)pid);
			fd = cl_openat(AT_FDCWD, start, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
			if (fd < 0)
				return 1;
			t->dirfd = fd;
			memcpy(t->path, rest, strlen(rest) + 1);
			return 0;
		}
		memcpy(t->path, text, (size_t)n + 1);
		if (same || (proc && !strncmp(text, "/proc/", 6)))
			return 0; /* the jail's /proc is ours */
		snprintf(start, sizeof start, "/proc/%d/root", (int)pid);
		fd = cl_openat(AT_FDCWD, start, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		if (fd < 0)
			return 1;
		t->dirfd = fd;
		t->resolve |= RESOLVE_IN_ROOT;
		return 0;
	}
	if (dirfd == AT_FDCWD)
		snprintf(start, sizeof start, "/proc/%d/cwd", (int)pid);
	else if (dirfd < 0)
		return -EBADF;
	else
		snprintf(start, sizeof start, "/proc/%d/fd/%d", (int)pid, dirfd);
	if (!rooted && !same_root(pid) && jail_name(pid, start, text, t->path)) {
		snprintf(start, sizeof start, "/proc/%d/root", (int)pid);
		t->resolve |= RESOLVE_IN_ROOT;
	} else {
		memcpy(t->path, text, (size_t)n + 1);
	}
	/* Not O_DIRECTORY: a dirfd that is not one gives ENOTDIR in the look,
	 * as in the call. */
	fd = cl_openat(AT_FDCWD, start, O_PATH | O_CLOEXEC, 0);
	if (fd < 0)
		return dirfd == AT_FDCWD ? 1 : -EBADF;
	t->dirfd = fd;
	return 0;
}

void cl_tname_free(struct tname *t)
{
	if (t->dirfd >= 0)
		cl_close(t->dirfd);
	t->dirfd = AT_FDCWD;
}

int cl_tname_open(const struct tname *t, int flags, mode_t mode)
{
	struct open_how how = { .flags = (uint64_t)(unsigned)flags, .resolve = t->resolve };
	long r;

	if (!t->resolve)
		return cl_openat(t->dirfd, t->path, flags, mode);
	if (flags & (O_CREAT | __O_TMPFILE))
		how.mode = mode;
	r = syscall(SYS_openat2, t->dirfd, t->path, &how, sizeof how);
	return r < 0 ? -errno : (int)r;
}

int cl_tname_parent(const struct tname *t, int *dir, char *base)
{
	struct tname d = *t;
	const char *b = cl_path_split(t->path, d.path, sizeof d.path);
	int fd;

	if (!b || !*b || strlen(b) > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(base, b, strlen(b) + 1);
	fd = cl_tname_open(&d, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	*dir = fd;
	return 0;
}

bool cl_is_magic_link(int fd, const struct stat *st)
{
	struct statfs sf;

	return S_ISLNK(st->st_mode) && cl_fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

int cl_fd_name_of(int fd, const struct stat *st, char *out)
{
	char proc[CL_PROC_FD_MAX];
	struct stat now;
	ssize_t n;

	cl_proc_fd_path(fd, proc);
	n = cl_readlinkat(AT_FDCWD, proc, out, PATH_MAX - 1);
	if (n <= 0 || out[0] != '/')
		return -ETXTBSY;
	out[n] = '\0';
	if (cl_fstatat(AT_FDCWD, out, &now, AT_SYMLINK_NOFOLLOW) || S_ISLNK(now.st_mode) ||
	    now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return -ETXTBSY;
	return 0;
}
