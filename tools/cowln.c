/* SPDX-License-Identifier: MIT */
/* cowln: make copy-on-write links, with ln's and cp's conventions
 * (docs/DESIGN.md §6). A thin layer on cowlink_link() and
 * cowlink_link_tree(). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cowlink.h"
#include "cowlink-tools.h"

static const char *prog = "cowln";
static bool verbose;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]... SRC DST\n"
		"  or:  %s [OPTION]... SRC... DIR\n"
		"Make DST (or DIR/SRC) a copy-on-write copy of SRC: a reflinked copy where\n"
		"the filesystem can clone, else a cowlink (one more name of SRC's inode,\n"
		"broken into a private copy on the first write under libcowlink.so).\n"
		"\n"
		"  -f, --force            replace existing destination files\n"
		"  -r, -R, --recursive    copy directories: cowlinks for the files in them,\n"
		"                         hard links kept (each group copied once), special\n"
		"                         files and directory xattrs/ACLs as cp -a\n"
		"      --reflink[=WHEN]   auto (default): clone where possible, else cowlink;\n"
		"                         always (bare --reflink): clone or fail; never: cowlink\n"
		"      --no-protect       keep the write bits of the shared inode\n"
		"      --adopt            link a source that already has other hard links\n"
		"                         (they become cowlinks too) instead of copying it\n"
		"      --copy-across      copy when SRC and DST are on different filesystems\n"
		"  -v, --verbose          say what is done, why when it is not a link, and\n"
		"                         which files of a lower overlayfs layer it copied up\n"
		"      --help             show this help and exit\n"
		"      --version          show the version and exit\n",
		prog, prog);
}

static void try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", prog);
	exit(1);
}

/* cl_note under -v: a lease that could not be had, a skipped entry... */
static void note(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s: %s\n", prog, msg);
}

/* A filesystem's name from statfs f_type, for "X does not support ...". */
static const char *fs_name(const char *path, char *buf, size_t n)
{
	static const struct { long type; const char *name; } names[] = {
		{ 0xEF53, "ext4" }, { 0x01021994, "tmpfs" }, { 0x58465342, "xfs" },
		{ 0x9123683E, "btrfs" }, { 0x4d44, "vfat" }, { 0x2011BAB0, "exfat" },
		{ 0x5346544e, "ntfs" }, { 0x7366746e, "ntfs3" }, { 0x6969, "nfs" },
		{ 0x65735546, "fuse" }, { 0x794c7630, "overlayfs" },
		{ 0x73717368, "squashfs" }, { 0x9660, "iso9660" }, { 0x858458f6, "ramfs" },
		{ 0xFF534D42, "cifs" }, { 0xFE534D42, "smb2" }, { 0xF2F52010, "f2fs" },
		{ 0x2fc12fc1, "zfs" }, { 0x9fa0, "proc" }, { 0x62656572, "sysfs" },
	};
	struct statfs sf;
	size_t i;

	if (statfs(path, &sf) == 0) {
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if ((unsigned long)sf.f_type == (unsigned long)names[i].type)
				return names[i].name;
		snprintf(buf, n, "this filesystem (type 0x%lx)", (unsigned long)sf.f_type);
		return buf;
	}
	return "this filesystem";
}

/* The words for a failure to link SRC: clearer than strerror where the
 * fix is an option or the cause is not obvious. */
/* Is fs.protected_hardlinks on (links to others' files refused)? */
static bool protected_hardlinks(void)
{
	char c = '0';
	FILE *f = fopen("/proc/sys/fs/protected_hardlinks", "re");

	if (f) {
		c = (char)fgetc(f);
		fclose(f);
	}
	return c == '1';
}

/* EACCES or EPERM for SRC: a bare "Permission denied" where SRC is another
 * user's says nothing of why. A cowlink writes its mark on the file (a user
 * xattr: write permission), clears its write bits (ownership) and links it,
 * which fs.protected_hardlinks allows a non-owner only with read and write
 * permission. */
static const char *not_yours(int e, const char *src, char *buf, size_t n)
{
	struct stat st;
	uid_t me = geteuid();

	if (me == 0 || stat(src, &st) != 0 || st.st_uid == me || !S_ISREG(st.st_mode))
		return strerror(e);
	snprintf(buf, n, "%s: the source belongs to uid %u, and only its owner (or root) "
		 "can make a cowlink of it, which writes a mark on the file, clears its write "
		 "bits and links it%s; copy it with cp instead", strerror(e), (unsigned)st.st_uid,
		 protected_hardlinks() ? " (and the kernel's fs.protected_hardlinks is on)" : "");
	return buf;
}

