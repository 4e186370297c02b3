/* SPDX-License-Identifier: MIT */
/* cowlink_status(): what a path shares, and who holds shared inodes open
 * (cowlink status). Everything goes through the raw calls, so the answer is
 * the raw truth even when the caller runs under the shim. */
#include "link-internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "banned.h"

/* Extents asked for per FS_IOC_FIEMAP call. */
/* cl_extents_each's callback: stop at the first shared extent. */
static int is_shared(const struct cl_extent *x, void *arg)
{
	(void)arg;
	return (x->flags & FIEMAP_EXTENT_SHARED) != 0;
}

/* CL_YES if any extent of FD is shared with another inode (a reflink),
 * CL_NO if none is, CL_UNKNOWN if the filesystem cannot say. */
static enum cl_maybe fiemap_shared(int fd)
{
	int r = cl_extents_each(fd, is_shared, NULL);

	return r < 0 ? CL_UNKNOWN : r ? CL_YES : CL_NO;
}

/* Open PATH (following a final symlink) for reading its mark and extent
 * map: an O_PATH fd first, so a FIFO or device is never really opened, then
 * a regular file is reopened read-only through /proc/self/fd. -EACCES when
 * the caller may not read it (nor, then, its user.cowlink). */
int cowlink_status(const char *path, struct cowlink_status *out)
{
	char proc[CL_PROC_FD_MAX];
	struct cl_record rec;
	struct stat st;
	int pfd, fd = -1, marked, r;
	enum cl_maybe shared;

	memset(out, 0, sizeof *out);
	pfd = cl_openat(AT_FDCWD, path, O_PATH | O_CLOEXEC, 0);
	if (pfd < 0)
		return pfd;
	r = cl_fstat(pfd, &st);
	if (r < 0)
		goto out_close_path;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->names = st.st_nlink;
	out->mode = st.st_mode;
	out->record_ok = 1;
	out->reflinked = -1;
	out->kind = COWLINK_PLAIN;
	if (!S_ISREG(st.st_mode))
		goto out_close_path;

	cl_proc_fd_path(pfd, proc);
	/* A user xattr needs read permission anyway: a file the caller may
	 * not read cannot be described beyond its stat. */
	fd = cl_openat(AT_FDCWD, proc, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
	if (fd < 0) {
		r = fd;
		goto out_close_path;
	}
	marked = cl_mark_read_fd(fd, &rec);
	shared = fiemap_shared(fd);
	out->reflinked = shared == CL_UNKNOWN ? -1 : shared == CL_YES;
	if (marked < 0) {
		r = marked;
		goto out_close;
	}
	if (marked) {
		out->kind = st.st_nlink > 1 ? COWLINK_SHARED : COWLINK_ORPHAN;
		out->record_ok = rec.version != 0;
		out->recorded = rec.wbits;
		out->protected_ = rec.wbits && !(st.st_mode & rec.wbits);
	} else if (st.st_nlink > 1) {
		out->kind = COWLINK_UNMARKED;
	}
	r = 0;
out_close:
	cl_close(fd);
out_close_path:
	cl_close(pfd);
	return r;
}

/* A growable array of holders. */
struct holders {
	struct cl_holder *v;
	size_t n, cap;
};

static int holders_add(struct holders *h, uint64_t dev, uint64_t ino, pid_t pid)
{
	struct cl_holder *v = cl_grow(h->v, &h->cap, h->n, sizeof *v, 256);

	if (!v)
		return -ENOMEM;
	h->v = v;
	h->v[h->n++] = (struct cl_holder){ dev, ino, pid };
	return 0;
}

/* Every fd of one process: fstatat through the magic link gives the inode. */
static int scan_fds(int piddir, pid_t pid, struct holders *h)
{
	char buf[4096];
	struct stat st;
	ssize_t n, off;
	int dfd, r = 0;

	dfd = cl_openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0)
		return 0; /* gone, or not ours to look at */
	while ((n = cl_getdents64(dfd, buf, sizeof buf)) > 0) {
		for (off = 0; off < n;) {
			struct cl_dirent64 *d = (struct cl_dirent64 *)(buf + off);

			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			if (cl_fstatat(dfd, d->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
				continue;
			r = holders_add(h, st.st_dev, st.st_ino, pid);
			if (r < 0)
				goto out_close;
		}
	}
out_close:
	cl_close(dfd);
	return r;
}

/* Mapped files of one process: "start-end perms offset MAJ:MIN inode path".
 * Memory-mapped names survive the close of their fd. */
static int scan_maps(int piddir, pid_t pid, struct holders *h)
{
	enum { MAPS_BUF = 65536 };
	size_t len = 0;
	ssize_t n;
	char *buf, *line, *nl;
	int fd, r = 0;

	fd = cl_openat(piddir, "maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	buf = malloc(MAPS_BUF);
	if (!buf) {
		r = -ENOMEM;
		goto out_close;
	}
	for (;;) {
		n = cl_read(fd, buf + len, MAPS_BUF - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			unsigned maj, min;
			unsigned long long ino;

			*nl = 0;
			if (sscanf(line, "%*x-%*x %*s %*x %x:%x %llu", &maj, &min, &ino) == 3 &&
			    ino != 0) {
				r = holders_add(h, makedev(maj, min), ino, pid);
				if (r < 0)
					goto out_free;
			}
		}
		len = (size_t)(buf + len - line);
		memmove(buf, line, len);
		if (len == MAPS_BUF - 1) /* a line longer than the buffer */
			len = 0;
	}
out_free:
	free(buf);
out_close:
	cl_close(fd);
	return r;
}

static int holder_cmp(const void *a, const void *b)
{
	const struct cl_holder *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

ssize_t cl_holders_scan(struct cl_holder **out)
{
	struct holders h = { 0 };
	char buf[4096];
	pid_t self = getpid();
	ssize_t n, off;
	size_t i, j;
	int proc, r = 0;

	*out = NULL;
	proc = cl_openat(AT_FDCWD, "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (proc < 0)
		return proc;
	while ((n = cl_getdents64(proc, buf, sizeof buf)) > 0) {
		for (off = 0; off < n;) {
			struct cl_dirent64 *d = (struct cl_dirent64 *)(buf + off);
			char *end;
			long pid;
			int pd;

			off += d->d_reclen;
			pid = strtol(d->d_name, &end, 10);
			if (*end || pid <= 0 || pid == self)
				continue;
			pd = cl_openat(proc, d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
			if (pd < 0)
				continue;
			r = scan_fds(pd, (pid_t)pid, &h);
			if (!r)
				r = scan_maps(pd, (pid_t)pid, &h);
			cl_close(pd);
			if (r < 0)
				goto out_free;
		}
	}
	if (n < 0) {
		r = (int)n;
		goto out_free;
	}
	if (h.n)
		qsort(h.v, h.n, sizeof *h.v, holder_cmp);
	for (i = j = 0; i < h.n; i++)
		if (!j || holder_cmp(&h.v[j - 1], &h.v[i]))
			h.v[j++] = h.v[i];
	cl_close(proc);
	*out = h.v;
	return (ssize_t)j;
out_free:
	free(h.v);
	cl_close(proc);
	return r;
}
