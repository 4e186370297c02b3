/* SPDX-License-Identifier: MIT */
/* cowlink du: for each directory, the apparent size (every name counted, as
 * copies would be), the space really used (st_blocks, each inode once), and
 * the space saved by names that share an inode with one already counted or
 * with a name outside the trees walked — what real copies would take on top.
 * So `cowlink du -s copy` alone shows what the copy saves against the names
 * it shares with, and its USED is what removing it would free. A first walk
 * counts the names of each multi-link inode met, to tell the two apart.
 * Reflinked copies (cowln on btrfs and XFS, cowlink dedupe) are inodes of
 * their own that share extents: an extent the extent map says is shared
 * counts as used by the first file of the walk that holds it and as saved
 * by every later one (by its physical address). The map does not say who
 * else holds an extent, so one shared only with files outside the DIRs
 * counts as used, not saved. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowlink-tools.h"
#include "util.h"

struct du_sum {
	uint64_t apparent, used, saved;
};

struct du_ctx {
	bool summarize, bytes;
	int rc;
	struct inoset names;    /* first walk: names met of each multi-link inode */
	struct inoset dirs;     /* first walk: directories met */
	struct inoset seen;
	struct inoset extents;  /* (dev, physical address) of shared extents met */
	struct { dev_t dev; bool may; } fs[16]; /* can the filesystem share extents? */
	size_t nfs;
	struct du_sum *stack;   /* one per directory depth of the walk */
	size_t depth_cap;
	struct du_sum total;
};

static void help(void)
{
	printf("Usage: cowlink du [-s] [-b] [-h] [-c] DIR...\n"
	       "Print, after a header line, for each directory under each DIR four\n"
	       "columns: APPARENT, the size with every name counted (as copies would be);\n"
	       "USED, the space really used (each inode once), which removing the DIRs\n"
	       "would free; SAVED, the space of names sharing an inode with a name already\n"
	       "counted or with a name outside the DIRs (so 'du -s copy' shows what a\n"
	       "copy saves against its source), and the extents a file shares with one\n"
	       "counted before it (reflinks); and the path.\n\n"
	       "  -s, --summarize  one line per DIR\n"
	       "  -b, --bytes      sizes in bytes (default: human-readable, as du -h)\n"
	       "  -h, --human-readable  human-readable sizes (the default)\n"
	       "  -c, --total      a last line with the grand total\n"
	       "      --help       this text\n\n"
	       "Exit status: 0, or 1 when something could not be read.\n");
}

static void print_line(const struct du_ctx *c, const struct du_sum *s, const char *path)
{
	char a[32], u[32], v[32];

	printf("%s\t%s\t%s\t%s\n", fmt_size(s->apparent, c->bytes, a),
	       fmt_size(s->used, c->bytes, u), fmt_size(s->saved, c->bytes, v), path);
}

/* Could the filesystem of FD (device DEV) share extents? Asked once per
 * filesystem, so that ext4 and tmpfs cost no extent map per file. */
static bool may_share(struct du_ctx *c, dev_t dev, int fd)
{
	size_t i;
	bool may;

	for (i = 0; i < c->nfs; i++)
		if (c->fs[i].dev == dev)
			return c->fs[i].may;
	may = cl_extents_may_share(fd);
	if (c->nfs < sizeof c->fs / sizeof c->fs[0]) {
		c->fs[c->nfs].dev = dev;
		c->fs[c->nfs++].may = may;
	}
	return may;
}

struct shared_walk {
	struct du_ctx *c;
	dev_t dev;
	uint64_t again;         /* bytes of shared extents met before */
};

static int shared_extent(const struct cl_extent *x, void *arg)
{
	struct shared_walk *w = arg;

	if ((x->flags & FIEMAP_EXTENT_SHARED) &&
	    !(x->flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
			  FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_DATA_TAIL)) &&
	    inoset_add(&w->c->extents, w->dev, x->physical) > 1)
		w->again += x->length;
	return 0;
}

/* The bytes of PATH's extents that are shared and were met already in the
 * walk (at the same physical address): saved, not used. 0 where the file
 * cannot be read or has no extent map. */
static uint64_t shared_again(struct du_ctx *c, const char *path, const struct stat *st)
{
	struct shared_walk w = { c, st->st_dev, 0 };
	struct stat now;
	int fd;

	if (!S_ISREG(st->st_mode) || st->st_blocks == 0)
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino &&
	    may_share(c, st->st_dev, fd))
		(void)cl_extents_each(fd, shared_extent, &w);
	close(fd);
	return w.again;
}

/* What one name adds: its size always, its blocks the first time its inode
 * is met, and those blocks as saved space each later time. A directory met
 * again (through another argument) adds nothing. The first time, the bytes
 * of extents it shares with a file met before are saved, not used. */
