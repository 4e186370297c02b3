/* The shim's decisions, shared by every wrapper family: is this path or fd a
 * cowlink, break it, and which name does an fd stand for. Implemented in
 * cow.c. All return 0 / 1 or -errno and keep errno (wrappers set it with
 * cl_ret). */
#ifndef CL_COW_H
#define CL_COW_H

#include <stdbool.h>
#include <sys/stat.h>

#include "internal.h"

/* Is the inode that ST describes (from a stat of DIRFD/PATH, or of FD when
 * FD >= 0) a cowlink: a regular file with st_nlink > 1 that carries the mark
 * or lies under COWLINK_TREES? 1 yes (*r filled: recorded bits, version 0
 * for a malformed record or an unmarked scope file), 0 no, -errno. Costs no
 * system call when st_nlink == 1 or the file is not regular. */
int cl_cow_classify(int fd, int dirfd, const char *path, const struct stat *st,
		    struct cl_record *r);

/* Break DIRFD/PATH if it names a cowlink (following a final symlink unless
 * NOFOLLOW), keeping the first KEEP bytes (-1: all). 0 when the name now has
 * a private inode or needed none. */
int cl_cow_break_path(int dirfd, const char *path, bool nofollow, off_t keep);

/* The name an fd was opened by, for the f* forms: readlink of
 * /proc/self/fd/FD, trusted only when a stat of that path shows the fd's
 * (dev, ino). PATH gets PATH_MAX bytes. 0, or -errno (the call then fails). */
int cl_cow_fd_path(int fd, const struct stat *fdst, char *path);

/* Break the name behind FD (a cowlink: checked by the caller) and leave its
 * path in PATH (PATH_MAX bytes) so that the change can be applied to the new
 * private file by path; the fd keeps reading the old, identical data. */
int cl_cow_break_fd(int fd, const struct stat *fdst, char *path);

#endif
