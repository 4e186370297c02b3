/* lib/core internals shared by the modules, the shim and the tools.
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
#include "sys.h"

#define CL_XATTR "user.cowlink"

/* Hidden names a break or a link may leave after a crash between link-in and
 * rename: ".cowlink-tmp.<pid>.<n>". cowlink fsck removes them. */
#define CL_TMP_PREFIX ".cowlink-tmp."

/* Symlinks followed before ELOOP, as the kernel does. */
#define CL_SYMLOOP_MAX 40

/* ---- fdname.c: the names the core gives to what it holds ---------------- */

/* Hidden names tried before giving up with EEXIST. */
#define CL_TMP_TRIES 100
/* The size of a buffer for cl_proc_fd_path. */
#define CL_PROC_FD_MAX 32

/* "/proc/self/fd/<fd>" into BUF (CL_PROC_FD_MAX bytes) without stdio, which
 * is not async-signal-safe. */
void cl_proc_fd_path(int fd, char *buf);
/* The next hidden name, CL_TMP_PREFIX "<pid>.<counter>" (cowlink fsck knows
 * the pattern: a name whose process is alive is in use), into BUF. */
void cl_tmp_name(char *buf, size_t n);
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

/* ---- record.c: the user.cowlink record ---------------------------------- */

#define CL_RECORD_VERSION 1
#define CL_RECORD_MAX 32

struct cl_record {
	unsigned version; /* 0 when the record was malformed or of an unknown version */
	mode_t wbits;     /* the write bits protection cleared (subset of 0222) */
	bool dying;       /* " unsharing": cl_unshare_orphan is taking the mark off */
};

/* Parse a record value ("cowlink v1 w=0222", " unsharing" may follow while
 * cl_unshare_orphan works). 0: *r is filled. -EINVAL: malformed, -EPROTO:
 * unknown version; in both cases *r is {0, 0}: treat as a cowlink. */
int cl_record_parse(const void *buf, size_t len, struct cl_record *r);
/* Format *r into buf (CL_RECORD_MAX bytes); returns the length, no NUL. */
size_t cl_record_format(const struct cl_record *r, char *buf);

/* Read the mark of an open fd (any access mode but O_PATH) or of a path
 * (not following a final symlink). 1: marked, *r filled (malformed records
 * give version 0); 0: not marked (or no xattr support); -errno otherwise. */
int cl_mark_read_fd(int fd, struct cl_record *r);
int cl_mark_read_path(const char *path, struct cl_record *r);
/* The same by getxattr(2), which follows a final symlink or magic link
 * (/proc/PID/fd/N, /proc/PID/cwd/...) on every kernel: the supervisor's
 * names for a target's files. */
int cl_mark_read_deref(const char *path, struct cl_record *r);
/* Read the mark of NAME in directory DIRFD (no xattr *at call before Linux
 * 6.13: goes through /proc/self/fd/DIRFD/NAME or NAME itself for AT_FDCWD). */
int cl_mark_read_at(int dirfd, const char *name, struct cl_record *r);
/* The same, following a final symlink (cl_mark_read_deref for a path from
 * AT_FDCWD; getxattrat, else /proc/self/fd/DIRFD/NAME, for the others). */
int cl_mark_read_follow(int dirfd, const char *path, struct cl_record *r);
/* Write (XFLAGS: 0, XATTR_CREATE or XATTR_REPLACE) or remove the mark on an fd. */
int cl_mark_write_fd(int fd, const struct cl_record *r, int xflags);
int cl_mark_remove_fd(int fd);

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

/* ---- config.c: settings, read once by the shim or the tool -------------- */

enum cl_fsync { CL_FSYNC_AUTO, CL_FSYNC_ALWAYS, CL_FSYNC_NEVER };

struct cl_config {
	enum cl_fsync fsync;
	bool debug;           /* COWLINK_DEBUG: one "cowlink:" line per decision */
	const char *cache;    /* COWLINK_CACHE: NULL for the default shared mark cache */
};
extern struct cl_config cl_cfg;

/* Read COWLINK_FSYNC, COWLINK_DEBUG and COWLINK_CACHE with secure_getenv. */
void cl_config_load(void);
/* Does the colon-separated COWLINK_EXCLUDE LIST name the program whose
 * executable EXE_LINK (a /proc/.../exe link) leads to, or whose argv[0] is
 * ARGV0 (may be NULL)? */
