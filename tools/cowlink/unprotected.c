/* SPDX-License-Identifier: MIT */
/* The warning cowlink run and cowlink shell give once, when a session
 * starts, for an exclusion that protects nothing (docs/DESIGN.md §4
 * Settings): the hard links an excluded program makes (ccache's hard_link
 * mode) carry no mark, so they are cowlinks only where scope mode says so,
 * under COWLINK_TREES. Without trees, or with trees that hold neither the
 * current directory (the build tree) nor ccache's cache, a later strip or
 * objcopy of an output writes through into the cache. Here, not in the
 * shim: the shim says nothing unless COWLINK_DEBUG. Never fails the run. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowlink-tools.h"

#include "util.h"

/* What of ccache's configuration matters here. */
struct ccache_conf {
	bool hard_link;
	char dir[PATH_MAX];
};

/* A ccache boolean from the environment: set and not one of its "false"
 * words. */
static bool env_true(const char *name)
{
	const char *v = getenv(name);

	return v && strcmp(v, "0") && strcasecmp(v, "false") && strcasecmp(v, "no") &&
	       strcasecmp(v, "disable");
}

/* KEY = VALUE lines of the ccache configuration file PATH into *C (a file
 * that cannot be read adds nothing). */
static void ccache_file(const char *path, struct ccache_conf *c)
{
	char line[PATH_MAX + 64], *k, *v, *end;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		k = line + strspn(line, " \t");
		v = strchr(k, '=');
		if (*k == '#' || !v)
			continue;
		for (end = v; end > k && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		v += 1 + strspn(v + 1, " \t");
		v[strcspn(v, "\r\n")] = '\0';
		for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		if (!strcmp(k, "hard_link"))
			c->hard_link = !strcmp(v, "true");
		else if (!strcmp(k, "cache_dir"))
			snprintf(c->dir, sizeof c->dir, "%s", v);
	}
	fclose(f);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A then B into BUF (PATH_MAX bytes); empty when the two do not fit. */
static void join(char *buf, const char *a, const char *b)
{
	int n = snprintf(buf, PATH_MAX, "%s%s", a, b);

	if (n < 0 || n >= PATH_MAX)
		buf[0] = '\0';
}

/* ccache's hard_link setting and cache directory, read as ccache 4 does
 * without running it: the system file, then the user's file
 * (CCACHE_CONFIGPATH, else CCACHE_DIR's, else the XDG one, else the legacy
 * ~/.ccache), then CCACHE_HARDLINK / CCACHE_NOHARDLINK and CCACHE_DIR.
 * The default cache is ~/.ccache where that exists, else the XDG cache. */
static void ccache_conf(struct ccache_conf *c)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *dir = getenv("CCACHE_DIR"), *path = getenv("CCACHE_CONFIGPATH");
	char buf[PATH_MAX], legacy[PATH_MAX] = "";

	memset(c, 0, sizeof *c);
	ccache_file("/etc/ccache.conf", c);
	if (home && *home)
		join(legacy, home, "/.ccache");
	if (path && *path) {
		join(buf, path, "");
	} else if (dir && *dir) {
		join(buf, dir, "/ccache.conf");
	} else {
		buf[0] = '\0';
		if (xdg && *xdg)
			join(buf, xdg, "/ccache/ccache.conf");
		else if (home && *home)
			join(buf, home, "/.config/ccache/ccache.conf");
		if ((!buf[0] || access(buf, F_OK)) && legacy[0] && is_dir(legacy))
			join(buf, legacy, "/ccache.conf");
	}
	if (buf[0])
		ccache_file(buf, c);
	if (getenv("CCACHE_HARDLINK"))
		c->hard_link = env_true("CCACHE_HARDLINK");
	if (env_true("CCACHE_NOHARDLINK"))
		c->hard_link = false;
	if (dir && *dir) {
		snprintf(c->dir, sizeof c->dir, "%s", dir);
	} else if (!c->dir[0]) {
		const char *cache = getenv("XDG_CACHE_HOME");

		if (legacy[0] && is_dir(legacy))
			snprintf(c->dir, sizeof c->dir, "%s", legacy);
		else if (cache && *cache)
			snprintf(c->dir, sizeof c->dir, "%s/ccache", cache);
		else if (home && *home)
			snprintf(c->dir, sizeof c->dir, "%s/.cache/ccache", home);
	}
}

/* Does the colon-separated LIST name ccache (by base name or path)? */
static bool names_ccache(const char *list)
{
	const char *p, *end, *base;

	for (p = list; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		for (base = end; base > p && base[-1] != '/'; base--)
			;
		if (end - base == 6 && !memcmp(base, "ccache", 6))
			return true;
	}
	return false;
}

/* Does the current directory hold one of the trees of SCOPE (a build
 * writing into a tree below it: make -C, -o obj/f.o)? The same ancestry
 * test the other way round, with the current directory as the scope. */
static bool holds_tree(const char *scope)
{
	char dir[PATH_MAX];
	const char *p, *end;
	size_t len;

	if (cl_scope_init(".", NULL) < 0)
		return false;
	for (p = scope; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		if (!len || len >= sizeof dir)
			continue;
		memcpy(dir, p, len);
		dir[len] = '\0';
		if (cl_scope_contains_dir(AT_FDCWD, dir))
			return true;
	}
	return false;
}

void warn_unprotected(const struct run_opts *o, const char *scope)
{
	const char *exclude = o->exclude, *what = o->trees ? "--trees" : "COWLINK_TREES";
	struct ccache_conf cc;
	bool ccache;

	/* An inherited exclusion inside a session was told about when the
	 * session started (or set later, by hand: not told again). */
	if (!exclude) {
		exclude = getenv("COWLINK_EXCLUDE");
		if (getenv("COWLINK_RUN") || getenv("COWLINK_SHELL"))
			return;
	}
	if (!exclude || !*exclude)
		return;
	ccache = names_ccache(exclude);
	if (ccache)
		ccache_conf(&cc);
	if (!scope) {
		bool dir = ccache && cc.hard_link && cc.dir[0];

		warnmsg("warning: the hard links that excluded programs (%s) make carry no mark: "
			"without --trees they are plain hard links, and a write through one reaches "
			"the others%s%s%s", exclude, dir ? " (give --trees ccache's cache " : "",
			dir ? cc.dir : "", dir ? " and the build directory)" : "");
		return;
	}
	if (cl_scope_init(scope, NULL) < 0)
		return;
	if (ccache && cc.hard_link && cc.dir[0] && is_dir(cc.dir) &&
	    !cl_scope_contains_dir(AT_FDCWD, cc.dir))
		warnmsg("warning: ccache's cache %s is not under %s: its hard links there are not "
			"cowlinks", cc.dir, what);
	if (!cl_scope_contains_dir(AT_FDCWD, ".") && !holds_tree(scope))
		warnmsg("warning: the current directory is not under %s: the hard links that "
			"excluded programs (%s) make here are not cowlinks", what, exclude);
}
