/* SPDX-License-Identifier: MIT */
/* Breaking a cowlink (docs/DESIGN.md §5): give one name a private inode with
 * the same content and presented metadata, so that at every instant, kill -9
 * included, the name is either the old shared inode or the complete copy. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "banned.h"

#define RESTART      1

/* Open the directory that holds the name once, and lock it. An unreadable
 * directory gets an O_PATH fd (enough for the *at calls) and no lock. */
static int open_parent(int dirfd, const char *dir, bool *locked)
{
	int fd, e;

	*locked = false;
	fd = cl_openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd == -EACCES) {
		cl_debug("break: directory %s unreadable, no lock", dir);
		return cl_openat(dirfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	}
	if (fd < 0)
		return fd;
	e = cl_lock_dir(fd);
	if (!e) {
		*locked = true;
	} else if (e == -ENOLCK || e == -EOPNOTSUPP || e == -EINVAL || e == -EBADF) {
		/* No flock on this filesystem: the re-check before the
		 * rename still keeps a second copy from replacing the first. */
		cl_debug("break: no lock on %s (%d), going on", dir, -e);
	} else {
		cl_close(fd);
		return e;
	}
	return fd;
}

/* Set once an O_TMPFILE could not be linked in: linkat's AT_EMPTY_PATH
 * needs CAP_DAC_READ_SEARCH, its fallback through /proc/self/fd a /proc. */
static bool tmpfile_unlinkable;

/* Create the private file in the parent, invisible (O_TMPFILE), or under a
 * hidden name where the filesystem cannot or it could not be linked in
 * (*NAMED set, TMPNAME filled). */
static int make_tmp(int pfd, char *tmpname, size_t n, bool *named)
{
	int fd = -EOPNOTSUPP;

	*named = false;
	if (!__atomic_load_n(&tmpfile_unlinkable, __ATOMIC_RELAXED))
		fd = cl_openat(pfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (fd != -EOPNOTSUPP && fd != -EISDIR && fd != -EINVAL))
		return fd;
	cl_debug("break: no O_TMPFILE here (%d), hidden name", -fd);
	fd = cl_tmp_create(pfd, tmpname, n);
	if (fd >= 0)
		*named = true;
	return fd;
}

/* Must a (non-empty, not cloned) copy reach the disk before it replaces the
 * name? Not where the replacing rename orders it (ORDERED:
 * cl_rename_orders_data) or on a filesystem that forgets everything anyway
 * (tmpfs). FTYPE 0: unknown, sync. */
static bool need_sync(long ftype, bool ordered)
{
	if (cl_cfg.fsync == CL_FSYNC_ALWAYS)
		return true;
	if (cl_cfg.fsync == CL_FSYNC_NEVER)
		return false;
	return !ordered && ftype != TMPFS_MAGIC;
}

/* Orphan found by a break: the caller must be one who may break it. */
static int unshare_checked(int fd, const char *base, const struct stat *st,
			   const struct cl_record *r, enum cl_need need)
{
	int e = cl_may_change(fd, st, st->st_mode | r->wbits, need);

	if (!e)
		e = cl_unshare_orphan(fd, st, r);
	if (e)
		cl_debug("break %s: orphan, not unshared (%d)", base, -e);
	else
		cl_debug("break %s: orphan, unshared in place", base);
	return e;
}

/* Copy SRC (open on the shared inode ST, record R) into a private file and
 * put it in place of BASE. Returns 0 also when the name turned out to have
 * been replaced by someone else meanwhile. */
