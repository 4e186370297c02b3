/* SPDX-License-Identifier: MIT */
/* The inode number a name had before a write-open of this process broke it
 * (identity.c). While the fd that open returned stays open, this process's
 * stat and fstat of the private file present that number: a real copy
 * keeps its inode when written, and programs check it -- vim compares a
 * stat taken before the open with an fstat of the fd (E949 "File changed
 * while writing"), SQLite an fstat of its fd with a later stat of the name
 * (SQLITE_READONLY_DBMOVED). Other processes, and this one once the fd is
 * closed, see the real number. */
#ifndef CL_IDENTITY_H
#define CL_IDENTITY_H

#include <stdbool.h>
#include <sys/types.h>

/* Nonzero once a write-open in this process broke a name: the fstat fast
 * path tests it and nothing else until then. */
extern int cl_identity_used;

/* FD (its fd-table byte BYTE, as cl_fd_invalidate left it) is on the new
 * private inode INO of a name that stood for inode OLD_INO on DEV. */
void cl_identity_put(int fd, unsigned char byte, dev_t dev, ino_t ino, ino_t old_ino);

/* If (DEV, *INO) is the private inode of such an fd that is still open
 * (same generation), replace *INO by the number the name had before. */
void cl_identity_show(dev_t dev, ino_t *ino);

#endif
