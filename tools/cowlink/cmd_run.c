/* cowlink run: run a command with libcowlink.so preloaded (and
 * COWLINK_TREES / COWLINK_DEBUG set) under the seccomp supervisor
 * (cowlink_spawn), which covers what the preload cannot: static programs,
 * raw system calls, openat2, io_uring (refused), root writers. A warning
 * first for what neither covers. */
#include <errno.h>
#include <getopt.h>
#include <link.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cowlink.h"
#include "internal.h"

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

/* The shim's absolute path into OUT, or false. */
static bool find_shim(char *out, size_t n)
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
	printf("Usage: cowlink run [--trees DIR:DIR] [--debug] [--preload-only] [--allow-io-uring]\n"
	       "                   [--] CMD [ARG]...\n"
	       "Run CMD with libcowlink.so preloaded and under a seccomp supervisor, so that\n"
	       "a write or metadata change through any cowlink gives that name its private\n"
	       "copy first: dynamic programs through the shim; static programs, raw system\n"
	       "calls (Go), openat2 and root writers through the supervisor.\n\n"
	       "      --trees DIRS      set COWLINK_TREES: hard links under these directories\n"
	       "                        count as cowlinks even without the mark\n"
	       "      --debug           set COWLINK_DEBUG=1: one line per decision on stderr\n"
	       "      --preload-only    no supervisor: only programs the shim covers are\n"
	       "      --allow-io-uring  let io_uring_setup through (its I/O bypasses the\n"
	       "                        supervisor; by default it fails with ENOSYS)\n"
	       "  -h, --help            this text\n\n"
	       "cowlink run returns when CMD and every process it started have exited.\n"
	       "Without CAP_SYS_ADMIN, set-ID programs run without their privileges.\n"
	       "Exit status: CMD's, or 127 when it cannot be run (126: not executable).\n");
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
	struct sigaction ign = { .sa_handler = SIG_IGN }, oint, oquit;
	int status, e;

	/* As system() does: the terminal's ^C is the command's to handle. */
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	e = cowlink_spawn(argv[0], argv, NULL, flags, trees, &status);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
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

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trees", required_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "preload-only", no_argument, NULL, 'p' },
		{ "allow-io-uring", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char shim[PATH_MAX];
	struct audit_result ar;
	const char *trees = NULL;
	bool debug = false, preload_only = false;
	unsigned flags = 0;
	char *pre;
	int o, e, rc;

	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 't':
			trees = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 'p':
			preload_only = true;
			break;
		case 'u':
			flags |= COWLINK_SPAWN_IO_URING;
			break;
		case 'h':
			help();
			return 0;
		default:
			return usage_error("run");
		}
	}
	if (optind >= argc) {
		warnmsg("run: no command given");
		return usage_error("run");
	}
	if (!find_shim(shim, sizeof shim)) {
		warnmsg("run: cannot find %s (looked next to this program and in %s)",
			SHIM_NAME, COWLINK_INSTALL_LIBDIR);
		return 127;
	}
	/* The supervisor covers all but set-ID programs, which no_new_privs
	 * strips of their privileges unless we may do without it. */
	if (audit_program(argv[optind], &ar) == AUDIT_NOT_COVERED &&
	    (preload_only || (ar.setid && geteuid() != 0)))
		warnmsg("warning: %s will not be covered: %s", argv[optind], ar.reason);

	asan_env();
	pre = preload_value(shim);
	if (setenv("LD_PRELOAD", pre, 1) < 0 ||
	    (trees && setenv("COWLINK_TREES", trees, 1) < 0) ||
	    (debug && setenv("COWLINK_DEBUG", "1", 1) < 0))
		die(errno, "run: setenv");
	free(pre);
	if (debug)
		cl_cfg.debug = true;
	if (!preload_only) {
		/* Set for the command: a cowlink run inside it knows that the
		 * outer supervisor, whose filter it inherits, covers it. */
		bool nested = getenv("COWLINK_RUN") != NULL;

		if (setenv("COWLINK_RUN", "1", 1) < 0)
			die(errno, "run: setenv");
		e = supervised(argv + optind, flags, trees, &rc);
		if (!e)
			return rc;
		if (e == -ENOSYS)
			warnmsg("warning: this kernel has no seccomp user notification (Linux >= 5.9):"
				" only programs the shim covers are");
		else if (!nested)
			warnmsg("warning: another seccomp supervisor watches this process already:"
				" only programs the shim covers are");
	}
	execvp(argv[optind], argv + optind);
	e = errno;
	errmsg(e, "run: %s", argv[optind]);
	return e == ENOENT ? 127 : 126;
}