static int copy_in(int pfd, const char *base, int src, const struct stat *st,
		   const struct cl_record *r, const struct cl_break_opts *o)
{
	char tmpname[64];
	struct stat now;
	struct statfs sf;
	bool named, cloned = false, empty = o->keep == 0 || st->st_size == 0, ordered;
	unsigned flags = 0;
	ino_t made;
	long ftype;
	int tfd, e;

again:
	tfd = make_tmp(pfd, tmpname, sizeof tmpname, &named);
	if (tfd < 0)
		return tfd;
	ftype = cl_fstatfs(tfd, &sf) ? 0 : (long)sf.f_type;
	if (ftype == EXT4_SUPER_MAGIC)
		flags |= CL_COPY_NOCLONE;
	/* On ext4 the replacing rename below would start writeback of the
	 * whole copy and sleep in the block layer's writeback throttling
	 * while the disk takes it: 0.2-0.3 s of a 1 GiB break, most of its
	 * gap to cp (bench/RESULTS.md 3a). Started chunk by chunk during the
	 * copy, the disk writes while the rest copies and the rename finds
	 * only the last chunk left. The data reaches the disk by the same path
	 * as before and no later, so COWLINK_FSYNC=auto keeps its guarantee.
	 * fallocate first, the other candidate measured, was as fast, but its
	 * unwritten extents would read as zeros after a crash that kept the
	 * rename. */
	ordered = !empty && cl_rename_orders_data(ftype, st->st_dev);
	if (!empty && (need_sync(ftype, ordered) || ordered))
		flags |= CL_COPY_FLUSH;
	e = cl_copy_data(src, tfd, st, o->keep, flags, &cloned);
	if (e)
		goto out_close_tmp;
	e = cl_copy_meta(src, tfd, st, r->wbits, &made);
	if (e)
		goto out_close_tmp;
	/* A break for a truncation that changes the size: the copy is the
	 * truncated file, and every filesystem stamps mtime and ctime when a
	 * truncation changes the size. The caller's truncation then finds the
	 * copy at its size already, and one to the size a file has leaves the
	 * times alone on some filesystems (tmpfs): stamp them here. */
	if (o->keep >= 0 && o->keep != st->st_size) {
		e = cl_futimens(tfd, (const struct timespec[2]){
			{ .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_NOW } });
		if (e)
			goto out_close_tmp;
	}
	if (!cloned && !empty && need_sync(ftype, ordered)) {
		e = cl_fdatasync(tfd);
		if (e)
			goto out_close_tmp;
	}
	if (!named) {
		bool no_empty_path = false;

		e = cl_fd_link_tmp(tfd, pfd, tmpname, sizeof tmpname, &no_empty_path);
		if (e == -ENOENT && no_empty_path && cl_proc_missing()) {
			/* Not root and no /proc: the copy again, named. */
			__atomic_store_n(&tmpfile_unlinkable, true, __ATOMIC_RELAXED);
			cl_close(tfd);
			goto again;
		}
		if (e)
			goto out_close_tmp;
	}
	/* From here TMPNAME is visible: remove it on any failure. */
	e = cl_fstatat(pfd, base, &now, AT_SYMLINK_NOFOLLOW);
	if (e || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		cl_debug("break %s: replaced meanwhile (%d), leaving it", base, -e);
		if (e == -ENOENT)
			e = 0;
		goto out_unlink_tmp;
	}
	e = cl_renameat2(pfd, tmpname, pfd, base, 0);
	if (e)
		goto out_unlink_tmp;
	cl_debug("break %s: private copy in place (%s%s)", base,
		 cloned ? "cloned" : "copied", named ? ", hidden name" : "");
	if (o->made)
		*o->made = made;
	cl_close(tfd);
	return 0;

out_unlink_tmp:
	(void)cl_unlinkat(pfd, tmpname, 0);
	named = false;
out_close_tmp:
	if (named)
		(void)cl_unlinkat(pfd, tmpname, 0);
	cl_close(tfd);
	return e;
}

/* The locked part: re-check what BASE is now, then unshare an orphan in
 * place or copy a shared inode. RESTART when a symlink appeared there. */
