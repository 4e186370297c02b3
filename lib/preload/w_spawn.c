/* SPDX-License-Identifier: MIT */
/* posix_spawn file actions (docs/DESIGN.md §4). glibc performs the actions in
 * the child with internal calls no wrapper sees, so the opens added with
 * posix_spawn_file_actions_addopen -- and the chdirs that change how their
 * relative paths resolve -- are remembered per file-actions object in a
 * side table, and the write-opened paths are broken when posix_spawn or
 * posix_spawnp runs. The table is guarded by a mutex: none of this is on a
 * hot path, and none of it is async-signal-safe in glibc either. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "preload.h"
#include "real.h"

enum act_kind { ACT_OPEN, ACT_CHDIR, ACT_FCHDIR };

struct act {
	struct act *next;
	enum act_kind kind;
	int flags;          /* ACT_OPEN */
	int fd;             /* ACT_FCHDIR */
	char path[];        /* ACT_OPEN, ACT_CHDIR */
};

struct fa_entry {
	struct fa_entry *next;
	const posix_spawn_file_actions_t *fa;
	struct act *first, **last;
};

static pthread_mutex_t fa_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fa_entry *fa_list;
static pthread_once_t fa_once = PTHREAD_ONCE_INIT;

/* fork() while another thread holds fa_lock would hand the child a lock
 * nobody will release, and a list caught mid-update: the child's first
 * posix_spawn_file_actions_* call would hang. So fork takes the lock first
 * (prepare) and both sides release it. Registered on the first use, not in
 * the constructor: a program that never builds file actions pays nothing. */
static void fa_fork_prepare(void) { pthread_mutex_lock(&fa_lock); }
static void fa_fork_release(void) { pthread_mutex_unlock(&fa_lock); }
static void fa_atfork(void)
{
	pthread_atfork(fa_fork_prepare, fa_fork_release, fa_fork_release);
}

static void fa_acquire(void)
{
	pthread_once(&fa_once, fa_atfork);
	pthread_mutex_lock(&fa_lock);
}

static void free_acts(struct act *a)
{
	while (a) {
		struct act *next = a->next;

		free(a);
		a = next;
	}
}

/* Unlink and return FA's entry (caller holds the lock). */
static struct fa_entry *take(const posix_spawn_file_actions_t *fa)
{
	for (struct fa_entry **p = &fa_list; *p; p = &(*p)->next) {
		if ((*p)->fa == fa) {
			struct fa_entry *e = *p;

			*p = e->next;
			return e;
		}
	}
	return NULL;
}

static void forget(const posix_spawn_file_actions_t *fa)
{
	struct fa_entry *e;

	fa_acquire();
	e = take(fa);
	pthread_mutex_unlock(&fa_lock);
	if (e) {
		free_acts(e->first);
		free(e);
	}
}

/* Append an action to FA's list. Out of memory: 0 with the action not
 * remembered would silently lose a break, so it is ENOMEM for the caller. */
static int remember(const posix_spawn_file_actions_t *fa, enum act_kind kind,
		    const char *path, int flags, int fd)
{
	size_t len = path ? strlen(path) + 1 : 0;
	struct act *a = malloc(sizeof *a + len);
	struct fa_entry *e;

	if (!a)
		return ENOMEM;
	a->next = NULL;
	a->kind = kind;
	a->flags = flags;
	a->fd = fd;
	if (path)
		memcpy(a->path, path, len);
	fa_acquire();
	for (e = fa_list; e && e->fa != fa; e = e->next)
		;
	if (!e) {
		e = malloc(sizeof *e);
		if (!e) {
			pthread_mutex_unlock(&fa_lock);
			free(a);
			return ENOMEM;
		}
		e->fa = fa;
		e->first = NULL;
		e->last = &e->first;
		e->next = fa_list;
		fa_list = e;
	}
	*e->last = a;
	e->last = &a->next;
	pthread_mutex_unlock(&fa_lock);
	return 0;
}

CL_EXPORT int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa)
{
	int r = REAL(posix_spawn_file_actions_init)(fa);

	if (r == 0)
		forget(fa); /* an object re-initialised without destroy */
	return r;
}

CL_EXPORT int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa)
{
	forget(fa);
	return REAL(posix_spawn_file_actions_destroy)(fa);
}

