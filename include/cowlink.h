/* SPDX-License-Identifier: MIT */
/* cowlink — copy-on-write links for Linux, in userspace.
 *
 * The public C API. Every function returns 0 (or a non-negative count) on
 * success and a negative errno on failure; none of them touches errno, calls
 * exit or prints anything. Paths are relative to the current directory unless
 * an *_at form takes a directory fd. See docs/DESIGN.md for the model. */
#ifndef COWLINK_H
#define COWLINK_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COWLINK_VERSION "0.1.0"

/* Flags for cowlink_link() and cowlink_link_tree(). */
enum {
	COWLINK_FORCE          = 1u << 0, /* replace an existing destination */
	COWLINK_NO_PROTECT     = 1u << 1, /* do not clear the shared inode's write bits */
	COWLINK_REFLINK_AUTO   = 0,       /* clone where the filesystem can, else link */
	COWLINK_REFLINK_ALWAYS = 1u << 2, /* clone or fail (-EOPNOTSUPP) */
	COWLINK_REFLINK_NEVER  = 1u << 3, /* always make a cowlink */
	COWLINK_ADOPT          = 1u << 4, /* turn an unmarked hard-linked source into a set */
	COWLINK_COPY_XDEV      = 1u << 5, /* across filesystems, copy instead of -EXDEV */
};

/* What cowlink_link() did, reported through its optional result pointer. */
enum cowlink_how {
	COWLINK_LINKED = 1,   /* a cowlink: one more name of the shared inode */
	COWLINK_CLONED,       /* a reflinked copy (FICLONE): independent already */
	COWLINK_COPIED,       /* a full copy (EMLINK, an adopted-less hard link, XDEV) */
};

/* Make DST a copy-on-write copy of SRC (a regular file; a final symlink in
 * SRC is followed, as cp does). Returns 0 and sets *how when HOW is not NULL.
 * Errors: -EEXIST (DST exists, no COWLINK_FORCE), -EISDIR, -EINVAL (not a
 * regular file), -EXDEV, -ENOTSUP (no user xattrs on that filesystem),
 * -ETXTBSY (SRC is open for writing somewhere), -EBUSY (SRC, the last name
 * of a set, is being unshared by another process that has it open), and
 * what the kernel said. */
int cowlink_link(const char *src, const char *dst, unsigned flags,
		 enum cowlink_how *how);
int cowlink_link_at(int srcdir, const char *src, int dstdir, const char *dst,
		    unsigned flags, enum cowlink_how *how);

/* Progress of cowlink_link_tree(), called at most a few times a second and
 * once at the end (done != 0). Return non-zero to stop with -ECANCELED. */
struct cowlink_progress {
	uint64_t files;     /* regular files linked, cloned or copied */
	uint64_t dirs;      /* directories made */
	uint64_t symlinks;  /* symlinks copied */
	uint64_t bytes;     /* apparent bytes of those files */
	int done;
};
typedef int (*cowlink_progress_fn)(const struct cowlink_progress *p, void *arg);

/* Copy the tree SRC to DST as cowln -r does: real directories (owner,
 * xattrs, ACLs, mode, times as cp -a), cowlinks for regular files, symlinks
 * as symlinks, FIFOs, sockets and devices made anew (a device without the
 * privilege to make one is hard-linked, as cp -al does, or left out when
 * that is not allowed either). Plain hard links
 * stay hard links: each unmarked group is copied once and its other names
 * in the tree are hard links of that copy (never of the source). Entries
 * replaced by another type meanwhile are skipped and counted in *skipped if
 * not NULL. DST must not exist, nor be inside SRC (-ELOOP). The first hard
 * error stops the walk and is returned. */
int cowlink_link_tree(const char *src, const char *dst, unsigned flags,
		      cowlink_progress_fn fn, void *arg, uint64_t *skipped);

/* Give PATH its private copy now, as a write through the shim would. A final
 * symlink is followed. 0 when PATH is not (or no longer) a cowlink. */
int cowlink_break(const char *path);

/* As cowlink_break(), keeping only the first LENGTH bytes (0: copy nothing),
 * which is what truncate(PATH, LENGTH) needs. */
int cowlink_break_truncate(const char *path, off_t length);

/* Kinds reported by cowlink_status(). */
enum cowlink_kind {
	COWLINK_PLAIN = 0,    /* an ordinary file (or not a regular file) */
	COWLINK_SHARED,       /* marked, two or more names */
	COWLINK_ORPHAN,       /* marked, one name left: unshared on next touch */
	COWLINK_UNMARKED,     /* several hard links, no mark (cowlinks only in scope mode) */
};

struct cowlink_status {
	enum cowlink_kind kind;
	uint64_t dev, ino;
	uint64_t names;       /* st_nlink of the inode */
	mode_t mode;          /* the mode on disk */
	mode_t recorded;      /* write bits protection cleared (in the record) */
	int protected_;       /* record says bits were cleared and they still are */
	int record_ok;        /* 0: malformed or unknown version (treated as shared) */
	int reflinked;        /* 1: FIEMAP says extents are shared, 0: not, -1: unknown */
};

/* Describe PATH (a final symlink is followed). */
int cowlink_status(const char *path, struct cowlink_status *st);

/* Flags for cowlink_spawn(). */
enum {
	COWLINK_SPAWN_IO_URING = 1u << 0, /* let io_uring_setup through: its I/O bypasses the supervisor */
	/* Supervise from the calling process, not a child of it: one process
	 * and its copy-on-write faults less (cowlink run). The caller must be
	 * single-threaded and have no other children; while the command runs
	 * it is their subreaper, ignores SIGINT, SIGQUIT and SIGPIPE, and
	 * passes SIGTERM and SIGHUP sent to it on to the command. */
	COWLINK_SPAWN_HERE = 1u << 1,
};

/* Run FILE (searched in PATH as execvp does) with ARGV and ENVP (NULL: the
 * caller's environment) under the seccomp supervisor (docs/DESIGN.md §4b):
 * every write-open, truncation, metadata change and name removal of CMD and of
 * everything it starts is looked at first, and a cowlink it would reach is
 * broken for it, with its own credentials, as libcowlink.so would -- static
 * programs, raw system calls and root included. TREES is COWLINK_TREES
 * (NULL: none). The supervisor is a child process of the caller (the caller
 * itself with COWLINK_SPAWN_HERE); the call returns when FILE and every process it started have exited, with FILE's
 * wait status in *STATUS. Without CAP_SYS_ADMIN the command runs with
 * no_new_privs (set-ID bits are ignored). Errors: -ENOSYS (no seccomp user
 * notification: Linux < 5.9), exec errors (-ENOENT, -EACCES, ...), fork and
 * socket errors. */
int cowlink_spawn(const char *file, char *const argv[], char *const envp[],
		  unsigned flags, const char *trees, int *status);

/* The version string of the library. */
const char *cowlink_version(void);

#ifdef __cplusplus
}
#endif
#endif
