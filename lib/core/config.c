/* SPDX-License-Identifier: MIT */
/* Settings read once (COWLINK_FSYNC, COWLINK_DEBUG, COWLINK_CACHE), the
 * debug line, COWLINK_EXCLUDE's match, and /etc/cowlink.conf's parser (the
 * machine-wide mode's settings: docs/DESIGN.md §4, Settings). */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "banned.h"

struct cl_config cl_cfg = { .fsync = CL_FSYNC_AUTO, .debug = false };

/* Does S start with the NUL-terminated P? (No libc call: see cl_env_read.) */
static const char *after(const char *s, const char *p)
{
	while (*p)
		if (*s++ != *p++)
			return NULL;
	return s;
}

void cl_env_read(char **envp, struct cl_env *e)
{
	const char *s, *v;
	bool any = false;

	*e = (struct cl_env){ 0 };
	for (char **p = envp; p && *p; p++) {
		s = after(*p, "COWLINK_");
		if (!s)
			continue;
		/* The first of two equal names wins, as getenv's. */
		if ((v = after(s, "FSYNC=")) && !e->fsync)
			e->fsync = v;
		else if ((v = after(s, "DEBUG=")) && !e->debug)
			e->debug = v;
		else if ((v = after(s, "CACHE=")) && !e->cache)
			e->cache = v;
		else if ((v = after(s, "RUN=")) && !e->run)
			e->run = v;
		else if ((v = after(s, "TREES=")) && !e->trees)
			e->trees = v;
		else if ((v = after(s, "EXCLUDE=")) && !e->exclude)
			e->exclude = v;
		else
			continue;
		any = true;
	}
	/* A set-ID program (secure-execution mode) ignores them all, as
	 * secure_getenv does. */
	if (any && getauxval(AT_SECURE))
		*e = (struct cl_env){ 0 };
}

void cl_config_set(const struct cl_env *e)
{
	const char *s = e->fsync;

	if (s && !strcmp(s, "always"))
		cl_cfg.fsync = CL_FSYNC_ALWAYS;
	else if (s && !strcmp(s, "never"))
		cl_cfg.fsync = CL_FSYNC_NEVER;
	else
		cl_cfg.fsync = CL_FSYNC_AUTO;
	s = e->debug;
	cl_cfg.debug = s && *s && strcmp(s, "0");
	cl_cfg.cache = e->cache;
	cl_cfg.under_run = e->run != NULL;
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

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* One "key = value" line, [P, END) with no newline: 0 and the value into
 * OUT (C->buf), -EINVAL for anything else. Keys: trees (absolute
 * directories), exclude (programs); each at most once. */
static int conf_line(const char *p, const char *end, struct cl_conf *c, char **out)
{
	const char *key, *val;
	const char **slot;
	size_t klen, vlen;

	while (p < end && blank(*p))
		p++;
	while (end > p && (blank(end[-1]) || end[-1] == '\r'))
		end--;
	if (p == end || *p == '#')
		return 0;
	key = p;
	while (p < end && *p >= 'a' && *p <= 'z')
		p++;
	klen = (size_t)(p - key);
	while (p < end && blank(*p))
		p++;
	if (p == end || *p != '=')
		return -EINVAL;
	for (val = p + 1; val < end && blank(*val); val++)
		;
	vlen = (size_t)(end - val);
	if (klen == 5 && !memcmp(key, "trees", 5))
		slot = &c->trees;
	else if (klen == 7 && !memcmp(key, "exclude", 7))
		slot = &c->exclude;
	else
		return -EINVAL;
	if (*slot || memchr(val, '\0', vlen))
		return -EINVAL;
	/* Relative trees would mean a different tree in each directory a
	 * program starts in. */
	for (const char *e = val; slot == &c->trees && e < val + vlen; e++)
		if ((e == val || e[-1] == ':') && *e != ':' && *e != '/')
			return -EINVAL;
	memcpy(*out, val, vlen);
	(*out)[vlen] = '\0';
	*slot = *out;
	*out += vlen + 1;
	return 0;
}

int cl_conf_parse(const char *text, size_t len, struct cl_conf *c, unsigned *line)
{
	const char *p = text, *end = text + len, *nl;
	char *out = c->buf;
	unsigned n = 0;

	c->trees = c->exclude = NULL;
	*line = 0;
	/* Every value with its NUL fits: a value is shorter than its line. */
	if (len >= sizeof c->buf)
		return -EFBIG;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		n++;
		if (conf_line(p, nl, c, &out) < 0) {
			c->trees = c->exclude = NULL;
			*line = n;
			return -EINVAL;
		}
		p = nl + 1;
	}
	return 0;
}

int cl_conf_read(const char *path, struct cl_conf *c, unsigned *line)
{
	char text[CL_CONF_MAX];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, e;

	c->trees = c->exclude = NULL;
	*line = 0;
	/* O_NONBLOCK: a FIFO put there must not hang every program. */
	fd = cl_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd == -ELOOP ? -EPERM : fd;
	e = cl_fstat(fd, &st);
	if (e == 0 && (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)))
		e = -EPERM;
	while (e == 0 && len < sizeof text) {
		n = cl_read(fd, text + len, sizeof text - len);
		if (n < 0 && n != -EINTR)
			e = (int)n;
		else if (n == 0)
			break;
		else if (n > 0)
			len += (size_t)n;
	}
	(void)cl_close(fd);
	if (e == 0)
		e = cl_conf_parse(text, len, c, line);
	return e;
}

const char *cl_conf_why(int e, unsigned line, char *buf, size_t n)
{
	if (e == -EINVAL) {
		snprintf(buf, n, "line %u is not 'trees = DIR:DIR', 'exclude = PROG:PROG' "
			 "or a comment", line);
		return buf;
	}
	if (e == -EPERM)
		return "not a regular file owned by root and writable by root alone";
	return strerror(-e);
}
