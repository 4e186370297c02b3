/* SPDX-License-Identifier: MIT */
/* cowlink dedupe: make identical files (content and metadata) under the
 * given directories share the extents of the first of each group by path,
 * or become cowlinks of it where the filesystem cannot share. One line per
 * name, a summary last; skips and each filesystem's way told under -v,
 * errors always. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cowlink-tools.h"
#include "util.h"

struct dedupe_ctx {
	bool dry_run, verbose;
};

static void help(void)
{
	printf("Usage: cowlink dedupe [-n] [-v] [--no-protect] [--cowlink-only] DIR...\n"
	       "Deduplicate regular files under each DIR that are copies of each other (same\n"
	       "content, size, mode, owner, mtime, xattrs, ACL and inode flags, one\n"
	       "filesystem) against the first of each group by path: where the filesystem\n"
	       "can share extents (btrfs, XFS with reflink) each keeps its own inode and\n"
	       "shares the first one's extents (the kernel compares the bytes); elsewhere\n"
	       "it becomes a cowlink of the first, compared again under read leases just\n"
	       "before the link. Empty files, plain hard links, immutable and append-only\n"
	       "files, and files open for writing where cowlinks are made, are left alone.\n\n"
	       "  -n, --dry-run       only say what would be done\n"
	       "  -v, --verbose       also say what was left alone and why, and which way\n"
	       "                      each filesystem went\n"
	       "      --no-protect    do not clear the write bits of the shared inodes\n"
	       "      --cowlink-only  make cowlinks even where extents could be shared\n"
	       "      --help          this text\n\n"
	       "Exit status: 0, or 1 when some file could not be read or replaced.\n");
}

static const char *skip_why(int r)
{
	switch (r) {
	case -EMLINK:
		return "has plain hard links (or is at the link limit): left alone";
	case -ETXTBSY:
		return "open for writing: left alone";
	case -ESTALE:
		return "changed since the scan: left alone";
	case -EPERM:
		return "is immutable or append-only (lsattr): left alone";
	default:
		return strerror(-r);
	}
}

static void event(const struct cl_dedupe_event *e, void *arg)
{
	struct dedupe_ctx *c = arg;

	switch (e->what) {
	case CL_DEDUPE_GROUP:
		if (c->verbose)
			printf("group of '%s':\n", e->path);
		break;
	case CL_DEDUPE_LINKED:
		printf("%s'%s' => '%s'\n", c->dry_run ? "would link " : "", e->path, e->master);
		break;
	case CL_DEDUPE_SHARED:
		if (c->dry_run)
			printf("would share '%s' => '%s'\n", e->path, e->master);
		else
			printf("'%s' => '%s' (shared extents)\n", e->path, e->master);
		break;
	case CL_DEDUPE_FS:
		if (!c->verbose)
			break;
		if (e->result)
			warnmsg("dedupe: the filesystem of '%s' cannot share extents (%s):"
				" copies there become cowlinks", e->path, strerror(-e->result));
		else
			warnmsg("dedupe: the filesystem of '%s' shares extents: copies there"
				" keep their own inodes", e->path);
		break;
	case CL_DEDUPE_SKIPPED:
		if (c->verbose)
			warnmsg("dedupe: '%s' %s", e->path, skip_why(e->result));
		break;
	case CL_DEDUPE_FLAGS:
		if (c->verbose)
			warnmsg("dedupe: '%s' has the content of '%s' but other inode flags"
				" (lsattr): kept apart", e->path, e->master);
		break;
	case CL_DEDUPE_ERROR:
		if (e->master)
			errmsg(e->result, "dedupe: cannot deduplicate '%s' against '%s'",
			       e->path, e->master);
		else
			errmsg(e->result, "dedupe: %s", e->path);
		break;
	}
}

/* Under -v, what the link engine has to say (a lease it could not have). */
static void note(void *arg, const char *msg)
{
	(void)arg;
	warnmsg("%s", msg);
}

int cmd_dedupe(int argc, char **argv)
{
	struct dedupe_ctx c = { 0 };
	bool no_protect = false, cowlink_only = false;
	const struct flag options[] = {
		{ "dry-run", 'n', &c.dry_run, true, NULL },
		{ "verbose", 'v', &c.verbose, true, NULL },
		{ "no-protect", 0, &no_protect, true, NULL },
		{ "cowlink-only", 0, &cowlink_only, true, NULL },
		{ "help", 0, NULL, false, NULL },
		{ NULL, 0, NULL, false, NULL },
	};
	const struct cmd_flags cmd = { "dedupe", options, help, "DIR", 0 };
	struct cl_dedupe_stats st;
	unsigned flags;
	int r = parse_flags(argc, argv, &cmd);

	if (r >= 0)
		return r;
	flags = (no_protect ? COWLINK_NO_PROTECT : 0) |
		(cowlink_only ? COWLINK_REFLINK_NEVER : 0);
	if (c.verbose) {
		cl_note = note;
		cl_note_arg = NULL;
	}
	r = cl_dedupe(argv + optind, (size_t)(argc - optind), flags, c.dry_run, event, &c, &st);
	if (r && r != -EIO)
		errmsg(r, "dedupe");
	printf("%" PRIu64 " %s in %" PRIu64 " %s %sdeduplicated", st.files,
	       plural(st.files, "file", "files"), st.groups,
	       plural(st.groups, "group", "groups"), c.dry_run ? "would be " : "");
	if (st.shared)
		printf(" (%" PRIu64 " by shared extents)", st.shared);
	printf(", %" PRIu64 " %s %s\n", st.bytes, plural(st.bytes, "byte", "bytes"),
	       c.dry_run ? "would be saved" : "saved");
	return r ? 1 : 0;
}
