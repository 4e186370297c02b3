/* SPDX-License-Identifier: MIT */
/* The user.cowlink record and the calls that read and write the mark
 * (record.c). Part of internal.h; also included by cowlink-tools.h, whose
 * fsck findings carry a record. */
#ifndef CL_RECORD_H
#define CL_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define CL_XATTR "user.cowlink"

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
/* The mark of the inode FD pins: an open fd of any mode, O_PATH included
 * (through its magic link, which leads to the inode itself -- never by a
 * name, which a break may have moved to another inode meanwhile). */
int cl_mark_read_pinned(int fd, struct cl_record *r);
/* Can the file ST be a cowlink at all, by its stat alone? Not when it is
 * not a regular file, has no name (nlink 0: O_TMPFILE, removed), or has one
 * name and its owner write bit (an orphan always lacks it). */
bool cl_cow_candidate(const struct stat *st);
/* Is the file ST a cowlink by its mark alone? What the shim presents an
 * orphan by (cl_cow_orphan); whether to act on a file is cl_verdict's to
 * say (internal.h, docs/DESIGN.md §4, "One decision"). No call for what
 * cannot be one (cl_cow_candidate). Else the
 * mark, of the inode FD pins, or (FD < 0) of DIRFD/PATH following a final
 * symlink or magic link (PATH NULL: none). 1: marked, *R filled; 0: not;
 * -errno (-EACCES, -EPERM: the caller may not read it, for which each
 * caller has its own rule). */
int cl_cow_mark_of(int fd, int dirfd, const char *path, const struct stat *st,
		   struct cl_record *r);
/* Write (XFLAGS: 0, XATTR_CREATE or XATTR_REPLACE) or remove the mark on an fd. */
int cl_mark_write_fd(int fd, const struct cl_record *r, int xflags);
int cl_mark_remove_fd(int fd);

#endif
