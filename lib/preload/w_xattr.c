/* SPDX-License-Identifier: MIT */
/* Extended attributes (docs/DESIGN.md §4). Setting or removing one is a
 * metadata change: the name is broken first and the change applied to the
 * private file (for the f* forms, by path, w_meta.c's rule). The mark itself is
 * hidden: get reports ENODATA, list omits it (sizes included, so that a
 * buffer of exactly the size a size query returned works), and set or
 * remove fails with EPERM -- otherwise cp -a or rsync -X under the shim
 * would copy the mark onto new files. */
#include <endian.h>
#include <limits.h>
#include <linux/limits.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "metachange.h"
#include "preload.h"
#include "real.h"

/* Room for a listing on the stack; a longer one is malloc'ed (not a fast
 * path: only an ERANGE that the mark may have caused gets there). */
#define LIST_STACK 1024

/* What an xattr call works on: a path (following a final symlink or not)
 * or an fd. */
struct xt {
	const char *path;
	int fd;
	bool nofollow;
};

static bool is_mark(const char *name)
{
	return name && !cl_cow_off && strcmp(name, CL_XATTR) == 0;
}

static ssize_t x_get(const struct xt *t, const char *name, void *val, size_t n)
{
	if (t->fd >= 0)
		return REAL(fgetxattr)(t->fd, name, val, n);
	if (t->nofollow)
		return REAL(lgetxattr)(t->path, name, val, n);
	return REAL(getxattr)(t->path, name, val, n);
}

static ssize_t x_list(const struct xt *t, char *list, size_t n)
{
	if (t->fd >= 0)
		return REAL(flistxattr)(t->fd, list, n);
	if (t->nofollow)
		return REAL(llistxattr)(t->path, list, n);
	return REAL(listxattr)(t->path, list, n);
}

#define ACL_ACCESS "system.posix_acl_access"

/* An access ACL read from a cowlink: present it as the private file would
 * have it -- the recorded write bits back in the owner, mask (or group,
 * without a mask) and other entries -- as stat presents the mode. Costs a
 * stat only for files that have an ACL and a buffer to fill. VAL holds R
 * bytes of the on-disk (little-endian) form: a 4-byte version, then 8-byte
 * entries {u16 tag, u16 perm, u32 id}. */
static ssize_t acl_present(const struct xt *t, void *val, ssize_t r)
{
	unsigned char *p = val;
	struct cl_record rec;
	struct stat st;
	size_t n = (size_t)r;
	bool mask = false;
	int saved = errno, e; /* cl_cow_classify does not promise to keep it */

	if (r < 12 || !val || (n - 4) % 8)
		return r;
	e = t->fd >= 0 ? cl_fstat(t->fd, &st)
		       : cl_fstatat(AT_FDCWD, t->path, &st,
				    t->nofollow ? AT_SYMLINK_NOFOLLOW : 0);
	if (e < 0 || !S_ISREG(st.st_mode) || st.st_nlink <= 1)
		goto out;
	if (cl_cow_classify(t->fd, AT_FDCWD, t->fd >= 0 ? NULL : t->path, &st,
			    &rec) <= 0 || !rec.wbits)
		goto out;
	for (size_t i = 4; i < n; i += 8)
		if (le16toh(*(uint16_t *)(void *)(p + i)) == 0x10)
			mask = true;
	for (size_t i = 4; i < n; i += 8) {
		uint16_t tag = le16toh(*(uint16_t *)(void *)(p + i));
		uint16_t perm = le16toh(*(uint16_t *)(void *)(p + i + 2));

		if ((tag == 0x01 && (rec.wbits & 0200)) ||
		    (tag == 0x10 && (rec.wbits & 0020)) ||
		    (tag == 0x04 && !mask && (rec.wbits & 0020)) ||
		    (tag == 0x20 && (rec.wbits & 0002)))
			perm |= 2;
		*(uint16_t *)(void *)(p + i + 2) = htole16(perm);
	}
	cl_debug("getxattr %s of a cowlink: recorded write bits presented", ACL_ACCESS);
out:
	errno = saved;
	return r;
}

/* getxattr of the mark: ENODATA where the real call finds it (any other
 * error -- ENOENT, ENOTSUP, EACCES -- stays what the kernel says). The real
 * call comes first: NAME is read only once the kernel has (a bad one is
 * EFAULT); the mark's value it may have put in VAL is wiped. */
static ssize_t get_body(const struct xt *t, const char *name, void *val,
			size_t n)
{
	ssize_t r = x_get(t, name, val, n);

	if ((r >= 0 || errno == ERANGE) && is_mark(name)) {
		if (r > 0 && val)
			memset(val, 0, (size_t)r);
		cl_debug("getxattr %s: hidden", CL_XATTR);
		return (int)cl_ret(-ENODATA);
	}
	if (r > 0 && strcmp(name, ACL_ACCESS) == 0)
		r = acl_present(t, val, r);
	return r;
}

