/* SPDX-License-Identifier: MIT */
/* The shim's decisions, shared by every wrapper family (decide.h): classify an
 * inode, find the name behind an fd or a symlink, break. System calls go
 * through lib/core's raw cl_* calls, never through our own wrappers. */
#include "decide.h"

#include <limits.h>
#include <string.h>

#include "fdtab.h"
#include "identity.h"
#include "preload.h"
#include "real.h"

bool cl_cow_off;

int cl_cow_fd_path(int fd, const struct stat *fdst, char *path)
{
	return cl_fd_path(fd, fdst, path);
}

int cl_cow_fd_name_gone(int fd, const struct stat *fdst)
{
	static const char gone[] = " (deleted)";
	char proc[CL_PROC_FD_MAX], path[PATH_MAX];
	struct stat st;
	ssize_t n;
	int res = 0;

	cl_proc_fd_path(fd, proc);
	n = cl_readlinkat(AT_FDCWD, proc, path, sizeof path - 1);
	if (n > (ssize_t)sizeof gone - 1 && path[0] == '/' &&
	    !memcmp(path + n - (sizeof gone - 1), gone, sizeof gone - 1)) {
		/* Unless a file is really called that. */
		path[n] = '\0';
		res = cl_fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		      st.st_dev != fdst->st_dev || st.st_ino != fdst->st_ino;
	}
	return res;
}

/* The decision cache: docs/DESIGN.md §2's cache of "is this inode marked",
 * exact and private to this process, so a write may be decided by it
 * (unlike the present cache of lib/core/presentcache.c). Keyed by (dev,
 * ino, ctime, nlink): setting or removing the mark changes ctime, linking
 * changes nlink (ctime alone is coarse on older kernels and small-inode ext4).
 * Direct-mapped, guarded by a try-lock: a caller that finds it busy (another
 * thread, a signal handler interrupting the holder) reads the mark itself. */
#define DECISION_CACHE_SIZE 256

static struct decision_ent {
	dev_t dev;
	ino_t ino;
	struct timespec ctime;
	nlink_t nlink;
	struct cl_record r;
	bool used, marked;
} decision_cache[DECISION_CACHE_SIZE];
static bool decision_cache_busy;

static struct decision_ent *decision_slot(const struct stat *st)
{
	uint64_t h = (uint64_t)st->st_ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)st->st_dev;

	return &decision_cache[(h >> 56) % DECISION_CACHE_SIZE];
}