static const char *reason(int e, const char *src, bool always, char *buf, size_t n)
{
	char fs[64];
	struct stat st;

	switch (e) {
	case EXDEV:
		return "different filesystems (use --copy-across)";
	case ETXTBSY:
		return "source is open for writing";
	case EBUSY:
		return "source is being unshared (its record says \"unsharing\" and another "
		       "process has it open; cowlink fsck finishes an unshare left undone)";
	case EOPNOTSUPP:
		if (always)
			return "the filesystem cannot clone (--reflink=always)";
		snprintf(buf, n, "%s does not support user extended attributes",
			 fs_name(src, fs, sizeof fs));
		return buf;
	case EISDIR:
		if (stat(src, &st) == 0 && S_ISDIR(st.st_mode))
			return "is a directory (use -r)";
		break;
	case EINVAL:
		return "not a regular file";
	case EACCES:
	case EPERM:
		return not_yours(e, src, buf, n);
	}
	return strerror(e);
}

/* Progress of -r on a terminal: files, bytes, rate, on one line. */
struct meter {
	struct timespec start;
	bool shown;
};

static int show_progress(const struct cowlink_progress *p, void *arg)
{
	struct meter *m = arg;
	struct timespec now;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - m->start.tv_sec) +
	       (double)(now.tv_nsec - m->start.tv_nsec) / 1e9;
	if (p->done && !m->shown)
		return 0;
	fprintf(stderr, "\r%" PRIu64 " files, %.1f MiB, %.0f files/s   ",
		p->files, (double)p->bytes / (1024.0 * 1024.0),
		secs > 0 ? (double)p->files / secs : 0.0);
	if (p->done)
		fputc('\n', stderr);
	m->shown = true;
	return 0;
}

static const char *how_word(enum cowlink_how how)
{
	return how == COWLINK_CLONED ? " (reflink copy)" :
	       how == COWLINK_COPIED ? " (full copy)" : "";
}

/* BYTES as "67.0 MiB". */
static const char *size_words(uint64_t bytes, char *buf, size_t n)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%" PRIu64 " bytes", bytes);
	else
		snprintf(buf, n, "%.1f %s", v, unit[u]);
	return buf;
}

/* Under -v, before the link (which copies it up): is SRC a file of a lower
 * overlayfs layer? 1 yes, 0 no (or not overlayfs), -1 overlayfs whose upper
 * layer is not visible from here (it cannot be told). */
static int overlay_lower(const char *src)
{
	char dir[PATH_MAX], upper[PATH_MAX];
	const char *base = cl_path_split(src, dir, sizeof dir);
	int fd, r;

	if (!base || !*base)
		return 0;
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	r = cl_overlay_upper_dir(fd, upper, sizeof upper);
	close(fd);
	if (r)
		return r < 0 ? -1 : 0;
	return cl_overlay_lower(upper, base) == 1;
}

/* What -v says of a link on overlayfs: a file of a lower layer was copied
 * up in full (LOWER 1, N files of S bytes with -r), or may have been (-1). */
static void tell_copied_up(const char *src, const char *dst, int lower, uint64_t n,
			   uint64_t bytes)
{
	char size[32];

	if (lower < 0)
		fprintf(stderr, "%s: '%s' => '%s': on overlayfs, whose upper layer is not visible "
			"here: a file of a lower layer is copied up in full by the link, not "
			"space-free\n", prog, src, dst);
	else if (lower && n)
		fprintf(stderr, "%s: '%s' => '%s': %" PRIu64 " file%s (%s) of a lower overlayfs "
			"layer copied up in full by the link%s, not space-free\n", prog, src, dst,
			n, n == 1 ? "" : "s", size_words(bytes, size, sizeof size), n == 1 ? "" : "s");
}

/* After -r: what had to be copied in full instead of linked, and why, on
 * stderr (space the user did not expect to spend); specials under -v. */
