/* SPDX-License-Identifier: MIT */
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
 * tree, not its width.
 *
 * Hard links inside the tree stay hard links, as cp -a keeps them: an
 * unmarked file with several links is copied once (its names may not become
 * cowlinks of the source behind its owner's back, docs/DESIGN.md §6), and its
 * other names in the tree are hard links of that copy. Not one cowlink set per
 * group: those names share writes in the source, and a set would make them
 * independent of each other; a plain inode of the copy's own keeps both
 * promises, every name independent of the source and the group a group. */
#include "link-internal.h"

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
#define GROUP_BUCKETS 1024

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

/* A hard-link group met in the walk: the source inode and where its first
 * name was copied to (relative to the destination root). */
struct group {
	struct group *next;
	dev_t dev;
	ino_t ino;
	bool done;                 /* the copy is complete (else: being made) */
	nlink_t nlink, met;        /* the source's links, names met in the tree */
	char path[];
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
	atomic_ullong files, dirs, symlinks, bytes, skipped, specials, specials_left;
	char special_left[PATH_MAX]; /* under mu: the first one left out */
	atomic_ullong copied[CL_COPY_NR], copied_bytes[CL_COPY_NR];
	atomic_ullong orphans;     /* protected orphans of SRC left so (c.orphan) */
	atomic_ullong group_names;
	pthread_mutex_t gmu;       /* the groups, and waiting for a group's copy */
	pthread_cond_t gcv;
	struct group **groups;     /* GROUP_BUCKETS chains, allocated on first use */
	int root_dfd;              /* the destination root, open while anything is */
	atomic_ullong next_ns;     /* no progress call before this */
	dev_t root_dev;            /* the destination root: never walked into */
	ino_t root_ino;
	dev_t dst_dev;
	bool sigio_ignored;
	enum cl_maybe clone;  /* cl_link_clone_hint() of the destination */
	char *upper;          /* under -v, SRC on overlayfs: its upper-layer path */
	bool upper_unknown;   /* under -v, SRC on overlayfs: no upper to look at */
	atomic_ullong copied_up, copied_up_bytes;
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

/* Directory metadata as cp -a, once its contents are in: owner (not ours to
 * give without privilege: skipped then, as cp -a does), xattrs, ACL and
 * default ACL, mode, times. */
static int dir_meta(int sfd, int dfd, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int e;

	e = cl_fchown(dfd, st->st_uid, st->st_gid);
	if (e && e != -EPERM)
		return e;
	e = cl_copy_xattrs(sfd, dfd, true);
	if (e)
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
			e = dir_meta(j->sfd, j->dfd, &j->st);
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

/* A FIFO, socket or device NAME (lstat ST) as cp -a makes it: a new node
 * of the same type, mode and device number, then owner, mode, times.
 * Without the privilege to make a device node, a hard link, as cp -al
 * makes. Told under -v. Where neither is allowed (another user's device),
 * left out and counted, as cp -a goes on after it; the tool says so. */
static int copy_special(struct worker *wk, struct job *j, const char *name,
			const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	const char *kind = S_ISFIFO(st->st_mode) ? "FIFO" : S_ISSOCK(st->st_mode) ? "socket" :
			   S_ISCHR(st->st_mode) ? "character device" : "block device";
	int e;

	e = cl_mknodat(j->dfd, name, st->st_mode & (S_IFMT | 0700), st->st_rdev);
	if (e == -EPERM) {
		e = cl_linkat(j->sfd, name, j->dfd, name, 0);
		if (!e)
			cl_notef("'%s': %s hard-linked (not allowed to make one)", wk->path, kind);
		if (e == -EPERM) {
			pthread_mutex_lock(&wk->w->mu);
			if (!atomic_fetch_add(&wk->w->specials_left, 1))
				snprintf(wk->w->special_left, sizeof wk->w->special_left, "%s",
					 wk->path);
			pthread_mutex_unlock(&wk->w->mu);
			return 1;
		}
		return e;
	}
	if (e)
		return e;
	e = cl_fchownat(j->dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
	if (e && e != -EPERM)
		return e;
	e = cl_fchmodat(j->dfd, name, st->st_mode & 07777);
	if (!e)
		e = cl_utimensat(j->dfd, name, ts, AT_SYMLINK_NOFOLLOW);
	if (!e)
		cl_notef("'%s': %s copied", wk->path, kind);
	return e;
}

static unsigned group_slot(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;
	return (unsigned)(h >> 40) % GROUP_BUCKETS;
}

/* The group of the inode ST describes, met at the worker's path. Returns
 * it once its first name is copied (another name: link to it), or NULL
 * with *FIRST set when this name is the first and must be copied (then
 * group_done), or NULL with -errno in *FIRST. Waits while another worker
 * copies the first name. */
static struct group *group_join(struct worker *wk, const struct stat *st, int *first)
{
	struct walk *w = wk->w;
	struct group *g, **b;
	size_t n;

	pthread_mutex_lock(&w->gmu);
	if (!w->groups && !(w->groups = calloc(GROUP_BUCKETS, sizeof *w->groups))) {
		pthread_mutex_unlock(&w->gmu);
		*first = -ENOMEM;
		return NULL;
	}
	b = &w->groups[group_slot(st->st_dev, st->st_ino)];
	for (;;) {
		for (g = *b; g && (g->dev != st->st_dev || g->ino != st->st_ino); g = g->next)
			;
		if (!g || g->done)
			break;
		pthread_cond_wait(&w->gcv, &w->gmu); /* the first name is being copied */
	}
	if (g) {
		g->met++;
		pthread_mutex_unlock(&w->gmu);
		*first = 0;
		return g;
	}
	n = strlen(wk->path);
	g = malloc(sizeof *g + n + 1);
	if (!g) {
		*first = -ENOMEM;
	} else {
		memcpy(g->path, wk->path, n + 1);
		g->dev = st->st_dev;
		g->ino = st->st_ino;
		g->nlink = st->st_nlink;
		g->met = 1;
		g->done = false;
		g->next = *b;
		*b = g;
		*first = 1;
	}
	pthread_mutex_unlock(&w->gmu);
	return NULL;
}

/* The first name of group ST's inode is copied (E 0) or failed: then the
 * group is forgotten, and the next name met starts it again. */
static void group_done(struct walk *w, const struct stat *st, int e)
{
	struct group *g, **p;

	pthread_mutex_lock(&w->gmu);
	for (p = &w->groups[group_slot(st->st_dev, st->st_ino)]; (g = *p); p = &g->next)
		if (g->dev == st->st_dev && g->ino == st->st_ino && !g->done)
			break;
	if (g && !e) {
		g->done = true;
	} else if (g) {
		*p = g->next;
		free(g);
	}
	pthread_cond_broadcast(&w->gcv);
	pthread_mutex_unlock(&w->gmu);
}

/* Count a file handled by cl_link_fd/cl_link_one in the worker's context. */
static void counted(struct worker *wk)
{
	struct walk *w = wk->w;

	atomic_fetch_add(&w->files, 1);
	atomic_fetch_add(&w->bytes, wk->c.bytes);
	if (wk->c.orphan)
		atomic_fetch_add(&w->orphans, 1);
	if (wk->c.copied) {
		atomic_fetch_add(&w->copied[wk->c.copied], 1);
		atomic_fetch_add(&w->copied_bytes[wk->c.copied], wk->c.bytes);
	}
}

/* A regular file NAME of J: a cowlink (or clone), or, when it is one name
 * of an unmarked hard-link group, a copy for the first name met and hard
 * links of that copy for the others. */
static int link_file(struct worker *wk, struct job *j, const char *name)
{
	struct walk *w = wk->w;
	char mark[CL_RECORD_MAX];
	enum cowlink_how how;
	struct group *g = NULL;
	ssize_t marklen = -1;
	struct stat st;
	int sfd, e, first = 0;
	bool lower;

	sfd = cl_link_open(&wk->c, j->sfd, name, &st);
	if (sfd < 0)
		return sfd;
	if (st.st_nlink > 1 && !(w->flags & COWLINK_ADOPT)) {
		marklen = cl_link_mark(sfd, mark);
		if (marklen < 0) {
			e = (int)marklen;
			goto out_close;
		}
		if (marklen == 0) {
			g = group_join(wk, &st, &first);
			if (first < 0) {
				e = first;
				goto out_close;
			}
		}
	}
	if (g) {
		e = cl_linkat(w->root_dfd, g->path, j->dfd, name, 0);
		if (e != -EMLINK) {
			if (!e) {
				atomic_fetch_add(&w->files, 1);
				atomic_fetch_add(&w->bytes, (uint64_t)st.st_size);
				atomic_fetch_add(&w->group_names, 1);
			}
			goto out_close;
		}
		cl_debug("tree %s: the group's copy is at the link limit, copying", wk->path);
	}
	/* Looked at before the link, which copies it up. */
	lower = w->upper && cl_overlay_lower(w->upper, wk->path) == 1;
	e = cl_link_fd(&wk->c, sfd, &st, name, j->dfd, name, mark, marklen, &how);
	if (first == 1)
		group_done(w, &st, e);
	if (!e)
		counted(wk);
	if (!e && lower && how == COWLINK_LINKED) {
		atomic_fetch_add(&w->copied_up, 1);
		atomic_fetch_add(&w->copied_up_bytes, (uint64_t)st.st_size);
	}
out_close:
	cl_close(sfd);
	return e;
}

/* One directory entry that is not a directory: link, copy or skip. */
static int copy_entry(struct worker *wk, struct job *j, const char *name, unsigned char type)
{
	struct walk *w = wk->w;
	struct stat st;
	int e;

	if (type != DT_DIR && type != DT_REG) {
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
		e = link_file(wk, j, name);
		if (e == -EINVAL) /* replaced by something else meanwhile */
			goto skip;
		return e;
	case DT_LNK:
		e = copy_symlink(j->sfd, j->dfd, name, &st);
		if (!e)
			atomic_fetch_add(&w->symlinks, 1);
		return e;
	default:
		e = copy_special(wk, j, name, &st);
		if (!e)
			atomic_fetch_add(&w->specials, 1);
		return e > 0 ? 0 : e;
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

/* Is the directory that is to hold DST (the parent of its last component)
 * SRC_ST's directory or under it? Walks ".." up to "/". */
static int inside(const char *dst, const struct stat *src_st)
{
	char parent[PATH_MAX];
	size_t n = strlen(dst);
	struct stat st, cur;
	int fd, up, e;

	if (n >= sizeof parent)
		return -ENAMETOOLONG;
	memcpy(parent, dst, n + 1);
	while (n > 1 && parent[n - 1] == '/')
		parent[--n] = '\0';
	while (n && parent[n - 1] != '/')
		n--;
	while (n > 1 && parent[n - 1] == '/')
		n--;
	if (n == 0)
		strcpy(parent, ".");
	else
		parent[n] = '\0';
	fd = cl_openat(AT_FDCWD, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd == -ENOENT || fd == -ENOTDIR ? 0 : fd; /* mkdir will say */
	e = cl_fstat(fd, &st);
	for (unsigned depth = 0; !e && depth < PATH_MAX / 2; depth++) {
		if (st.st_dev == src_st->st_dev && st.st_ino == src_st->st_ino) {
			e = 1;
			break;
		}
		up = cl_openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		cl_close(fd);
		fd = up;
		if (fd < 0)
			return fd;
		cur = st;
		e = cl_fstat(fd, &st);
		if (!e && st.st_dev == cur.st_dev && st.st_ino == cur.st_ino)
			break; /* "/" is its own "..": the walk is over */
	}
	cl_close(fd);
	return e;
}

/* Fill REP from W; forget the groups, counting those with names that the
 * walk did not meet (outside SRC). */
static void report(struct walk *w, struct cl_tree_report *rep)
{
	struct group *g, *next;

	for (unsigned i = 0; w->groups && i < GROUP_BUCKETS; i++) {
		for (g = w->groups[i]; g; g = next) {
			next = g->next;
			if (rep && g->done) {
				rep->groups++;
				rep->groups_outside += g->met < g->nlink;
			}
			free(g);
		}
	}
	free(w->groups);
	w->groups = NULL;
	if (!rep)
		return;
	rep->skipped = atomic_load(&w->skipped);
	rep->specials = atomic_load(&w->specials);
	rep->specials_left = atomic_load(&w->specials_left);
	snprintf(rep->special_left, sizeof rep->special_left, "%s", w->special_left);
	rep->group_names = atomic_load(&w->group_names);
	rep->copied_up = atomic_load(&w->copied_up);
	rep->copied_up_bytes = atomic_load(&w->copied_up_bytes);
	rep->copied_up_unknown = w->upper_unknown;
	rep->orphans = atomic_load(&w->orphans);
	for (int i = 0; i < CL_COPY_NR; i++) {
		rep->copied[i] = atomic_load(&w->copied[i]);
		rep->copied_bytes[i] = atomic_load(&w->copied_bytes[i]);
	}
	snprintf(rep->failed, sizeof rep->failed, "%s", w->failed);
}

/* A walk for cl_link_tree() with FLAGS, FN and ARG and its locks set up, or
 * NULL (out of memory). */
static struct walk *walk_new(unsigned flags, cowlink_progress_fn fn, void *arg)
{
	struct walk *w = calloc(1, sizeof *w);

	if (!w)
		return NULL;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_mutex_init(&w->gmu, NULL);
	pthread_cond_init(&w->gcv, NULL);
	w->flags = flags;
	w->fn = fn;
	w->arg = arg;
	w->sigio_ignored = cl_lease_sigio_ignored();
	return w;
}

/* Let go of W's locks and memory. */
static void walk_free(struct walk *w)
{
	free(w->upper);
	pthread_cond_destroy(&w->gcv);
	pthread_mutex_destroy(&w->gmu);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

/* Remove the directory NAME of DIRFD and the directories under it, all of
 * them empty but for directories: rmdir only, so a file or anything else
 * met (put there by another process meanwhile) stays, with the directories
 * that hold it. Depth is bounded by the tree the walk made. */
static void rmdirs(int dirfd, const char *name, unsigned depth)
{
	struct cl_dirent64 *d;
	char buf[4096];
	ssize_t n, off;
	int fd;

	fd = cl_openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	while (depth < PATH_MAX / 2 && (n = cl_getdents64(fd, buf, sizeof buf)) > 0) {
		for (off = 0; off < n; off += d->d_reclen) {
			d = (struct cl_dirent64 *)(buf + off);
			if ((d->d_type == DT_DIR || d->d_type == DT_UNKNOWN) &&
			    strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				rmdirs(fd, d->d_name, depth + 1);
		}
	}
	cl_close(fd);
	(void)cl_unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* After a failed walk that made nothing but directories (the first file
 * failed, as on a filesystem without user xattrs): take DST away again, so
 * that the failure leaves nothing behind. DST did not exist before the walk
 * made it; a walk that made files leaves what it made, named by the error. */
static void unmake(struct walk *w, const char *dst)
{
	struct stat st;

	if (atomic_load(&w->files) || atomic_load(&w->symlinks) ||
	    atomic_load(&w->specials) || atomic_load(&w->group_names))
		return;
	if (cl_fstatat(AT_FDCWD, dst, &st, AT_SYMLINK_NOFOLLOW) ||
	    st.st_dev != w->root_dev || st.st_ino != w->root_ino)
		return;
	rmdirs(AT_FDCWD, dst, 0);
}

/* Copy the directory SRC (ST its stat) as DST, which must not exist, with
 * W's workers: make DST, then run the walk from the root job. 0 or -errno;
 * *RAN says whether the workers ran (the progress then gets a last call). */
static int link_dir(struct walk *w, const char *src, const char *dst,
		    const struct stat *st, struct cl_tree_report *rep, bool *ran)
{
	struct stat dst_st;
	struct job *root;
	int s, d, e;

	/* cp refuses a copy of a directory into itself: it would copy what
	 * it makes (cowln -r d d/sub). */
	e = inside(dst, st);
	if (e > 0) {
		if (rep)
			rep->into_itself = true;
		e = -ELOOP;
	}
	if (e)
		return e;
	s = cl_openat(AT_FDCWD, src, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (s < 0)
		return s;
	e = cl_mkdirat(AT_FDCWD, dst, 0700);
	if (e)
		goto out_close_src;
	d = cl_openat(AT_FDCWD, dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (d < 0) {
		e = d;
		goto out_close_src;
	}
	e = cl_fstat(d, &dst_st);
	if (!e && dst_st.st_dev != st->st_dev && !(w->flags & COWLINK_COPY_XDEV)) {
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
	root->st = *st;
	atomic_init(&root->pending, 1);
	root->name = root->path;
	w->root_dev = dst_st.st_dev;
	w->root_ino = dst_st.st_ino;
	w->root_dfd = d;
	w->dst_dev = dst_st.st_dev;
	w->clone = cl_link_clone_hint(d);
	if (cl_note) {
		/* Under -v: which files of SRC linking copies up (overlayfs). */
		w->upper = malloc(PATH_MAX);
		e = w->upper ? cl_overlay_upper_dir(s, w->upper, PATH_MAX) : 1;
		if (e) {
			w->upper_unknown = e < 0;
			free(w->upper);
			w->upper = NULL;
		}
	}
	atomic_store(&w->dirs, 1);
	run(w, root, nthreads()); /* closes S and D */
	*ran = true;
	e = atomic_load(&w->err);
	if (e)
		unmake(w, dst);
	return e;

out_close_src:
	cl_close(s);
	return e;
}

int cl_link_tree(const char *src, const char *dst, unsigned flags,
		 cowlink_progress_fn fn, void *arg, struct cl_tree_report *rep)
{
	struct cowlink_progress p;
	struct stat st;
	enum cowlink_how how;
	struct walk *w;
	bool ran = false;
	int saved = errno, e;

	if (rep)
		memset(rep, 0, sizeof *rep);
	if (!src || !dst)
		return -EFAULT;
	if ((flags & COWLINK_REFLINK_ALWAYS) && (flags & COWLINK_REFLINK_NEVER))
		return -EINVAL;
	flags &= ~(unsigned)COWLINK_FORCE; /* DST must not exist: nothing to replace */
	w = walk_new(flags, fn, arg);
	if (!w)
		return -ENOMEM;

	e = cl_fstatat(AT_FDCWD, src, &st, 0);
	if (e)
		goto out_free;
	if (S_ISREG(st.st_mode)) {
		e = cowlink_link(src, dst, flags, &how);
		if (!e) {
			atomic_store(&w->files, 1);
			atomic_store(&w->bytes, (uint64_t)st.st_size);
		}
		ran = true;
	} else if (S_ISDIR(st.st_mode)) {
		e = link_dir(w, src, dst, &st, rep, &ran);
	} else {
		e = -EINVAL;
	}
	if (ran && fn) {
		snapshot(w, &p, true);
		(void)fn(&p, arg);
	}
out_free:
	report(w, rep);
	walk_free(w);
	errno = saved;
	return e;
}

int cowlink_link_tree(const char *src, const char *dst, unsigned flags,
		      cowlink_progress_fn fn, void *arg, uint64_t *skipped)
{
	struct cl_tree_report *rep = malloc(sizeof *rep);
	int e;

	if (!rep)
		return -ENOMEM;
	e = cl_link_tree(src, dst, flags, fn, arg, rep);
	if (skipped)
		*skipped = rep->skipped;
	free(rep);
	return e;
}
