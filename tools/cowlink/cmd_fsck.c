/* SPDX-License-Identifier: MIT */
/* cowlink fsck: find and repair what an interrupted break or link, or a
 * chmod behind the shim's back, can leave: temp names, orphaned marks,
 * malformed records, shared inodes made writable. One line per finding;
 * exit codes as fsck(8): 0 clean, 1 repaired, 4 left unrepaired, 8 could
 * not examine something, 16 usage; OR'ed. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowlink-tools.h"
#include "util.h"

enum { FSCK_OK = 0, FSCK_FIXED = 1, FSCK_LEFT = 4, FSCK_ERROR = 8, FSCK_USAGE = 16 };

struct fsck_ctx {
	bool dry_run;
	int rc;
};

/* "repaired text", "would text" or "cannot: why" after the finding. */
static void outcome(const struct cl_fsck_finding *f, struct fsck_ctx *c,
		    const char *done, const char *would)
{
	if (f->result > 0) {
		printf(": %s\n", done);
		c->rc |= FSCK_FIXED;
	} else if (f->result == 0) {
		printf(" (%s)\n", would);
		c->rc |= FSCK_LEFT;
	} else {
		printf(": cannot repair: %s\n", strerror(-f->result));
		c->rc |= FSCK_LEFT;
	}
}

static void report(const struct cl_fsck_finding *f, void *arg)
{
	struct fsck_ctx *c = arg;
	char done[128], would[128];
	unsigned mode = (unsigned)(f->st->st_mode & 07777);

	printf("%s: ", f->path);
	switch (f->kind) {
	case CL_FSCK_TMP:
		printf("temp name left by an interrupted break or link");
		if (f->result == 0 && f->pid) {
			printf(" (process %d is running: left alone)\n", (int)f->pid);
			c->rc |= FSCK_LEFT;
			return;
		}
		outcome(f, c, "removed", "would remove");
		return;
	case CL_FSCK_ORPHAN:
		printf("orphaned mark (one name left)%s", f->rec.version ? "" : ", malformed record");
		snprintf(done, sizeof done, "unshared in place, mode %04o", mode | (unsigned)f->wbits);
		snprintf(would, sizeof would, "would unshare in place, mode %04o", mode | (unsigned)f->wbits);
		break;
	case CL_FSCK_MALFORMED:
		printf("malformed record on a shared inode of %llu names",
		       (unsigned long long)f->st->st_nlink);
		snprintf(done, sizeof done, "record rewritten as +%04o, mode %04o",
			 (unsigned)f->wbits, mode & ~0222u);
		snprintf(would, sizeof would, "would rewrite the record as +%04o, mode %04o",
			 (unsigned)f->wbits, mode & ~0222u);
		break;
	case CL_FSCK_UNPROTECTED:
		printf("shared inode made writable (mode %04o, recorded +%04o)", mode,
		       (unsigned)f->rec.wbits);
		snprintf(done, sizeof done, "re-protected, recorded +%04o, mode %04o",
			 (unsigned)f->wbits, mode & ~0222u);
		snprintf(would, sizeof would, "would re-protect, recording +%04o, mode %04o",
			 (unsigned)f->wbits, mode & ~0222u);
		break;
	}
	outcome(f, c, done, would);
}

static int tree_entry(const struct cl_walk_ent *e, void *arg)
{
	struct fsck_ctx *c = arg;
	int r;

	if (e->err) {
		errmsg(e->err, "%s", e->path);
		c->rc |= FSCK_ERROR;
		return 0;
	}
	if (e->post || !S_ISREG(e->st->st_mode))
		return 0;
	r = cl_fsck_at(e->dirfd, e->name, e->path, e->st, c->dry_run, report, c);
	if (r < 0) {
		errmsg(r, "%s", e->path);
		c->rc |= FSCK_ERROR;
	}
	return 0;
}

static void help(void)
{
	printf("Usage: cowlink fsck [-n] DIR...\n"
	       "Find and repair what a crash or a change behind the shim's back can leave\n"
	       "under each DIR: temp names of interrupted breaks, orphaned marks,\n"
	       "malformed records, shared inodes made writable. One line per finding.\n\n"
	       "  -n, --dry-run  report only, change nothing\n"
	       "  -h, --help     this text\n\n"
	       "Exit status (OR'ed, as fsck(8)): 0 nothing found, 1 found and repaired,\n"
	       "4 found and left (always so with -n), 8 something could not be examined,\n"
	       "16 bad usage.\n");
}

int cmd_fsck(int argc, char **argv)
{
	struct fsck_ctx c = { 0 };
	const struct flag flags[] = {
		{ "dry-run", 'n', &c.dry_run, true },
		{ "help", 'h', NULL, false },
		{ NULL, 0, NULL, false },
	};
	const struct cmd_flags cmd = { "fsck", flags, help, "DIR", FSCK_USAGE };
	int i, rc = parse_flags(argc, argv, &cmd);

	if (rc >= 0)
		return rc;
	for (i = optind; i < argc; i++)
		cl_walk(argv[i], tree_entry, &c);
	if (fflush(stdout) != 0)
		c.rc |= FSCK_ERROR;
	return c.rc;
}
