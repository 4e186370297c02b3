/* SPDX-License-Identifier: MIT */
/* Settings read once by the shim or the tool, and the debug lines they turn
 * on (config.c). Part of internal.h; also included by cowlink-tools.h: the
 * tools load the settings and may turn debugging on. */
#ifndef CL_CONFIG_H
#define CL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum cl_fsync { CL_FSYNC_AUTO, CL_FSYNC_ALWAYS, CL_FSYNC_NEVER };

struct cl_config {
	enum cl_fsync fsync;
	bool debug;           /* COWLINK_DEBUG: one "cowlink:" line per decision */
	const char *cache;    /* COWLINK_CACHE: NULL for the default shared mark cache */
	bool under_run;       /* COWLINK_RUN: cowlink run's supervisor is above */
};
extern struct cl_config cl_cfg;

/* The COWLINK_* variables the library reads, as secure_getenv would give
 * them (NULL when unset, and every one NULL in a set-ID program). */
struct cl_env {
	const char *fsync, *debug, *cache, *run, *trees, *exclude;
};
/* Fill *E from ENVP (the constructor's, or environ) in one pass: six secure_getenv calls
 * would scan the environment six times, and the first call of secure_getenv
 * costs every process a lazy binding, which is now paid only where a
 * COWLINK_* variable is set (getauxval(AT_SECURE): is this a set-ID
 * program?). */
void cl_env_read(char **envp, struct cl_env *e);
/* Set cl_cfg from COWLINK_FSYNC, COWLINK_DEBUG, COWLINK_CACHE and
 * COWLINK_RUN of E. */
void cl_config_set(const struct cl_env *e);
/* cl_env_read of environ, then cl_config_set: for the tools. Inline, so
 * that the shim, which reads the envp its constructor is given, has no
 * reference to environ for the loader to look up in every process. */
static inline void cl_config_load(void)
{
	extern char **environ;
	struct cl_env e;

	cl_env_read(environ, &e);
	cl_config_set(&e);
}
/* Does the colon-separated COWLINK_EXCLUDE LIST name the program whose
 * executable EXE_LINK (a /proc/.../exe link) leads to, or whose argv[0] is
 * ARGV0 (may be NULL)? */
bool cl_excluded(const char *list, const char *exe_link, const char *argv0);

/* The machine's settings file (docs/DESIGN.md §4, Settings; libcowlink(7)):
 * what the machine-wide mode has in place of an environment. */
#define CL_CONF_PATH "/etc/cowlink.conf"
#define CL_CONF_MAX 4096 /* a longer file is refused */
struct cl_conf {
	const char *trees;   /* "trees = ...": NULL when the file has no such line */
	const char *exclude; /* "exclude = ..." */
	char buf[CL_CONF_MAX];
};
/* Parse TEXT (LEN bytes, no NUL needed) into *C, whose strings then point
 * into C->buf: 0, or -EINVAL for a malformed text, with *LINE the first bad
 * line and C left empty. */
int cl_conf_parse(const char *text, size_t len, struct cl_conf *c, unsigned *line);
/* Read and parse PATH (CL_CONF_PATH): 0, -ENOENT when there is none, or
 * the reason it was ignored (-EPERM: not a regular file owned by root and
 * writable by root alone; -EINVAL malformed, with *LINE; -EFBIG longer than
 * CL_CONF_MAX; another -errno). Never fails the caller: it says why. */
int cl_conf_read(const char *path, struct cl_conf *c, unsigned *line);
/* Why cl_conf_read's E (< 0, not -ENOENT) made the file ignored, in BUF
 * (N bytes) or a constant; LINE as it gave. One wording for the shim's
 * debug line, cowlink status and cowlink enable. */
const char *cl_conf_why(int e, unsigned line, char *buf, size_t n);
/* One "cowlink: ..." line on stderr when debugging; keeps errno. The test
 * is inline: a decision that is not printed costs no call. */
void cl_debug_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same line whether debugging or not: for what a user must hear about
 * (a COWLINK_TREES entry dropped). Keeps errno. */
void cl_warn_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define cl_debug(...)                                                      \
	do {                                                               \
		if (__builtin_expect(cl_cfg.debug, 0))                     \
			cl_debug_line(__VA_ARGS__);                        \
	} while (0)

#endif
