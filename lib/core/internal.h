/* SPDX-License-Identifier: MIT */
/* lib/core internals: the engine shared by its modules, the shim, the
 * linking code (lib/link) and the supervisor (lib/run); the bundled tools
 * use cowlink-tools.h instead.
 * cl_* names; all return 0 (or a count) or -errno and leave errno alone only
 * where they say so. Everything here is hidden from libcowlink.so's exports. */
#ifndef CL_INTERNAL_H
#define CL_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "cowlink.h"
#include "config.h"
#include "record.h"
#include "sys.h"
#include "path.h"

/* Hidden names a break or a link may leave after a crash between link-in and
 * rename: ".cowlink-tmp.<pid>.<n>". cowlink fsck removes them. */
#define CL_TMP_PREFIX ".cowlink-tmp."

/* Symlinks followed before ELOOP, as the kernel does. */
#define CL_SYMLOOP_MAX 40

/* The one retry bound (docs/DESIGN.md §4, "Retry bounds"): how often a
 * write-open or a metadata change breaks, opens and looks again, and how
 * often a break starts over, before giving up (CL_ESHARED, or ELOOP from a
 * break). Each round means someone changed the name under us: made it a
 * cowlink again, renamed a copy over it, swapped a symlink. 8 was seen to
 * run out under load (race-meta-relink: two processes changing one name
 * while cowln -f relinks it, on a busy machine); 32 has not. */
#define CL_LOOK_TRIES 32

/* ETXTBSY is the shim's answer wherever it cannot give the caller a private
 * file: a writable fd on a shared inode that something opened bypassing the
 * shim, a magic link (/proc/self/fd/N, /dev/stdout) whose name no longer
 * names the fd's inode, open_by_handle_at for writing on a cowlink (a handle
 * has no name to break). "Text file busy": the file is in use by others. */
#define CL_ESHARED ETXTBSY

/* ---- resolve.c: following a final symlink ------------------------------- */

/* What cl_resolve promises, the one difference between its two callers. */
enum cl_resolve_how {
	/* The shim's decisions (docs/DESIGN.md §4): a lookup error comes
	 * out (ENOENT after a followed link as -CL_ESHARED: the link was
	 * changed under us), and a followed result is trusted only if a
	 * following stat of PATH shows the same (dev, ino), else
	 * -CL_ESHARED. */
	CL_RESOLVE_PROVE,
	/* The break, which looks again under its lock: a lookup error ends
	 * the walk with 0 and the name as far as it was followed, for the
	 * locked re-check to report; no proof. */
	CL_RESOLVE_LOOSE,
};

/* Follow the final symlinks of DIRFD/PATH by readlink -- magic links such as
 * /proc/self/fd/N and /dev/stdout included -- into OUT (PATH_MAX bytes; may
 * be PATH itself), a name relative to DIRFD whose last component is not a
 * symlink, with its lstat in *ST (undefined after a LOOSE lookup error). A
 * relative target is relative to the link's own directory. 0 or -errno:
 * ELOOP after CL_SYMLOOP_MAX links, ENAMETOOLONG, a readlink error, and
 * with PROVE what HOW says. */
int cl_resolve(int dirfd, const char *path, char *out, struct stat *st,
	       enum cl_resolve_how how);

/* ---- verdict.c: is it a cowlink? (docs/DESIGN.md §4, "One decision") ---- */

/* The object a call will act on, pinned before it is decided on. */
struct cl_pin {
	int fd;                /* an fd on it, any mode, O_PATH too; -1: by name */
	bool opath;            /* FD is O_PATH, known to be: its mark is read by
				* its /proc/self/fd name at once (fgetxattr
				* refuses it with EBADF) */
	int dirfd;             /* FD < 0: DIRFD/PATH names it, a final symlink */
	const char *path;      /* followed (NULL: no name known); ignored for FD >= 0 */
	const struct stat *st; /* its (f)stat */
	int mark;              /* in: 1 / 0, the mark is known (a cache of the
				* caller's; *R filled for 1), -1 read it; out: the
				* mark as read here (1 / 0), else -1 */
};

/* What cl_verdict answers. */
enum { CL_VERDICT_PLAIN = 0, CL_VERDICT_COWLINK = 1, CL_VERDICT_ORPHAN = 2 };

/* How cl_verdict answers: where its callers deliberately differ. */
enum {
	/* A regular file with one name and the mark is CL_VERDICT_ORPHAN
	 * (without it, one name is CL_VERDICT_PLAIN with no call). */
	CL_VERDICT_ORPHANS = 1,
	/* The supervisor's over-approximation, for its loop, which must not
	 * wait: with COWLINK_TREES set every regular file with several names
	 * counts, whatever its directory, and so does one whose mark cannot
	 * be read (any error). Its worker's break looks again under the
	 * break lock, by the name it breaks (cl_break_opts.scope), and that
	 * decides. Without it (the shim, which writes by the answer): scope
	 * by the object's verified name, and a mark the caller may not read
	 * (EACCES, EPERM) is none. */
	CL_VERDICT_WIDE = 2,
};

