/* SPDX-License-Identifier: MIT */
/* lib/link internals: making links (link.c, lease.c, tree.c) beside what
 * the tools see of this directory (cowlink-tools.h) and the engine
 * (internal.h). cl_* names, hidden. */
#ifndef CL_LINK_INTERNAL_H
#define CL_LINK_INTERNAL_H

#include "internal.h"
#include "cowlink-tools.h"

#include <stdint.h>
#include <stdlib.h>

/* A growable array V of *CAP elements of SIZE bytes, N of them used, with
 * room for one more: V itself, or a larger copy (*CAP updated), or NULL when
 * out of memory (V is then as it was). FIRST: the size of a first
 * allocation. */
static inline void *cl_grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *nv;

	if (n < *cap)
		return v;
	if (c > SIZE_MAX / size)
		return NULL;
	nv = realloc(v, c * size);
	if (nv)
		*cap = c;
	return nv;
}

/* ---- lease.c ------------------------------------------------------------ */

/* lease.c: a read lease on FD (open O_RDONLY) while linking. 1: held;
 * 0: none to be had here (*WHY: EACCES/EPERM not the owner, EINVAL leases
 * off or unsupported); -ETXTBSY: open for writing somewhere. A lease break
 * never sends SIGIO to the caller (see lease.c). Closing FD drops it too. */
int cl_lease_take(int fd, int *why, bool sigio_ignored);
/* Is SIGIO ignored now? Then cl_lease_take() may skip moving the signal. */
bool cl_lease_sigio_ignored(void);
/* With the lease still held: 0, or -ETXTBSY when a writer opened meanwhile. */
int cl_lease_recheck(int fd);
/* With the lease held: is FD the only open file of its inode (O_PATH
 * aside)? A write lease tells, granted only then; the read lease is back
 * in place after. */
bool cl_lease_alone(int fd);
void cl_lease_drop(int fd);

/* ---- link.c, tree.c: making cowlinks (cowln) ---------------------------- */

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
	bool marked_last;     /* the last source had a mark: read the next one's
			       * before trying to create it (put_mark) */
	bool same;            /* set on -EEXIST when SRC and DST are one unmarked inode */
	uint64_t bytes;       /* st_size of the last file handled */
	enum cl_copy_why copied; /* the last file was copied in full: why */
	bool orphan;          /* the last source is a protected orphan, and stays
			       * one: cloned or copied, not linked (a link makes
			       * it a set again) */
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
/* Make the unmarked hard links of SFD (ST its stat, SRC a name of it for
 * messages) one cowlink set with the record WBITS, by cowlink()'s own first
 * steps (lease, record, write bits cleared), without a new name: what
 * cowlink fsck --adopt does for a set restored without its xattrs. 0, or
 * -errno with SFD as it was (-ETXTBSY: someone has it open for writing). */
int cl_link_adopt(int sfd, const struct stat *st, const char *src, mode_t wbits);
int cl_link_fd(struct cl_link_ctx *c, int sfd, const struct stat *st, const char *src,
	       int pfd, const char *base, const char *mark, ssize_t marklen,
	       enum cowlink_how *how);

/* Workers of a tree walk (at most the number of CPUs); tests set 1 to make
 * the order of system calls repeatable. */
extern unsigned cl_tree_threads;

#endif
