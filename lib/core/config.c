/* SPDX-License-Identifier: MIT */
/* Settings read once (COWLINK_FSYNC, COWLINK_DEBUG, COWLINK_CACHE) and the
 * debug line. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct cl_config cl_cfg = { .fsync = CL_FSYNC_AUTO, .debug = false };

void cl_config_load(void)
{
	const char *s = secure_getenv("COWLINK_FSYNC");

	if (s && !strcmp(s, "always"))
		cl_cfg.fsync = CL_FSYNC_ALWAYS;
	else if (s && !strcmp(s, "never"))
		cl_cfg.fsync = CL_FSYNC_NEVER;
	else
		cl_cfg.fsync = CL_FSYNC_AUTO;
	s = secure_getenv("COWLINK_DEBUG");
	cl_cfg.debug = s && *s && strcmp(s, "0");
	cl_cfg.cache = secure_getenv("COWLINK_CACHE");
	cl_cfg.under_run = secure_getenv("COWLINK_RUN") != NULL;
}

/* "cowlink: " FMT and a newline on stderr in one write; keeps errno. */
static void vline(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void vline(const char *fmt, va_list ap)
{
	char line[512];
	int saved = errno, n;
	size_t len;

	memcpy(line, "cowlink: ", 9);
	n = vsnprintf(line + 9, sizeof line - 10, fmt, ap);
	len = 9 + (n < 0 ? 0 : (size_t)n < sizeof line - 10 ? (size_t)n : sizeof line - 11);
	line[len++] = '\n';
	(void)cl_write(2, line, len);
	errno = saved;
}

void cl_debug_line(const char *fmt, ...)
{
	va_list ap;

	if (!cl_cfg.debug)
		return;
	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
}

void cl_warn_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
}

/* Is the program one COWLINK_EXCLUDE (colon-separated) names? An entry
 * without a slash is matched against the base name of ARGV0 (what glibc
 * hands the constructor: no system call, no symbol to look up at load
 * time) and, failing that, of the
 * executable (EXE_LINK, /proc/self/exe or /proc/PID/exe: one readlink):
 * a masquerading wrapper such as ccache's /usr/lib/ccache/gcc is argv[0]
 * "gcc" and the executable ccache, a script is argv[0] its own name and the
 * executable its interpreter. An entry with a slash is matched against the
 * executable's full path. */
bool cl_excluded(const char *list, const char *exe_link, const char *argv0)
{
	const char *base, *p, *end;
	char exe[PATH_MAX];
	const char *exebase = NULL;
	ssize_t n = -1;
	size_t len;

	base = argv0 ? cl_path_base(argv0) : NULL;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			n = cl_readlinkat(AT_FDCWD, exe_link, exe, sizeof exe - 1);
			if (n <= 0)
				return false;
			exe[n] = '\0';
			exebase = cl_path_base(exe);
		}
		for (p = list; *p; p = *end ? end + 1 : end) {
			end = strchrnul(p, ':');
			len = (size_t)(end - p);
			if (!len)
				continue;
			if (memchr(p, '/', len)) {
				if (pass == 1 && strlen(exe) == len && !memcmp(exe, p, len))
					return true;
				continue;
			}
			if (pass == 0 && base && strlen(base) == len && !memcmp(base, p, len))
				return true;
			if (pass == 1 && strlen(exebase) == len && !memcmp(exebase, p, len))
				return true;
		}
	}
	return false;
}