/* The one decision of the shim and the supervisor: is P's object a
 * cowlink -- a regular file with several names that carries the mark, or
 * (unmarked) whose directory is under COWLINK_TREES? CL_VERDICT_COWLINK (*R
 * filled: recorded bits, version 0 for a malformed record or an unmarked
 * scope file), CL_VERDICT_ORPHAN (FLAGS: CL_VERDICT_ORPHANS), 0, or -errno.
 * The mark is read from P->fd (cl_mark_read_pinned), else at P->path and,
 * when that shows none, at its resolved target (cl_resolve, PROVE). Scope
 * goes by the pinned fd's name (cl_fd_path: none when it is gone or leads
 * elsewhere now) or the resolved PATH. No call for what is not a regular
 * file, or has one name without CL_VERDICT_ORPHANS. errno may change. */
int cl_verdict(struct cl_pin *p, unsigned flags, struct cl_record *r);

/* The name FD was opened by: readlink of /proc/self/fd/FD, trusted only when
 * a stat of that path shows FDST's (dev, ino). PATH gets PATH_MAX bytes. 0,
 * or -errno: -CL_ESHARED when FD has no trustworthy name (unlinked,
 * renamed since, not a file, no /proc here). */
int cl_fd_path(int fd, const struct stat *fdst, char *path);

/* Is the directory that holds DIRFD/NAME (NAME's last component not a
 * symlink) under COWLINK_TREES? */
bool cl_name_in_scope(int dirfd, const char *name);

/* ---- fdname.c: the names the core gives to what it holds ---------------- */

/* Hidden names tried before giving up with EEXIST. */
#define CL_TMP_TRIES 100
/* The size of a buffer for cl_proc_fd_path. */
#define CL_PROC_FD_MAX 32

/* "/proc/self/fd/<fd>" into BUF (CL_PROC_FD_MAX bytes) without stdio, which
 * is not async-signal-safe. */
void cl_proc_fd_path(int fd, char *buf);
/* Is /proc missing here (a mount namespace or chroot without it)? Asked
 * after a /proc/self/fd name answered ENOENT: one fstatat, and once it
 * says yes, cl_proc_gone() says so without a call for the rest of the
 * process, whose fds then have no names to be found (docs/DESIGN.md §4,
 * "Without /proc"). */
bool cl_proc_missing(void);
bool cl_proc_gone(void);
/* The next hidden name, CL_TMP_PREFIX "<pid>.<counter>" (cowlink fsck knows
 * the pattern: a name whose process is alive is in use), into BUF. The pid
 * is asked of the kernel each time: a remembered one would be the parent's
 * in a child that a raw clone() made, past any atfork handler. A program
 * that never forks (cowln) may pin it once with cl_tmp_pin_pid, which
 * spares `cowln -r` one system call a file. */
void cl_tmp_name(char *buf, size_t n);
void cl_tmp_pin_pid(void);
/* Create a new empty file (0600, O_RDWR) under a fresh hidden name TMP (N
 * bytes) in PFD, for a filesystem without O_TMPFILE: the fd, or -errno
 * with TMP "". */
int cl_tmp_create(int pfd, char *tmp, size_t n);
/* Link the file open as FD (an O_TMPFILE one too) as NAME in PFD: linkat
 * AT_EMPTY_PATH, or the /proc/self/fd link where AT_EMPTY_PATH needs a
 * capability we lack (*NO_EMPTY_PATH then set, so that the next call of a
 * context goes there at once). 0 or -errno. */
int cl_fd_link(int fd, int pfd, const char *name, bool *no_empty_path);
/* The same under a fresh hidden name TMP (N bytes; "" on failure). */
int cl_fd_link_tmp(int fd, int pfd, char *tmp, size_t n, bool *no_empty_path);

/* ---- record.c: record.h; config.c: config.h ----------------------------- */

/* V in decimal at OUT (10 bytes suffice), no NUL; returns the length.
 * Without stdio, which is not async-signal-safe. */
static inline size_t cl_utoa(unsigned v, char *out)
{
	char digits[10];
	size_t n = 0, len;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (len = n; n; )
		*out++ = digits[--n];
	return len;
}

/* An answer that may be "cannot say", kept apart from -errno (-1 is
 * -EPERM). */
enum cl_maybe { CL_NO = 0, CL_YES = 1, CL_UNKNOWN = 2 };

/* ---- presentcache.c: marks remembered across one user's processes ------ */

