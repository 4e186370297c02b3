/* SPDX-License-Identifier: MIT */
/* Making one cowlink (docs/DESIGN.md §1, §3, §6): a reflinked copy where the
 * filesystem can clone, else one more name of the marked, protected source
 * inode, else (link limit, foreign hard links, across filesystems) a copy. */
#include "link-internal.h"

#include <errno.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "banned.h"

cl_note_fn cl_note;
void *cl_note_arg;

void cl_notef(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!cl_note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cl_note(cl_note_arg, msg);
}

const char *cowlink_version(void)
{
	return COWLINK_VERSION;
}

enum cl_maybe cl_link_clone_hint(int fd)
{
	return cl_extents_may_share(fd) ? CL_UNKNOWN : CL_NO;
}

void cl_link_ctx_init(struct cl_link_ctx *c, unsigned flags)
{
	memset(c, 0, sizeof *c);
	c->flags = flags;
	c->clone = CL_UNKNOWN;
	c->sigio_ignored = cl_lease_sigio_ignored();
}

/* Errors of FICLONE or O_TMPFILE that mean "not here": fall back. */
static bool unsupported(int e)
{
	return e == -EOPNOTSUPP || e == -ENOTTY || e == -EXDEV ||
	       e == -EINVAL || e == -ENOSYS || e == -EISDIR;
}

/* Open the source as a regular file. A single SRC is stat'ed first so that a
 * FIFO or a device is never opened; a tree entry is opened without following
 * a symlink and checked after. Returns the fd, ST filled. */
static int open_src(struct cl_link_ctx *c, int srcdir, const char *src, struct stat *st)
{
	int fd, e;

	if (!c->nofollow) {
		e = cl_fstatat(srcdir, src, st, 0);
		if (e)
			return e;
		if (S_ISDIR(st->st_mode))
			return -EISDIR;
		if (!S_ISREG(st->st_mode))
			return -EINVAL;
	}
	fd = cl_openat(srcdir, src, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC |
		       (c->nofollow ? O_NOFOLLOW : 0), 0);
	if (fd == -ELOOP && c->nofollow)
		return -EINVAL;
	if (fd == -EWOULDBLOCK) /* someone holds a write lease: about to write */
		return -ETXTBSY;
	if (fd < 0)
		return fd;
	e = cl_fstat(fd, st);
	if (!e && S_ISDIR(st->st_mode))
		e = -EISDIR;
	else if (!e && !S_ISREG(st->st_mode))
		e = -EINVAL;
	if (e) {
		cl_close(fd);
		return e;
	}
	return fd;
}

/* Read the raw mark of FD into BUF (CL_RECORD_MAX bytes): its length, 0 when
 * unmarked (or no xattrs here), -errno. Too long for us counts as malformed. */
static ssize_t mark_raw(int fd, char *buf)
{
	ssize_t n = cl_fgetxattr(fd, CL_XATTR, buf, CL_RECORD_MAX);

	if (n == -ENODATA || n == -EOPNOTSUPP)
		return 0;
	if (n == -ERANGE) {
		buf[0] = '?';
		return 1;
	}
	return n;
}

/* The write bits an existing mark stands for: its own, or for a malformed
 * one the owner's when the owner may read (fsck's rule). */
static mode_t mark_wbits(const char *buf, size_t n, mode_t mode)
{
	struct cl_record r;

	if (cl_record_parse(buf, n, &r) == 0)
		return r.wbits;
	return (mode & S_IRUSR) ? S_IWUSR : 0;
}

/* Link FD as BASE, or with REPLACE under a fresh hidden name TMP (for a
 * rename over BASE later); TMP is "" when BASE itself was made. */
static int put_name(struct cl_link_ctx *c, int fd, int pfd, const char *base,
		    bool replace, char *tmp, size_t n)
{
	tmp[0] = '\0';
	if (!replace)
		return cl_fd_link(fd, pfd, base, &c->no_empty_path);
	return cl_fd_link_tmp(fd, pfd, tmp, n, &c->no_empty_path);
}

/* Move the hidden name TMP to BASE in PFD: over it with REPLACE, else only
 * where BASE does not exist (-EEXIST). */
