/* SPDX-License-Identifier: MIT */
/* Scope mode (COWLINK_TREES, docs/DESIGN.md §1): every regular file with more
 * than one link under the listed trees is a cowlink. "Under" is decided by the
 * (dev, ino) of the directory and its ancestors, walking "..": dirfds,
 * ".." components and symlinks cannot fool it, and a bind mount of a tree is
 * that tree. Answers are cached per directory in a small table; a directory
 * renamed into or out of a tree keeps its cached answer until evicted. */
#include "internal.h"

#include <errno.h>
#include <string.h>

#include "banned.h"

#define SCOPE_MAX 16
#define CACHE_SIZE 256
#define WALK_MAX 4096   /* no directory tree is deeper than PATH_MAX / 1 */
#define REMEMBER_MAX 32 /* directories of one walk whose answer is cached */

struct dirid {
	dev_t dev;
	ino_t ino;
};

static struct dirid roots[SCOPE_MAX];
static int nroots;

/* The per-directory cache, guarded by a try-lock: a caller that finds it
 * busy (another thread, or a signal handler interrupting the holder) walks
 * without it, so nothing here ever waits. */
static struct {
	struct dirid id;
	bool used, in;
} cache[CACHE_SIZE];
static bool cache_busy;

static bool cache_lock(void)
{
	return !__atomic_test_and_set(&cache_busy, __ATOMIC_ACQUIRE);
}

static void cache_unlock(void)
{
	__atomic_clear(&cache_busy, __ATOMIC_RELEASE);
}

static unsigned slot(const struct dirid *d)
{
	uint64_t h = (uint64_t)d->ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)d->dev;
	return (unsigned)(h >> 56) % CACHE_SIZE;
}

static bool same(const struct dirid *a, const struct dirid *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

/* Parse TREES (colon-separated directories, relative ones against the
 * current directory now) and remember their (dev, ino). Replaces any earlier
 * scope. Entries that are not directories are dropped and told to DROPPED;
 * the first such error is returned after the others were taken. */
int cl_scope_init(const char *trees, void (*dropped)(const char *entry, int err))
{
	char dir[PATH_MAX];
	const char *p = trees, *end;
	struct stat st;
	int err = 0, e;
	size_t len;

	nroots = 0;
	if (cache_lock()) {
		memset(cache, 0, sizeof cache);
		cache_unlock();
	}
	while (p && *p) {
		end = strchr(p, ':');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			goto next;
		if (len >= sizeof dir) {
			e = -ENAMETOOLONG;
			if (dropped)
				dropped("(a name too long)", e);
			if (!err)
				err = e;
			goto next;
		}
		memcpy(dir, p, len);
		dir[len] = '\0';
		e = cl_fstatat(AT_FDCWD, dir, &st, 0);
		if (e == 0 && !S_ISDIR(st.st_mode))
			e = -ENOTDIR;
		if (e == 0 && nroots == SCOPE_MAX)
			e = -E2BIG;
		if (e < 0) {
			if (dropped)
				dropped(dir, e);
			if (!err)
				err = e;
			goto next;
		}
		roots[nroots].dev = st.st_dev;
		roots[nroots].ino = st.st_ino;
		nroots++;
next:
		p = end ? end + 1 : NULL;
	}
	return err;
}

bool cl_scope_active(void)
{
	return nroots > 0;
}

static bool is_root(const struct dirid *d)
{
	for (int i = 0; i < nroots; i++)
		if (same(&roots[i], d))
			return true;
	return false;
}

/* Is the directory DIRPATH (relative to DIRFD; NULL or "" for DIRFD itself)
 * at or under one of the trees? Walks ".." from it until a tree, a cached
 * directory or the root; errors answer "no". */
bool cl_scope_contains_dir(int dirfd, const char *dirpath)
{
	struct dirid seen[REMEMBER_MAX], cur;
	struct stat st;
	int fd, up, nseen = 0;
	bool in = false, decided = false, locked;

	if (!nroots)
		return false;
	if (!dirpath || !*dirpath)
		dirpath = ".";
	fd = cl_openat(dirfd, dirpath, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	locked = cache_lock();
	if (cl_fstat(fd, &st) < 0)
		goto out_close;
	for (int depth = 0; depth < WALK_MAX; depth++) {
		cur.dev = st.st_dev;
		cur.ino = st.st_ino;
		if (is_root(&cur)) {
			in = decided = true;
			break;
		}
		if (locked) {
			unsigned s = slot(&cur);
			if (cache[s].used && same(&cache[s].id, &cur)) {
				in = cache[s].in;
				decided = true;
				break;
			}
		}
		if (nseen < REMEMBER_MAX)
			seen[nseen++] = cur;
		up = cl_openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		(void)cl_close(fd);
		fd = up;
		if (fd < 0 || cl_fstat(fd, &st) < 0)
			break;
		if (st.st_dev == cur.dev && st.st_ino == cur.ino) {
			decided = true; /* "/": its ".." is itself */
			break;
		}
	}
out_close:
	if (fd >= 0)
		(void)cl_close(fd);
	if (locked) {
		/* Only a finished walk is remembered, not one cut by an error. */
		for (int i = 0; decided && i < nseen; i++) {
			unsigned s = slot(&seen[i]);
			cache[s].id = seen[i];
			cache[s].used = true;
			cache[s].in = in;
		}
		cache_unlock();
	}
	return in;
}