/* For presentation only: never decide a write by it. Is the inode ST
 * describes (a regular file with st_nlink > 1) marked? CL_YES (*r filled),
 * CL_NO, CL_UNKNOWN. No system call but on the first use in a process,
 * which maps the cache (COWLINK_CACHE: a path, or "off"). */
enum cl_maybe cl_presentcache_get(const struct stat *st, struct cl_record *r);
/* Remember what a real read of the mark of ST's inode found (MARKED 1/0). */
void cl_presentcache_put(const struct stat *st, int marked, const struct cl_record *r);
/* The bucket ST's inode goes to (tests: to crowd one). */
size_t cl_presentcache_bucket(const struct stat *st);

/* ---- break.c: giving a name its private copy (docs/DESIGN.md §5) --------- */

/* What the call a break comes before needs of the caller, so that a refused
 * break fails it with the errno the real call would have given. */
enum cl_need {
	CL_NEED_WRITE = 0,      /* write-open, truncate, setxattr: write permission, else EACCES */
	CL_NEED_OWNER,          /* chmod, chown, utimes with times, flags: owner or CAP_FOWNER, else EPERM */
	CL_NEED_WRITE_OR_OWNER, /* utimes to now: either, else EACCES */
};

/* A change that may leave a cowlink as it is (docs/DESIGN.md §4: a change that
 * changes nothing breaks nothing). The break asks TEST under its lock, with
 * FD open on the shared inode, its stat ST and the mode the name presents
 * (SHOWN): 1 the change would change nothing, -errno the call would fail
 * without a change (XATTR_CREATE of an attribute it has), 0 a real change.
 * TEST makes the permission check the kernel would make for the call
 * (cl_may_change). On a nonzero answer nothing is broken, HIT is set and
 * RESULT (0 or -errno) is what the call returns. */
struct cl_same {
	int (*test)(int fd, const struct stat *st, mode_t shown, const void *arg);
	const void *arg;
	bool hit;
	int result;
};

struct cl_break_opts {
	off_t keep;          /* -1: copy everything; n >= 0: only the first n bytes */
	bool nofollow;       /* do not follow a final symlink (lchmod, O_NOFOLLOW) */
	bool scope;          /* treat an unmarked multi-link inode as a cowlink */
	dev_t dev;           /* when ino != 0: only break if the name still is this inode */
	ino_t ino;
	enum cl_need need;   /* default CL_NEED_WRITE */
	struct cl_same *same; /* NULL, or the change may turn out to be none */
	ino_t *made;         /* NULL, or set to the new inode's number when a
				copy replaced the name (identity, §4) */
};

/* Break NAME relative to DIRFD (AT_FDCWD or a directory fd). 0 when the name
 * now has a private inode or never needed one (not a cowlink, already
 * broken by someone else). A final symlink is followed unless o->nofollow.
 * Orphaned marks (one name left) are unshared in place. Errors: what
 * cl_may_break says, -EWOULDBLOCK when the directory lock stays busy past
 * cl_lock_wait_ms, else the kernel's errno; the name is then unchanged.
 * Keeps errno. */
int cl_break_at(int dirfd, const char *name, const struct cl_break_opts *o);

/* Make FD (open with status flags FL) an fd on the file NAME instead, with
 * the same access mode and status flags, offset and close-on-exec: how an
 * inherited writable fd on a shared inode is given its name's private copy
 * once that is broken. 0 or -errno (FD unchanged). */
int cl_fd_reopen(int fd, const char *name, int fl);

/* Unshare in place an inode that has the mark but one name: restore the
 * recorded write bits, then remove the mark. FD is any fd on it (not O_PATH).
 * A link made meanwhile (cowlink_link) wins: -EAGAIN, the inode is a set
 * again with its record and protection as they were. 0 also when someone
 * else unshared it first. */
int cl_unshare_orphan(int fd, const struct stat *st, const struct cl_record *r);

/* makedev(), inline in every build: glibc's is a call of gnu_dev_makedev
 * where the compiler does not inline (-O0), which would add GLIBC_2.3.3 to
 * the versions the shim needs (lib/preload/versions.c). */
static inline dev_t cl_makedev(dev_t maj, dev_t min)
{
	return ((maj & 0xfffu) << 8) | ((maj & ~(dev_t)0xfffu) << 32) | (min & 0xffu) |
	       ((min & ~(dev_t)0xffu) << 12);
}

/* ---- ordered.c: durability ---------------------------------------------- */

/* Does a rename replacing a name on the filesystem DEV (of type FTYPE, the
 * f_type of statfs) write the new file's data before it commits? btrfs, and
 * ext4 unless mounted with noauto_da_alloc or data=writeback (read from
 * /proc/self/mountinfo once per filesystem and process). When false, a
 * break under COWLINK_FSYNC=auto syncs its copy (docs/DESIGN.md §5). */
bool cl_rename_orders_data(long ftype, dev_t dev);

