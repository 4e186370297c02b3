/* SPDX-License-Identifier: MIT */
/* cowlink run: run a command with libcowlink.so preloaded (and
 * COWLINK_TREES / COWLINK_EXCLUDE / COWLINK_DEBUG set) under the seccomp
 * supervisor (cowlink_spawn), which covers what the preload cannot: static
 * programs, raw system calls, openat2, io_uring (refused), root writers. A
 * warning first for what neither covers. cowlink shell (cmd_shell.c) runs
 * the user's shell with the shim alone. */
#include <errno.h>
#include <getopt.h>
#include <link.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cowlink.h"
#include "cowlink-tools.h"

#include "audit.h"
#include "util.h"

/* Where to look for the shim, in order: the libdir next to the installed
 * tool (the install's relative bindir-to-libdir path), the build tree, the
 * libdir configured at build time. Set by tools/cowlink.cmake. */
#ifndef COWLINK_REL_LIBDIR
#define COWLINK_REL_LIBDIR "../lib"
#endif
#ifndef COWLINK_INSTALL_LIBDIR
#define COWLINK_INSTALL_LIBDIR "/usr/local/lib"
#endif

#define SHIM_NAME "libcowlink.so"

static bool usable(const char *path)
{
	return access(path, R_OK) == 0;
}

bool find_shim(char *out, size_t n)
{
	char exe[PATH_MAX], *slash;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (len > 0) {
		exe[len] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			if ((size_t)snprintf(out, n, "%s/%s/%s", exe, COWLINK_REL_LIBDIR, SHIM_NAME) < n &&
			    usable(out)) {
				char real[PATH_MAX];

				if (realpath(out, real))
					snprintf(out, n, "%s", real);
				return true;
			}
		}
	}
#ifdef COWLINK_BUILD_SHIM
	if ((size_t)snprintf(out, n, "%s", COWLINK_BUILD_SHIM) < n && usable(out))
		return true;
#endif
	if ((size_t)snprintf(out, n, "%s/%s", COWLINK_INSTALL_LIBDIR, SHIM_NAME) < n && usable(out))
		return true;
	return false;
}

/* In a sanitizer build the shim is instrumented too, and the ASan runtime
 * must be the first library of the program it is preloaded into: take the
 * one this tool runs with. Leak checks are off there (the programs run are
 * not ours). Nothing of this exists in a normal build. */
#if defined(__SANITIZE_ADDRESS__)
#define TOOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TOOL_ASAN 1
#endif
#endif

#ifdef TOOL_ASAN
static int find_asan(struct dl_phdr_info *info, size_t size, void *arg)
{
	char **out = arg;

	(void)size;
	if (info->dlpi_name && (strstr(info->dlpi_name, "libasan") ||
				strstr(info->dlpi_name, "libclang_rt.asan"))) {
		*out = xstrdup(info->dlpi_name);
		return 1;
	}
	return 0;
}

static void asan_env(void)
{
	const char *old = getenv("LD_PRELOAD"), *opts = getenv("ASAN_OPTIONS");
	char *rt = NULL, *v;
	size_t n;

	dl_iterate_phdr(find_asan, &rt);
	if (rt && !(old && strstr(old, rt))) {
		n = strlen(rt) + (old ? strlen(old) : 0) + 2;
		v = xmalloc(n);
		snprintf(v, n, "%s%s%s", rt, old && *old ? ":" : "", old ? old : "");
		setenv("LD_PRELOAD", v, 1);
		free(v);
	}
	free(rt);
	if (!opts || !strstr(opts, "detect_leaks")) {
		n = (opts ? strlen(opts) : 0) + 64;
		v = xmalloc(n);
		snprintf(v, n, "detect_leaks=0:verify_asan_link_order=0%s%s",
			 opts && *opts ? ":" : "", opts ? opts : "");
		setenv("ASAN_OPTIONS", v, 1);
		free(v);
	}
}
#else
static void asan_env(void)
{
}
#endif

/* LD_PRELOAD with the shim first, or right after a sanitizer runtime that
 * comes first (it must stay first). Unchanged when the shim is already in. */
static char *preload_value(const char *shim)
{
	const char *old = getenv("LD_PRELOAD"), *colon;
	size_t n, first;
	char *v;

	if (!old || !*old)
		return xstrdup(shim);
	if (strstr(old, shim))
		return xstrdup(old);
	n = strlen(old) + strlen(shim) + 2;
	v = xmalloc(n);
	colon = strchr(old, ':');
	first = colon ? (size_t)(colon - old) : strlen(old);
	if (memmem(old, first, "libasan", 7) || memmem(old, first, "libclang_rt.asan", 16))
		snprintf(v, n, "%.*s:%s%s", (int)first, old, shim, old + first);
	else
		snprintf(v, n, "%s:%s", shim, old);
	return v;
}