static int break_locked(int pfd, const char *base, const struct cl_break_opts *o)
{
	struct cl_record rec = { 0, 0, false };
	struct stat st, fst;
	int fd, marked, e;

	e = cl_fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW);
	if (e == -ENOENT)
		return 0;
	if (e)
		return e;
	if (S_ISLNK(st.st_mode) && !o->nofollow)
		return RESTART;
	if (!S_ISREG(st.st_mode))
		return 0;
	if (o->ino && (st.st_dev != o->dev || st.st_ino != o->ino)) {
		cl_debug("break %s: not the inode asked for, leaving it", base);
		return 0;
	}
	/* O_NOATIME where we may: reading for the copy must not touch the
	 * shared inode's atime, which the other names present as theirs. */
	fd = cl_openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
			       O_CLOEXEC | O_NOATIME, 0);
	if (fd == -EPERM)
		fd = cl_openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
				       O_CLOEXEC, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd == -ELOOP)
		return o->nofollow ? 0 : RESTART;
	if (fd < 0)
		return fd;
	e = cl_fstat(fd, &fst);
	if (e)
		goto out_close;
	if (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		e = RESTART;
		goto out_close;
	}
	marked = cl_mark_read_fd(fd, &rec);
	if (marked < 0) {
		e = marked;
		goto out_close;
	}
	if (fst.st_nlink <= 1) {
		e = marked ? unshare_checked(fd, base, &fst, &rec, o->need) : 0;
		if (e == -EAGAIN) /* linked again meanwhile: a set, break it */
			e = RESTART;
		goto out_close;
	}
	if (!marked && !o->scope) {
		cl_debug("break %s: plain hard link, not a cowlink", base);
		e = 0;
		goto out_close;
	}
	if (o->same) {
		/* A change that changes nothing: no copy, and the call leaves
		 * the shared inode alone (docs/DESIGN.md §4's invariant). */
		e = o->same->test(fd, &fst, fst.st_mode | rec.wbits, o->same->arg);
		if (e) {
			cl_debug("break %s: the change changes nothing (%d), no copy",
				 base, e < 0 ? -e : 0);
			o->same->hit = true;
			o->same->result = e < 0 ? e : 0;
			e = 0;
			goto out_close;
		}
	}
	e = cl_may_break(fd, &fst, fst.st_mode | rec.wbits, o->need);
	if (e)
		goto out_close;
	e = copy_in(pfd, base, fd, &fst, &rec, o);
	if (e)
		goto out_close;
	/* The shared inode may be left with one name: unshare it too. Its
	 * names are other users' business, so a failure here is only noted. */
	if (marked && !cl_fstat(fd, &fst) && fst.st_nlink == 1) {
		int u = cl_unshare_orphan(fd, &fst, &rec);

		cl_debug("break %s: left an orphan, unshared in place (%d)", base, -u);
	}
out_close:
	cl_close(fd);
	return e;
}

int cl_break_at(int dirfd, const char *name, const struct cl_break_opts *o)
{
	char path[PATH_MAX];
	struct stat st;
	const char *dir, *base;
	char *slash;
	int saved = errno, round, pfd, e = 0;
	bool locked;

	for (round = 0; round < CL_LOOK_TRIES; round++) {
		/* The first round takes NAME as it is: the locked re-check
		 * sees a final symlink anyway (RESTART), and only then is it
		 * worth the lstat of following it. */
		if (o->nofollow || round == 0) {
			e = strlen(name) < PATH_MAX ? 0 : -ENAMETOOLONG;
			if (!e)
				strcpy(path, name);
		} else {
			e = cl_resolve(dirfd, name, path, &st, CL_RESOLVE_LOOSE);
		}
		if (e)
			break;
		slash = strrchr(path, '/');
		if (!slash) {
			dir = ".";
			base = path;
		} else {
			base = slash + 1;
			if (slash == path) {
				dir = "/";
			} else {
				*slash = '\0';
				dir = path;
			}
		}
		if (!*base) /* "dir/": not a regular file */
			break;
		pfd = open_parent(dirfd, dir, &locked);
		if (pfd < 0) {
			e = pfd == -ENOENT ? 0 : pfd;
			break;
		}
		e = break_locked(pfd, base, o);
		if (locked)
			cl_unlock_dir(pfd);
		cl_close(pfd);
		if (e != RESTART)
			break;
		cl_debug("break %s: changed under us, again", name);
	}
	if (e == RESTART)
		e = -ELOOP;
	errno = saved;
	return e;
}

/* Write the record R (XATTR_REPLACE) while *CUR is the inode's mode; an
 * owner whose file lacks the owner write bit needs it lent for a user
 * xattr: *CUR then gets S_IWUSR. */