bool cl_excluded(const char *list, const char *exe_link, const char *argv0);
/* One "cowlink: ..." line on stderr when debugging; keeps errno. The test
 * is inline: a decision that is not printed costs no call. */
void cl_debug_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same line whether debugging or not: for what a user must hear about
 * (a COWLINK_TREES entry dropped). Keeps errno. */
void cl_warn_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define cl_debug(...)                                                      \
	do {                                                               \
		if (__builtin_expect(cl_cfg.debug, 0))                     \
			cl_debug_line(__VA_ARGS__);                        \
	} while (0)

/* An answer that may be "cannot say", kept apart from -errno (-1 is
 * -EPERM). */
enum cl_maybe { CL_NO = 0, CL_YES = 1, CL_UNKNOWN = 2 };

/* ---- markcache.c: marks remembered across one user's processes --------- */

/* For presentation only: never decide a write by it. Is the inode ST
 * describes (a regular file with st_nlink > 1) marked? CL_YES (*r filled),
 * CL_NO, CL_UNKNOWN. No system call but on the first use in a process,
 * which maps the cache (COWLINK_CACHE: a path, or "off"). */
enum cl_maybe cl_markcache_get(const struct stat *st, struct cl_record *r);
/* Remember what a real read of the mark of ST's inode found (MARKED 1/0). */
void cl_markcache_put(const struct stat *st, int marked, const struct cl_record *r);
/* The bucket ST's inode goes to (tests: to crowd one). */
size_t cl_markcache_bucket(const struct stat *st);

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
 * WBITS, then atime/mtime from ST. */
int cl_copy_meta(int in, int out, const struct stat *st, mode_t wbits);
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

/* ---- lock.c: the break lock --------------------------------------------- */

/* flock(LOCK_EX|LOCK_NB) on DIRFD with a bounded retry; -EWOULDBLOCK after
 * cl_lock_wait_ms (default CL_LOCK_WAIT_MS; tests lower it), other flock
 * errors (EBADF on O_PATH, ENOLCK) at once. cl_unlock_dir releases it. */
#define CL_LOCK_WAIT_MS 120000u
extern unsigned cl_lock_wait_ms;
int cl_lock_dir(int dirfd);
void cl_unlock_dir(int dirfd);

/* A bounded retry: cl_backoff_start, then after each failed try
 * cl_backoff_wait naps (50 us, doubling up to 20 ms) and says whether to
 * try again -- false, without a nap, once LIMIT_MS have passed. */
struct cl_backoff {
	struct timespec start;
	long us;
};
void cl_backoff_start(struct cl_backoff *b);
bool cl_backoff_wait(struct cl_backoff *b, unsigned limit_ms);

/* ---- link.c, tree.c: making cowlinks (cowln) ---------------------------- */

/* Diagnostics a link may want to tell the user under -v (no lease, ...). */
typedef void (*cl_note_fn)(void *arg, const char *msg);
extern cl_note_fn cl_note;
extern void *cl_note_arg;
/* Format a note and hand it to cl_note when one is set. */
void cl_notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* lease.c: a read lease on FD (open O_RDONLY) while linking. 1: held;
 * 0: none to be had here (*WHY: EACCES/EPERM not the owner, EINVAL leases
 * off or unsupported); -ETXTBSY: open for writing somewhere. A lease break
 * never sends SIGIO to the caller (see lease.c). Closing FD drops it too. */
int cl_lease_take(int fd, int *why, bool sigio_ignored);
/* Is SIGIO ignored now? Then cl_lease_take() may skip moving the signal. */
bool cl_lease_sigio_ignored(void);
/* With the lease still held: 0, or -ETXTBSY when a writer opened meanwhile. */
int cl_lease_recheck(int fd);
void cl_lease_drop(int fd);

/* Why a file was copied in full instead of linked (cl_link_ctx.copied). */
enum cl_copy_why {
	CL_COPY_NONE = 0,     /* linked, cloned, or not done */
	CL_COPY_HARDLINKS,    /* unmarked, with other hard links, no COWLINK_ADOPT */
	CL_COPY_LINK_MAX,     /* the shared inode is at the link limit (EMLINK) */
	CL_COPY_XDEV,         /* on another filesystem, COWLINK_COPY_XDEV */
	CL_COPY_NR
};

