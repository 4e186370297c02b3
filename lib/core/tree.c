/* Copying a tree as cowlinks (cowln -r): real directories, cowlinks for
 * regular files, symlinks as symlinks. Only directory-relative calls on
 * fds (getdents64, *at, f*), and the entry's d_type instead of a stat where
 * it tells enough: the walk costs what cp -al's does plus the link dance.
 *
 * Directories are jobs on a stack shared by cl_tree_threads workers (the
 * per-file lease dance is system-call bound, so two cores link about twice
 * as fast). A job lists its directory, links its files and pushes its
 * subdirectories; a directory gets its metadata when its last descendant is
 * done. Jobs are opened when popped, so open fds follow the depth of the
 * tree, not its width. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define DENTS_BUF (32u << 10)
#define PROGRESS_NS 250000000ull
#define MAX_THREADS 8

unsigned cl_tree_threads = 2;

struct job {
	struct job *parent;        /* NULL for the root */
	struct job *next;          /* on the stack */
	int sfd, dfd;              /* -1 until the job is opened */
	struct stat st;            /* the source directory */
	atomic_uint pending;       /* its own listing + unfinished children */
	const char *name;          /* in PATH: the last component */
	char path[];               /* relative to the roots ("" for the root) */
};

struct walk {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *stack;         /* under mu */
	unsigned busy;             /* jobs being worked on, under mu */
	atomic_int err;            /* the first error stops every worker */
	char failed[PATH_MAX];     /* under mu: where it happened */
	unsigned flags;
	cowlink_progress_fn fn;
	void *arg;
	atomic_ullong files, dirs, symlinks, bytes, skipped;
	atomic_ullong next_ns;     /* no progress call before this */
	dev_t root_dev;            /* the destination root: never walked into */
	ino_t root_ino;
	dev_t dst_dev;
	bool sigio_ignored;
	int clone;            /* cl_link_clone_hint() of the destination */
};

struct worker {
	struct walk *w;
	struct cl_link_ctx c;
	pthread_t tid;
	char path[PATH_MAX];       /* relative path of the entry at hand */
	size_t plen;
};

