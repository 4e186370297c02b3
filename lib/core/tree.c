/* Copying a tree as cowlinks (cowln -r): real directories, cowlinks for
 * regular files, symlinks as symlinks. Only directory-relative calls on
 * fds (getdents64, *at, f*), and the entry's d_type instead of a stat where
 * it tells enough: the walk costs what cp -al's does plus the link dance. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define DENTS_BUF (32u << 10)
#define PROGRESS_NS 250000000L

struct tree {
	struct cl_link_ctx c;
	cowlink_progress_fn fn;
	void *arg;
	struct cowlink_progress p;
	uint64_t skipped;
	struct timespec next;      /* no progress call before this */
	dev_t root_dev;            /* the destination root: never walked into */
	ino_t root_ino;
	char path[PATH_MAX];       /* relative path of the entry at hand */
	size_t plen;
};

/* Call the progress callback when a quarter second has passed (or at the
 * end); non-zero from it stops the walk. */
static int progress(struct tree *t, bool done)
{
	struct timespec now;

	if (!t->fn)
		return 0;
	if (!done) {
		clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
		if (now.tv_sec < t->next.tv_sec ||
		    (now.tv_sec == t->next.tv_sec && now.tv_nsec < t->next.tv_nsec))
			return 0;
		t->next = now;
		t->next.tv_nsec += PROGRESS_NS;
		if (t->next.tv_nsec >= 1000000000L) {
			t->next.tv_sec++;
			t->next.tv_nsec -= 1000000000L;
		}
	}
	t->p.done = done;
	return t->fn(&t->p, t->arg) ? -ECANCELED : 0;
}

/* Append NAME to the relative path; returns the old length to pop back to. */
static size_t path_push(struct tree *t, const char *name)
{
	size_t old = t->plen, n = strlen(name);

	if (old + (old ? 1 : 0) + n < sizeof t->path) {
		if (old)
			t->path[t->plen++] = '/';
		memcpy(t->path + t->plen, name, n + 1);
		t->plen += n;
	}
	return old;
}

static void path_pop(struct tree *t, size_t old)
{
	t->plen = old;
	t->path[old] = '\0';
}

/* Directory metadata as cp -p, once its contents are in: owner (not ours to
 * give without privilege: skipped then, as cp -p does), mode, times. */
static int dir_meta(int dfd, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int e;

	e = cl_fchown(dfd, st->st_uid, st->st_gid);
	if (e && e != -EPERM)
		return e;
	e = cl_fchmod(dfd, st->st_mode & 07777);
	if (e)
		return e;
	return cl_futimens(dfd, ts);
}

/* Copy the symlink NAME of SDIR into DDIR: target, owner, times. ST is its
 * lstat. */
static int copy_symlink(int sdir, int ddir, const char *name, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	char target[PATH_MAX];
	ssize_t n;
	int e;

	n = cl_readlinkat(sdir, name, target, sizeof target);
	if (n < 0)
		return (int)n;
	if ((size_t)n >= sizeof target)
		return -ENAMETOOLONG;
	target[n] = '\0';
	e = cl_symlinkat(target, ddir, name);
	if (e)
		return e;
	e = cl_fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
	if (e && e != -EPERM)
		return e;
	return cl_utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int copy_dir(struct tree *t, int sdir, int ddir, unsigned depth);

/* Make the directory NAME of SDIR in DDIR, fill it, then give it its
 * metadata. The destination root itself (cowln -r a a/b) is skipped. */
static int copy_subdir(struct tree *t, int sdir, int ddir, const char *name, unsigned depth)
{
	struct stat st;
	int s, d, e;

	s = cl_openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (s < 0)
		return s;
	e = cl_fstat(s, &st);
	if (e)
		goto out_close_src;
	if (st.st_dev == t->root_dev && st.st_ino == t->root_ino) {
		cl_notef("skipped '%s': the destination itself", t->path);
		t->skipped++;
		goto out_close_src;
	}
	e = cl_mkdirat(ddir, name, 0700);
	if (e)
		goto out_close_src;
	d = cl_openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (d < 0) {
		e = d;
		goto out_close_src;
	}
	t->p.dirs++;
	e = copy_dir(t, s, d, depth + 1);
	if (!e)
		e = dir_meta(d, &st);
	cl_close(d);
out_close_src:
	cl_close(s);
	return e;
}

/* One directory entry: link, copy, recurse or skip by its type. */
static int copy_entry(struct tree *t, int sdir, int ddir, const char *name,
		      unsigned char type, unsigned depth)
{
	enum cowlink_how how;
	struct stat st;
	int e;

	if (type == DT_UNKNOWN || type == DT_LNK) {
		e = cl_fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW);
		if (e)
			return e;
		type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR :
		       S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
	}
	switch (type) {
	case DT_REG:
		e = cl_link_one(&t->c, sdir, name, ddir, name, &how);
		if (e == -EINVAL) /* replaced by something else meanwhile */
			goto skip;
		if (!e) {
			t->p.files++;
			t->p.bytes += t->c.bytes;
		}
		return e;
	case DT_DIR:
		return copy_subdir(t, sdir, ddir, name, depth);
	case DT_LNK:
		e = copy_symlink(sdir, ddir, name, &st);
		if (!e)
			t->p.symlinks++;
		return e;
	default:
		goto skip;
	}
skip:
	cl_notef("skipped '%s': not a regular file, directory or symlink", t->path);
	t->skipped++;
	return 0;
}