/* State of one cowlink_link() or of a whole cowlink_link_tree(). */
struct cl_link_ctx {
	unsigned flags;       /* COWLINK_* */
	bool nofollow;        /* source named by a directory entry (tree): O_NOFOLLOW */
	bool check_dst;       /* look at an existing destination (not in a tree) */
	dev_t dst_dev;        /* st_dev of the destination directory */
	enum cl_maybe clone;  /* FICLONE works here: CL_UNKNOWN until tried */
	bool no_empty_path;   /* linkat AT_EMPTY_PATH refused: use /proc/self/fd */
	bool lease_noted;     /* "no lease" told once */
	bool sigio_ignored;   /* SIGIO was ignored when the walk began */
	bool same;            /* set on -EEXIST when SRC and DST are one unmarked inode */
	uint64_t bytes;       /* st_size of the last file handled */
	enum cl_copy_why copied; /* the last file was copied in full: why */
};
void cl_link_ctx_init(struct cl_link_ctx *c, unsigned flags);
/* The starting value of cl_link_ctx.clone for links made in directory FD:
 * CL_NO on filesystems that cannot clone (ext2/3/4, tmpfs, ramfs), so that
 * no clone is attempted there, else CL_UNKNOWN (try once and see). */
enum cl_maybe cl_link_clone_hint(int fd);

/* Link SRC (in SRCDIR) to BASE in the directory PFD (a single name) as
 * cowlink_link() does; *HOW says how. */
int cl_link_one(struct cl_link_ctx *c, int srcdir, const char *src, int pfd,
		const char *base, enum cowlink_how *how);
/* cl_link_one() in steps, for a caller that looks at the source first (the
 * tree walk, for hard-link groups): open SRC as cl_link_one does (the fd, ST
 * filled), read its raw mark into BUF (CL_RECORD_MAX bytes: its length, 0
 * unmarked, -errno), then link the open SFD. MARK/MARKLEN: the mark already
 * read, or MARKLEN -1. SFD stays open. */
int cl_link_open(struct cl_link_ctx *c, int srcdir, const char *src, struct stat *st);
ssize_t cl_link_mark(int sfd, char *buf);
int cl_link_fd(struct cl_link_ctx *c, int sfd, const struct stat *st, const char *src,
	       int pfd, const char *base, const char *mark, ssize_t marklen,
	       enum cowlink_how *how);

/* Workers of a tree walk (at most the number of CPUs); tests set 1 to make
 * the order of system calls repeatable. */
extern unsigned cl_tree_threads;

/* What a cl_link_tree() did beyond linking, for the tool to tell. */
struct cl_tree_report {
	uint64_t skipped;                 /* entries left out (replaced meanwhile) */
	uint64_t copied[CL_COPY_NR];      /* files copied in full, by reason */
	uint64_t copied_bytes[CL_COPY_NR];
	uint64_t groups;                  /* hard-link groups kept as one inode each */
	uint64_t group_names;             /* names hard-linked to a group's first copy */
	uint64_t groups_outside;          /* of those groups, with names outside SRC */
	uint64_t specials;                /* FIFOs, sockets, devices made (or linked) */
	uint64_t specials_left;           /* devices neither made nor linked (EPERM) */
	char special_left[PATH_MAX];      /* the first of those */
	bool into_itself;                 /* refused: DST would be inside SRC */
	char failed[PATH_MAX];            /* the entry that stopped the walk ("" root) */
};

/* cowlink_link_tree(), telling the caller what *REP says (REP may be NULL). */
int cl_link_tree(const char *src, const char *dst, unsigned flags,
		 cowlink_progress_fn fn, void *arg, struct cl_tree_report *rep);

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

/* ---- fsck.c, status.c: inspection and repair (cowlink status, fsck, du) - */

/* One entry of a cl_walk(): DIRFD/NAME name it (AT_FDCWD and the root path
 * for the root), PATH is for messages. ST is its lstat (the root's stat
 * follows a final symlink). ERR is 0, or -errno when the entry could not be
 * stat'ed (ST zeroed) or, for a directory, opened or read (called again after
 * its contents with POST set). POST: a directory, after its contents. */
struct cl_walk_ent {
	int dirfd;
	const char *name;
	const char *path;
	const struct stat *st;
	int err;
	bool post;
	unsigned depth;       /* 0 for the root */
};
/* Return 0 to go on, 1 to skip a directory's contents, < 0 to stop. */
typedef int (*cl_walk_fn)(const struct cl_walk_ent *e, void *arg);

/* Walk the tree at ROOT without following symlinks below it, through the
 * raw calls (right under the shim too). Returns 0 or the callback's < 0. */