CL_EXPORT int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa,
					       int fd, const char *path,
					       int flags, mode_t mode)
{
	int r = REAL(posix_spawn_file_actions_addopen)(fa, fd, path, flags, mode);

	if (r == 0 && (flags & (O_ACCMODE | O_TRUNC)) && !(flags & O_PATH))
		r = remember(fa, ACT_OPEN, path, flags, -1);
	return r;
}

CL_EXPORT int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *fa,
						   const char *path)
{
	int r;

	if (REAL_MISSING(posix_spawn_file_actions_addchdir_np))
		return ENOSYS;
	r = real_posix_spawn_file_actions_addchdir_np(fa, path);
	if (r == 0)
		r = remember(fa, ACT_CHDIR, path, 0, -1);
	return r;
}

CL_EXPORT int posix_spawn_file_actions_addfchdir_np(posix_spawn_file_actions_t *fa,
						    int fd)
{
	int r;

	if (REAL_MISSING(posix_spawn_file_actions_addfchdir_np))
		return ENOSYS;
	r = real_posix_spawn_file_actions_addfchdir_np(fa, fd);
	if (r == 0)
		r = remember(fa, ACT_FCHDIR, NULL, 0, fd);
	return r;
}

/* Walk FA's remembered actions in order, tracking the child's working
 * directory, and break every write-opened cowlink. An fchdir uses the
 * parent's fd of that number (right unless an earlier action of the same
 * list replaced it). 0 or an errno (the spawn then fails with it). */
static int break_actions(const posix_spawn_file_actions_t *fa)
{
	struct act *copy = NULL, **tail = &copy;
	struct fa_entry *e;
	int dir = AT_FDCWD, own = -1, err = 0, nfd;

	if (!fa)
		return 0;
	/* Copy the list out so that no lock is held while breaking. */
	fa_acquire();
	for (e = fa_list; e && e->fa != fa; e = e->next)
		;
	for (struct act *a = e ? e->first : NULL; a; a = a->next) {
		size_t len = a->kind == ACT_FCHDIR ? 0 : strlen(a->path) + 1;
		struct act *c = malloc(sizeof *c + len);

		if (!c) {
			err = ENOMEM;
			break;
		}
		memcpy(c, a, sizeof *c + len);
		c->next = NULL;
		*tail = c;
		tail = &c->next;
	}
	pthread_mutex_unlock(&fa_lock);
	for (struct act *a = copy; a && !err; a = a->next) {
		switch (a->kind) {
		case ACT_CHDIR:
		case ACT_FCHDIR:
			nfd = a->kind == ACT_CHDIR
				? cl_openat(dir, a->path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0)
				: cl_openat(a->fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
			if (own >= 0)
				(void)cl_close(own);
			/* A chdir the child cannot do fails the spawn there;
			 * later opens are then moot. */
			own = nfd >= 0 ? nfd : -1;
			dir = own;
			if (nfd < 0)
				goto out;
			break;
		case ACT_OPEN:
			if ((a->flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
				break;
			nfd = cl_cow_break(&(struct cl_break_req){
				.dirfd = dir, .path = a->path,
				.nofollow = a->flags & O_NOFOLLOW,
				.keep = (a->flags & O_TRUNC) ? 0 : -1,
				.if_cow = true, .orphans = true });
			if (nfd < 0)
				err = -nfd;
			break;
		}
	}
out:
	if (own >= 0)
		(void)cl_close(own);
	free_acts(copy);
	return err;
}

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		      const posix_spawnattr_t *, char *const[], char *const[]);

/* posix_spawn and posix_spawnp (REAL is which): the names the file actions
 * open for writing are broken first. */
static int spawn(spawn_fn *real, pid_t *pid, const char *path,
		 const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[],
		 char *const envp[])
{
	/* break_actions calls malloc and free, and the core's breaks, none of
	 * which promise to keep errno. */
	int saved = errno, e = break_actions(fa);

	errno = saved;
	if (e)
		return e;
	return real(pid, path, fa, attr, argv, envp);
}

CL_EXPORT int posix_spawn(pid_t *pid, const char *path,
			  const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[],
			  char *const envp[])
{
	return spawn(REAL(posix_spawn), pid, path, fa, attr, argv, envp);
}

CL_EXPORT int posix_spawnp(pid_t *pid, const char *file,
			   const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[],
			   char *const envp[])
{
	return spawn(REAL(posix_spawnp), pid, file, fa, attr, argv, envp);
}
