/* SPDX-License-Identifier: MIT */
/* The generic tree walk: every entry under a root, symlinks below it not
 * followed, directories read in sorted order so reports are stable. Raw
 * calls only, so the walk sees the raw metadata even under the shim. Used
 * by cowlink fsck, dedupe and the tools (cowlink-tools.h). */
#include "link-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* The walk's state: the callback and the path of the current entry, grown
 * as the walk goes deeper. */
struct walk {
	cl_walk_fn fn;
	void *arg;
	char *path;
	size_t len, cap;
};

static int path_push(struct walk *w, const char *name, size_t *old)
{
	size_t n = strlen(name), need;

	*old = w->len;
	need = w->len + 1 + n + 1;
	if (need > w->cap) {
		size_t cap = need * 2;
		char *p = realloc(w->path, cap);

		if (!p)
			return -ENOMEM;
		w->path = p;
		w->cap = cap;
	}
	if (w->len && w->path[w->len - 1] != '/')
		w->path[w->len++] = '/';
	memcpy(w->path + w->len, name, n + 1);
	w->len += n;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in DFD but "." and "..", sorted so reports are stable. */
static int read_names(int dfd, char ***out, size_t *count)
{
	char buf[8192];
	char **v = NULL, **nv;
	size_t n = 0, cap = 0;
	ssize_t got, off;
	int r = 0;

	while ((got = cl_getdents64(dfd, buf, sizeof buf)) > 0) {
		for (off = 0; off < got;) {
			struct cl_dirent64 *d = (struct cl_dirent64 *)(buf + off);

			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			nv = cl_grow(v, &cap, n, sizeof *v, 64);
			if (!nv) {
				r = -ENOMEM;
				goto out_free;
			}
			v = nv;
			v[n] = strdup(d->d_name);
			if (!v[n]) {
				r = -ENOMEM;
				goto out_free;
			}
			n++;
		}
	}
	if (got < 0) {
		r = (int)got;
		goto out_free;
	}
	if (n)
		qsort(v, n, sizeof *v, name_cmp);
	*out = v;
	*count = n;
	return 0;
out_free:
	while (n)
		free(v[--n]);
	free(v);
	return r;
}

/* Visit one entry (its path already in w->path) and, for a directory the
 * callback wants, everything below it. */
static int walk_entry(struct walk *w, int dirfd, const char *name, unsigned depth)
{
	struct cl_walk_ent e = { .dirfd = dirfd, .name = name, .depth = depth };
	struct stat st, dst;
	char **names = NULL;
	size_t n = 0, i, old;
	int r, dfd, err = 0;

	memset(&st, 0, sizeof st);
	e.st = &st;
	e.path = w->path;
	e.err = cl_fstatat(dirfd, name, &st, depth ? AT_SYMLINK_NOFOLLOW : 0);
	r = w->fn(&e, w->arg);
	if (r || e.err || !S_ISDIR(st.st_mode))
		return r < 0 ? r : 0;

	dfd = cl_openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
			(depth ? O_NOFOLLOW : 0), 0);
	if (dfd < 0) {
		err = dfd;
		goto out_post;
	}
	/* Replaced since the stat: not the directory we were told about. */
	if (cl_fstat(dfd, &dst) < 0 || dst.st_dev != st.st_dev || dst.st_ino != st.st_ino) {
		err = -EAGAIN;
		goto out_close;
	}
	err = read_names(dfd, &names, &n);
	for (i = 0; i < n && r >= 0; i++) {
		r = path_push(w, names[i], &old);
		if (r < 0)
			break;
		r = walk_entry(w, dfd, names[i], depth + 1);
		w->len = old;
		w->path[old] = 0;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
out_close:
	cl_close(dfd);
out_post:
	if (r < 0)
		return r;
	e.err = err;
	e.post = true;
	e.path = w->path;
	r = w->fn(&e, w->arg);
	return r < 0 ? r : 0;
}

int cl_walk(const char *root, cl_walk_fn fn, void *arg)
{
	struct walk w = { .fn = fn, .arg = arg };
	size_t old;
	int r;

	r = path_push(&w, root, &old);
	if (r == 0)
		r = walk_entry(&w, AT_FDCWD, root, 0);
	free(w.path);
	return r;
}