static void tell_copies(const char *src, const char *dst, const struct cl_tree_report *r)
{
	static const char *const why[CL_COPY_NR] = {
		[CL_COPY_LINK_MAX] = "the shared inode was at the link limit",
		[CL_COPY_XDEV] = "on another filesystem than the destination",
	};
	char size[32];

	if (r->copied[CL_COPY_HARDLINKS]) {
		fprintf(stderr, "%s: '%s' => '%s': %" PRIu64 " file%s (%s) copied in full, not "
			"linked: plain hard links (--adopt would make them cowlinks of the source)",
			prog, src, dst, r->copied[CL_COPY_HARDLINKS],
			r->copied[CL_COPY_HARDLINKS] == 1 ? "" : "s",
			size_words(r->copied_bytes[CL_COPY_HARDLINKS], size, sizeof size));
		if (r->group_names)
			fprintf(stderr, "; %" PRIu64 " more name%s kept as hard links of those "
				"copies, as cp -a does", r->group_names,
				r->group_names == 1 ? "" : "s");
		if (r->groups_outside)
			fprintf(stderr, "; %" PRIu64 " with names outside '%s' (a tree "
				"hard-linked to a store shares them with cp -al and "
				"COWLINK_TREES instead)", r->groups_outside, src);
		fputc('\n', stderr);
	}
	for (int i = CL_COPY_LINK_MAX; i < CL_COPY_NR; i++)
		if (r->copied[i])
			fprintf(stderr, "%s: '%s' => '%s': %" PRIu64 " file%s (%s) copied in full, "
				"not linked: %s\n", prog, src, dst, r->copied[i],
				r->copied[i] == 1 ? "" : "s",
				size_words(r->copied_bytes[i], size, sizeof size), why[i]);
}

/* Link SRC to DST, or the tree at SRC with -r. 0, or 1 after a message. */
static int link_one(const char *src, const char *dst, unsigned flags, bool recursive)
{
	char buf[PATH_MAX + 64];
	const char *s = src, *d = dst;
	enum cowlink_how how = COWLINK_LINKED;
	struct cowlink_status cs;
	struct stat a, b;
	struct meter m = { .shown = false };
	static struct cl_tree_report rep;
	char sbuf[PATH_MAX * 2], dbuf[PATH_MAX * 2];
	bool always = flags & COWLINK_REFLINK_ALWAYS;
	uint64_t lower_bytes = 0;
	int e, lower = 0;

	if (recursive) {
		clock_gettime(CLOCK_MONOTONIC, &m.start);
		e = cl_link_tree(src, dst, flags, isatty(2) ? show_progress : NULL, &m, &rep);
		if (rep.into_itself) {
			fprintf(stderr, "%s: cannot copy a directory, '%s', into itself, '%s'\n",
				prog, src, dst);
			return 1;
		}
		if (e && rep.failed[0]) {
			snprintf(sbuf, sizeof sbuf, "%s/%s", src, rep.failed);
			snprintf(dbuf, sizeof dbuf, "%s/%s", dst, rep.failed);
			s = sbuf;
			d = dbuf;
		}
	} else {
		lower = verbose ? overlay_lower(src) : 0;
		if (lower && stat(src, &a) == 0)
			lower_bytes = (uint64_t)a.st_size;
		e = cowlink_link(src, dst, flags, &how);
	}
	if (e == -EEXIST && stat(s, &a) == 0 && lstat(d, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
	    !(cowlink_status(d, &cs) == 0 && cs.kind == COWLINK_SHARED)) {
		fprintf(stderr, "%s: '%s' and '%s' are the same file\n", prog, s, d);
		return 1;
	}
	if (e) {
		fprintf(stderr, "%s: cannot link '%s' to '%s': %s\n", prog, s, d,
			reason(-e, s, always, buf, sizeof buf));
		if (recursive)
			tell_copies(src, dst, &rep);
		return 1;
	}
	if (recursive)
		tell_copies(src, dst, &rep);
	if (recursive && rep.orphans)
		fprintf(stderr, "%s: '%s' has %" PRIu64 " orphan%s (one name left, read-only, "
			"left so): 'cowlink fsck --orphans %s' unshares %s\n", prog, src,
			rep.orphans, rep.orphans == 1 ? "" : "s", src,
			rep.orphans == 1 ? "it" : "them");
	if (recursive && rep.specials_left) {
		/* cp -a goes on too, and exits 1. */
		fprintf(stderr, "%s: cannot copy '%s/%s': not allowed to make a device node or "
			"to link another user's (%" PRIu64 " left out)\n", prog, src,
			rep.special_left, rep.specials_left);
		return 1;
	}
	if (verbose && recursive && rep.skipped)
		printf("'%s' => '%s' (%" PRIu64 " skipped)\n", src, dst, rep.skipped);
	else if (verbose)
		printf("'%s' => '%s'%s\n", src, dst, recursive ? "" : how_word(how));
	if (recursive)
		tell_copied_up(src, dst, rep.copied_up_unknown ? -1 : 1, rep.copied_up,
			       rep.copied_up_bytes);
	else if (how == COWLINK_LINKED)
		tell_copied_up(src, dst, lower, 1, lower_bytes);
	return 0;
}

/* DIR/basename(SRC), trailing slashes of SRC ignored. */
static int join(char *out, size_t n, const char *dir, const char *src)
{
	char tmp[PATH_MAX];
	size_t len = strlen(src);
	const char *base;
	int r;

	if (len >= sizeof tmp)
		return -1;
	memcpy(tmp, src, len + 1);
	while (len > 1 && tmp[len - 1] == '/')
		tmp[--len] = '\0';
	base = cl_path_base(tmp);
	if (!*base) /* "/" alone */
		base = tmp;
	r = snprintf(out, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", base);
	return r < 0 || (size_t)r >= n ? -1 : 0;
}

/* --reflink[=WHEN] into FLAGS, replacing an earlier one; an invalid WHEN
 * ends the program through try_help(). */
static unsigned reflink_flags(unsigned flags, const char *when)
{
	flags &= ~(unsigned)(COWLINK_REFLINK_ALWAYS | COWLINK_REFLINK_NEVER);
	if (!when || !strcmp(when, "always")) {
		flags |= COWLINK_REFLINK_ALWAYS;
	} else if (!strcmp(when, "never")) {
		flags |= COWLINK_REFLINK_NEVER;
	} else if (strcmp(when, "auto")) {
		fprintf(stderr, "%s: invalid argument '%s' for '--reflink'\n"
			"Valid arguments are: 'auto', 'always', 'never'\n",
			prog, when);
		try_help();
	}
	return flags;
}

/* The options into *FLAGS and *RECURSIVE (-v sets the global verbose).
 * -1: go on with the operands at optind; else the exit status (--help,
 * --version). A bad option ends the program through try_help(). */
static int parse_options(int argc, char **argv, unsigned *flags, bool *recursive)
{
	enum { OPT_REFLINK = 256, OPT_NO_PROTECT, OPT_ADOPT, OPT_COPY_ACROSS,
	       OPT_HELP, OPT_VERSION };
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "recursive", no_argument, NULL, 'r' },
		{ "reflink", optional_argument, NULL, OPT_REFLINK },
		{ "no-protect", no_argument, NULL, OPT_NO_PROTECT },
		{ "adopt", no_argument, NULL, OPT_ADOPT },
		{ "copy-across", no_argument, NULL, OPT_COPY_ACROSS },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "fvrR", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			*flags |= COWLINK_FORCE;
			break;
		case 'v':
			verbose = true;
			break;
		case 'r':
		case 'R':
			*recursive = true;
			break;
		case OPT_REFLINK:
			*flags = reflink_flags(*flags, optarg);
			break;
		case OPT_NO_PROTECT:
			*flags |= COWLINK_NO_PROTECT;
			break;
		case OPT_ADOPT:
			*flags |= COWLINK_ADOPT;
			break;
		case OPT_COPY_ACROSS:
			*flags |= COWLINK_COPY_XDEV;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("cowln (cowlink) %s\n", cowlink_version());
			return 0;
		default:
			try_help();
		}
	}
	return -1;
}

