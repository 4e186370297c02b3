/* SPDX-License-Identifier: MIT */
/* The constructor: settings (read once from its envp, cl_env_read), the fd table's vfork
 * guard, COWLINK_TREES, and the one exception to "fail, don't re-point":
 * inherited fds 0-2 that are writable fds on a shared inode (`cmd > b` from
 * a root shell without the shim) are re-pointed at the private copy of their
 * name, since stdio writes through glibc-internal calls no wrapper sees.
 * The real functions resolve on first use (REAL()), not here: resolving
 * every row costs more start-up than a program that never calls them should
 * pay. No pthread_atfork: the fd table is plain memory that fork copies.
 * COWLINK_EXCLUDE names programs the shim stays out of (decide.h cl_cow_off).
 * What the environment does not set comes from /etc/cowlink.conf: the
 * machine-wide mode (/etc/ld.so.preload) has no environment to carry it. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "fdtab.h"
#include "preload.h"
#include "real.h"

/* Give std fd FD (a writable fd on a shared inode, ST its fstat, FL its
 * status flags) the private copy of its name: same flags, same offset,
 * same close-on-exec. */
static void repoint(int fd, const struct stat *st, int fl)
{
	char name[PATH_MAX];
	int saved = errno, e; /* the constructor's caller's (cl_shim_init) */

	e = cl_cow_break(&(struct cl_break_req){ .fd = fd, .fdst = st, .name = name });
	if (e < 0) {
		cl_debug("fd %d: cannot break its name (%d): writes will fail", fd, -e);
		return;
	}
	e = cl_fd_reopen(fd, name, fl);
	(void)cl_fd_invalidate(fd);
	if (e < 0)
		cl_debug("fd %d: cannot re-point it at %s (%d)", fd, name, -e);
	else
		cl_debug("fd %d re-pointed at the private copy of %s", fd, name);
	errno = saved;
}

static void check_std_fds(void)
{
	struct cl_record r;
	struct stat st;
	int fl;

	for (int fd = 0; fd <= 2; fd++) {
		if (cl_fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_nlink <= 1)
			continue;
		if (cl_cow_classify(fd, AT_FDCWD, NULL, &st, &r) <= 0)
			continue;
		fl = cl_fcntl(fd, F_GETFL, 0);
		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || (fl & O_PATH))
			continue;
		repoint(fd, &st, fl);
	}
}

/* A COWLINK_TREES entry that is not a directory: said on stderr whether
 * debugging or not, since writes under it would go into shared inodes. */
static void tree_dropped(const char *entry, int err)
{
	cl_warn_line("COWLINK_TREES: '%s' dropped (%s): hard links under it are "
		     "not cowlinks", entry, strerror(-err));
}

/* The same for a trees line of /etc/cowlink.conf: a debug line only, since
 * every program on the machine reads that file and a program's stderr is
 * its own (docs/DESIGN.md §4, Settings). */
static void conf_tree_dropped(const char *entry, int err)
{
	cl_debug("%s: trees: '%s' dropped (%s): hard links under it are not "
		 "cowlinks", CL_CONF_PATH, entry, strerror(-err));
}

/* COWLINK_TREES and COWLINK_EXCLUDE of ENV into *TREES, *EXCLUDE; what the
 * environment does not set comes from /etc/cowlink.conf (C). A variable
 * set, even empty, wins; a set-ID program's ENV has none (as secure_getenv),
 * so the file is all it gets. The file is opened only when a variable is
 * unset: one failed open where, as usual, there is none. */
static void settings(const struct cl_env *env, struct cl_conf *c, const char **trees,
		     const char **exclude, bool *trees_from_conf)
{
	unsigned line;
	int e;

	*trees = env->trees;
	*exclude = env->exclude;
	*trees_from_conf = false;
	if (*trees && *exclude)
		return;
	e = cl_conf_read(CL_CONF_PATH, c, &line);
	if (e < 0) {
		char why[128];

		if (e != -ENOENT)
			cl_debug("%s: ignored: %s", CL_CONF_PATH,
				 cl_conf_why(e, line, why, sizeof why));
		return;
	}
	if (!*trees && c->trees) {
		*trees = c->trees;
		*trees_from_conf = true;
	}
	if (!*exclude)
		*exclude = c->exclude;
}

/* glibc calls a library's constructors with main's (argc, argv, envp). */
__attribute__((constructor)) static void cl_shim_init(int argc, char **argv, char **envp)
{
	/* The program finds errno as the loader left it. What runs for every
	 * program keeps it without saving it (saving costs each process the
	 * lazy binding of __errno_location): raw calls, cl_env_read,
	 * getauxval (AT_SECURE is always there), the file's parser,
	 * cl_excluded's string functions, cl_debug. The rest saves it. */
	const char *trees, *exclude;
	struct cl_env env;
	struct cl_conf conf;
	bool conf_trees;
	int saved;

	cl_env_read(envp, &env);
	cl_config_set(&env);
	cl_fdtab_init();
	settings(&env, &conf, &trees, &exclude, &conf_trees);
	if (exclude && *exclude && cl_excluded(exclude, "/proc/self/exe", argc > 0 && argv ? argv[0] : NULL)) {
		cl_cow_off = true;
		cl_debug("COWLINK_EXCLUDE names this program: every call passes straight "
			 "through");
		return;
	}
	if (trees && *trees) {
		saved = errno; /* the warning's strerror */
		(void)cl_scope_init(trees, conf_trees ? conf_tree_dropped : tree_dropped);
		errno = saved;
	}
	check_std_fds();
}