/* Drop the mark from the LEN-byte name list at LIST; the new length. */
static size_t drop_mark(char *list, size_t len)
{
	size_t i = 0, l;

	while (i < len) {
		l = strnlen(list + i, len - i);
		if (l == sizeof CL_XATTR - 1 && memcmp(list + i, CL_XATTR, l) == 0) {
			l++; /* the NUL */
			if (i + l > len)
				l = len - i;
			memmove(list + i, list + i + l, len - i - l);
			return len - l;
		}
		i += l + 1;
	}
	return len;
}

/* The list without the mark into LIST (N bytes) after the real call said
 * ERANGE: the listing with the mark may not fit where the one without it
 * does. Fetch the whole listing, drop the mark, copy it if it fits -- with
 * cl_poke: the kernel has not written LIST, and a bad one is EFAULT. */
static ssize_t list_exact(const struct xt *t, char *list, size_t n)
{
	char stackbuf[LIST_STACK], *buf = stackbuf;
	ssize_t size, r = -1;
	int saved = errno; /* a round's real listxattr failing with ERANGE, and free */

	for (int tries = 0; tries < 4; tries++) {
		size = x_list(t, NULL, 0);
		if (size < 0)
			return size;
		if ((size_t)size > n + sizeof CL_XATTR) /* even without the mark it cannot fit */
			return cl_ret(-ERANGE);
		if ((size_t)size > sizeof stackbuf) {
			buf = malloc((size_t)size);
			if (!buf) {
				return (int)cl_ret(-ENOMEM);
			}
		}
		r = x_list(t, buf, (size_t)size);
		if (r >= 0 || errno != ERANGE)
			break; /* ERANGE: it grew meanwhile, ask again */
		if (buf != stackbuf)
			free(buf);
		buf = stackbuf;
	}
	if (r >= 0) {
		r = (ssize_t)drop_mark(buf, (size_t)r);
		if ((size_t)r > n) {
			errno = ERANGE;
			r = -1;
		} else if (cl_poke(list, buf, (size_t)r) < 0) {
			errno = EFAULT;
			r = -1;
		} else {
			errno = saved;
		}
	}
	if (buf != stackbuf)
		free(buf);
	return r;
}

/* listxattr without the mark. The size query (N == 0) answers the size of
 * the filtered list: the full size less the mark's entry when the inode has
 * it (one more call, for the mark's presence). */
static ssize_t list_body(const struct xt *t, char *list, size_t n)
{
	int saved = errno; /* the real getxattr of the mark failing with ENODATA */
	ssize_t r;

	if (cl_cow_off)
		return x_list(t, list, n);
	if (n == 0) {
		r = x_list(t, NULL, 0);
		if (r < (ssize_t)sizeof CL_XATTR)
			return r;
		if (x_get(t, CL_XATTR, NULL, 0) >= 0 || errno == ERANGE)
			r -= (ssize_t)sizeof CL_XATTR;
		errno = saved;
		return r;
	}
	r = x_list(t, list, n);
	if (r > 0)
		return (ssize_t)drop_mark(list, (size_t)r);
	if (r < 0 && errno == ERANGE && n >= 1)
		return list_exact(t, list, n);
	return r;
}

CL_EXPORT ssize_t getxattr(const char *path, const char *name, void *val,
			   size_t n)
{
	struct xt t = { path, -1, false };

	return get_body(&t, name, val, n);
}

CL_EXPORT ssize_t lgetxattr(const char *path, const char *name, void *val,
			    size_t n)
{
	struct xt t = { path, -1, true };

	return get_body(&t, name, val, n);
}

CL_EXPORT ssize_t fgetxattr(int fd, const char *name, void *val, size_t n)
{
	struct xt t = { NULL, fd, false };

	if (fd < 0) /* the real call says EBADF */
		return REAL(fgetxattr)(fd, name, val, n);
	return get_body(&t, name, val, n);
}

CL_EXPORT ssize_t listxattr(const char *path, char *list, size_t n)
{
	struct xt t = { path, -1, false };

	return list_body(&t, list, n);
}

CL_EXPORT ssize_t llistxattr(const char *path, char *list, size_t n)
{
	struct xt t = { path, -1, true };

	return list_body(&t, list, n);
}

CL_EXPORT ssize_t flistxattr(int fd, char *list, size_t n)
{
	struct xt t = { NULL, fd, false };

	if (fd < 0)
		return REAL(flistxattr)(fd, list, n);
	return list_body(&t, list, n);
}

/* Who may set NAME: a user xattr needs write permission, an ACL ownership
 * (EPERM for others); trusted ones need root, who owns everything. */
static int xattr_how(const char *name)
{
	if (name && (strncmp(name, "system.", 7) == 0 ||
		     strncmp(name, "trusted.", 8) == 0))
		return CL_META_OWNER;
	return 0;
}