static void help(void)
{
	printf("Usage: cowlink run [--trees DIR:DIR] [--exclude PROG:PROG] [--debug] [--preload-only]\n"
	       "                   [--allow-io-uring] [--] CMD [ARG]...\n"
	       "Run CMD with libcowlink.so preloaded and under a seccomp supervisor, so that\n"
	       "a write or metadata change through any cowlink gives that name its private\n"
	       "copy first: dynamic programs through the shim; static programs, raw system\n"
	       "calls (Go), openat2 and root writers through the supervisor.\n\n"
	       "      --trees DIRS      set COWLINK_TREES: hard links under these directories\n"
	       "                        count as cowlinks even without the mark; every DIR\n"
	       "                        must be a directory (made absolute)\n"
	       "      --exclude PROGS   set COWLINK_EXCLUDE: programs the shim stays out of\n"
	       "                        (their own hard links are cowlinks only under --trees:\n"
	       "                        a warning when the trees miss them)\n"
	       "      --debug           set COWLINK_DEBUG=1: one line per decision on stderr\n"
	       "      --preload-only    no supervisor: only the calls the shim sees are covered\n"
	       "      --allow-io-uring  let io_uring_setup through (its I/O bypasses the\n"
	       "                        supervisor; by default it fails with ENOSYS)\n"
	       "  -h, --help            this text\n\n"
	       "cowlink run returns when CMD and every process it started have exited.\n"
	       "Without CAP_SYS_ADMIN, set-ID programs run without their privileges.\n"
	       "Exit status: CMD's, 2 for a bad option or tree, or 127 when CMD cannot be\n"
	       "run (126: not executable).\n");
}

/* Exit as CMD did: its code, or its signal raised again. */
static int exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		signal(sig, SIG_DFL);
		raise(sig);
		return 128 + sig;
	}
	return WEXITSTATUS(status);
}

/* Run under the supervisor; -ENOSYS when this kernel cannot, -EBUSY when
 * this process is under a supervisor already (seccomp allows one listener
 * per process: a cowlink run inside another, or a container's). */
static int supervised(char **argv, unsigned flags, const char *trees, int *rc)
{
	int status, e;

	/* This process supervises: the terminal's ^C is the command's to
	 * handle, and a SIGTERM or SIGHUP sent here is passed on to it. */
	e = cowlink_spawn(argv[0], argv, NULL, flags | COWLINK_SPAWN_HERE, trees, &status);
	if (e == -ENOSYS || e == -EBUSY)
		return e;
	if (e) {
		errmsg(-e, "run: %s", argv[0]);
		*rc = e == -ENOENT ? 127 : 126;
		return 0;
	}
	*rc = exit_like(status);
	return 0;
}

/* Check the scope TREES (from --trees, or COWLINK_TREES as inherited when
 * FROM_ENV) and return it with every entry absolute: the shim resolves a
 * relative one against each program's own current directory. An entry that
 * is not a directory is refused with a message: the shim would drop it, and
 * writes under it would go into shared inodes. NULL after the message. */
static char *check_trees(const char *sub, const char *trees, bool from_env)
{
	const char *what = from_env ? "COWLINK_TREES" : "--trees";
	const char *p, *end;
	char dir[PATH_MAX], real[PATH_MAX];
	size_t len, used = 0, cap = strlen(trees) + 1, count = 0;
	char *out = xmalloc(cap);
	struct stat st;
	int err;

	out[0] = '\0';
	for (p = trees; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		if (!len)
			continue;
		if (len >= sizeof dir) {
			warnmsg("%s: %s: an entry is too long", sub, what);
			goto refused;
		}
		memcpy(dir, p, len);
		dir[len] = '\0';
		err = stat(dir, &st) < 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR :
		      !realpath(dir, real) ? errno : 0;
		if (err) {
			errmsg(err, "%s: %s: '%s' refused", sub, what, dir);
			goto refused;
		}
		if (++count > 16) {
			warnmsg("%s: %s: more than 16 directories", sub, what);
			goto refused;
		}
		len = strlen(real);
		if (used + len + 2 > cap) {
			cap = (used + len + 2) * 2;
			out = xrealloc(out, cap);
		}
		if (used)
			out[used++] = ':';
		memcpy(out + used, real, len + 1);
		used += len;
	}
	return out;
refused:
	free(out);
	return NULL;
}

