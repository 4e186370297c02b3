/* SPDX-License-Identifier: MIT */
/* Identity after a break (identity.c, docs/DESIGN.md §4 "Identity"). A
 * real copy keeps its inode number when written, and programs check it:
 * vim compares a stat taken before its write-open with an fstat of the fd
 * (E949 "File changed while writing"), SQLite an fstat of its fd with a
 * later stat of the name (SQLITE_READONLY_DBMOVED). A break gives the name
 * a new inode, so the process that broke it sees inode numbers through a
 * permutation: breaking name N of inode X into Y swaps what X and Y show,
 * so N keeps the number this process saw for it and the other names of X
 * show the one Y had. A permutation never shows two files one number (an
 * alias did: tar took a file for its own archive, SQLite confused two
 * databases). It lasts for the process's life: fork inherits it, exec
 * starts empty. Other processes see the real numbers. */
#ifndef CL_IDENTITY_H
#define CL_IDENTITY_H

#include <sys/types.h>

/* Nonzero once this process recorded a swap: stat tests it and nothing
 * else until then. */
extern int cl_identity_used;

/* This process broke a name of inode OLD_INO on DEV into inode INO: swap
 * what the two show. When the table is full (or another thread is adding
 * to it) nothing is recorded and the name shows its new number, which is
 * still never another file's. */
void cl_identity_swap(dev_t dev, ino_t old_ino, ino_t ino);

/* The number this process shows for inode *INO of DEV. */
void cl_identity_show(dev_t dev, ino_t *ino);

#endif