int cl_walk(const char *root, cl_walk_fn fn, void *arg);

/* What cl_fsck_at() found about one name. */
enum cl_fsck_kind {
	CL_FSCK_TMP,          /* a CL_TMP_PREFIX name left by an interrupted break or link */
	CL_FSCK_ORPHAN,       /* marked, one name left */
	CL_FSCK_MALFORMED,    /* a mark that does not parse (or an unknown version) */
	CL_FSCK_UNPROTECTED,  /* record says bits were cleared, the mode has write bits */
};

struct cl_fsck_finding {
	enum cl_fsck_kind kind;
	const char *path;
	const struct stat *st;
	struct cl_record rec;   /* the record as read (version 0: malformed) */
	mode_t wbits;           /* the record written (or to write) by the repair */
	int result;             /* 1 repaired, 0 reported only (dry run), -errno: repair failed */
	pid_t pid;              /* CL_FSCK_TMP left alone: the live process it may belong to */
};
typedef void (*cl_fsck_fn)(const struct cl_fsck_finding *f, void *arg);

/* The write bits fsck records for a malformed mark on an inode of mode MODE:
 * the owner's, when the owner may read; never group's or other's. */
mode_t cl_fsck_guess_wbits(mode_t mode);

/* Check NAME in DIRFD (ST its lstat, PATH for the report) and repair it
 * unless DRY_RUN: remove a temp name (not while a live process may still
 * own it), unshare an orphan in place, rewrite a malformed record, re-protect
 * an inode that was made writable behind the shim's back. Calls FN once per
 * finding; returns the number of findings or -errno when NAME could not be
 * examined. */
int cl_fsck_at(int dirfd, const char *name, const char *path,
	       const struct stat *st, bool dry_run, cl_fsck_fn fn, void *arg);

/* A process that has an inode open or mapped. */
struct cl_holder {
	uint64_t dev, ino;
	pid_t pid;
};

/* Scan /proc/<pid>/fd and /proc/<pid>/maps of every process but the caller
 * (the ones we may look at) once. *OUT is a malloc'ed array sorted by dev,
 * ino, pid without duplicates; returns its length or -errno. */
ssize_t cl_holders_scan(struct cl_holder **out);

/* ---- dedupe.c: identical files into cowlinks (cowlink dedupe) ----------- */

/* What cl_dedupe() tells about one name. */
enum cl_dedupe_what {
	CL_DEDUPE_GROUP,      /* a group of copies begins: MASTER keeps its inode */
	CL_DEDUPE_LINKED,     /* PATH is now (dry run: would be) a cowlink of MASTER */
	CL_DEDUPE_SKIPPED,    /* a name left alone, RESULT says why: -EMLINK plain hard
			       * links (or the link limit), -ETXTBSY open for writing,
			       * -ESTALE changed since the scan. PATH is the name, or
			       * MASTER itself when the cause was on its side */
	CL_DEDUPE_ERROR,      /* PATH could not be read, compared or replaced: RESULT */
};

struct cl_dedupe_event {
	enum cl_dedupe_what what;
	const char *path;
	const char *master;   /* NULL for errors found while walking */
	int result;
	uint64_t bytes;       /* LINKED: space freed (st_blocks of a last name) */
};
typedef void (*cl_dedupe_fn)(const struct cl_dedupe_event *e, void *arg);

struct cl_dedupe_stats {
	uint64_t files;       /* names replaced (dry run: that would be) */
	uint64_t groups;      /* groups in which at least one name was */
	uint64_t bytes;       /* space freed */
	uint64_t errors;      /* CL_DEDUPE_ERROR events */
};

/* Find the regular files under the N directories ROOTS (symlinks not
 * followed) whose content and metadata (size, mode as presented, owner,
 * mtime, xattrs but the mark, ACL) are identical on one filesystem, and
 * replace every name but the first by path of each group with a cowlink of
 * that first one (FLAGS: COWLINK_NO_PROTECT), after comparing once more
 * under read leases on both; with DRY_RUN only compare. Empty files, plain
 * hard links and files open for writing are left alone. FN (may be NULL)
 * hears about every name replaced, skipped or failed; *STATS sums up.
 * Returns 0, -errno when the work itself could not be done (ENOMEM), or
 * -EIO when some names failed (each reported). */
int cl_dedupe(char *const *roots, size_t n, unsigned flags, bool dry_run,
	      cl_dedupe_fn fn, void *arg, struct cl_dedupe_stats *stats);

#endif
