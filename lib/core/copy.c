/* Copying a cowlink into its private file (DESIGN §5 steps 3 and 4): the
 * data, as cheaply as the filesystem allows and with holes kept, then the
 * metadata in the order cp -p needs. */
#include "internal.h"

#include <errno.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define ACL_ACCESS  "system.posix_acl_access"
#define ACL_DEFAULT "system.posix_acl_default"
#define RW_CHUNK    (256u << 10)

/* Errors that mean "this way of copying is not available here": try the
 * next one. Anything else (ENOSPC, EIO, EDQUOT...) is the answer. */
static bool unsupported(long e)
{
	return e == -EOPNOTSUPP || e == -ENOTTY || e == -EXDEV ||
	       e == -EINVAL || e == -ENOSYS;
}

/* Write all of BUF to OUT at its current offset. */
static int write_all(int out, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = cl_write(out, buf, n);

		if (w == -EINTR)
			continue;
		if (w < 0)
			return (int)w;
		if (w == 0)
			return -EIO;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy [off, end) of IN to the same offsets of OUT with pread/write. Stops
 * early, without error, if IN turns out shorter. */
static int copy_rw(int in, int out, off_t off, off_t end, char **buf)
{
	off_t o;
	int e;

	if (!*buf) {
		*buf = malloc(RW_CHUNK);
		if (!*buf)
			return -ENOMEM;
	}
	o = cl_lseek(out, off, SEEK_SET);
	if (o < 0)
		return (int)o;
	while (off < end) {
		size_t want = end - off < (off_t)RW_CHUNK ? (size_t)(end - off) : RW_CHUNK;
		ssize_t r = cl_pread(in, *buf, want, off);

		if (r == -EINTR)
			continue;
		if (r < 0)
			return (int)r;
		if (r == 0)
			break;
		e = write_all(out, *buf, (size_t)r);
		if (e)
			return e;
		off += r;
	}
	return 0;
}

/* Copy [off, end) with copy_file_range, falling back to read/write (for
 * good, through *use_cfr) the first time the kernel says it cannot. */
static int copy_range(int in, int out, off_t off, off_t end, bool *use_cfr, char **buf)
{
	off_t ioff = off, ooff = off;

	while (*use_cfr && ioff < end) {
		ssize_t n = cl_copy_file_range(in, &ioff, out, &ooff, (size_t)(end - ioff), 0);

		if (n == -EINTR)
			continue;
		if (n < 0 && unsupported(n)) {
			cl_debug("copy: copy_file_range unavailable (%d), read/write", (int)-n);
			*use_cfr = false;
			break;
		}
		if (n < 0)
			return (int)n;
		if (n == 0) /* EOF early, or a filesystem that copies nothing */
			break;
	}
	if (ioff >= end)
		return 0;
	return copy_rw(in, out, ioff, end, buf);
}

int cl_copy_data(int in, int out, off_t len, bool *cloned)
{
	struct stat st;
	off_t size, n, pos = 0, data, hole;
	bool use_cfr = true;
	char *buf = NULL;
	int e;

	*cloned = false;
	if (len == 0)
		return 0;
	e = cl_fstat(in, &st);
	if (e)
		return e;
	size = st.st_size;
	n = len < 0 || len > size ? size : len;
	if (n == 0)
		goto out_size;

	/* Clone the whole file even for a shorter LEN: cheap, then truncated. */
	e = cl_ioctl(out, FICLONE, (void *)(intptr_t)in);
	if (!e) {
		*cloned = true;
		cl_debug("copy: cloned %lld bytes", (long long)size);
		goto out_size;
	}
	if (!unsupported(e))
		return e;

	/* One data extent at a time: a whole-file copy would fill holes. */
	while (pos < n) {
		data = cl_lseek(in, pos, SEEK_DATA);
		if (data == -ENXIO)
			break;
		if (data < 0) {
			data = pos;
			hole = n;
		} else {
			hole = cl_lseek(in, data, SEEK_HOLE);
			if (hole < 0)
				hole = n;
		}
		if (data >= n)
			break;
		if (hole > n)
			hole = n;
		if (hole <= data) /* a shrinking file; do not loop forever */
			break;
		e = copy_range(in, out, data, hole, &use_cfr, &buf);
		if (e)
			goto out_free;
		pos = hole;
	}
out_size:
	e = 0;
	if (len >= 0 || !*cloned)
		e = cl_ftruncate(out, len >= 0 ? len : size);
out_free:
	free(buf);
	return e;
}

/* A growable buffer: a stack array first, the heap when a value is larger. */
struct xbuf {
	char *p;
	size_t cap;
	bool heap;
};

static int xbuf_grow(struct xbuf *b, size_t want)
{
	char *p;

	if (want <= b->cap)
		return 0;
	p = malloc(want);
	if (!p)
		return -ENOMEM;
	if (b->heap)
		free(b->p);
	b->p = p;
	b->cap = want;
	b->heap = true;
	return 0;
}

static void xbuf_free(struct xbuf *b)
{
	if (b->heap)
		free(b->p);
}

/* fgetxattr (NAME) or flistxattr (NAME NULL) into B, growing it on ERANGE. */
static ssize_t xget(int fd, const char *name, struct xbuf *b)
{
	ssize_t n;
	int tries, e;

	for (tries = 0; tries < 4; tries++) {
		n = name ? cl_fgetxattr(fd, name, b->p, b->cap)
			 : cl_flistxattr(fd, b->p, b->cap);
		if (n != -ERANGE)
			return n;
		n = name ? cl_fgetxattr(fd, name, NULL, 0) : cl_flistxattr(fd, NULL, 0);
		if (n < 0)
			return n;
		e = xbuf_grow(b, (size_t)n + 64);
		if (e)
			return e;
	}
	return -ERANGE;
}

/* Copy one xattr NAME from IN to OUT. For security.* labels a refusal
 * (EPERM, EACCES, EOPNOTSUPP) is not an error: cp -p would go on too. */
static int copy_xattr(int in, int out, const char *name, struct xbuf *val)
{
	bool label = !strncmp(name, "security.", 9);
	ssize_t n = xget(in, name, val);
	int e;

	if (n == -ENODATA) /* removed meanwhile */
		return 0;
	if (n < 0)
		return (int)n;
	e = cl_fsetxattr(out, name, val->p, (size_t)n, 0);
	if (e && label && (e == -EPERM || e == -EACCES || e == -EOPNOTSUPP)) {
		cl_debug("copy: label %s not copied (%d)", name, -e);
		return 0;
	}
	return e;
}

/* The xattrs but the mark and the ACLs: security.* labels on the pass
 * where LABELS is set, the others on the first pass. */
static int copy_xattrs(int in, int out, struct xbuf *list, bool labels)
{
	char vstack[512];
	struct xbuf val = { vstack, sizeof vstack, false };
	const char *name;
	int e = 0;

	for (name = list->p; name < list->p + list->cap && *name; name += strlen(name) + 1) {
		if (!strcmp(name, CL_XATTR) || !strcmp(name, ACL_ACCESS) ||
		    !strcmp(name, ACL_DEFAULT))
			continue;
		if (labels != !strncmp(name, "security.", 9))
			continue;
		e = copy_xattr(in, out, name, &val);
		if (e)
			break;
	}
	xbuf_free(&val);
	return e;
}

/* The ACL of IN onto OUT, or none: OUT may have inherited a default ACL. */
static int copy_acl(int in, int out)
{
	char astack[256];
	struct xbuf val = { astack, sizeof astack, false };
	ssize_t n = xget(in, ACL_ACCESS, &val);
	int e;

	if (n >= 0)
		e = cl_fsetxattr(out, ACL_ACCESS, val.p, (size_t)n, 0);
	else if (n == -ENODATA || n == -EOPNOTSUPP) {
		e = cl_fremovexattr(out, ACL_ACCESS);
		if (e == -ENODATA || e == -EOPNOTSUPP)
			e = 0;
	} else
		e = (int)n;
	xbuf_free(&val);
	return e;
}

/* A directory's default ACL onto OUT, when IN has one. */
static int copy_default_acl(int in, int out)
{
	char astack[256];
	struct xbuf val = { astack, sizeof astack, false };
	ssize_t n = xget(in, ACL_DEFAULT, &val);
	int e = 0;

	if (n >= 0)
		e = cl_fsetxattr(out, ACL_DEFAULT, val.p, (size_t)n, 0);
	else if (n != -ENODATA && n != -EOPNOTSUPP)
		e = (int)n;
	xbuf_free(&val);
	return e;
}

int cl_copy_xattrs(int in, int out, bool dir)
{
	char lstack[512];
	struct xbuf list = { lstack, sizeof lstack, false };
	ssize_t n;
	int e;

	n = xget(in, NULL, &list);
	if (n == -EOPNOTSUPP)
		n = 0;
	if (n < 0) {
		e = (int)n;
		goto out_list;
	}
	if ((size_t)n < list.cap)
		list.p[n] = '\0';
	list.cap = (size_t)n;
	e = copy_xattrs(in, out, &list, false);
	if (!e)
		e = copy_acl(in, out);
	if (!e && dir)
		e = copy_default_acl(in, out);
	if (!e)
		e = copy_xattrs(in, out, &list, true);
out_list:
	xbuf_free(&list);
	return e;
}

int cl_copy_meta(int in, int out, const struct stat *st, mode_t wbits)
{
	struct timespec ts[2];
	struct stat ost;
	int e;

	/* Owner first: fchown clears setuid/setgid, fchmod below sets them. */
	e = cl_fstat(out, &ost);
	if (e)
		return e;
	if (ost.st_uid != st->st_uid || ost.st_gid != st->st_gid) {
		e = cl_fchown(out, st->st_uid, st->st_gid);
		if (e)
			return e;
	}
	e = cl_copy_xattrs(in, out, false);
	if (e)
		return e;
	e = cl_fchmod(out, (st->st_mode & 07777) | (wbits & 0222));
	if (e)
		return e;
	ts[0] = st->st_atim;
	ts[1] = st->st_mtim;
	return cl_futimens(out, ts);
}
