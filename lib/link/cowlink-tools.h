/* SPDX-License-Identifier: MIT */
/* What only the bundled tools (cowln, cowlink) need of the library beyond
 * include/cowlink.h: the tree copy with its report, the generic tree walk,
 * fsck, dedupe, the holders of an inode, the notes a link leaves, the
 * settings. NOT installed and no stable interface: for the tools built from
 * this tree only. cl_* names, hidden from libcowlink.so's exports. A tool
 * includes this header, never internal.h. */
#ifndef COWLINK_TOOLS_H
#define COWLINK_TOOLS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cowlink.h"
/* Settings: cl_config_load(), cl_cfg.debug. */
#include "config.h"
/* The record an fsck finding carries. */
#include "record.h"
/* The raw calls (cl_fstatat...): a tool's look at a name that must not go
 * through the shim's wrappers, as the walk's does not. */
#include "sys.h"
/* cl_path_base, cl_path_split: a path's directory and last name. */
#include "path.h"

/* ---- hidden names (lib/core/fdname.c) ----------------------------------- */

/* For a tool that never forks: ask the pid of its hidden names once, not
 * once a name (declared with cl_tmp_name in internal.h). */
void cl_tmp_pin_pid(void);

/* ---- notes: what a link may want to tell the user (link.c) ------------- */

/* Diagnostics a link may want to tell the user under -v (no lease, ...). */
typedef void (*cl_note_fn)(void *arg, const char *msg);
extern cl_note_fn cl_note;
extern void *cl_note_arg;
/* Format a note and hand it to cl_note when one is set. */
void cl_notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- scope.c: is a directory under COWLINK_TREES (cowlink run's warning) */

/* Take TREES (colon-separated directories) as the scope; DROPPED (may be
 * NULL) is told of entries that are not directories. 0 or the first -errno. */
int cl_scope_init(const char *trees, void (*dropped)(const char *entry, int err));
/* Is the directory DIRPATH of DIRFD at or under one of the trees, by the
 * (dev, ino) of it and its ancestors? */
bool cl_scope_contains_dir(int dirfd, const char *dirpath);

/* ---- overlay.c: files of a lower overlayfs layer (copied up by a link) -- */

/* The path, in the upper layer, of the directory DIRFD of an overlayfs
 * mount into UPPER (N bytes): 0. 1 when DIRFD is not on overlayfs, or its
 * mount has metacopy=on (a link copies up the metadata only). -errno when
 * it cannot be told (the upper layer is not visible from here). */
int cl_overlay_upper_dir(int dirfd, char *upper, size_t n);
/* Is NAME (relative) of the directory whose upper path is UPPER_DIR still in
 * a lower layer (not in the upper one)? 1 yes, 0 no, or -errno. */
int cl_overlay_lower(const char *upper_dir, const char *name);

/* ---- tree.c: the tree copy (cowln -r) and its report -------------------- */

/* Why a file was copied in full instead of linked (cl_link_ctx.copied). */
enum cl_copy_why {
	CL_COPY_NONE = 0,     /* linked, cloned, or not done */
	CL_COPY_HARDLINKS,    /* unmarked, with other hard links, no COWLINK_ADOPT */
	CL_COPY_LINK_MAX,     /* the shared inode is at the link limit (EMLINK) */
	CL_COPY_XDEV,         /* on another filesystem, COWLINK_COPY_XDEV */
	CL_COPY_NR
};

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
	uint64_t orphans;                 /* protected orphans in SRC (one name, marked,
					   * no write bit) that stay so: cloned or
					   * copied; a linked one is a set again */
	char special_left[PATH_MAX];      /* the first of those */
	uint64_t copied_up;               /* linked files of a lower overlayfs layer */
	uint64_t copied_up_bytes;         /* (only counted with cl_note set) */
	bool copied_up_unknown;           /* overlayfs, upper layer not visible */
	bool into_itself;                 /* refused: DST would be inside SRC */
	char failed[PATH_MAX];            /* the entry that stopped the walk ("" root) */
};