/* ---- copy.c: data and metadata ------------------------------------------ */

/* How cl_copy_data may go about it. */
enum {
	CL_COPY_NOCLONE = 1, /* the filesystem cannot clone (ext4): do not ask */
	/* The copy goes to disk before it replaces the name anyway (the
	 * fdatasync of docs/DESIGN.md §5, or the flush of a replacing rename on
	 * ext4 and btrfs): start writeback chunk by chunk while copying, so the
	 * disk writes while the rest copies and the rename finds little left. */
	CL_COPY_FLUSH = 2,
};

/* Copy the first LEN bytes (or all when LEN < 0) of IN (whose fstat is ST)
 * to OUT (both at offset 0, OUT empty): FICLONE, else copy_file_range per
 * data extent (holes kept), else read/write. FLAGS: CL_COPY_*. *cloned is
 * set when FICLONE did it. */
int cl_copy_data(int in, int out, const struct stat *st, off_t len, unsigned flags,
		 bool *cloned);
/* Copy metadata as cp -p does, in docs/DESIGN.md §5 step 4's order: owner,
 * xattrs but the mark, ACL (or none), security labels where permitted, mode |
 * WBITS, then atime/mtime from ST. *INO (unless NULL) gets OUT's inode number. */
int cl_copy_meta(int in, int out, const struct stat *st, mode_t wbits, ino_t *ino);
/* The xattrs of IN but the mark, its ACL (or none), with DIR its default
 * ACL too, then its security labels where permitted, onto OUT. */
int cl_copy_xattrs(int in, int out, bool dir);

/* ---- perm.c: who may break ---------------------------------------------- */

/* May the caller (fsuid, fsgid, groups; capabilities) make the change NEED
 * describes to a file presented with mode MODE (ACL of FD honoured, its mask
 * taken as MODE's group bits), and give the copy the owner and group of ST
 * (owner and member of the group, or CAP_CHOWN)? 0, -EPERM (CL_NEED_OWNER
 * refused) or -EACCES. */
int cl_may_break(int fd, const struct stat *st, mode_t mode, enum cl_need need);
/* The same without the owner and group to keep: may the caller make that
 * change in place, as the kernel would let it on a plain file of mode MODE?
 * For an orphan unshared in place, and a change that turns out to change
 * nothing (no copy is made either way). */
int cl_may_change(int fd, const struct stat *st, mode_t mode, enum cl_need need);
/* Is capability CAP in the calling thread's effective set? */
bool cl_capable(unsigned cap);

/* ---- lock.c: the break lock, the inode lock ----------------------------- */

/* flock(LOCK_EX|LOCK_NB) on DIRFD with a bounded retry; -EWOULDBLOCK after
 * cl_lock_wait_ms (default CL_LOCK_WAIT_MS; tests lower it), other flock
 * errors (EBADF on O_PATH, ENOLCK) at once. cl_unlock_dir releases it. */
#define CL_LOCK_WAIT_MS 120000u
extern unsigned cl_lock_wait_ms;
int cl_lock_dir(int dirfd);
void cl_unlock_dir(int dirfd);

/* The inode lock: flock(LOCK_EX|LOCK_NB) on a file's own fd (any open mode),
 * tried for at most CL_INODE_WAIT_MS. Held by an orphan's unshare for its
 * few calls, and by a linker that lost to one before it gives back the
 * write bits it cleared (docs/DESIGN.md §4, Names). False without it (held
 * that long -- a user's own flock of the file looks the same --, or no
 * flock here): the caller goes on, unlocked. cl_unlock_inode releases it. */
#define CL_INODE_WAIT_MS 200u
bool cl_lock_inode(int fd);
void cl_unlock_inode(int fd);

/* A bounded retry: cl_backoff_start, then after each failed try
 * cl_backoff_wait naps (50 us, doubling up to 20 ms) and says whether to
 * try again -- false, without a nap, once LIMIT_MS have passed. */
struct cl_backoff {
	struct timespec start;
	long us;
};
void cl_backoff_start(struct cl_backoff *b);
bool cl_backoff_wait(struct cl_backoff *b, unsigned limit_ms);

/* ---- scope.c: COWLINK_TREES --------------------------------------------- */

/* Parse a colon-separated list of directories; remembers their (dev, ino).
 * An entry that is not a directory (or too long, or past the 16th) is
 * dropped: DROPPED (may be NULL) hears of each, and the first error is
 * returned after the others were taken. */
int cl_scope_init(const char *trees, void (*dropped)(const char *entry, int err));
/* Is the directory DIRFD (or the parent of the file at PATH when DIRFD is
 * AT_FDCWD) at or under one of the scope trees? Cached per directory. */
bool cl_scope_active(void);
bool cl_scope_contains_dir(int dirfd, const char *dirpath);

#endif
