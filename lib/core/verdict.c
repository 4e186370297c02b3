/* SPDX-License-Identifier: MIT */
/* Is the object a call will act on a cowlink? The one decision of the shim
 * and the supervisor (docs/DESIGN.md §4, "One decision"; internal.h,
 * cl_verdict): the mark, the scope rule by the object's verified name, and
 * what an unreadable mark counts as. The shim keeps its caches around it
 * (lib/preload/decide.c); the supervisor asks it on the O_PATH fd it holds. */
#include "internal.h"

#include <errno.h>
#include <string.h>

#include "banned.h"

bool cl_name_in_scope(int dirfd, const char *name)
{
	char dir[PATH_MAX];

	return cl_path_split(name, dir, sizeof dir) && cl_scope_contains_dir(dirfd, dir);
}

int cl_fd_path(int fd, const struct stat *fdst, char *path)
{
	char proc[CL_PROC_FD_MAX];
	struct stat st;
	ssize_t n;
	int e;

	cl_proc_fd_path(fd, proc);
	n = cl_readlinkat(AT_FDCWD, proc, path, PATH_MAX - 1);
	if (n == -ENOENT && cl_proc_missing()) {
		/* Nothing else tells an fd's name: a change through it would
		 * reach every name of the shared inode. */
		cl_debug("fd %d: no /proc here, its name cannot be found: refused", fd);
		return -CL_ESHARED;
	}
	if (n < 0)
		return (int)n;
	path[n] = '\0';
	if (path[0] != '/')
		return -CL_ESHARED; /* pipe:[...], anon_inode:... */
	e = cl_fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
	if (e == -ENOENT || e == -ENOTDIR)
		return -CL_ESHARED; /* "... (deleted)", or renamed away */
	if (e < 0)
		return e;
	if (st.st_dev != fdst->st_dev || st.st_ino != fdst->st_ino)
		return -CL_ESHARED;
	return 0;
}

/* The mark of P's object: of the inode its fd pins, or read at its name
 * and, when that shows none (or the name ends in a symlink, whose mark was
 * read without following), at the name's resolved target, which NAME then
 * holds (*HAVE_NAME). 1 / 0 / -errno. */
static int read_mark(const struct cl_pin *p, struct cl_record *r, char *name,
		     bool *have_name)
{
	struct stat lst;
	int m;

	if (p->fd >= 0 && p->opath) {
		char proc[CL_PROC_FD_MAX];

		cl_proc_fd_path(p->fd, proc);
		return cl_mark_read_deref(proc, r);
	}
	if (p->fd >= 0)
		/* Through its magic link, which leads to the inode itself; not
		 * by the name it shows: a break can rename a private copy over
		 * that name between the look and the read. */
		return cl_mark_read_pinned(p->fd, r);
	if (!p->path)
		return 0;
	m = cl_mark_read_at(p->dirfd, p->path, r);
	if (m == 0) {
		m = cl_resolve(p->dirfd, p->path, name, &lst, CL_RESOLVE_PROVE);
		if (m == 0) {
			*have_name = true;
			if (strcmp(name, p->path))
				m = cl_mark_read_at(p->dirfd, name, r);
		}
	}
	return m;
}

/* Is P's object, an unmarked regular file with several names, under
 * COWLINK_TREES, by its name (NAME when HAVE_NAME)? No name to place it by
 * (an fd whose name is gone or leads elsewhere now): not in scope. */
static bool in_scope(const struct cl_pin *p, char *name, bool have_name)
{
	struct stat lst;
	int e = 0;

	if (!have_name) {
		if (p->fd >= 0)
			e = cl_fd_path(p->fd, p->st, name);
		else if (p->path)
			e = cl_resolve(p->dirfd, p->path, name, &lst, CL_RESOLVE_PROVE);
		else
			e = -ENOENT;
	}
	return e == 0 && cl_name_in_scope(p->fd >= 0 ? AT_FDCWD : p->dirfd, name);
}

int cl_verdict(struct cl_pin *p, unsigned flags, struct cl_record *r)
{
	const struct stat *st = p->st;
	char name[PATH_MAX];
	bool have_name = false;
	int m = p->mark;

	p->mark = -1;
	if (m < 0) {
		r->version = 0;
		r->wbits = 0;
		r->dying = false;
	}
	if (!S_ISREG(st->st_mode) || st->st_nlink == 0 ||
	    (st->st_nlink == 1 && !(flags & CL_VERDICT_ORPHANS)))
		return CL_VERDICT_PLAIN;
	if (m < 0) {
		m = read_mark(p, r, name, &have_name);
		if (m >= 0)
			p->mark = m;
	}
	if (m < 0) {
		if (flags & CL_VERDICT_WIDE) {
			/* The supervisor's worker breaks under the lock, which
			 * decides; a one-link file is no reason to fail a
			 * call (docs/DESIGN.md §4, transparency). */
			r->version = 0;
			r->wbits = 0;
			return st->st_nlink > 1 ? CL_VERDICT_COWLINK : CL_VERDICT_PLAIN;
		}
		if (m != -EACCES && m != -EPERM)
			return m;
		/* User xattrs need read permission: a caller who may not read
		 * the inode cannot tell, nor copy it in a break. A plain
		 * hard-linked file it may only write must stay writable; an
		 * orphan it may not read is changed as the plain file it
		 * stands for (docs/DESIGN.md §4, transparency). */
		cl_debug("cannot read the mark (%d): taken as unmarked", -m);
		m = 0;
	}
	if (st->st_nlink == 1)
		return m > 0 ? CL_VERDICT_ORPHAN : CL_VERDICT_PLAIN;
	if (m > 0)
		return CL_VERDICT_COWLINK;
	if (!cl_scope_active())
		return CL_VERDICT_PLAIN;
	if (!(flags & CL_VERDICT_WIDE) && !in_scope(p, name, have_name))
		return CL_VERDICT_PLAIN;
	r->version = 0;
	r->wbits = 0;
	return CL_VERDICT_COWLINK;
}
