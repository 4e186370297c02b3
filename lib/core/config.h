/* SPDX-License-Identifier: MIT */
/* Settings read once by the shim or the tool, and the debug lines they turn
 * on (config.c). Part of internal.h; also included by cowlink-tools.h: the
 * tools load the settings and may turn debugging on. */
#ifndef CL_CONFIG_H
#define CL_CONFIG_H

#include <stdbool.h>

enum cl_fsync { CL_FSYNC_AUTO, CL_FSYNC_ALWAYS, CL_FSYNC_NEVER };

struct cl_config {
	enum cl_fsync fsync;
	bool debug;           /* COWLINK_DEBUG: one "cowlink:" line per decision */
	const char *cache;    /* COWLINK_CACHE: NULL for the default shared mark cache */
	bool under_run;       /* COWLINK_RUN: cowlink run's supervisor is above */
};
extern struct cl_config cl_cfg;

/* Read COWLINK_FSYNC, COWLINK_DEBUG, COWLINK_CACHE and COWLINK_RUN with
 * secure_getenv. */
void cl_config_load(void);
/* Does the colon-separated COWLINK_EXCLUDE LIST name the program whose
 * executable EXE_LINK (a /proc/.../exe link) leads to, or whose argv[0] is
 * ARGV0 (may be NULL)? */
bool cl_excluded(const char *list, const char *exe_link, const char *argv0);
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