/* The mark may not be set or removed through the shim. */
static int refuse_mark(void)
{
	cl_debug("set/remove %s through the shim: refused", CL_XATTR);
	return (int)cl_ret(-EPERM);
}

/* An xattr change as the engine applies it: X, a set of X.VAL (X.N bytes,
 * X.FLAGS) or a remove of X.NAME -- also the test for a change that may
 * leave the name as it is (nochange.c) -- through the l* forms when NOFOLLOW.
 * A pinned target is a /proc/self/fd link, which only the following forms
 * go through. */
struct xattr_args {
	struct cl_same_xattr x;
	bool nofollow;
};

static int xattr_apply(const struct cl_meta *m, const void *arg)
{
	const struct xattr_args *a = arg;
	const struct cl_same_xattr *x = &a->x;
	bool follow = m->pinned || !a->nofollow;

	if (x->remove)
		return follow ? REAL(removexattr)(m->target, x->name)
			      : REAL(lremovexattr)(m->target, x->name);
	return follow ? REAL(setxattr)(m->target, x->name, x->val, x->n, x->flags)
		      : REAL(lsetxattr)(m->target, x->name, x->val, x->n, x->flags);
}

static int xattr_by_fd(const void *arg, int fd)
{
	const struct xattr_args *a = arg;
	const struct cl_same_xattr *x = &a->x;

	return x->remove ? REAL(fremovexattr)(fd, x->name)
			 : REAL(fsetxattr)(fd, x->name, x->val, x->n, x->flags);
}

static int xattr_by_path(const void *arg, const char *path)
{
	const struct xattr_args *a = arg;
	const struct cl_same_xattr *x = &a->x;

	return x->remove ? REAL(lremovexattr)(path, x->name)
			 : REAL(lsetxattr)(path, x->name, x->val, x->n, x->flags);
}

/* NAME into BUF (XATTR_NAME_MAX + 1 bytes), read without faulting: the
 * mark must be refused before anything is broken, and the kernel has not
 * read NAME yet. False when it cannot be read or is too long: the real call
 * then answers (EFAULT, ERANGE), with nothing broken. */
static bool name_copy(const char *name, char *buf)
{
	return name && cl_peek_str(buf, XATTR_NAME_MAX + 1, name) == 0;
}

/* setxattr and removexattr by path: break first (a protected orphan that
 * answers EACCES -- user xattrs need write permission -- is unshared and the
 * call retried; a change that is none breaks nothing), then the real call. */
static int xattr_path(const char *path, const char *name_, const void *val,
		      size_t n, int flags, bool nofollow, bool remove)
{
	char name[XATTR_NAME_MAX + 1];
	struct xattr_args a = { { name, val, n, flags, remove }, nofollow };
	struct cl_same s = { cl_same_xattr, &a.x, false, 0 };

	if (!name_copy(name_, name)) {
		a.x.name = name_;
		return xattr_apply(&(struct cl_meta){ .target = path }, &a);
	}
	if (is_mark(name))
		return refuse_mark();
	return cl_meta_change(AT_FDCWD, path, nofollow, xattr_how(name), &s,
			      xattr_apply, &a);
}

CL_EXPORT int setxattr(const char *path, const char *name, const void *val,
		       size_t n, int flags)
{
	return xattr_path(path, name, val, n, flags, false, false);
}

CL_EXPORT int lsetxattr(const char *path, const char *name, const void *val,
			size_t n, int flags)
{
	return xattr_path(path, name, val, n, flags, true, false);
}

CL_EXPORT int removexattr(const char *path, const char *name)
{
	return xattr_path(path, name, NULL, 0, 0, false, true);
}

CL_EXPORT int lremovexattr(const char *path, const char *name)
{
	return xattr_path(path, name, NULL, 0, 0, true, true);
}

/* fsetxattr and fremovexattr (REMOVE): the same through an fd; a shared
 * inode behind it is broken and the change made to the new file by path. */
static int xattr_fd(int fd, const char *name_, const void *val, size_t n,
		    int flags, bool remove)
{
	char name[XATTR_NAME_MAX + 1];
	struct xattr_args a = { { name, val, n, flags, remove }, true };
	struct cl_same s = { cl_same_xattr, &a.x, false, 0 };

	if (!name_copy(name_, name)) {
		a.x.name = name_;
		return xattr_by_fd(&a, fd);
	}
	if (is_mark(name))
		return refuse_mark();
	return cl_meta_fd_change(fd, xattr_how(name), &s, xattr_by_fd,
				 xattr_by_path, &a);
}

CL_EXPORT int fsetxattr(int fd, const char *name, const void *val, size_t n,
			int flags)
{
	return xattr_fd(fd, name, val, n, flags, false);
}

CL_EXPORT int fremovexattr(int fd, const char *name)
{
	return xattr_fd(fd, name, NULL, 0, 0, true);
}
