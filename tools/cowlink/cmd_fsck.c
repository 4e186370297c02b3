/* SPDX-License-Identifier: MIT */
/* cowlink fsck: find and repair what an interrupted break or link, or a
 * chmod behind the shim's back, can leave: temp names, orphaned marks,
 * malformed records, shared inodes made writable; report hard links that
 * look like a set restored without its xattrs, and re-mark one on request
 * (--adopt). One line per finding; exit codes as fsck(8): 0 clean, 1
 * repaired, 4 left unrepaired, 8 could not examine something, 16 usage;
 * OR'ed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowlink-tools.h"
#include "util.h"

enum { FSCK_OK = 0, FSCK_FIXED = 1, FSCK_LEFT = 4, FSCK_ERROR = 8, FSCK_USAGE = 16 };

/* One name of a CL_FSCK_RESTORED inode, kept until the walk ends so that
 * each inode gets one line with all the names met. */
struct restored {
	uint64_t dev, ino;
	size_t seq;           /* the order met */
	nlink_t nlink;
	char *path;
};

struct fsck_ctx {
	bool dry_run;
	bool orphans;         /* --orphans: that check alone */
	uint64_t found;       /* orphans found */
	uint64_t unshared;    /* of which unshared */
	struct restored *rs;
	size_t nrs, caprs;
	int rc;
};

static void help(void)
{
	printf("Usage: cowlink fsck [-n] [--orphans] DIR...\n"
	       "       cowlink fsck [-n] --adopt PATH...\n"
	       "Find and repair what a crash or a change behind the shim's back can leave\n"
	       "under each DIR: temp names of interrupted breaks, orphaned marks,\n"
	       "malformed records, shared inodes made writable. One line per finding.\n"
	       "Hard links without a mark and without write bits (a set restored from a\n"
	       "backup without its xattrs, or a read-only hard-link group) are reported,\n"
	       "one line per inode, never changed.\n\n"
	       "  -n, --dry-run  report only, change nothing\n"
	       "      --orphans  only the orphans (one name left, read-only): unshare\n"
	       "                 each, then say how many; reads nothing of other files\n"
	       "      --adopt    make the hard links of each PATH one cowlink set again,\n"
	       "                 recording the owner's write bit when the owner may read\n"
	       "  -h, --help     this text\n\n"
	       "Exit status (OR'ed, as fsck(8)): 0 nothing found, 1 found and repaired\n"
	       "(or adopted), 4 found and left (always so with -n; a PATH not adopted),\n"
	       "8 something could not be examined, 16 bad usage.\n");
}

