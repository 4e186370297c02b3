/* SPDX-License-Identifier: MIT */
/* Copying a cowlink into its private file (docs/DESIGN.md §5 steps 3 and 4):
 * the data, as cheaply as the filesystem allows and with holes kept, then the
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
/* Writeback is started once per this much copied (CL_COPY_FLUSH): on ext4
 * 2 to 64 MiB measured alike (bench/RESULTS.md 3a); 8 MiB keeps a 1 GiB
 * copy at 256 system calls and lets the disk work while the rest copies. */
#define FLUSH_CHUNK (8u << 20)

/* Errors that mean "this way of copying is not available here": try the
 * next one. Anything else (ENOSPC, EIO, EDQUOT...) is the answer. */
static bool unsupported(long e)
{
	return e == -EOPNOTSUPP || e == -ENOTTY || e == -EXDEV ||
	       e == -EINVAL || e == -ENOSYS;
}

/* One copy in progress: where it goes, how, and how far its writeback has
 * been started (see flush_ahead). */
struct copier {
	int in, out;
	off_t end;    /* the copy stops here */
	off_t queued; /* writeback started for [0, queued) of OUT */
	bool flush;   /* CL_COPY_FLUSH */
	bool use_cfr; /* copy_file_range still worth trying */
	char *buf;    /* read/write fallback buffer */
};

/* Start writeback of what OUT has gained since the last call, once that is a
 * whole FLUSH_CHUNK, and never for the tail (see CL_COPY_FLUSH). Only a
 * hint: its errors change nothing, the rename's flush or the fdatasync that
 * follows the copy reports what matters. */
