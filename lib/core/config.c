/* Settings read once (COWLINK_FSYNC, COWLINK_DEBUG, COWLINK_CACHE) and the
 * debug line. */
#include "internal.h"

#include <errno.h>
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
