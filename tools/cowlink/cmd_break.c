/* SPDX-License-Identifier: MIT */
/* cowlink break: give each path its private copy now, as a write through
 * the shim would; with -r every regular file of a tree (the way out of
 * cowlinks for a whole tree). Symlinks below a tree root are not followed. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowlink.h"
#include "cowlink-tools.h"
#include "util.h"

struct break_ctx {
	bool verbose;
	int rc;
	uint64_t broken;
};

static void help(void)
{
	printf("Usage: cowlink break [-r] [-v] PATH...\n"
	       "Give each PATH (a cowlink) its private copy now. A PATH that is not a\n"
	       "cowlink is left alone. A final symlink is followed.\n\n"
	       "  -r, --recursive  every regular file under each directory PATH\n"
	       "                   (symlinks below it are not followed)\n"
	       "  -v, --verbose    name each file that was broken\n"
	       "  -h, --help       this text\n\n"
	       "Exit status: 0, 1 when some PATH could not be broken, 2 on bad usage.\n");
}

/* Break PATH; under -v say so when it was a cowlink. */
static void break_one(struct break_ctx *c, const char *path)
{
	struct cowlink_status s;
	bool was = false;
	int r;

	if (c->verbose && cowlink_status(path, &s) == 0)
		was = s.kind == COWLINK_SHARED || s.kind == COWLINK_ORPHAN;
	r = cowlink_break(path);
	if (r < 0) {
		errmsg(r, "cannot break %s", path);
		c->rc = 1;
		return;
	}
	if (was) {
		c->broken++;
		printf("broke %s\n", path);
	}
}

static int tree_entry(const struct cl_walk_ent *e, void *arg)
{
	struct break_ctx *c = arg;

	if (e->err) {
		errmsg(e->err, "%s", e->path);
		c->rc = 1;
		return 0;
	}
	if (!e->post && S_ISREG(e->st->st_mode))
		break_one(c, e->path);
	return 0;
}

int cmd_break(int argc, char **argv)
{
	struct break_ctx c = { 0 };
	bool recursive = false;
	const struct flag flags[] = {
		{ "recursive", 'r', &recursive, true, NULL },
		{ "verbose", 'v', &c.verbose, true, NULL },
		{ "help", 'h', NULL, false, NULL },
		{ NULL, 0, NULL, false, NULL },
	};
	const struct cmd_flags cmd = { "break", flags, help, "PATH", 0 };
	struct stat st;
	int i, rc = parse_flags(argc, argv, &cmd);

	if (rc >= 0)
		return rc;
	for (i = optind; i < argc; i++) {
		int r = cl_fstatat(AT_FDCWD, argv[i], &st, 0);

		if (r < 0) {
			errmsg(r, "cannot break %s", argv[i]);
			c.rc = 1;
		} else if (S_ISDIR(st.st_mode) && !recursive) {
			warnmsg("cannot break %s: is a directory (use -r)", argv[i]);
			c.rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			cl_walk(argv[i], tree_entry, &c);
		} else if (!S_ISREG(st.st_mode)) {
			warnmsg("cannot break %s: not a regular file", argv[i]);
			c.rc = 1;
		} else {
			break_one(&c, argv[i]);
		}
	}
	return c.rc;
}