static void account(struct du_ctx *c, const char *path, const struct stat *st,
		    struct du_sum *s)
{
	uint64_t blocks = (uint64_t)st->st_blocks * 512, again;
	bool dir = S_ISDIR(st->st_mode);

	if (!dir && st->st_nlink > 1 &&
	    inoset_count(&c->names, st->st_dev, st->st_ino) < st->st_nlink) {
		/* A name outside the trees holds this inode too. */
		s->apparent += (uint64_t)st->st_size;
		s->saved += blocks;
		return;
	}
	if ((dir || st->st_nlink > 1) && inoset_add(&c->seen, st->st_dev, st->st_ino) > 1) {
		if (!dir) {
			s->apparent += (uint64_t)st->st_size;
			s->saved += blocks;
		}
		return;
	}
	again = dir ? 0 : shared_again(c, path, st);
	if (again > blocks)
		again = blocks;
	s->apparent += (uint64_t)st->st_size;
	s->used += blocks - again;
	s->saved += again;
}

/* The first walk: count each name of a multi-link inode once, whichever
 * arguments lead to it. */
static int count_names(const struct cl_walk_ent *e, void *arg)
{
	struct du_ctx *c = arg;

	if (e->err || e->post)
		return 0;
	if (S_ISDIR(e->st->st_mode))
		return inoset_add(&c->dirs, e->st->st_dev, e->st->st_ino) > 1;
	if (e->st->st_nlink > 1)
		(void)inoset_add(&c->names, e->st->st_dev, e->st->st_ino);
	return 0;
}

static int tree_entry(const struct cl_walk_ent *e, void *arg)
{
	struct du_ctx *c = arg;
	struct du_sum *s;
	unsigned d = e->depth;

	if (e->err) {
		errmsg(e->err, "%s", e->path);
		c->rc = 1;
		if (!e->post)
			return 0;
	}
	if (d + 1 > c->depth_cap) {
		size_t cap = (d + 1) * 2;

		c->stack = xrealloc(c->stack, cap * sizeof *c->stack);
		c->depth_cap = cap;
	}
	s = &c->stack[d];
	if (e->post) {
		if (!c->summarize || d == 0)
			print_line(c, s, e->path);
		if (d > 0) {
			c->stack[d - 1].apparent += s->apparent;
			c->stack[d - 1].used += s->used;
			c->stack[d - 1].saved += s->saved;
		} else {
			c->total.apparent += s->apparent;
			c->total.used += s->used;
			c->total.saved += s->saved;
		}
		return 0;
	}
	if (S_ISDIR(e->st->st_mode)) {
		memset(s, 0, sizeof *s);
		account(c, e->path, e->st, s);
		return 0;
	}
	if (d == 0) { /* a file given as an argument */
		struct du_sum one = { 0 };

		account(c, e->path, e->st, &one);
		print_line(c, &one, e->path);
		c->total.apparent += one.apparent;
		c->total.used += one.used;
		c->total.saved += one.saved;
		return 0;
	}
	account(c, e->path, e->st, &c->stack[d - 1]);
	return 0;
}

int cmd_du(int argc, char **argv)
{
	struct du_ctx c = { 0 };
	bool total = false;
	const struct flag flags[] = {
		{ "summarize", 's', &c.summarize, true, NULL },
		{ "bytes", 'b', &c.bytes, true, NULL },
		{ "human-readable", 'h', &c.bytes, false, NULL },
		{ "total", 'c', &total, true, NULL },
		{ "help", 0, NULL, false, NULL },
		{ NULL, 0, NULL, false, NULL },
	};
	const struct cmd_flags cmd = { "du", flags, help, "DIR", 0 };
	struct stat st;
	int i, n, rc = parse_flags(argc, argv, &cmd);

	if (rc >= 0)
		return rc;
	/* A DIR that is not there is said first and left out: the header
	 * comes only before numbers, never alone above an error. */
	for (i = optind, n = optind; i < argc; i++) {
		if (lstat(argv[i], &st) < 0) {
			errmsg(errno, "%s", argv[i]);
			c.rc = 1;
			continue;
		}
		argv[n++] = argv[i];
	}
	if (n == optind)
		return c.rc;
	printf("APPARENT\tUSED\tSAVED\tPATH\n");
	for (i = optind; i < n; i++)
		cl_walk(argv[i], count_names, &c);
	for (i = optind; i < n; i++)
		cl_walk(argv[i], tree_entry, &c);
	if (total)
		print_line(&c, &c.total, "total");
	inoset_free(&c.seen);
	inoset_free(&c.extents);
	inoset_free(&c.names);
	inoset_free(&c.dirs);
	free(c.stack);
	return c.rc;
}