static bool decision_key_is(const struct decision_ent *e, const struct stat *st)
{
	return e->used && e->dev == st->st_dev && e->ino == st->st_ino &&
	       e->nlink == st->st_nlink && e->ctime.tv_sec == st->st_ctim.tv_sec &&
	       e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* A zero ctime is what statx leaves when it was not asked for a time: no
 * key, never cached. */
static bool decision_keyed(const struct stat *st)
{
	return st->st_ctim.tv_sec != 0 || st->st_ctim.tv_nsec != 0;
}

/* 1 marked / 0 not, from the cache; -1 not known. */
static int decision_cached(const struct stat *st, struct cl_record *r)
{
	const struct decision_ent *e;
	int m = -1;

	if (!decision_keyed(st) ||
	    __atomic_test_and_set(&decision_cache_busy, __ATOMIC_ACQUIRE))
		return -1;
	e = decision_slot(st);
	if (decision_key_is(e, st)) {
		m = e->marked;
		*r = e->r;
	}
	__atomic_clear(&decision_cache_busy, __ATOMIC_RELEASE);
	return m;
}

static void decision_remember(const struct stat *st, int marked,
			  const struct cl_record *r)
{
	struct decision_ent *e;

	if (!decision_keyed(st) ||
	    __atomic_test_and_set(&decision_cache_busy, __ATOMIC_ACQUIRE))
		return;
	e = decision_slot(st);
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->ctime = st->st_ctim;
	e->nlink = st->st_nlink;
	e->r = *r;
	e->marked = marked;
	e->used = true;
	__atomic_clear(&decision_cache_busy, __ATOMIC_RELEASE);
}

/* cl_cow_classify of P (P->mark -1, P->fd O_PATH when P->opath says so). */
static int classify(struct cl_pin *p, struct cl_record *r)
{
	const struct stat *st = p->st;
	int saved = errno, c;

	r->version = 0;
	r->wbits = 0;
	if (!S_ISREG(st->st_mode) || st->st_nlink <= 1 || cl_cow_off)
		return 0;
	/* The one decision (docs/DESIGN.md §4) around the decision cache,
	 * which knows the mark when the inode is as it was last read. */
	p->mark = decision_cached(st, r);
	c = cl_verdict(p, 0, r);
	/* A path replaced between the caller's stat and the read would
	 * file the new inode's answer under the old one's key: it then needs
	 * that old inode to keep its ctime and nlink, and to come back. */
	if (p->mark >= 0) {
		struct cl_record mr = p->mark ? *r : (struct cl_record){ 0 };

		decision_remember(st, p->mark, &mr);
		cl_presentcache_put(st, p->mark, &mr);
	}
	errno = saved;
	return c;
}

int cl_cow_classify(int fd, int dirfd, const char *path, const struct stat *st,
		    struct cl_record *r)
{
	return classify(&(struct cl_pin){ .fd = fd, .dirfd = dirfd, .path = path,
					  .st = st }, r);
}

int cl_cow_classify_shown(int fd, int dirfd, const char *path,
			  const struct stat *st, struct cl_record *r)
{
	enum cl_maybe m;

	if (cl_cow_off)
		return cl_cow_classify(fd, dirfd, path, st, r);
	m = cl_presentcache_get(st, r);
	if (m == CL_YES || (m == CL_NO && !cl_scope_active()))
		return m;
	return cl_cow_classify(fd, dirfd, path, st, r);
}

int cl_cow_orphan(int fd, int dirfd, const char *path, const struct stat *st,
		  struct cl_record *r)
{
	int saved = errno, m;

	if (st->st_nlink != 1 || cl_cow_off)
		return 0;
	m = cl_cow_mark_of(fd, dirfd, path, st, r);
	errno = saved;
	return m > 0;
}

int cl_cow_opened(int fd, int dirfd, const char *path, bool nofollow,
		  struct stat *st, const struct timespec *t0, bool look, bool new,
		  struct cl_record *r)
{
	struct stat now;
	bool changed;
	int c;

	/* Tested here, not only in classify: the write-open of a one-link
	 * file, the common case, needs neither its call nor its errno. */
	c = S_ISREG(st->st_mode) && st->st_nlink > 1
		? cl_cow_classify(fd, dirfd, path, st, r) : 0;
	if (c != 0)
		return c;
	if (st->st_nlink > 1) {
		/* Unmarked with several links: the mark may have gone with a
		 * name between the fstat and the read. Links again (cowln -f)
		 * come after a mark. */
		if (cl_fstat(fd, st) < 0)
			return CL_OPENED_OURS;
		if (st->st_nlink > 1)
			return cl_mark_read_pinned(fd, r) > 0 ? CL_OPENED_SHARED : CL_OPENED_OURS;
	}
	if (new)
		return CL_OPENED_OURS;
	changed = look || cl_changed_since(st, t0);
	if (!changed && (st->st_mode & S_IWUSR))
		return CL_OPENED_OURS;
	/* A marked orphan lacks its owner write bit, and root opens it all
	 * the same: one an unshare had to leave (its remover could not
	 * change it) is unshared now, by someone who may. */
	if (cl_mark_read_pinned(fd, r) > 0)
		return CL_OPENED_ORPHAN;
	if (!changed)
		return CL_OPENED_OURS;
	if (cl_fstatat(dirfd, path, &now, nofollow ? AT_SYMLINK_NOFOLLOW : 0) < 0 ||
	    now.st_dev != st->st_dev || now.st_ino != st->st_ino || now.st_nlink != 1)
		return CL_OPENED_AGAIN;
	return CL_OPENED_OURS;
}

/* Break NAME (relative to DIRFD, last component not a symlink, lstat in
 * *ST) with the engine, telling it whether scope makes it a cowlink, which
 * inode we mean to break and (SAME) how to tell a change that is none; a
 * copy put in place joins this process's identity permutation, and goes
 * to *MADE_OUT (when not NULL). */
static int break_name(int dirfd, const char *name, const struct stat *st,
		      off_t keep, enum cl_need need, struct cl_same *same, struct cl_made *made_out)
{
	ino_t made = 0;
	struct cl_break_opts o = {
		.keep = keep, .nofollow = true, .dev = st->st_dev, .ino = st->st_ino,
		.need = need, .same = same, .made = &made,
	};
	int e;

	if (!S_ISREG(st->st_mode))
		return 0;
	o.scope = cl_scope_active() && cl_name_in_scope(dirfd, name);
	cl_debug("break %s (keep %lld)", name, (long long)keep);
	e = cl_break_at(dirfd, name, &o);
	/* This process keeps seeing the name as the number it had. */
	if (e == 0 && made) {
		cl_identity_swap(st->st_dev, st->st_ino, made);
		if (made_out)
			*made_out = (struct cl_made){ st->st_dev, made };
	}
	return e;
}

/* Resolve (unless NOFOLLOW) and break DIRFD/PATH for a change that needs
 * NEED (SAME: unless it is none); NAME gets the name that was broken. */
static int break_path_need(int dirfd, const char *path, bool nofollow,
			   off_t keep, char *name, enum cl_need need,
			   struct cl_same *same, struct cl_made *made)
{
	struct stat st;
	int e;

	if (nofollow) {
		if (strlen(path) >= PATH_MAX)
			return -ENAMETOOLONG;
		if (name != path) /* a second round breaks the name the first gave */
			strcpy(name, path);
		e = cl_fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW);
	} else {
		e = cl_resolve(dirfd, path, name, &st, CL_RESOLVE_PROVE);
	}
	if (e == 0)
		e = break_name(dirfd, name, &st, keep, need, same, made);
	return e;
}