/* Copy the contents of SDIR into DDIR. */
static int copy_dir(struct tree *t, int sdir, int ddir, unsigned depth)
{
	char *buf;
	ssize_t n, off;
	size_t old;
	int e = 0;

	buf = malloc(DENTS_BUF);
	if (!buf)
		return -ENOMEM;
	while ((n = cl_getdents64(sdir, buf, DENTS_BUF)) > 0) {
		for (off = 0; off < n;) {
			struct cl_dirent64 *d = (struct cl_dirent64 *)(buf + off);
			const char *name = d->d_name;

			off += d->d_reclen;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			old = path_push(t, name);
			e = copy_entry(t, sdir, ddir, name, d->d_type, depth);
			if (!e)
				e = progress(t, false);
			if (e)
				goto out_free; /* the path names the entry that failed */
			path_pop(t, old);
		}
	}
	if (n < 0)
		e = (int)n;
out_free:
	free(buf);
	return e;
}

int cl_link_tree(const char *src, const char *dst, unsigned flags,
		 cowlink_progress_fn fn, void *arg, uint64_t *skipped,
		 char *failed, size_t fn_len)
{
	struct tree *t;
	struct stat st, dst_st;
	enum cowlink_how how;
	int saved = errno, s, d, e;

	if (failed && fn_len)
		failed[0] = '\0';
	if (!src || !dst)
		return -EFAULT;
	if ((flags & COWLINK_REFLINK_ALWAYS) && (flags & COWLINK_REFLINK_NEVER))
		return -EINVAL;
	if (flags & COWLINK_FORCE) /* DST must not exist: nothing to replace */
		flags &= ~(unsigned)COWLINK_FORCE;
	t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	cl_link_ctx_init(&t->c, flags);
	t->c.nofollow = true;
	t->fn = fn;
	t->arg = arg;

	e = cl_fstatat(AT_FDCWD, src, &st, 0);
	if (e)
		goto out_free;
	if (S_ISREG(st.st_mode)) {
		e = cowlink_link(src, dst, flags, &how);
		if (!e) {
			t->p.files = 1;
			t->p.bytes = (uint64_t)st.st_size;
		}
		goto out_done;
	}
	if (!S_ISDIR(st.st_mode)) {
		e = -EINVAL;
		goto out_free;
	}
	s = cl_openat(AT_FDCWD, src, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (s < 0) {
		e = s;
		goto out_free;
	}
	e = cl_mkdirat(AT_FDCWD, dst, 0700);
	if (e)
		goto out_close_src;
	d = cl_openat(AT_FDCWD, dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (d < 0) {
		e = d;
		goto out_close_src;
	}
	e = cl_fstat(d, &dst_st);
	if (e)
		goto out_close_dst;
	if (dst_st.st_dev != st.st_dev && !(flags & COWLINK_COPY_XDEV)) {
		/* Nothing could be linked: say so before filling anything.
		 * (Btrfs subvolumes could clone across; use --copy-across.) */
		cl_close(d);
		(void)cl_unlinkat(AT_FDCWD, dst, AT_REMOVEDIR);
		e = -EXDEV;
		goto out_close_src;
	}
	t->root_dev = dst_st.st_dev;
	t->root_ino = dst_st.st_ino;
	t->c.dst_dev = dst_st.st_dev;
	t->p.dirs = 1;
	e = copy_dir(t, s, d, 0);
	if (!e)
		e = dir_meta(d, &st);
out_close_dst:
	cl_close(d);
out_close_src:
	cl_close(s);
out_done:
	if (failed && fn_len) {
		strncpy(failed, t->path, fn_len - 1);
		failed[fn_len - 1] = '\0';
	}
	if (!e) {
		e = progress(t, true);
	} else if (t->fn) {
		t->p.done = 1;
		(void)t->fn(&t->p, t->arg);
	}
	if (skipped)
		*skipped = t->skipped;
out_free:
	free(t);
	errno = saved;
	return e;
}

int cowlink_link_tree(const char *src, const char *dst, unsigned flags,
		      cowlink_progress_fn fn, void *arg, uint64_t *skipped)
{
	return cl_link_tree(src, dst, flags, fn, arg, skipped, NULL, 0);
}
