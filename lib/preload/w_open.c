/* SPDX-License-Identifier: MIT */
/* Opens for writing (docs/DESIGN.md §4). Every alias and fortify twin is a
 * short entry point into open_write(); read-only opens go straight to the real
 * function with no system call of ours. A write-open opens without O_TRUNC
 * and costs one extra call, an fstat of the new fd (the mark is read only
 * when st_nlink > 1), then truncates with ftruncate once it knows the inode
 * is not shared; O_RDONLY|O_TRUNC, which has no writable fd to truncate
 * through, breaks the name first instead. */
#include <limits.h>
#include <stdarg.h>
#include <time.h>

#include "preload.h"
#include "decide.h"

/* Our own table and pointers: reached without a GOT load. */
#pragma GCC visibility push(hidden)
#include "fdtab.h"
#include "identity.h"
#include "real.h"
#pragma GCC visibility pop

/* Any access mode but O_RDONLY (which is 0), and O_RDONLY|O_TRUNC. */
#define WRITE_OPEN(flags) (((flags) & (O_ACCMODE | O_TRUNC)) != 0)
/* musl's rule for when the variadic mode is there to read. */
#define HAS_MODE(flags) \
	(((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE)
#define EXCL(flags) (((flags) & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))

/* The new fd FD is what the caller gets: forget what its number meant. The
 * open's own check is not cached as SAFE: storing it costs the vfork guard's
 * getpid, a second system call that a write-open may not spend
 * (docs/DESIGN.md §4: at most one); the first write through FD checks it once
 * instead. */
static void fresh_fd(int fd)
{
	(void)cl_fd_invalidate_inline(fd);
}

/* O_RDONLY|O_TRUNC (Linux truncates; ftruncate needs a writable fd) and
 * O_DIRECTORY|O_TRUNC: break (copying nothing) before the open, so that
 * the kernel never truncates a shared inode. A protected cowlink or orphan
 * that still answers EACCES is broken and the open retried once. (A relink
 * of the name between that look and the open is not seen: every other
 * truncating open truncates after it looked, in open_write.) */
static int open_trunc(int dirfd, const char *path, int flags, mode_t mode)
{
	bool nofollow = flags & O_NOFOLLOW;
	char name[PATH_MAX];
	int saved = errno, fd, e = 0; /* a failed real openat's EACCES before the retry */

	/* O_DIRECTORY cannot open a file: breaking would only empty it. */
	if (!EXCL(flags) && !(flags & O_DIRECTORY)) {
		e = cl_cow_break_if_cow(dirfd, path, nofollow, 0, false, name);
		if (e < 0)
			return (int)cl_ret(e);
	}
	/* After a break, open the name that was broken: PATH may be a magic
	 * link that still leads to the shared inode. */
	fd = REAL(openat64)(dirfd, e > 0 ? name : path, flags, mode);
	if (fd < 0 && errno == EACCES && !EXCL(flags)) {
		e = cl_cow_break_if_cow(dirfd, path, nofollow, 0, true, name);
		if (e <= 0) {
			errno = e < 0 ? -e : EACCES;
			return -1;
		}
		errno = saved;
		fd = REAL(openat64)(dirfd, name, flags, mode);
	}
	if (fd >= 0)
		fresh_fd(fd);
	return fd;
}

/* Did the open that took T0 create the file ST describes? Empty, changed
 * during the call, and with the mtime the creation gave it, which is its
 * ctime: a file that was there may also be empty and changed just now (a
 * break's private copy, renamed in with the copied mtime; touch -d), and
 * then only the truncation gives it the times of an O_TRUNC. (A default
 * ACL or a security label set after the creation may move a new file's
 * ctime on: then the truncation is one call more, and stamps the times
 * the file has anyway, now.) */
static bool created_now(const struct stat *st, const struct timespec *t0)
{
	return st->st_size == 0 && cl_changed_since(st, t0) &&
	       st->st_mtim.tv_sec == st->st_ctim.tv_sec &&
	       st->st_mtim.tv_nsec == st->st_ctim.tv_nsec;
}

/* The O_TRUNC of a write-open, on FD (ST its fstat, taken after T0) now
 * known to be a private file: what the kernel's O_TRUNC does to a file that
 * was there -- size 0, mtime and ctime now, also when it was empty -- and
 * nothing for one the open itself created. EXISTED: an earlier round of
 * this open found the name there (it broke it, or was refused by it), so
 * the file is not new whatever its times say. 0, or -1 with FD closed and
 * errno from ftruncate. */
static int truncate_ours(int fd, const struct stat *st, const struct timespec *t0,
			 bool existed)
{
	int e;

	if (!S_ISREG(st->st_mode) || (!existed && created_now(st, t0)))
		return 0;
	e = cl_ftruncate(fd, 0);
	if (e == 0)
		return 0;
	(void)cl_close(fd);
	(void)cl_fd_invalidate(fd);
	errno = -e;
	return -1;
}

/* The body of every write-open: open, fstat; a cowlink behind the new fd
 * (root opens it despite protection) is closed, broken and reopened; an
 * EACCES from a protected cowlink is broken and retried. The name is
 * re-opened after each break, never assumed: another process may have
 * broken it first (the engine's lock makes the copy exactly once). After a
 * break the name that was broken is opened, not PATH, which may be a magic
 * link to the old inode. */
/* One write-open across its tries: the name it opens now (PATH, or the
 * name a break gave) and what a break keeps. */
struct wopen {
	int dirfd;
	bool nofollow;
	off_t keep;
	const char *cur;
	struct cl_made made; /* the copy a break of this open put in place */
	char name[PATH_MAX];
};

/* The open was refused with EACCES: a protected cowlink or orphan answers
 * so. Break it (the next try opens the name broken): 0, or -1 with errno
 * (EACCES when there was nothing to break). */
static int break_refused(struct wopen *w)
{
	int e;

	e = cl_cow_break(&(struct cl_break_req){ .dirfd = w->dirfd, .path = w->cur,
		.nofollow = w->nofollow, .keep = w->keep, .if_cow = true, .orphans = true,
		.name = w->name, .made = &w->made });
	if (e <= 0) {
		errno = e < 0 ? -e : EACCES;
		return -1;
	}
	w->cur = w->name;
	return 0;
}

/* The fd just closed was on a shared inode or one a break took the name
 * from (C, from cl_cow_opened): break what the name is now. 0 or -errno. */
static int break_opened(struct wopen *w, int c)
{
	int e = 0;

	if (c == CL_OPENED_SHARED) {
		e = cl_cow_break(&(struct cl_break_req){ .dirfd = w->dirfd,
			.path = w->cur, .nofollow = w->nofollow, .keep = w->keep,
			.name = w->name, .made = &w->made });
		if (e == 0)
			w->cur = w->name;
	} else if (c == CL_OPENED_ORPHAN) {
		e = cl_cow_break(&(struct cl_break_req){ .dirfd = w->dirfd,
			.path = w->cur, .nofollow = w->nofollow, .keep = w->keep,
			.if_cow = true, .orphans = true, .name = w->name,
			.made = &w->made });
		if (e > 0)
			w->cur = w->name;
	}
	return e < 0 ? e : 0;
}

/* What the first round of a write-open found (cl_open_write): the open's
 * start T0, its FD or, below 0, its errno ERR, and the fd's fstat in ST when
 * STAT_ERR is 0. The open's arguments and the caller's errno (SAVED) wait
 * here across the round's calls: in memory, not in saved registers that
 * every write-open would push and pop. */
struct first_round {
	struct timespec t0;
	int fd, err, stat_err;
	struct stat st;
	const char *path;
	int dirfd, flags, saved;
	mode_t mode;
};

/* What the fd FD that W's round just opened (ST its fstat, taken after T0;
 * NEW: O_EXCL) is: cl_cow_opened's answer, but without a second look at
 * what needs none. PRE: under cowlink run, the first round's stat of a
 * shared inode by the name before the open (else NULL). */
static int judge_opened(struct wopen *w, int fd, struct stat *st, const struct timespec *t0,
			bool new, const struct stat *pre)
{
	struct cl_record r;

	if (w->made.ino && st->st_ino == w->made.ino && st->st_dev == w->made.dev &&
	    st->st_nlink == 1) {
		/* The copy this open's own break put in place: its fresh ctime
		 * is the break's, and it is private (a cowln linking it
		 * meanwhile meets this fd as any writer): no second look
		 * (docs/DESIGN.md §4, Write-opens). */
		return CL_OPENED_OURS;
	}
	if (pre && st->st_dev == pre->st_dev && st->st_ino != pre->st_ino &&
	    st->st_nlink == 1 && cl_mark_read_fd(fd, &r) == 0) {
		/* The supervisor's break and its open of the copy: the name
		 * may be a magic link that still leads to the old inode
		 * (another process's fd), so it is not looked at again. */
		cl_identity_swap(pre->st_dev, pre->st_ino, st->st_ino);
		return CL_OPENED_OURS;
	}
	return cl_cow_opened(fd, w->dirfd, w->cur, w->nofollow, st, t0, false, new, &r);
}

/* Every round of a write-open, from the second on when FIRST says what the
 * first found (FIRST NULL: from the first). SAVED: the caller's errno. Not
 * for O_PATH, O_TMPFILE, O_RDONLY|O_TRUNC or O_DIRECTORY|O_TRUNC
 * (open_write_other). */
static __attribute__((noinline)) int open_write_rounds(int dirfd, const char *path, int flags,
							mode_t mode, int saved,
							const struct first_round *first)
{
	struct timespec t0;
	struct stat st;
	struct wopen w; /* not zeroed: NAME is a page, written before it is read */
	/* A round's failed real openat (EACCES) and the core's look and break
	 * (cl_cow_opened, break_opened) leave errno changed: the caller gets
	 * it as it was. */
	int fd, e, c;
	bool trunc = false, seen = false;
	struct stat pre;

	w.dirfd = dirfd;
	w.nofollow = flags & O_NOFOLLOW;
	w.keep = -1;
	w.cur = path;
	w.made.ino = 0;

	/* O_TRUNC: open without it and truncate the fd once it is known to be
	 * ours -- deciding by the name first would let a cowln -f that
	 * relinks the name in between have the kernel truncate the shared
	 * inode. A new file (created during the call, empty) needs no
	 * truncation; an existing one gets it even when empty (mtime, ctime).
	 * A break for it copies nothing. */
	if ((flags & O_TRUNC) && !EXCL(flags)) {
		trunc = true;
		flags &= ~O_TRUNC;
		w.keep = 0;
	}
	/* Under cowlink run the supervisor breaks the name before this open
	 * reaches it: a shared inode seen here and a private one opened is
	 * its break, which this process must see as its own (identity). */
	if (cl_cfg.under_run)
		seen = cl_fstatat(dirfd, path, &pre, w.nofollow ? AT_SYMLINK_NOFOLLOW : 0) == 0 &&
		       S_ISREG(pre.st_mode) && pre.st_nlink > 1;
	for (int tries = 0;; tries++) {
		if (tries == 0 && first) {
			t0 = first->t0;
			fd = first->fd;
			errno = first->err;
		} else {
			clock_gettime(CLOCK_REALTIME_COARSE, &t0);
			fd = REAL(openat64)(dirfd, w.cur, flags, mode);
		}
		if (fd < 0) {
			if (errno != EACCES || EXCL(flags) || tries == CL_LOOK_TRIES ||
			    break_refused(&w) < 0)
				return -1;
			errno = saved;
			continue;
		}
		if (tries == 0 && first) {
			e = first->stat_err;
			st = first->st;
		} else {
			e = cl_fstat(fd, &st);
		}
		if (e < 0) {
			fresh_fd(fd);
			if (trunc && (e = cl_ftruncate(fd, 0)) < 0) {
				(void)cl_close(fd);
				return (int)cl_ret(e);
			}
			break;
		}
		c = judge_opened(&w, fd, &st, &t0, EXCL(flags), seen && tries == 0 ? &pre : NULL);
		if (c == CL_OPENED_OURS) {
			fresh_fd(fd);
			if (trunc && truncate_ours(fd, &st, &t0, tries > 0) < 0)
				return -1;
			break;
		}
		if (c == CL_OPENED_AGAIN || c == CL_OPENED_ORPHAN)
			cl_debug("open %s: %s while it was opened, again", w.cur,
				 c == CL_OPENED_ORPHAN ? "left an orphan" : "replaced");
		/* A shared inode behind a writable fd, or an inode a break took
		 * the name from: never hand it out. Break, open again. */
		(void)cl_close(fd);
		(void)cl_fd_invalidate(fd);
		if (c < 0)
			return (int)cl_ret(c);
		if (tries == CL_LOOK_TRIES)
			return (int)cl_ret(-CL_ESHARED);
		e = break_opened(&w, c);
		if (e < 0)
			return (int)cl_ret(e);
		errno = saved;
	}
	errno = saved;
	return fd;
}

/* The real openat64's resolution, on the first write-open: errno as it was
 * (dlsym may change it). */
static __attribute__((noinline, cold)) void resolve_openat64(void)
{
	int saved = errno;

	cl_real_resolve(CL_SYM_openat64);
	errno = saved;
}

/* The first round, without the rounds' frame (a name buffer of PATH_MAX):
 * the common write-open, of a file with one link that the open did not
 * find changed just now (what cl_cow_opened answers CL_OPENED_OURS without
 * a look), ends here; every other goes on in open_write_rounds. TRUNC: open
 * without O_TRUNC, which truncate_ours then does.
 * A round that ends here leaves errno as it was without restoring it: the
 * coarse clock and the real openat that succeeds do not change it, the raw
 * fstat and fresh_fd never do; the real openat's resolution on its first
 * call may (dlsym), so that one puts it back. */
static inline __attribute__((always_inline)) int first_round(int dirfd, const char *path,
							     int flags, mode_t mode,
							     bool trunc)
{
	struct first_round f;
	int e;

	f.dirfd = dirfd;
	f.path = path;
	f.flags = flags;
	f.mode = mode;
	f.saved = errno;
	if (__builtin_expect(__atomic_load_n(&real_openat64, __ATOMIC_ACQUIRE) == NULL, 0))
		resolve_openat64();
	clock_gettime(CLOCK_REALTIME_COARSE, &f.t0);
	f.fd = __atomic_load_n(&real_openat64, __ATOMIC_ACQUIRE)(
		f.dirfd, f.path, trunc ? f.flags & ~O_TRUNC : f.flags, f.mode);
	if (__builtin_expect(f.fd < 0, 0)) {
		f.err = errno;
		f.stat_err = -EBADF;
		goto rounds;
	}
	e = cl_fstat(f.fd, &f.st);
	if (e < 0 || f.st.st_nlink > 1 ||
	    (!EXCL(f.flags) && (!(f.st.st_mode & S_IWUSR) || cl_changed_since(&f.st, &f.t0)))) {
		f.err = f.saved;
		f.stat_err = e;
		goto rounds;
	}
	fresh_fd(f.fd);
	if (trunc && truncate_ours(f.fd, &f.st, &f.t0, false) < 0)
		return -1;
	return f.fd;
rounds:
	return open_write_rounds(f.dirfd, f.path, f.flags, f.mode, f.saved, &f);
}

/* Every write-open but the plain one cl_open_write takes first. */
static __attribute__((noinline)) int open_write_other(int dirfd, const char *path,
						       int flags, mode_t mode)
{
	int saved = errno;
	bool trunc = (flags & O_TRUNC) && !EXCL(flags);

	int fd;

	if (cl_cow_off)
		return REAL(openat64)(dirfd, path, flags, mode);
	if ((flags & O_PATH) || (flags & O_TMPFILE) == O_TMPFILE) {
		/* No name written through (O_PATH), or none yet (O_TMPFILE). */
		fd = REAL(openat64)(dirfd, path, flags, mode);
		if (fd >= 0)
			fresh_fd(fd);
		return fd;
	}
	if (trunc && ((flags & O_ACCMODE) == O_RDONLY || (flags & O_DIRECTORY)))
		return open_trunc(dirfd, path, flags, mode);
	if (cl_cfg.under_run)
		return open_write_rounds(dirfd, path, flags, mode, saved, NULL);
	if (trunc)
		return first_round(dirfd, path, flags, mode, true);
	return first_round(dirfd, path, flags, mode, false);
}

/* The plain write-open: its first round, in a function of its own so that
 * its frame holds no register the other paths need. */
static __attribute__((noinline)) int open_write_plain(int dirfd, const char *path,
						       int flags, mode_t mode)
{
	return first_round(dirfd, path, flags, mode, false);
}

/* The plain write-open (no O_TRUNC, O_PATH or O_TMPFILE; the shim on, not
 * under cowlink run) in open_write_plain, every other in open_write_other:
 * a test and a jump. */
__attribute__((noinline)) int cl_open_write(int dirfd, const char *path,
					    int flags, mode_t mode)
{
	if (__builtin_expect((flags & (O_TRUNC | O_PATH | (O_TMPFILE & ~O_DIRECTORY))) ||
			     (cl_cow_off | cl_cfg.under_run), 0))
		return open_write_other(dirfd, path, flags, mode);
	return open_write_plain(dirfd, path, flags, mode);
}

/* The common case first: no write, no mode to read (O_CREAT or O_TMPFILE
 * would bring one), so the entry point is a check and a tail call. Else
 * the variadic mode, read only when the flags say it is there. */
#define PLAIN_RO(flags) \
	(!((flags) & (O_ACCMODE | O_TRUNC | O_CREAT | (O_TMPFILE & ~O_DIRECTORY))))
#define GET_MODE(last, flags, mode)                     \
	do {                                            \
		if (HAS_MODE(flags)) {                  \
			va_list ap;                     \
			va_start(ap, last);             \
			mode = va_arg(ap, mode_t);      \
			va_end(ap);                     \
		}                                       \
	} while (0)

/* The first read-only open before anything resolved it, kept out of the
 * entry points so that their common path needs no saved registers. Then
 * the entry point: params_of_<sym> its named parameters, which end with
 * FLAGS; DIR the directory fd for cl_open_write; then the names. */
#define OPEN_ENTRY(sym, dir, ...)                                         \
	static __attribute__((noinline, cold)) int sym##_first(params_of_##sym) \
	{                                                                \
		return REAL(sym)(__VA_ARGS__);                           \
	}                                                                \
	CL_EXPORT int sym(params_of_##sym, ...)                          \
	{                                                                \
		mode_t mode = 0;                                         \
                                                                         \
		if (__builtin_expect(PLAIN_RO(flags), 1)) {              \
			__typeof__(real_##sym) p_ = __atomic_load_n(     \
				&real_##sym, __ATOMIC_RELAXED);          \
			if (__builtin_expect(p_ != NULL, 1))             \
				return p_(__VA_ARGS__);                  \
			return sym##_first(__VA_ARGS__);                 \
		}                                                        \
		GET_MODE(flags, flags, mode);                            \
		if (!WRITE_OPEN(flags))                                  \
			return REAL(sym)(__VA_ARGS__, mode);             \
		return cl_open_write(dir, path, flags, mode);            \
	}
#define params_of_open const char *path, int flags
#define params_of_open64 const char *path, int flags
#define params_of_openat int dirfd, const char *path, int flags
#define params_of_openat64 int dirfd, const char *path, int flags
OPEN_ENTRY(open, AT_FDCWD, path, flags)
OPEN_ENTRY(open64, AT_FDCWD, path, flags)
OPEN_ENTRY(openat, dirfd, dirfd, path, flags)
OPEN_ENTRY(openat64, dirfd, dirfd, path, flags)

/* Fortify twins: no mode (glibc's own twins abort on O_CREAT without one,
 * and still do, since those opens reach them). */
CL_EXPORT int __open_2(const char *path, int flags)
{
	if (__builtin_expect(!WRITE_OPEN(flags) || HAS_MODE(flags), 1))
		return REAL(__open_2)(path, flags);
	return cl_open_write(AT_FDCWD, path, flags, 0);
}

CL_EXPORT int __open64_2(const char *path, int flags)
{
	if (__builtin_expect(!WRITE_OPEN(flags) || HAS_MODE(flags), 1))
		return REAL(__open64_2)(path, flags);
	return cl_open_write(AT_FDCWD, path, flags, 0);
}

CL_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	if (__builtin_expect(!WRITE_OPEN(flags) || HAS_MODE(flags), 1))
		return REAL(__openat_2)(dirfd, path, flags);
	return cl_open_write(dirfd, path, flags, 0);
}

CL_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	if (__builtin_expect(!WRITE_OPEN(flags) || HAS_MODE(flags), 1))
		return REAL(__openat64_2)(dirfd, path, flags);
	return cl_open_write(dirfd, path, flags, 0);
}

CL_EXPORT int creat(const char *path, mode_t mode)
{
	return cl_open_write(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

CL_EXPORT int creat64(const char *path, mode_t mode)
{
	return cl_open_write(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* A handle has no name to break: a write-open of a cowlink by handle fails
 * with CL_ESHARED (ETXTBSY) instead of handing out a shared inode. */
CL_EXPORT int open_by_handle_at(int mountfd, struct file_handle *h, int flags)
{
	struct cl_record r;
	struct stat st;
	int saved, fd, e;

	if (REAL_MISSING(open_by_handle_at))
		return cl_enosys();
	if (__builtin_expect(!WRITE_OPEN(flags) || (flags & O_PATH), 1))
		return real_open_by_handle_at(mountfd, h, flags);
	saved = errno; /* cl_cow_classify does not promise to keep it */
	fd = real_open_by_handle_at(mountfd, h, flags);
	if (fd < 0)
		return fd;
	if (cl_fstat(fd, &st) < 0) {
		fresh_fd(fd);
		return fd;
	}
	e = cl_cow_classify(fd, -1, NULL, &st, &r);
	if (e == 0) {
		fresh_fd(fd);
		errno = saved;
		return fd;
	}
	(void)cl_close(fd);
	(void)cl_fd_invalidate(fd);
	if (e > 0) {
		cl_debug("open_by_handle_at for writing on a cowlink: refused");
		e = -CL_ESHARED;
	}
	return (int)cl_ret(e);
}
