/* SPDX-License-Identifier: MIT */
/* The metadata engine (metachange.h, docs/DESIGN.md §4): break a name
 * before a change to it, pin what the name then leads to, and retry once
 * when a protected orphan answers EACCES; through an fd, break the fd's
 * name and give the caller the new file's path. The wrappers are in w_meta.c and w_xattr.c. */
#include <limits.h>
#include <string.h>

#include "decide.h"
#include "fdtab.h"
#include "metachange.h"
#include "preload.h"
#include "real.h"

/* What the break must ask of the caller for a change of kind HOW. */
static enum cl_need need_of(int how)
{
	if (how & CL_META_OWNER)
		return CL_NEED_OWNER;
	if (how & CL_META_NOW)
		return CL_NEED_WRITE_OR_OWNER;
	return CL_NEED_WRITE;
}

/* Break M's name if it is a cowlink (ORPHANS: or an orphaned mark); on a
 * break, the change goes to the name that was broken. 0 or -errno. */
static int meta_break(struct cl_meta *m, bool orphans)
{
	int e;

	e = cl_cow_break(&(struct cl_break_req){
		.dirfd = m->dirfd, .path = m->path, .nofollow = m->nofollow,
		.keep = -1, .if_cow = true, .orphans = orphans,
		.need = need_of(m->how), .same = m->retried ? NULL : m->same,
		.name = m->name });
	if (e > 0 && m->same && m->same->hit)
		return 0; /* a change that is none: nothing broken */
	if (e > 0) {
		m->target = m->name;
		cl_debug("metadata change of %s: %s broken first", m->path, m->name);
	}
	return e < 0 ? e : 0;
}

static void unpin(struct cl_meta *m)
{
	if (m->pinned) {
		(void)cl_close(m->pin);
		m->pinned = false;
	}
}

/* Pin M's target (see metachange.h), unless it is a symlink that is not to be
 * followed (changed by name, as before). A shared inode behind it -- the
 * name became a cowlink after the look that decided there was nothing to
 * break (cowln -f relinking it) -- an orphan, or an inode the name no
 * longer leads to -- a break renamed a private copy over it since the
 * open, and the old inode, the set's last name now, may already be
 * unmarked (cl_cow_opened) -- gives 1: break it first and pin again.
 * 0: pinned or by name; -errno. */
static int pin(struct cl_meta *m, const struct timespec *t0)
{
	struct cl_record r;
	struct stat st;
	int fd, c = 0;

	if (cl_cow_off || cl_proc_gone())
		return 0; /* without /proc, by name (break_and_pin looked) */
	fd = cl_openat(m->dirfd, m->target, O_PATH | O_CLOEXEC |
		       (m->nofollow ? O_NOFOLLOW : 0), 0);
	if (fd < 0)
		return 0; /* the real call by name says why */
	if (cl_fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
		(void)cl_close(fd);
		return 0;
	}
	cl_proc_fd_path(fd, m->proc);
	/* A mark that cannot be read (EACCES) is no mark to act on. */
	if (S_ISREG(st.st_mode)) {
		c = cl_cow_opened(fd, m->dirfd, m->target, m->nofollow, &st, t0,
				  (m->how & CL_META_ORPHANS) && !(st.st_mode & S_IWUSR),
				  false, &r);
	}
	if (c == -ENOENT && cl_proc_missing()) {
		(void)cl_close(fd);
		return 1; /* the mark went by /proc: look again, by name */
	}
	if (c != 0) {
		(void)cl_close(fd);
		return c < 0 ? c : 1;
	}
	m->pin = fd;
	m->pinned = true;
	m->byname = m->target;
	m->target = m->proc;
	return 0;
}

/* Break if need be, then pin what is there; a few rounds while the name
 * keeps turning into a shared inode. 0 or -errno. */
static int break_and_pin(struct cl_meta *m, bool orphans)
{
	struct timespec t0;
	int e = 0, round;

	for (round = 0; round < CL_LOOK_TRIES; round++) {
		clock_gettime(CLOCK_REALTIME_COARSE, &t0);
		/* Without /proc nothing is pinned: the break looks by name. */
		if (round > 0 || orphans || cl_proc_gone()) {
			e = meta_break(m, round > 0 || orphans);
			if (e < 0)
				return e;
			if (m->same && m->same->hit)
				return 0; /* a change that is none: nothing to pin */
		}
		e = pin(m, &t0);
		if (e <= 0)
			return e;
		m->target = m->path;
	}
	return -CL_ESHARED;
}

int cl_meta_begin_same(struct cl_meta *m, int dirfd, const char *path,
		       bool nofollow, int how, struct cl_same *same)
{
	int e;

	m->saved = errno;
	m->dirfd = dirfd;
	m->path = path;
	m->target = path;
	m->fd = -1;
	m->how = how;
	m->nofollow = nofollow;
	m->retried = false;
	m->pinned = false;
	m->same = same;
	if (!path)
		return 0; /* the real call says EFAULT */
	e = break_and_pin(m, false);
	if (e == 0 && same && same->hit)
		e = same->result;
	if (e < 0) {
		cl_debug("metadata change of %s: the break failed (%d)", path, -e);
		errno = -e;
		return -1;
	}
	errno = m->saved;
	return same && same->hit;
}