/* Link each source operand (optind up to the last) to the last operand, or
 * into it when it is a directory, as ln does. The exit status. */
static int link_operands(int argc, char **argv, unsigned flags, bool recursive)
{
	bool into_dir;
	struct stat st;
	const char *target;
	char path[PATH_MAX];
	int i, n = argc - optind, status = 0;

	if (n == 0) {
		fprintf(stderr, "%s: missing file operand\n", prog);
		try_help();
	}
	target = argv[argc - 1];
	if (n == 1) {
		fprintf(stderr, "%s: missing destination file operand after '%s'\n", prog, target);
		try_help();
	}
	into_dir = stat(target, &st) == 0 && S_ISDIR(st.st_mode);
	if (n > 2 && !into_dir) {
		fprintf(stderr, "%s: target '%s' is not a directory\n", prog, target);
		return 1;
	}
	for (i = optind; i < argc - 1; i++) {
		const char *dst = target;

		if (into_dir) {
			if (join(path, sizeof path, target, argv[i])) {
				fprintf(stderr, "%s: cannot link '%s' into '%s': %s\n", prog,
					argv[i], target, strerror(ENAMETOOLONG));
				status = 1;
				continue;
			}
			dst = path;
		}
		status |= link_one(argv[i], dst, flags, recursive);
	}
	return status;
}

int main(int argc, char **argv)
{
	unsigned flags = 0;
	bool recursive = false;
	int status;

	/* A lease break must never kill us (lib/link also moves its signal
	 * off SIGIO; this covers any other path to one). */
	signal(SIGIO, SIG_IGN);
	/* cowln never forks: its hidden names' pid can be asked once. */
	cl_tmp_pin_pid();
	cl_config_load();
	status = parse_options(argc, argv, &flags, &recursive);
	if (status >= 0)
		return status;
	if (verbose) {
		cl_note = note;
		cl_note_arg = NULL;
	}
	return link_operands(argc, argv, flags, recursive);
}