static int move_in(int pfd, const char *tmp, const char *base, bool replace)
{
	int e;

	if (replace)
		return cl_renameat2(pfd, tmp, pfd, base, 0);
	e = cl_renameat2(pfd, tmp, pfd, base, RENAME_NOREPLACE);
	if (e != -EINVAL && e != -ENOSYS)
		return e;
	/* No RENAME_NOREPLACE here: a second link, then TMP goes. */
	e = cl_linkat(pfd, tmp, pfd, base, 0);
	if (!e)
		(void)cl_unlinkat(pfd, tmp, 0);
	return e;
}

/* Make BASE in PFD an independent file with SFD's data (cloned when
 * CLONE_ONLY, else cloned or copied) and metadata as cp -p, the mode
 * presented with WBITS. Invisible until complete: O_TMPFILE, or a hidden
 * name where the filesystem has none. */
static int copy_to(struct cl_link_ctx *c, int sfd, const struct stat *st, mode_t wbits,
		   int pfd, const char *base, bool replace, bool clone_only, bool *cloned)
{
	char tmp[64] = "";
	int tfd, e;

	*cloned = false;
	tfd = cl_openat(pfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (tfd < 0 && unsupported(tfd)) {
		if (clone_only)
			return -EOPNOTSUPP;
		tfd = cl_tmp_create(pfd, tmp, sizeof tmp);
	}
	if (tfd < 0)
		return tfd;
	if (clone_only) {
		e = cl_ioctl(tfd, FICLONE, (void *)(intptr_t)sfd);
		*cloned = !e;
	} else {
		e = cl_copy_data(sfd, tfd, st, -1, 0, cloned);
	}
	if (e)
		goto out_close_tmp;
	e = cl_copy_meta(sfd, tfd, st, wbits, NULL);
	if (e)
		goto out_close_tmp;
	if (tmp[0]) { /* a hidden name already: rename it into place */
		if (replace)
			e = cl_renameat2(pfd, tmp, pfd, base, 0);
		else
			e = cl_renameat2(pfd, tmp, pfd, base, RENAME_NOREPLACE);
		if (e)
			goto out_close_tmp;
		tmp[0] = '\0';
	} else {
		e = put_name(c, tfd, pfd, base, replace, tmp, sizeof tmp);
		if (e)
			goto out_close_tmp;
		if (tmp[0]) {
			e = cl_renameat2(pfd, tmp, pfd, base, 0);
			if (e)
				goto out_close_tmp;
			tmp[0] = '\0';
		}
	}
out_close_tmp:
	if (tmp[0])
		(void)cl_unlinkat(pfd, tmp, 0);
	cl_close(tfd);
	return e;
}

/* Set (XFLAGS XATTR_CREATE / XATTR_REPLACE) or, with VAL NULL, remove the
 * mark. A user xattr needs write permission: for an owner whose file has no
 * owner write bit (mode MODE now), lend it for the call. Root never needs to. */
static int mark_op(int fd, const char *val, size_t n, int xflags, mode_t mode)
{
	int e, e2;

	e = val ? cl_fsetxattr(fd, CL_XATTR, val, n, xflags) : cl_mark_remove_fd(fd);
	if ((e != -EACCES && e != -EPERM) || (mode & S_IWUSR))
		return e;
	e = cl_fchmod(fd, mode | S_IWUSR);
	if (e)
		return e == -EPERM ? -EACCES : e;
	e = val ? cl_fsetxattr(fd, CL_XATTR, val, n, xflags) : cl_mark_remove_fd(fd);
	e2 = cl_fchmod(fd, mode);
	return e ? e : e2;
}

/* Is the raw record BUF (N bytes) one that cl_unshare_orphan is taking off? */
static bool is_dying(const char *buf, size_t n)
{
	struct cl_record r;

	return cl_record_parse(buf, n, &r) == 0 && r.dying;
}

/* After the link: is SFD's record still VAL (N bytes) and, when PROTECT,
 * the write bits still clear? Otherwise an orphan's unshare (break.c) began
 * before it could see our link, and takes the mark off: -EAGAIN, the link
 * must go and the whole cowlink be tried again from the inode as it is. */
static int still_ours(int sfd, const char *val, size_t n, bool protect)
{
	char buf[CL_RECORD_MAX];
	struct stat st;
	ssize_t got = mark_raw(sfd, buf);
	int e;

	if (got < 0)
		return (int)got;
	e = cl_fstat(sfd, &st);
	if (e)
		return e;
	if ((size_t)got != n || memcmp(buf, val, n) || (protect && (st.st_mode & 0222))) {
		cl_debug("link: the source is being unshared, again");
		return -EAGAIN;
	}
	return 0;
}

/* What cowlink() changed on the source, to put back on failure. */
struct undo {
	mode_t mode;             /* the mode before */
	bool chmoded;            /* write bits cleared */
	bool created;            /* the mark is ours */
	bool rewrote;            /* the mark was replaced: OLD holds it */
	char old[CL_RECORD_MAX];
	size_t oldlen;
};

/* Put the source back as it was: mode first (a user xattr needs write
 * permission), then the mark. Best effort: the first error is reported by
 * the caller already. */
static void undo_src(int fd, const struct undo *u)
{
	if (u->chmoded)
		(void)cl_fchmod(fd, u->mode);
	if (u->created)
		(void)mark_op(fd, NULL, 0, 0, u->mode);
	else if (u->rewrote)
		(void)mark_op(fd, u->old, u->oldlen, XATTR_REPLACE, u->mode);
}

/* Our link lost to an orphan's unshare (still_ours: the record changed
 * under us), which owns the source now and leaves it plain with its bits
 * back -- but our clearing of the write bits may have come after it put
 * them back, and nobody else would restore them: the next try would take
 * the cleared mode for the file's own (seen: a name's 0644 became 0444,
 * race-meta-relink). So wait for the unshare (the inode lock it holds) and,
 * where it left the source plain (one link, no mark), give back the bits we
 * took. A source marked again is a set or an orphan others look after. */
static void give_back_bits(int sfd, const struct undo *u)
{
	char buf[CL_RECORD_MAX];
	bool locked = cl_lock_inode(sfd);
	mode_t bits = u->mode & 0222;
	struct stat st;

	if (!cl_fstat(sfd, &st) && st.st_nlink == 1 && (st.st_mode & bits) != bits &&
	    mark_raw(sfd, buf) == 0) {
		cl_debug("link: an unshare finished under us, write bits given back");
		(void)cl_fchmod(sfd, (st.st_mode & 07777) | bits);
	}
	if (locked)
		cl_unlock_inode(sfd);
}

/* Note once per context that the source cannot be leased. */
static void note_no_lease(struct cl_link_ctx *c, const char *src, int why)
{
	if (c->lease_noted)
		return;
	c->lease_noted = true;
	cl_notef("no lease on '%s' (%s): a writer that has it open now would not be seen%s",
		 src, strerror(why), c->nofollow ? " (said once for the tree)" : "");
}

/* A record that says " unsharing" (break.c's cl_unshare_orphan): live, or
 * left by an unshare that crashed? A live unshare works through an fd it
 * holds open on the inode; with our read lease held (LEASED), a write lease
 * is granted only when no other file is open on it, so then nobody is
 * unsharing it. The word is then taken as the set's record, which the
 * rewrite in put_mark drops: the unshare's steps (bits back, mark off) are
 * undone by the link's own (mark, bits cleared). -EBUSY: it may be live. */
static int unsharing(int sfd, bool leased)
{
	if (leased && cl_lease_alone(sfd)) {
		cl_debug("link: the record says \" unsharing\" but nothing has the "
			 "source open: left by an unshare that did not finish, taken over");
		return 0;
	}
	return -EBUSY;
}

/* Give the source SFD its record REC, formatted into VAL (*N bytes): the
 * write bits WBITS (the source's, none with NO_PROTECT; fsck --adopt's own)
 * in a new mark, or merged into the set's mark when it has one (MARK,
 * MARKLEN > 0: read already). 0 or -errno (-EBUSY: an orphan's unshare may
 * be under way, see unsharing()); *U says what was changed, to undo
 * (nothing after a failure). */
static int put_mark(struct cl_link_ctx *c, int sfd, mode_t wbits, bool leased,
		    struct undo *u, struct cl_record *rec, char *val, size_t *n,
		    const char *mark, ssize_t marklen)
{
	ssize_t old;
	int e;

	rec->wbits = wbits & 0222;
	*n = cl_record_format(rec, val);
	/* MARK: the mark already read (MARKLEN > 0), to spare two calls on a
	 * source that is a set already. Not read yet: try to create it, one
	 * call for an unmarked source, or, where the last source had a mark
	 * (a tree linked again: all of them have), read it first, one call
	 * instead of a refused create (a journal handle on ext4) and the
	 * read. Either way it is read after the lease is taken and checked
	 * again after the link (still_ours), as the create's -EEXIST path
	 * always did. */
	if (marklen < 0 && c->marked_last) {
		marklen = mark_raw(sfd, u->old);
		if (marklen < 0)
			return (int)marklen;
		mark = u->old;
	}
	e = marklen > 0 ? -EEXIST : mark_op(sfd, val, *n, XATTR_CREATE, u->mode);
	c->marked_last = e == -EEXIST;
	if (e == -EEXIST) {
		if (marklen > 0 && mark != u->old)
			memcpy(u->old, mark, (size_t)marklen);
		old = marklen > 0 ? marklen : mark_raw(sfd, u->old);
		if (old < 0)
			return (int)old;
		u->oldlen = (size_t)old;
		if (old && is_dying(u->old, u->oldlen)) {
			e = unsharing(sfd, leased);
			if (e)
				return e;
		}
		/* Keep the set's bits, add those the owner restored behind
		 * the shim's back (they are about to be cleared again). */
		rec->wbits = (old ? mark_wbits(u->old, u->oldlen, u->mode) : 0) | rec->wbits;
		*n = cl_record_format(rec, val);
		e = 0;
		if (*n != u->oldlen || memcmp(val, u->old, *n)) {
			e = mark_op(sfd, val, *n, old ? XATTR_REPLACE : 0, u->mode);
			u->rewrote = old != 0;
			u->created = old == 0;
		}
	} else if (!e) {
		u->created = true;
	}
	if (e)
		u->created = u->rewrote = false;
	return e;
}

/* The source's part of a cowlink, shared by cowlink() and cl_link_adopt():
 * take the lease (*HELD says whether it is held), give SFD its record of
 * WBITS (put_mark), clear its write bits when PROTECT. 0 with the lease
 * still held, or -errno with the source as it was and the lease dropped. */
static int mark_src(struct cl_link_ctx *c, int sfd, const char *src, mode_t wbits,
		    bool protect, int *held, struct undo *u, struct cl_record *rec,
		    char *val, size_t *n, const char *mark, ssize_t marklen)
{
	int why, e;

	*held = cl_lease_take(sfd, &why, c->sigio_ignored);
	if (*held < 0)
		return *held;
	if (!*held)
		note_no_lease(c, src, why);

	/* The mark first: where user xattrs are missing nothing has changed. */
	e = put_mark(c, sfd, wbits, *held > 0, u, rec, val, n, mark, marklen);
	if (!e && protect && (u->mode & 0222)) {
		e = cl_fchmod(sfd, u->mode & ~(mode_t)0222);
		if (e)
			undo_src(sfd, u);
		else
			u->chmoded = true;
	}
	if (e && *held)
		cl_lease_drop(sfd);
	return e;
}

/* The cowlink proper, in docs/DESIGN.md §6's order: lease, record, protection,
 * link, re-check under the lease. Any failure leaves the source as it was
 * and BASE absent (or, with REPLACE, the old BASE in place). */
static int cowlink(struct cl_link_ctx *c, int sfd, const struct stat *st, const char *src,
		   int pfd, const char *base, bool replace, const char *mark, ssize_t marklen)
{
	struct undo u = { .mode = st->st_mode & 07777 };
	bool protect = !(c->flags & COWLINK_NO_PROTECT);
	struct cl_record rec = { CL_RECORD_VERSION, 0, false };
	char val[CL_RECORD_MAX], tmp[64];
	struct stat now;
	size_t n;
	int held, e;

	e = mark_src(c, sfd, src, protect ? u.mode & 0222 : 0, protect, &held, &u, &rec,
		     val, &n, mark, marklen);
	if (e) {
		cl_debug("link %s: failed (%d), source left as it was", base, -e);
		return e;
	}
	/* Under a hidden name first, whatever REPLACE says: the name must not
	 * be seen before the record is known to hold (below). */
	e = cl_fd_link_tmp(sfd, pfd, tmp, sizeof tmp, &c->no_empty_path);
	if (e)
		goto out_undo;
	e = still_ours(sfd, val, n, protect);
	if (e)
		goto out_unlink;
	if (held) {
		e = cl_lease_recheck(sfd);
		if (e)
			goto out_unlink;
	}
	e = move_in(pfd, tmp, base, replace);
	if (e)
		goto out_unlink;
	/* Renaming onto another name of the same inode (someone linked it
	 * there meanwhile) is a POSIX no-op that leaves TMP. Only a rename
	 * over BASE can meet that: one with RENAME_NOREPLACE fails on any
	 * BASE, and move_in's fallback took TMP away itself. */
	if (replace)
		(void)cl_unlinkat(pfd, tmp, 0);
	/* Tell the user's processes what they would read: presenting the new
	 * set (ls -l, make, grep -r) then costs them no read of the mark. */
	if (cl_fstat(sfd, &now) == 0)
		cl_presentcache_put(&now, 1, &rec);
	cl_debug("link %s: cowlink (%s, record w=%04o)", base,
		 held ? "leased" : "no lease", (unsigned)rec.wbits);
	return 0;

out_unlink:
	(void)cl_unlinkat(pfd, tmp, 0);
	if (e == -EAGAIN) {
		/* An unshare owns the source now: leave it to it, but for the
		 * bits we cleared. */
		if (u.chmoded)
			give_back_bits(sfd, &u);
		goto out;
	}
out_undo:
	undo_src(sfd, &u);
out:
	/* Let a writer waiting for our lease go on now, not when the caller
	 * closes the source: it may be all that keeps a retry from working. */
	if (held)
		cl_lease_drop(sfd);
	cl_debug("link %s: failed (%d), source left as it was", base, -e);
	return e;
}

/* cowlink(), tried again while the source is busy (-ETXTBSY) for up to
 * CL_BUSY_WAIT_MS. A write-open through the shim opens a name before it can
 * tell it is a cowlink (root gets past protection) and closes it again at
 * once, but on a loaded machine "at once" can be tens of milliseconds; such
 * an open refuses our lease or breaks it. A failed try left the source as
 * it was; a writer that really holds the file open still makes it fail.
 * -EAGAIN (an orphan's unshare raced us) and -EBUSY (one may be under way)
 * are tried again the same way, from the source's mode and record as they
 * are then; -EBUSY is the answer if it stays. */
#define CL_BUSY_WAIT_MS 1000

static int cowlink_when_idle(struct cl_link_ctx *c, int sfd, const struct stat *st,
			     const char *src, int pfd, const char *base, bool replace,
			     const char *mark, ssize_t marklen)
{
	struct cl_backoff b;
	struct stat now = *st;
	int e;

	cl_backoff_start(&b);
	for (;;) {
		e = cowlink(c, sfd, &now, src, pfd, base, replace, mark, marklen);
		if ((e != -ETXTBSY && e != -EAGAIN && e != -EBUSY) ||
		    !cl_backoff_wait(&b, CL_BUSY_WAIT_MS))
			break;
		if (e != -ETXTBSY) {
			marklen = -1; /* read it again */
			e = cl_fstat(sfd, &now);
			if (e)
				break;
		}
	}
	return e == -EAGAIN ? -ETXTBSY : e;
}

int cl_link_adopt(int sfd, const struct stat *st, const char *src, mode_t wbits)
{
	struct undo u = { .mode = st->st_mode & 07777 };
	struct cl_record rec = { CL_RECORD_VERSION, 0, false };
	char val[CL_RECORD_MAX];
	struct cl_link_ctx c;
	struct stat now;
	size_t n;
	int held, e;

	if (!S_ISREG(st->st_mode) || st->st_nlink < 2)
		return -EINVAL;
	cl_link_ctx_init(&c, 0);
	e = mark_src(&c, sfd, src, wbits, true, &held, &u, &rec, val, &n, NULL, -1);
	if (e)
		return e;
	/* A writer that opened it while we marked: take it all back. */
	if (held) {
		e = cl_lease_recheck(sfd);
		if (e)
			undo_src(sfd, &u);
		cl_lease_drop(sfd);
	}
	if (!e && cl_fstat(sfd, &now) == 0)
		cl_presentcache_put(&now, 1, &rec);
	cl_debug("adopt %s: %s (record w=%04o)", src, e ? "failed" : "marked",
		 (unsigned)rec.wbits);
	return e;
}

int cl_link_open(struct cl_link_ctx *c, int srcdir, const char *src, struct stat *st)
{
	return open_src(c, srcdir, src, st);
}

ssize_t cl_link_mark(int sfd, char *buf)
{
	return mark_raw(sfd, buf);
}

#define SAME_INODE(a, b) ((a).st_dev == (b).st_dev && (a).st_ino == (b).st_ino)

/* Try a clone of SFD (ST its stat, WBITS the recorded write bits) as BASE
 * in PFD before anything else. 0: cloned (*HOW says so); -errno: the answer
 * (-EOPNOTSUPP for --reflink=always); 1: no clone here (c->clone learns it
 * unless the error may be about this file only), go on to link. */
static int clone_first(struct cl_link_ctx *c, int sfd, const struct stat *st, mode_t wbits,
		       int pfd, const char *base, bool replace, enum cowlink_how *how)
{
	bool cloned;
	int e = copy_to(c, sfd, st, wbits, pfd, base, replace, true, &cloned);

	if (!e) {
		c->clone = CL_YES;
		*how = COWLINK_CLONED;
		return 0;
	}
	if (!unsupported(e))
		return e;
	if (c->flags & COWLINK_REFLINK_ALWAYS)
		return -EOPNOTSUPP;
	if (e != -EINVAL) /* EINVAL may be about this file only */
		c->clone = CL_NO;
	cl_debug("link %s: no clone here (%d), cowlink", base, -e);
	return 1;
}

/* Before linking SFD (ST its stat) as BASE in PFD, which may exist
 * (c->check_dst): true when that settles it, *E then being cl_link_fd()'s
 * answer -- BASE is SFD's inode already, or may not be replaced (no -f, a
 * directory) -- else false with *REPLACE saying whether BASE exists. BUF,
 * *MARKED: SFD's mark (length, or -1 when not read yet), read here if it
 * has to be. */
static bool look_at_dst(struct cl_link_ctx *c, int sfd, const struct stat *st, int pfd,
			const char *base, char *buf, ssize_t *marked, bool *replace,
			enum cowlink_how *how, int *e)
{
	struct stat dst;

	*e = cl_fstatat(pfd, base, &dst, AT_SYMLINK_NOFOLLOW);
	if (!*e && SAME_INODE(dst, *st)) {
		if (*marked < 0)
			*marked = mark_raw(sfd, buf);
		/* Unmarked: a plain hard link -- or a break renamed a
		 * copy over DST and unshared SRC, the set's last name
		 * now, between the stat and the read: then DST is
		 * another inode, to replace as any other file. */
		if (*marked == 0)
			*e = cl_fstatat(pfd, base, &dst, AT_SYMLINK_NOFOLLOW);
	}
	if (!*e && SAME_INODE(dst, *st)) {
		/* DST is SRC already: a cowlink of it (nothing to do
		 * with -f; File exists without, as ln says), or the
		 * same unmarked file (c->same). */
		*e = *marked < 0 ? (int)*marked :
		     *marked > 0 && (c->flags & COWLINK_FORCE) ? 0 : -EEXIST;
		c->same = *e == -EEXIST && *marked == 0;
		*how = COWLINK_LINKED;
		return true;
	}
	if (!*e && !(c->flags & COWLINK_FORCE)) {
		*e = -EEXIST;
		return true;
	}
	if (!*e && S_ISDIR(dst.st_mode)) {
		*e = -EISDIR;
		return true;
	}
	if (*e && *e != -ENOENT)
		return true;
	*replace = !*e;
	return false;
}

int cl_link_fd(struct cl_link_ctx *c, int sfd, const struct stat *stp, const char *src,
	       int pfd, const char *base, const char *mark, ssize_t marklen,
	       enum cowlink_how *how)
{
	unsigned flags = c->flags;
	char buf[CL_RECORD_MAX];
	struct stat st = *stp;
	bool replace = false, try_clone, cloned;
	mode_t wbits = 0;
	ssize_t marked = marklen;
	int e;

	c->same = false;
	c->copied = CL_COPY_NONE;
	c->orphan = false;
	c->bytes = (uint64_t)st.st_size;
	if (marklen > 0)
		memcpy(buf, mark, (size_t)marklen);
	if (c->check_dst && look_at_dst(c, sfd, &st, pfd, base, buf, &marked, &replace,
					how, &e))
		return e;

	/* A copy presents the mode the shim would: with the recorded bits. */
	/* --reflink=always tries even where the hint says no: its error is
	 * the answer the caller asked for. */
	try_clone = !(flags & COWLINK_REFLINK_NEVER) &&
		    (c->clone != CL_NO || (flags & COWLINK_REFLINK_ALWAYS));
	if (marked < 0 && (try_clone || st.st_nlink > 1 || st.st_dev != c->dst_dev)) {
		marked = mark_raw(sfd, buf);
		if (marked < 0)
			return (int)marked;
	}
	if (marked > 0)
		wbits = mark_wbits(buf, (size_t)marked, st.st_mode);

	/* The mark is known wherever the source is not linked: a protected
	 * orphan then stays one, for the caller to tell (no extra call). */
	if (marked > 0 && st.st_nlink == 1 && !(st.st_mode & 0222))
		c->orphan = true;
	if (try_clone) {
		e = clone_first(c, sfd, &st, wbits, pfd, base, replace, how);
		if (e <= 0)
			return e;
	}

	if (st.st_dev != c->dst_dev) {
		e = -EXDEV;
		goto out_xdev;
	}
	if (st.st_nlink > 1 && marked <= 0 && !(flags & COWLINK_ADOPT)) {
		/* Plain hard links share writes on purpose: do not make them a
		 * set behind their owner's back. */
		cl_debug("link %s: source has other hard links, copying", base);
		c->copied = CL_COPY_HARDLINKS;
		goto out_copy;
	}
	e = cowlink_when_idle(c, sfd, &st, src, pfd, base, replace, buf, marked);
	if (!e) {
		c->orphan = false; /* one of a set now */
		*how = COWLINK_LINKED;
		return 0;
	}
	if (e == -EMLINK) {
		cl_debug("link %s: link limit, a new shared inode from a copy", base);
		c->copied = CL_COPY_LINK_MAX;
		goto out_copy;
	}
out_xdev:
	if (e != -EXDEV || !(flags & COWLINK_COPY_XDEV))
		return e;
	c->copied = CL_COPY_XDEV;
out_copy:
	e = copy_to(c, sfd, &st, wbits, pfd, base, replace, false, &cloned);
	if (!e)
		*how = cloned ? COWLINK_CLONED : COWLINK_COPIED;
	if (e || cloned)
		c->copied = CL_COPY_NONE;
	return e;
}

int cl_link_one(struct cl_link_ctx *c, int srcdir, const char *src, int pfd,
		const char *base, enum cowlink_how *how)
{
	struct stat st;
	int sfd, e;

	c->same = false;
	c->copied = CL_COPY_NONE;
	c->bytes = 0;
	sfd = open_src(c, srcdir, src, &st);
	if (sfd < 0)
		return sfd;
	e = cl_link_fd(c, sfd, &st, src, pfd, base, NULL, -1, how);
	cl_close(sfd);
	return e;
}

int cowlink_link_at(int srcdir, const char *src, int dstdir, const char *dst,
		    unsigned flags, enum cowlink_how *how)
{
	char dir[PATH_MAX];
	const char *base;
	enum cowlink_how h = 0;
	struct cl_link_ctx c;
	struct stat pst;
	int saved = errno, pfd, e;

	if (!src || !dst)
		return -EFAULT;
	if ((flags & COWLINK_REFLINK_ALWAYS) && (flags & COWLINK_REFLINK_NEVER))
		return -EINVAL;
	base = cl_path_base(dst);
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return -EISDIR;
	if (!cl_path_split(dst, dir, sizeof dir))
		return -ENAMETOOLONG;
	pfd = cl_openat(dstdir, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (pfd < 0)
		return pfd;
	e = cl_fstat(pfd, &pst);
	if (e)
		goto out_close;
	cl_link_ctx_init(&c, flags);
	c.clone = cl_link_clone_hint(pfd);
	c.check_dst = true;
	c.dst_dev = pst.st_dev;
	e = cl_link_one(&c, srcdir, src, pfd, base, &h);
	if (!e && how)
		*how = h;
out_close:
	cl_close(pfd);
	errno = saved;
	return e;
}

int cowlink_link(const char *src, const char *dst, unsigned flags, enum cowlink_how *how)
{
	return cowlink_link_at(AT_FDCWD, src, AT_FDCWD, dst, flags, how);
}