static void flush_ahead(struct copier *c, off_t done)
{
	if (!c->flush || done - c->queued < (off_t)FLUSH_CHUNK || done >= c->end)
		return;
	(void)cl_sync_file_range(c->out, c->queued, done - c->queued, SYNC_FILE_RANGE_WRITE);
	c->queued = done;
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

/* Copy [*off, end) of IN to the same offsets of OUT with pread/write,
 * advancing *OFF. Stops early, without error, if IN turns out shorter. */
static int copy_rw(struct copier *c, off_t *off, off_t end)
{
	off_t o;
	int e;

	if (!c->buf) {
		c->buf = malloc(RW_CHUNK);
		if (!c->buf)
			return -ENOMEM;
	}
	o = cl_lseek(c->out, *off, SEEK_SET);
	if (o < 0)
		return (int)o;
	while (*off < end) {
		size_t want = end - *off < (off_t)RW_CHUNK ? (size_t)(end - *off) : RW_CHUNK;
		ssize_t r = cl_pread(c->in, c->buf, want, *off);

		if (r == -EINTR)
			continue;
		if (r < 0)
			return (int)r;
		if (r == 0)
			break;
		e = write_all(c->out, c->buf, (size_t)r);
		if (e)
			return e;
		*off += r;
		flush_ahead(c, *off);
	}
	return 0;
}

/* Copy [*off, end) with copy_file_range, advancing *OFF, falling back to
 * read/write (for good) the first time the kernel says it cannot. When
 * flushing ahead, one call per FLUSH_CHUNK so that writeback can start. */
static int copy_range(struct copier *c, off_t *off, off_t end)
{
	off_t ioff = *off, ooff = *off;

	while (c->use_cfr && ioff < end) {
		size_t want = (size_t)(end - ioff);
		ssize_t n;

		if (c->flush && want > FLUSH_CHUNK)
			want = FLUSH_CHUNK;
		n = cl_copy_file_range(c->in, &ioff, c->out, &ooff, want, 0);
		if (n == -EINTR)
			continue;
		if (n < 0 && unsupported(n)) {
			cl_debug("copy: copy_file_range unavailable (%d), read/write", (int)-n);
			c->use_cfr = false;
			break;
		}
		if (n < 0)
			return (int)n;
		if (n == 0) /* EOF early, or a filesystem that copies nothing */
			break;
		flush_ahead(c, ioff);
	}
	*off = ioff;
	if (ioff >= end)
		return 0;
	return copy_rw(c, off, end);
}

int cl_copy_data(int in, int out, const struct stat *st, off_t len, unsigned flags,
		 bool *cloned)
{
	struct copier c = { in, out, 0, 0, flags & CL_COPY_FLUSH, true, NULL };
	off_t size = st->st_size, pos = 0, data, hole;
	int e;

	*cloned = false;
	if (len == 0)
		return 0;
	c.end = len < 0 || len > size ? size : len;
	if (c.end == 0)
		goto out_size;

	/* Clone the whole file even for a shorter LEN: cheap, then truncated. */
	if (!(flags & CL_COPY_NOCLONE)) {
		e = cl_ioctl(out, FICLONE, (void *)(intptr_t)in);
		if (!e) {
			*cloned = true;
			cl_debug("copy: cloned %lld bytes", (long long)size);
			goto out_size;
		}
		if (!unsupported(e))
			return e;
	}

	/* One data extent at a time: a whole-file copy would fill holes. A
	 * file with as many blocks as bytes has no hole worth the two lseeks
	 * (at worst, blocks preallocated past the end hide a hole, which the
	 * copy then fills: the same bytes, more space). */
	if ((off_t)st->st_blocks * 512 >= c.end) {
		e = copy_range(&c, &pos, c.end);
		if (e)
			goto out_free;
	}
	while (pos < c.end) {
		data = cl_lseek(in, pos, SEEK_DATA);
		if (data == -ENXIO)
			break;
		if (data < 0) {
			data = pos;
			hole = c.end;
		} else {
			hole = cl_lseek(in, data, SEEK_HOLE);
			if (hole < 0)
				hole = c.end;
		}
		if (data >= c.end)
			break;
		if (hole > c.end)
			hole = c.end;
		if (hole <= data) /* a shrinking file; do not loop forever */
			break;
		pos = data;
		e = copy_range(&c, &pos, hole);
		if (e)
			goto out_free;
		if (pos < hole) /* IN ended early */
			break;
	}
out_size:
	e = 0;
	/* The size: after a clone when LEN cuts it, after a copy when a hole
	 * ends the file or IN ended early (pos short of the end). */
	if (*cloned ? len >= 0 : pos != (len >= 0 ? len : size))
		e = cl_ftruncate(out, len >= 0 ? len : size);
out_free:
	free(c.buf);
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

/* Is NAME in the xattr name list LIST? */
static bool listed(const struct xbuf *list, const char *name)
{
	const char *p;

	for (p = list->p; p < list->p + list->cap && *p; p += strlen(p) + 1)
		if (!strcmp(p, name))
			return true;
	return false;
}

/* The ACL of IN onto OUT, or none: OUT may have inherited a default ACL.
 * HAS: IN's xattr list names one (else it is not read). */
static int copy_acl(int in, int out, bool has)
{
	char astack[256];
	struct xbuf val = { astack, sizeof astack, false };
	ssize_t n = has ? xget(in, ACL_ACCESS, &val) : -ENODATA;
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
		e = copy_acl(in, out, listed(&list, ACL_ACCESS));
	if (!e && dir && listed(&list, ACL_DEFAULT))
		e = copy_default_acl(in, out);
	if (!e)
		e = copy_xattrs(in, out, &list, true);
out_list:
	xbuf_free(&list);
	return e;
}

int cl_copy_meta(int in, int out, const struct stat *st, mode_t wbits, ino_t *ino)
{
	struct timespec ts[2];
	struct stat ost;
	int e;

	/* Owner first: fchown clears setuid/setgid, fchmod below sets them. */
	e = cl_fstat(out, &ost);
	if (e)
		return e;
	if (ino)
		*ino = ost.st_ino;
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