static void set_err(struct walk *w, int e, const char *path)
{
	int none = 0;

	pthread_mutex_lock(&w->mu);
	if (atomic_compare_exchange_strong(&w->err, &none, e))
		snprintf(w->failed, sizeof w->failed, "%s", path);
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void snapshot(struct walk *w, struct cowlink_progress *p, bool done)
{
	p->files = atomic_load(&w->files);
	p->dirs = atomic_load(&w->dirs);
	p->symlinks = atomic_load(&w->symlinks);
	p->bytes = atomic_load(&w->bytes);
	p->done = done;
}

/* Call the progress callback (one thread at a time) when a quarter second
 * has passed; non-zero from it stops the walk with -ECANCELED. */
static int progress(struct walk *w)
{
	struct cowlink_progress p;
	struct timespec now;
	unsigned long long ns;
	int r = 0;

	if (!w->fn)
		return 0;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	ns = (unsigned long long)now.tv_sec * 1000000000ull + (unsigned long long)now.tv_nsec;
	if (ns < atomic_load_explicit(&w->next_ns, memory_order_relaxed))
		return 0;
	pthread_mutex_lock(&w->mu);
	if (ns >= atomic_load(&w->next_ns)) {
		atomic_store(&w->next_ns, ns + PROGRESS_NS);
		snapshot(w, &p, false);
		r = w->fn(&p, w->arg) ? -ECANCELED : 0;
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}

/* Append NAME to the worker's relative path; returns the length to pop to. */
static size_t path_push(struct worker *wk, const char *name)
{
	size_t old = wk->plen, n = strlen(name);

	if (old + (old ? 1 : 0) + n < sizeof wk->path) {
		if (old)
			wk->path[wk->plen++] = '/';
		memcpy(wk->path + wk->plen, name, n + 1);
		wk->plen += n;
	}
	return old;
}

static void path_pop(struct worker *wk, size_t old)
{
	wk->plen = old;
	wk->path[old] = '\0';
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

/* A directory is done when its own listing and all its children are: give
 * it its metadata (unless the walk failed), close it, and tell its parent. */
static void finish(struct worker *wk, struct job *j)
{
	struct walk *w = wk->w;
	struct job *parent;
	int e;

	for (; j; j = parent) {
		if (atomic_fetch_sub(&j->pending, 1) != 1)
			return;
		if (j->dfd >= 0 && !atomic_load(&w->err)) {
			e = dir_meta(j->dfd, &j->st);
			if (e)
				set_err(w, e, j->path);
		}
		if (j->dfd >= 0)
			cl_close(j->dfd);
		if (j->sfd >= 0)
			cl_close(j->sfd);
		parent = j->parent;
		free(j);
	}
}

/* Queue the subdirectory NAME of J as a job of its own. */
static int push_dir(struct worker *wk, struct job *j, const char *name)
{
	struct walk *w = wk->w;
	size_t n = strlen(wk->path);
	struct job *c = malloc(sizeof *c + n + 1);

	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof *c);
	memcpy(c->path, wk->path, n + 1);
	c->name = c->path + (n - strlen(name));
	c->parent = j;
	c->sfd = c->dfd = -1;
	atomic_init(&c->pending, 1);
	atomic_fetch_add(&j->pending, 1);
	pthread_mutex_lock(&w->mu);
	c->next = w->stack;
	w->stack = c;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/* Open a popped job: the source directory, then its new twin (0700 while
 * it is filled). 1: it is the destination itself (cowln -r a a/b), skipped. */
static int open_job(struct worker *wk, struct job *j)
{
	struct walk *w = wk->w;
	struct job *p = j->parent;
	int e;

	j->sfd = cl_openat(p->sfd, j->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (j->sfd < 0)
		return j->sfd;
	e = cl_fstat(j->sfd, &j->st);
	if (e)
		return e;
	if (j->st.st_dev == w->root_dev && j->st.st_ino == w->root_ino) {
		cl_notef("skipped '%s': the destination itself", j->path);
		atomic_fetch_add(&w->skipped, 1);
		return 1;
	}
	e = cl_mkdirat(p->dfd, j->name, 0700);
	if (e)
		return e;
	j->dfd = cl_openat(p->dfd, j->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (j->dfd < 0)
		return j->dfd;
	atomic_fetch_add(&w->dirs, 1);
	return 0;
}

/* One directory entry that is not a directory: link, copy or skip. */
static int copy_entry(struct worker *wk, struct job *j, const char *name, unsigned char type)
{
	struct walk *w = wk->w;
	enum cowlink_how how;
	struct stat st;
	int e;

	if (type == DT_UNKNOWN || type == DT_LNK) {
		e = cl_fstatat(j->sfd, name, &st, AT_SYMLINK_NOFOLLOW);
		if (e)
			return e;
		type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR :
		       S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
	}
	switch (type) {
	case DT_DIR:
		return push_dir(wk, j, name);
	case DT_REG:
		e = cl_link_one(&wk->c, j->sfd, name, j->dfd, name, &how);
		if (e == -EINVAL) /* replaced by something else meanwhile */
			goto skip;
		if (!e) {
			atomic_fetch_add(&w->files, 1);
			atomic_fetch_add(&w->bytes, wk->c.bytes);
		}
		return e;
	case DT_LNK:
		e = copy_symlink(j->sfd, j->dfd, name, &st);
		if (!e)
			atomic_fetch_add(&w->symlinks, 1);
		return e;
	default:
		goto skip;
	}
skip:
	cl_notef("skipped '%s': not a regular file, directory or symlink", wk->path);
	atomic_fetch_add(&w->skipped, 1);
	return 0;
}

/* List J's source directory and handle every entry. */
static int list_job(struct worker *wk, struct job *j)
{
	struct walk *w = wk->w;
	char *buf;
	ssize_t n, off;
	size_t old;
	int e = 0;

	buf = malloc(DENTS_BUF);
	if (!buf)
		return -ENOMEM;
	while ((n = cl_getdents64(j->sfd, buf, DENTS_BUF)) > 0) {
		for (off = 0; off < n;) {
			struct cl_dirent64 *d = (struct cl_dirent64 *)(buf + off);
			const char *name = d->d_name;

			off += d->d_reclen;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			if (atomic_load_explicit(&w->err, memory_order_relaxed))
				goto out_free;
			old = path_push(wk, name);
			e = copy_entry(wk, j, name, d->d_type);
			if (!e)
				e = progress(w);
			if (e)
				goto out_free; /* the path names the entry that failed */
			path_pop(wk, old);
		}
	}
	if (n < 0)
		e = (int)n;
out_free:
	free(buf);
	return e;
}

/* A worker: pop a directory, open it, list it, finish it; until the stack
 * is empty and nobody can push any more, or the walk failed. */
static void *work(void *arg)
{
	struct worker *wk = arg;
	struct walk *w = wk->w;
	struct job *j;
	int e;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stack && w->busy && !atomic_load(&w->err))
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->stack || atomic_load(&w->err))
			break;
		j = w->stack;
		w->stack = j->next;
		w->busy++;
		pthread_mutex_unlock(&w->mu);

		wk->plen = strlen(j->path);
		memcpy(wk->path, j->path, wk->plen + 1);
		e = j->parent ? open_job(wk, j) : 0;
		if (!e)
			e = list_job(wk, j);
		if (e < 0)
			set_err(w, e, wk->path);
		finish(wk, j);

		pthread_mutex_lock(&w->mu);
		w->busy--;
		if (!w->busy)
			pthread_cond_broadcast(&w->cv);
	}
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Walk from the root job with N workers (this thread one of them); after a
 * failure, drop what is still queued. */
static void run(struct walk *w, struct job *root, unsigned n)
{
	struct worker *wk;
	struct job *j;
	unsigned i, started = 1;

	wk = calloc(n, sizeof *wk);
	if (!wk) {
		set_err(w, -ENOMEM, "");
		finish(&(struct worker){ .w = w }, root);
		return;
	}
	for (i = 0; i < n; i++) {
		wk[i].w = w;
		cl_link_ctx_init(&wk[i].c, w->flags);
		wk[i].c.nofollow = true;
		wk[i].c.dst_dev = w->dst_dev;
		wk[i].c.sigio_ignored = w->sigio_ignored;
		wk[i].c.clone = w->clone;
	}
	root->next = NULL;
	w->stack = root;
	for (i = 1; i < n; i++, started++)
		if (pthread_create(&wk[i].tid, NULL, work, &wk[i]))
			break;
	work(&wk[0]);
	for (i = 1; i < started; i++)
		pthread_join(wk[i].tid, NULL);
	while ((j = w->stack)) {
		w->stack = j->next;
		finish(&wk[0], j);
	}
	free(wk);
}

static unsigned nthreads(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = cl_tree_threads ? cl_tree_threads : 1;

	if (n > MAX_THREADS)
		n = MAX_THREADS;
	if (cpus > 0 && (unsigned long)cpus < n)
		n = (unsigned)cpus;
	return n;
}

int cl_link_tree(const char *src, const char *dst, unsigned flags,
		 cowlink_progress_fn fn, void *arg, uint64_t *skipped,
		 char *failed, size_t fn_len)
{
	struct cowlink_progress p;
	struct stat st, dst_st;
	enum cowlink_how how;
	struct walk *w;
	struct job *root;
	int saved = errno, s, d, e;

	if (failed && fn_len)
		failed[0] = '\0';
	if (!src || !dst)
		return -EFAULT;
	if ((flags & COWLINK_REFLINK_ALWAYS) && (flags & COWLINK_REFLINK_NEVER))
		return -EINVAL;
	flags &= ~(unsigned)COWLINK_FORCE; /* DST must not exist: nothing to replace */
	w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->flags = flags;
	w->fn = fn;
	w->arg = arg;
	w->sigio_ignored = cl_lease_sigio_ignored();

	e = cl_fstatat(AT_FDCWD, src, &st, 0);
	if (e)
		goto out_free;
	if (S_ISREG(st.st_mode)) {
		e = cowlink_link(src, dst, flags, &how);
		if (!e) {
			atomic_store(&w->files, 1);
			atomic_store(&w->bytes, (uint64_t)st.st_size);
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
	if (!e && dst_st.st_dev != st.st_dev && !(flags & COWLINK_COPY_XDEV)) {
		/* Nothing could be linked: say so before filling anything.
		 * (Btrfs subvolumes could clone across; use --copy-across.) */
		(void)cl_unlinkat(AT_FDCWD, dst, AT_REMOVEDIR);
		e = -EXDEV;
	}
	root = e ? NULL : calloc(1, sizeof *root + 1);
	if (!root) {
		e = e ? e : -ENOMEM;
		cl_close(d);
		goto out_close_src;
	}
	root->sfd = s;
	root->dfd = d;
	root->st = st;
	atomic_init(&root->pending, 1);
	root->name = root->path;
	w->root_dev = dst_st.st_dev;
	w->root_ino = dst_st.st_ino;
	w->dst_dev = dst_st.st_dev;
	w->clone = cl_link_clone_hint(d);
	atomic_store(&w->dirs, 1);
	run(w, root, nthreads()); /* closes S and D */
	e = atomic_load(&w->err);
	goto out_done;

out_close_src:
	cl_close(s);
	goto out_free;
out_done:
	if (failed && fn_len) {
		snprintf(failed, fn_len, "%s", w->failed);
	}
	if (fn) {
		snapshot(w, &p, true);
		(void)fn(&p, arg);
	}
	if (skipped)
		*skipped = atomic_load(&w->skipped);
out_free:
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	errno = saved;
	return e;
}

int cowlink_link_tree(const char *src, const char *dst, unsigned flags,
		      cowlink_progress_fn fn, void *arg, uint64_t *skipped)
{
	return cl_link_tree(src, dst, flags, fn, arg, skipped, NULL, 0);
}