/* cowlink_link_tree(), telling the caller what *REP says (REP may be NULL). */
int cl_link_tree(const char *src, const char *dst, unsigned flags,
		 cowlink_progress_fn fn, void *arg, struct cl_tree_report *rep);

/* ---- walk.c: the generic tree walk -------------------------------------- */

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

/* ---- fsck.c, status.c: inspection and repair (cowlink status, fsck, du) - */

/* What cl_fsck_at() found about one name. */
enum cl_fsck_kind {
	CL_FSCK_TMP,          /* a CL_TMP_PREFIX name left by an interrupted break or link */
	CL_FSCK_ORPHAN,       /* marked, one name left */
	CL_FSCK_MALFORMED,    /* a mark that does not parse (or an unknown version) */
	CL_FSCK_UNPROTECTED,  /* record says bits were cleared, the mode has write bits */
	CL_FSCK_RESTORED,     /* unmarked hard links without write bits: a set restored
			       * without its xattrs, or a read-only group (never
			       * repaired; WBITS: what --adopt would record) */
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

/* cl_fsck_at() for protected orphans only (one name, no write bit, marked):
 * nothing but the mark of those is read, and nothing else is reported. */
int cl_fsck_orphan_at(int dirfd, const char *name, const char *path,
		      const struct stat *st, bool dry_run, cl_fsck_fn fn, void *arg);

/* Why cl_fsck_adopt() left a file as it was. */
enum cl_adopt_refusal {
	CL_ADOPT_OK,          /* adopted (with dry_run: would be) */
	CL_ADOPT_NOT_REGULAR, /* a directory, symlink, device... */
	CL_ADOPT_ONE_LINK,    /* one name: nothing to share */
	CL_ADOPT_MARKED,      /* marked already: a set, or an orphan (fsck's) */
	CL_ADOPT_WRITABLE,    /* write bits set: an ordinary hard-link group that
			       * shares writes on purpose (cowln --adopt's job) */
};

/* cowlink fsck --adopt: make the unmarked, write-protected hard links of
 * PATH (a symlink is not followed) one cowlink set again, recording the
 * write bits cl_fsck_guess_wbits() gives for its mode (*WBITS), unless
 * DRY_RUN. *ST: its stat. 0 with *WHY CL_ADOPT_OK when done (or to be
 * done), else with the reason it was refused and left as it was; -errno
 * when it could not be examined or marked (nothing changed). */
int cl_fsck_adopt(const char *path, bool dry_run, struct stat *st, mode_t *wbits,
		  enum cl_adopt_refusal *why);

/* A process that has an inode open or mapped. */
struct cl_holder {
	uint64_t dev, ino;
	pid_t pid;
};

/* Scan /proc/<pid>/fd and /proc/<pid>/maps of every process but the caller
 * (the ones we may look at) once. *OUT is a malloc'ed array sorted by dev,
 * ino, pid without duplicates; returns its length or -errno. */
ssize_t cl_holders_scan(struct cl_holder **out);

/* ---- extents.c: extent maps and extent sharing (dedupe, du) ------------- */

/* One extent of a file (struct fiemap_extent, FIEMAP_EXTENT_* flags). */
struct cl_extent {
	uint64_t logical, physical, length;
	uint32_t flags;
};
typedef int (*cl_extent_fn)(const struct cl_extent *x, void *arg);
/* Call FN for each extent of FD in order (FS_IOC_FIEMAP, in batches); a
 * nonzero return of FN ends the walk and is returned. 0, or -errno
 * (-EOPNOTSUPP: no extent map here). */
int cl_extents_each(int fd, cl_extent_fn fn, void *arg);
/* Could the filesystem of FD share extents at all? false where it never
 * can (ext2/3/4, tmpfs, ramfs: decided by the filesystem type), true
 * otherwise (try and see). */
bool cl_extents_may_share(int fd);
/* 1 when every extent of DFD with a place on disk is shared and is SFD's
 * at the same offset (inline data, which cannot be shared, counts as
 * done): sharing would gain nothing. 0 when not, -errno. */
int cl_extents_shared_with(int sfd, int dfd);
/* *BYTES: the length of FD's extents not shared with any other file (what
 * sharing them would free). 0 or -errno. */
int cl_extents_unshared(int fd, uint64_t *bytes);
/* Make the first LEN bytes of DFD share SFD's extents (FIDEDUPERANGE: the
 * kernel compares the bytes under its locks), in steps. 0: all shared;
 * -ESTALE: the bytes differ from some offset on (what was shared before it
 * is identical); cl_dedupe_unsupported(): not on this filesystem; -errno. */
int cl_dedupe_range(int sfd, int dfd, uint64_t len);
/* Could SFD's extents be shared into DFD, asked without sharing anything
 * (for a dry run): FIDEDUPERANGE of no bytes, then of a range onto itself,
 * which a filesystem that can share refuses as an overlap and one that
 * cannot (XFS without reflink) as unsupported. 0, or why not. */
int cl_dedupe_range_probe(int sfd, int dfd);
/* Is E (from cl_dedupe_range) "this filesystem cannot share extents"? */
bool cl_dedupe_unsupported(int e);

/* ---- dedupe.c: identical files into cowlinks (cowlink dedupe) ----------- */

/* What cl_dedupe() tells about one name. */
enum cl_dedupe_what {
	CL_DEDUPE_GROUP,      /* a group of copies begins: MASTER keeps its inode */
	CL_DEDUPE_LINKED,     /* PATH is now (dry run: would be) a cowlink of MASTER */
	CL_DEDUPE_SKIPPED,    /* a name left alone, RESULT says why: -EMLINK plain hard
			       * links (or the link limit), -ETXTBSY open for writing,
			       * -ESTALE changed since the scan, -EPERM immutable or
			       * append-only. PATH is the name, or MASTER itself when
			       * the cause was on its side */
	CL_DEDUPE_ERROR,      /* PATH could not be read, compared or replaced: RESULT */
	CL_DEDUPE_FLAGS,      /* PATH hashes as a copy of MASTER but its inode flags
			       * differ: kept apart (told once per group) */
	CL_DEDUPE_SHARED,     /* PATH now (dry run: would) share MASTER's extents,
			       * keeping its own inode */
	CL_DEDUPE_FS,         /* the first attempt on the filesystem of PATH decided:
			       * RESULT 0 its copies share extents, else (why it
			       * cannot) they become cowlinks */
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
	uint64_t files;       /* names replaced or sharing extents (dry run: that would be) */
	uint64_t shared;      /* of which sharing extents */
	uint64_t groups;      /* groups in which at least one name was */
	uint64_t bytes;       /* space freed */
	uint64_t errors;      /* CL_DEDUPE_ERROR events */
};

/* Find the regular files under the N directories ROOTS (symlinks not
 * followed) whose content and metadata (size, mode as presented, owner,
 * mtime, xattrs but the mark, ACL, inode flags) are identical on one
 * filesystem. Every name but the first by path of each group then shares
 * the first one's extents where the filesystem can (FIDEDUPERANGE; decided
 * once per filesystem), else is replaced by a cowlink of it after comparing
 * once more under read leases on both. FLAGS: COWLINK_NO_PROTECT (for the
 * cowlinks), COWLINK_REFLINK_NEVER (cowlinks only, never share extents).
 * With DRY_RUN only compare. Empty files, plain hard links, immutable and
 * append-only files, and files open for writing where cowlinks are made,
 * are left alone. FN (may be NULL) hears about every name replaced,
 * skipped or failed; *STATS sums up. Returns 0, -errno when the work
 * itself could not be done (ENOMEM), or -EIO when some names failed (each
 * reported). */
int cl_dedupe(char *const *roots, size_t n, unsigned flags, bool dry_run,
	      cl_dedupe_fn fn, void *arg, struct cl_dedupe_stats *stats);

#endif