int run_under_shim(char **argv, const struct run_opts *o, const char *marker)
{
	char shim[PATH_MAX];
#ifdef COWLINK_HAVE_LIBELF
	struct audit_result ar;
#endif
	char *pre, *scope = NULL;
	const char *env = getenv("COWLINK_TREES"), *sv_trees;
	struct cl_conf conf;
	unsigned line;
	int e, rc;

	if (o->trees || (env && *env)) {
		scope = check_trees(o->sub, o->trees ? o->trees : env, !o->trees);
		if (!scope)
			return 2;
	}
	warn_unprotected(o, scope);
	if (!find_shim(shim, sizeof shim)) {
		warnmsg("%s: cannot find %s (looked next to this program and in %s)",
			o->sub, SHIM_NAME, COWLINK_INSTALL_LIBDIR);
		free(scope);
		return 127;
	}
	/* The supervisor covers all but set-ID programs, which no_new_privs
	 * strips of their privileges unless we may do without it. */
#ifdef COWLINK_HAVE_LIBELF
	if (audit_program(argv[0], &ar) == AUDIT_NOT_COVERED &&
	    (o->preload_only || (ar.setid && geteuid() != 0)))
		warnmsg("warning: %s will not be covered: %s", argv[0], ar.reason);
#endif

	asan_env();
	pre = preload_value(shim);
	if (setenv("LD_PRELOAD", pre, 1) < 0 ||
	    (scope && setenv("COWLINK_TREES", scope, 1) < 0) ||
	    (o->exclude && setenv("COWLINK_EXCLUDE", o->exclude, 1) < 0) ||
	    (o->debug && setenv("COWLINK_DEBUG", "1", 1) < 0) ||
	    (marker && setenv("COWLINK_SHELL", marker, 1) < 0))
		die(errno, "%s: setenv", o->sub);
	free(pre);
	if (o->debug)
		cl_cfg.debug = true;
	if (!o->preload_only) {
		/* Set for the command: a cowlink run inside it knows that the
		 * outer supervisor, whose filter it inherits, covers it. */
		bool nested = getenv("COWLINK_RUN") != NULL;

		if (setenv("COWLINK_RUN", "1", 1) < 0)
			die(errno, "run: setenv");
		/* Neither --trees nor COWLINK_TREES: the supervisor takes
		 * /etc/cowlink.conf's trees, as the shim does in each program
		 * (an entry there that is not a directory is dropped, not
		 * refused: the file is the machine's, not this command's). */
		sv_trees = scope;
		if (!o->trees && !env && cl_conf_read(CL_CONF_PATH, &conf, &line) == 0)
			sv_trees = conf.trees;
		e = supervised(argv, o->spawn_flags, sv_trees, &rc);
		if (!e) {
			free(scope);
			return rc;
		}
		if (e == -ENOSYS)
			warnmsg("warning: this kernel has no seccomp user notification (Linux >= 5.9):"
				" only programs the shim covers are");
		else if (!nested)
			warnmsg("warning: another seccomp supervisor watches this process already:"
				" only programs the shim covers are");
	}
	free(scope);
	execvp(argv[0], argv);
	e = errno;
	errmsg(e, "%s: %s", o->sub, o->what ? o->what : argv[0]);
	return e == ENOENT ? 127 : 126;
}

int run_options(int argc, char **argv, const char *sub, struct run_opts *o,
		void (*help_fn)(void))
{
	bool io_uring = false;
	const struct flag flags[] = {
		{ "trees", 0, NULL, false, &o->trees },
		{ "exclude", 0, NULL, false, &o->exclude },
		{ "debug", 0, &o->debug, true, NULL },
		{ "preload-only", 0, &o->preload_only, true, NULL },
		{ "allow-io-uring", 0, &io_uring, true, NULL },
		{ "help", 'h', NULL, false, NULL },
		{ NULL, 0, NULL, false, NULL },
	};
	const struct cmd_flags cmd = { sub, flags, help_fn, NULL, 0 };
	int rc;

	memset(o, 0, sizeof *o);
	o->sub = sub;
	rc = parse_flags(argc, argv, &cmd);
	if (rc >= 0)
		return rc;
	/* The shell runs under the shim alone: no supervisor to leave out
	 * or to let io_uring through. */
	if (strcmp(sub, "run") && (o->preload_only || io_uring)) {
		warnmsg("%s: %s is an option of cowlink run", sub,
			o->preload_only ? "--preload-only" : "--allow-io-uring");
		return usage_error(sub);
	}
	if (io_uring)
		o->spawn_flags |= COWLINK_SPAWN_IO_URING;
	return -1;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	int r = run_options(argc, argv, "run", &o, help);

	if (r >= 0)
		return r;
	if (optind >= argc) {
		warnmsg("run: no command given (cowlink shell starts a shell)");
		return usage_error("run");
	}
	return run_under_shim(argv + optind, &o, NULL);
}