/* After a break of NAME, resolved from DIRFD/PATH: does PATH still lead to
 * NAME? Not for a magic link (/proc/self/fd/N keeps pointing at the fd's
 * old inode), so a caller that goes on by PATH would reach the shared (or
 * now orphaned) inode: -CL_ESHARED for those who did not take NAME. */
static int still_leads(int dirfd, const char *path, const char *name)
{
	struct stat a, b;

	if (!strcmp(path, name))
		return 0;
	if (cl_fstatat(dirfd, path, &a, 0) < 0 ||
	    cl_fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return -CL_ESHARED;
	return 0;
}

/* The mark of a one-link inode, for the orphan check: 1 marked, 0 not, or
 * -errno. A mark the caller may not read (EACCES: user xattrs need read
 * permission, and a file of mode 0077 or 0006 denies it even to its owner)
 * counts as none, so that the call goes to the kernel unchanged and returns
 * what it returns for a plain file (docs/DESIGN.md §4, transparency;
 * pjdfstest's chmod/07.t, open/06.t, open/07.t). An orphan its owner cannot read
 * (mode 0200 before protection) is then changed as the plain file it
 * stands for: a chmod sets the mode asked for and leaves the stale mark to
 * the next call that can read it, or to cowlink fsck. */
static int orphan_mark(int dirfd, const char *path, bool nofollow, char *name,
		       struct cl_record *r)
{
	struct stat lst;
	int e;

	e = nofollow ? cl_mark_read_at(dirfd, path, r)
		     : cl_resolve(dirfd, path, name, &lst, CL_RESOLVE_PROVE);
	if (!nofollow && e == 0)
		e = cl_mark_read_at(dirfd, name, r);
	if (e == -EACCES || e == -EPERM) {
		cl_debug("cannot read the mark of %s (%d): not an orphan", path, -e);
		e = 0;
	}
	return e;
}

/* break_if_cow by name, where nothing can be pinned (no /proc here: an
 * O_PATH fd's mark cannot be read, docs/DESIGN.md §4, "Without /proc"). */
static int break_if_cow_named(const struct cl_break_req *q, char *name)
{
	struct cl_record r;
	struct timespec t0;
	struct stat st;
	int e, spare;

	clock_gettime(CLOCK_REALTIME_COARSE, &t0);
	e = cl_fstatat(q->dirfd, q->path, &st, q->nofollow ? AT_SYMLINK_NOFOLLOW : 0);
	if (e < 0 || !S_ISREG(st.st_mode))
		return 0; /* nothing there (yet): the real call decides */
	/* One link but changed just now: a break may be renaming a private
	 * copy over PATH, which the kernel shows leading to the old inode,
	 * one link left and still marked, until the rename is done. Its mark
	 * says so; breaking it as an orphan waits for that break's lock. */
	if (st.st_nlink > 1) {
		e = cl_cow_classify(-1, q->dirfd, q->path, &st, &r);
	} else if (q->orphans || cl_changed_since(&st, &t0)) {
		e = orphan_mark(q->dirfd, q->path, q->nofollow, name, &r);
	} else {
		e = 0;
	}
	if (e <= 0)
		return e;
	/* A break that empties the name holds the spare fd cl_cow_break
	 * promises. */
	spare = q->keep == 0 ? cl_openat(AT_FDCWD, "/", O_PATH | O_CLOEXEC, 0) : -1;
	if (q->keep == 0 && spare < 0)
		return spare;
	e = break_path_need(q->dirfd, q->path, q->nofollow, q->keep, name, q->need, q->same,
			    q->made);
	if (spare >= 0)
		(void)cl_close(spare);
	return e == 0 ? 1 : e;
}

/* Pin what DIRFD/PATH leads to (a final symlink followed unless NOFOLLOW)
 * by the name it has there, NAME (PATH_MAX bytes; its last component no
 * symlink): an O_PATH fd into *FD, its fstat in *ST. 0; 1 when there is
 * nothing there to pin (the real call says what); else -errno (the
 * resolver's: a link changed under us, a magic link whose file has no
 * name). */
static int pin_name(int dirfd, const char *path, bool nofollow, char *name,
		    int *fd, struct stat *st)
{
	struct stat lst;
	int e;

	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	if (name != path)
		strcpy(name, path);
	*fd = cl_openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (*fd < 0)
		return 1;
	if (cl_fstat(*fd, st) < 0) {
		st->st_mode = 0;
	} else if (S_ISLNK(st->st_mode) && !nofollow) {
		(void)cl_close(*fd);
		e = cl_resolve(dirfd, path, name, &lst, CL_RESOLVE_PROVE);
		if (e < 0)
			return e;
		*fd = cl_openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
		if (*fd < 0)
			return 1;
		if (cl_fstat(*fd, st) < 0)
			st->st_mode = 0;
	}
	return 0;
}

/* The IF_COW request Q: break DIRFD/PATH if it names a cowlink (or, with
 * ORPHANS, an orphaned mark), the name broken in NAME. 1 broken, 0 nothing
 * to do, -errno. Pinned first (docs/DESIGN.md §4, "One decision"): the
 * object is opened O_PATH by the name a final symlink resolves to, decided
 * on by that fd, and that inode is broken -- the engine's re-check under
 * its lock leaves a name that leads elsewhere by then. Without ORPHANS
 * (truncate, O_RDONLY|O_TRUNC, fopen's ccs=), where most names are no
 * cowlink, one stat first says when there is nothing to decide. */
static int break_if_cow(const struct cl_break_req *q, char *name)
{
	int dirfd = q->dirfd;
	const char *path = q->path;
	bool nofollow = q->nofollow, orphans = q->orphans;
	off_t keep = q->keep;
	struct cl_record r;
	struct timespec t0;
	struct stat st;
	int pin, e = 0;

	if (cl_cow_off)
		return 0;
	if (cl_proc_gone())
		return break_if_cow_named(q, name);
	clock_gettime(CLOCK_REALTIME_COARSE, &t0);
	if (!orphans &&
	    (cl_fstatat(dirfd, path, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0) < 0 ||
	     !S_ISREG(st.st_mode) ||
	     (st.st_nlink <= 1 && !cl_changed_since(&st, &t0))))
		return 0; /* nothing there (yet), or nothing to decide */
	e = pin_name(dirfd, path, nofollow, name, &pin, &st);
	if (e != 0)
		return e < 0 ? e : 0;
	/* One link but changed just now: a break may be renaming a private
	 * copy over PATH, which the kernel shows leading to the old inode,
	 * one link left and still marked, until the rename is done. Its mark
	 * says so; breaking it as an orphan waits for that break's lock. */
	if (!S_ISREG(st.st_mode)) {
		e = 0;
	} else if (st.st_nlink > 1) {
		e = classify(&(struct cl_pin){ .fd = pin, .opath = true, .st = &st }, &r);
	} else if (orphans || cl_changed_since(&st, &t0)) {
		e = cl_verdict(&(struct cl_pin){ .fd = pin, .opath = true, .st = &st,
						 .mark = -1 }, CL_VERDICT_ORPHANS, &r);
		e = e == CL_VERDICT_ORPHAN ? 1 : e < 0 ? e : 0;
	}
	if (e == -ENOENT && cl_proc_missing()) {
		(void)cl_close(pin);
		return break_if_cow_named(q, name);
	}
	/* A break that empties the name holds the pin across it as the
	 * spare fd cl_cow_break promises. */
	if (e <= 0 || keep != 0) {
		(void)cl_close(pin);
		pin = -1;
	}
	if (e > 0) {
		e = break_name(dirfd, name, &st, keep, q->need, q->same, q->made);
		if (e == 0)
			e = 1;
	}
	if (pin >= 0)
		(void)cl_close(pin);
	return e;
}

int cl_cow_break(const struct cl_break_req *q)
{
	char own[PATH_MAX];
	char *name = q->name ? q->name : own;
	int saved = errno, e;

	if (q->fdst) {
		e = cl_cow_fd_path(q->fd, q->fdst, name);
		if (e == 0)
			e = break_name(AT_FDCWD, name, q->fdst, -1, q->need, q->same, q->made);
	} else if (q->if_cow) {
		e = break_if_cow(q, name);
		if (e > 0 && !q->name && still_leads(q->dirfd, q->path, name) < 0)
			e = -CL_ESHARED;
	} else {
		e = break_path_need(q->dirfd, q->path, q->nofollow, q->keep, name,
				    q->need, q->same, q->made);
		if (e == 0 && !q->name)
			e = still_leads(q->dirfd, q->path, name);
	}
	errno = saved;
	return e;
}

/* The rows the write family's fast paths call without REAL() (CL_W_FAST)
 * are resolved before the first fd is marked safe (a SAFE byte implies
 * they are). */
static bool fast_resolved;

void cl_cow_mark_safe(int fd, uint8_t seen)
{
	if (!__atomic_load_n(&fast_resolved, __ATOMIC_ACQUIRE)) {
		cl_real_resolve_flagged(CL_W_FAST);
		__atomic_store_n(&fast_resolved, true, __ATOMIC_RELEASE);
	}
	(void)cl_fd_mark_safe(fd, seen);
}

int cl_cow_check_fd(int fd)
{
	struct cl_record r;
	struct stat st;
	uint8_t seen = cl_fd_begin_check(fd);
	int saved = errno, e, fl;

	if (cl_cow_off)
		return 0; /* not marked safe: that would cost a getpid */
	if (cl_fstat(fd, &st) < 0) {
		e = 0; /* not an fd: the real call says so */
		goto out;
	}
	/* Tested here too, not only in classify: its frame holds a path
	 * buffer, and this may run in a signal handler on a small stack. */
	e = S_ISREG(st.st_mode) && st.st_nlink > 1
		? cl_cow_classify(fd, AT_FDCWD, NULL, &st, &r) : 0;
	if (e < 0)
		goto out;
	if (e > 0) {
		fl = cl_fcntl(fd, F_GETFL, 0);
		if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY && !(fl & O_PATH)) {
			cl_debug("fd %d: writable fd on a shared inode (opened "
				 "bypassing the shim): refused", fd);
			e = -CL_ESHARED;
			goto out;
		}
	}
	e = 0;
	cl_cow_mark_safe(fd, seen);
out:
	errno = saved;
	return e;
}