static int mark_replace(int fd, const struct cl_record *r, mode_t *cur)
{
	int e = cl_mark_write_fd(fd, r, XATTR_REPLACE);

	if ((e != -EACCES && e != -EPERM) || (*cur & S_IWUSR))
		return e;
	e = cl_fchmod(fd, *cur | S_IWUSR);
	if (e)
		return e;
	*cur |= S_IWUSR;
	return cl_mark_write_fd(fd, r, XATTR_REPLACE);
}

/* The orphan's unshare and a cowlink_link() of the same inode may run at
 * once (a break of one name while cowln -f links the other again): the
 * unshare must never take the mark off an inode that has become a set. The
 * record says " unsharing" first; then the link count is looked at again;
 * only then are the bits restored and the mark removed. A linker reads the
 * record after its link (which it makes under a hidden name) and takes the
 * link back unless it still reads as its own, so one of the two sees the
 * other: the unshare sees the new link, or the linker the word.
 *
 * The word guards against a linker, not against a second unshare of the
 * same inode (a break's and a metadata change's, in two processes) acting
 * on what it knew before the first finished: it writes its word over the
 * record of a linker that began after the first, puts the bits back before
 * the linker clears them and takes the mark off; the linker's check fails
 * and it leaves the bits cleared and no mark (seen: the other name's 0644
 * became 0444, race-meta-relink). So unshares take turns under the inode
 * lock, and a linker that lost to one waits for that lock, then gives back
 * the bits it cleared where the source was left plain (link.c). Without
 * the lock the unshare goes on, reading the word again just before it
 * removes it. */

/* Is FD's record still the word WORD wrote (another unshare may have taken
 * it off and a linker made a new set since)? */
static bool still_the_word(int fd, const struct cl_record *word)
{
	struct cl_record now;

	return cl_mark_read_fd(fd, &now) > 0 && now.dying && now.wbits == word->wbits;
}

static int unshare(int fd, const struct stat *st, const struct cl_record *r, bool locked)
{
	struct cl_record word = { CL_RECORD_VERSION, r->wbits & 0222, true };
	mode_t orig = st->st_mode & 07777, cur = orig, mode = orig | (r->wbits & 0222);
	struct stat now;
	int e;

	/* The owner write bit is coming back anyway: give it first, so that a
	 * non-root owner's xattr write does not fail once for want of it. */
	if ((r->wbits & S_IWUSR) && !(cur & S_IWUSR)) {
		e = cl_fchmod(fd, cur | S_IWUSR);
		if (e)
			return e;
		cur |= S_IWUSR;
	}
	e = mark_replace(fd, &word, &cur);
	if (e == -ENODATA) {
		/* Unshared by someone else first: only undo a lent bit. Never
		 * put back ORIG: that would take back the bits it restored. */
		return cur != orig ? cl_fchmod(fd, mode) : 0;
	}
	if (e)
		goto out_mode;
	e = cl_fstat(fd, &now);
	if (!e && now.st_nlink > 1)
		e = -EAGAIN;
	if (e)
		goto out_record;
	/* Write bits first (keeping a lent one): the mark cannot be removed
	 * without them. */
	if ((mode | (cur & S_IWUSR)) != cur) {
		e = cl_fchmod(fd, mode | (cur & S_IWUSR));
		if (e)
			goto out_record;
		cur = mode | (cur & S_IWUSR);
	}
	if (!locked && !still_the_word(fd, &word)) {
		/* Finished by another unshare, and maybe linked again since:
		 * the record, if any, is not ours to touch, nor the mode. */
		cl_debug("unshare: the word is gone, another unshare finished first");
		return -EAGAIN;
	}
	e = cl_mark_remove_fd(fd); /* gone already (another unshare): 0 */
	if (e)
		goto out_record;
	if (cur != mode)
		e = cl_fchmod(fd, mode);
	return e;

out_record:
	word.dying = false;
	(void)cl_mark_write_fd(fd, &word, XATTR_REPLACE);
out_mode:
	if (cur != orig)
		(void)cl_fchmod(fd, orig);
	return e;
}

int cl_unshare_orphan(int fd, const struct stat *st, const struct cl_record *r)
{
	bool locked = cl_lock_inode(fd);
	int e = unshare(fd, st, r, locked);

	if (locked)
		cl_unlock_inode(fd);
	return e;
}