static bool meta_again(struct cl_meta *m, int r)
{
	int e;

	/* The pinned target is a /proc name: without /proc (a namespace
	 * that lacks it; seen here first on Linux 6.13 and later, where
	 * the look needs no /proc) the change goes by name. */
	if (r != 0 && errno == ENOENT && m->pinned && cl_proc_missing()) {
		unpin(m);
		m->target = m->byname;
		errno = m->saved;
		return true;
	}
	if (r == 0 || errno != EACCES || m->retried || !m->path)
		return false;
	m->retried = true;
	unpin(m);
	m->target = m->path;
	e = meta_break(m, true);
	if (e < 0 || m->target == m->path) {
		errno = e < 0 ? -e : EACCES;
		return false;
	}
	e = break_and_pin(m, false);
	if (e < 0) {
		errno = -e;
		return false;
	}
	cl_debug("metadata change of %s: protected orphan unshared, again", m->path);
	errno = m->saved;
	return true;
}

bool cl_meta_again(struct cl_meta *m, int r)
{
	bool again = meta_again(m, r);
	int e = errno;

	if (!again) {
		unpin(m);
		errno = e;
	}
	return again;
}

/* Unshare FD's inode in place when it is an orphaned mark (one name left,
 * ST its fstat). True when it was one and now is not. */
static bool fd_unshare_orphan(int fd, const struct stat *st)
{
	struct cl_record r;

	if (!S_ISREG(st->st_mode) || st->st_nlink != 1)
		return false;
	if (cl_mark_read_fd(fd, &r) <= 0)
		return false;
	if (cl_unshare_orphan(fd, st, &r) < 0)
		return false;
	cl_debug("fd %d: orphaned mark unshared in place", fd);
	return true;
}

int cl_meta_fd_begin_same(struct cl_meta *m, int fd, int how, char *path,
			  struct cl_same *same)
{
	struct cl_record r;
	struct stat st;
	int c, fl;

	m->saved = errno;
	m->dirfd = AT_FDCWD;
	m->path = NULL;
	m->target = NULL;
	m->fd = fd;
	m->how = how;
	m->nofollow = true;
	m->retried = false;
	m->same = same;
	if (fd < 0 || cl_cow_off || cl_fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto apply_to_fd; /* the real call says what it is */
	/* Opened by a name that has gone since (broken, removed, replaced):
	 * the inode is another name's file now, or (plain hard links) at
	 * least not what FD's name stands for any more. */
	if (st.st_nlink >= 1 && cl_cow_fd_name_gone(fd, &st)) {
		cl_debug("fd %d: opened by a name that is gone, its inode has "
			 "other names: the change is refused", fd);
		return (int)cl_ret(-CL_ESHARED);
	}
	if (st.st_nlink <= 1) {
		if (how & CL_META_ORPHANS)
			(void)fd_unshare_orphan(fd, &st);
		goto apply_to_fd;
	}
	c = cl_cow_classify(fd, AT_FDCWD, NULL, &st, &r);
	if (c < 0) {
		errno = -c;
		return -1;
	}
	if (c == 0)
		goto apply_to_fd;
	fl = (how & CL_META_OPATH) ? 0 : cl_fcntl(fd, F_GETFL, 0);
	if (fl >= 0 && (fl & O_PATH))
		goto apply_to_fd; /* EBADF from the real call, nothing to break */
	c = cl_cow_break(&(struct cl_break_req){ .fd = fd, .fdst = &st,
		.need = need_of(how), .same = same, .name = path });
	if (c == 0 && same && same->hit) {
		if (same->result < 0) {
			errno = -same->result;
			return -1;
		}
		errno = m->saved;
		return 2; /* a change that is none: nothing broken */
	}
	if (c < 0) {
		cl_debug("fd %d: metadata change on a shared inode, the break "
			 "failed (%d)", fd, -c);
		errno = -c;
		return -1;
	}
	cl_debug("fd %d: metadata change on a shared inode: %s broken, "
		 "applied by path", fd, path);
	errno = m->saved;
	return 1;
apply_to_fd:
	errno = m->saved;
	return 0;
}

int cl_meta_fd_begin(struct cl_meta *m, int fd, int how, char *path)
{
	return cl_meta_fd_begin_same(m, fd, how, path, NULL);
}

bool cl_meta_fd_again(struct cl_meta *m, int r)
{
	struct stat st;

	if (r == 0 || errno != EACCES || m->retried || m->fd < 0)
		return false;
	m->retried = true;
	if (cl_fstat(m->fd, &st) < 0 || !fd_unshare_orphan(m->fd, &st)) {
		errno = EACCES;
		return false;
	}
	errno = m->saved;
	return true;
}

int cl_meta_change(int dirfd, const char *path, bool nofollow, int how,
		   struct cl_same *same, cl_meta_apply_fn *apply, const void *arg)
{
	struct cl_meta m;
	int c, r;

	c = cl_meta_begin_same(&m, dirfd, path, nofollow, how, same);
	if (c != 0)
		return c < 0 ? -1 : 0;
	do
		r = apply(&m, arg);
	while (cl_meta_again(&m, r));
	return r;
}

int cl_meta_fd_change(int fd, int how, struct cl_same *same,
		      cl_meta_by_fd_fn *by_fd, cl_meta_by_path_fn *by_path,
		      const void *arg)
{
	char path[PATH_MAX];
	struct cl_meta m;
	int c, r;

	c = cl_meta_fd_begin_same(&m, fd, how, path, same);
	if (c < 0 || c == 2)
		return c < 0 ? -1 : 0;
	if (c > 0)
		return by_path(arg, path);
	do
		r = by_fd(arg, fd);
	while (cl_meta_fd_again(&m, r));
	return r;
}