/* "repaired text", "would text" or "cannot: why" after the finding. */
static void outcome(const struct cl_fsck_finding *f, struct fsck_ctx *c,
		    const char *done, const char *would)
{
	if (f->result > 0) {
		printf(": %s\n", done);
		c->rc |= FSCK_FIXED;
		if (f->kind == CL_FSCK_ORPHAN)
			c->unshared++;
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

	if (f->kind != CL_FSCK_RESTORED)
		printf("%s: ", f->path);
	else
		c->rc |= FSCK_LEFT;
	if (f->kind == CL_FSCK_ORPHAN)
		c->found++;
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
	case CL_FSCK_RESTORED: /* told at the end, one line per inode */
		if (c->nrs == c->caprs) {
			c->caprs = c->caprs ? 2 * c->caprs : 64;
			c->rs = xrealloc(c->rs, c->caprs * sizeof *c->rs);
		}
		c->rs[c->nrs] = (struct restored){ (uint64_t)f->st->st_dev, (uint64_t)f->st->st_ino,
						   c->nrs, f->st->st_nlink, xstrdup(f->path) };
		c->nrs++;
		return;
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
	r = (c->orphans ? cl_fsck_orphan_at : cl_fsck_at)(e->dirfd, e->name, e->path, e->st,
							  c->dry_run, report, c);
	if (r < 0) {
		errmsg(r, "%s", e->path);
		c->rc |= FSCK_ERROR;
	}
	return 0;
}

static int by_inode(const void *a, const void *b)
{
	const struct restored *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The groups' first names, in the order met. */
static int by_seq(const void *a, const void *b)
{
	const struct restored *const *x = a, *const *y = b;

	return (*x)->seq < (*y)->seq ? -1 : (*x)->seq > (*y)->seq;
}

/* One line per inode of the CL_FSCK_RESTORED names met. */
static void report_restored(struct fsck_ctx *c)
{
	struct restored **first;
	size_t i, j, n = 0;

	if (!c->nrs)
		return;
	qsort(c->rs, c->nrs, sizeof *c->rs, by_inode);
	first = xmalloc(c->nrs * sizeof *first);
	for (i = 0; i < c->nrs; i++)
		if (!i || c->rs[i].dev != c->rs[i - 1].dev || c->rs[i].ino != c->rs[i - 1].ino)
			first[n++] = &c->rs[i];
	qsort(first, n, sizeof *first, by_seq);
	for (i = 0; i < n; i++) {
		const struct restored *g = first[i];

		printf("%s: %llu hard links", g->path, (unsigned long long)g->nlink);
		for (j = 1; g + j < c->rs + c->nrs && g[j].dev == g->dev && g[j].ino == g->ino; j++)
			printf("%s%s", j == 1 ? " (also " : ", ", g[j].path);
		printf("%s without a mark and without write bits: a cowlink set restored "
		       "without its xattrs, or a read-only hard-link group (left as it is; "
		       "'cowlink fsck --adopt %s' makes it a set again)\n",
		       j > 1 ? ")" : "", g->path);
	}
	free(first);
	for (i = 0; i < c->nrs; i++)
		free(c->rs[i].path);
	free(c->rs);
}

static const char *refusal(enum cl_adopt_refusal why)
{
	switch (why) {
	case CL_ADOPT_NOT_REGULAR:
		return "not a regular file";
	case CL_ADOPT_ONE_LINK:
		return "one name only, nothing to share";
	case CL_ADOPT_MARKED:
		return "has a mark already (a cowlink set, or an orphan 'cowlink fsck' repairs)";
	case CL_ADOPT_WRITABLE:
		return "has write bits: an ordinary hard-link group, which shares writes on "
		       "purpose ('cowln --adopt' makes one into cowlinks)";
	default:
		return "";
	}
}

/* --adopt PATH...: each a name of a set restored without its mark. */
static int adopt(struct fsck_ctx *c, char **paths, int n)
{
	struct inoset done = { 0 };
	enum cl_adopt_refusal why;
	struct stat st;
	mode_t wbits;
	int i, r;

	for (i = 0; i < n; i++) {
		r = cl_fsck_adopt(paths[i], c->dry_run, &st, &wbits, &why);
		if (r == 0 && why == CL_ADOPT_MARKED && inoset_count(&done, st.st_dev, st.st_ino)) {
			printf("%s: adopted already, with another name of its inode\n", paths[i]);
			continue;
		}
		if (r < 0) {
			errmsg(r, "%s: cannot adopt", paths[i]);
			c->rc |= r == -ETXTBSY ? FSCK_LEFT : FSCK_ERROR;
		} else if (why != CL_ADOPT_OK) {
			warnmsg("%s: not adopted, left as it is: %s", paths[i], refusal(why));
			c->rc |= FSCK_LEFT;
		} else if (c->dry_run) {
			printf("%s: would make its %llu hard links one cowlink set, recorded +%04o\n",
			       paths[i], (unsigned long long)st.st_nlink, (unsigned)wbits);
			c->rc |= FSCK_LEFT;
		} else {
			printf("%s: its %llu hard links are one cowlink set now, recorded +%04o, "
			       "mode %04o\n", paths[i], (unsigned long long)st.st_nlink,
			       (unsigned)wbits, (unsigned)(st.st_mode & 07777));
			inoset_add(&done, st.st_dev, st.st_ino);
			c->rc |= FSCK_FIXED;
		}
	}
	inoset_free(&done);
	return c->rc;
}

int cmd_fsck(int argc, char **argv)
{
	struct fsck_ctx c = { 0 };
	bool adopting = false;
	const struct flag flags[] = {
		{ "dry-run", 'n', &c.dry_run, true, NULL },
		{ "orphans", 0, &c.orphans, true, NULL },
		{ "adopt", 0, &adopting, true, NULL },
		{ "help", 'h', NULL, false, NULL },
		{ NULL, 0, NULL, false, NULL },
	};
	const struct cmd_flags cmd = { "fsck", flags, help, "DIR", FSCK_USAGE };
	int i, rc = parse_flags(argc, argv, &cmd);

	if (rc >= 0)
		return rc;
	if (adopting && c.orphans) {
		warnmsg("fsck: --adopt and --orphans do not go together");
		usage_error("fsck");
		return FSCK_USAGE;
	}
	if (adopting) {
		adopt(&c, argv + optind, argc - optind);
	} else {
		for (i = optind; i < argc; i++) {
			uint64_t found = c.found, unshared = c.unshared;

			cl_walk(argv[i], tree_entry, &c);
			found = c.found - found;
			unshared = c.unshared - unshared;
			if (c.orphans)
				printf("%s: %llu %s found, %llu unshared in place%s\n", argv[i],
				       (unsigned long long)found, plural(found, "orphan", "orphans"),
				       (unsigned long long)unshared, c.dry_run ? " (-n)" : "");
		}
		report_restored(&c);
	}
	if (fflush(stdout) != 0)
		c.rc |= FSCK_ERROR;
	return c.rc;
}
