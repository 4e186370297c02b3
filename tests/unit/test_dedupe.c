/* SPDX-License-Identifier: MIT */
/* cl_dedupe: which files are copies of each other (content, mode, owner,
 * mtime, xattrs, inode flags), what is left alone (empty files, plain hard
 * links, immutable and append-only files, files open for writing, files
 * changed between the scan and the link), and what a replaced name looks
 * like afterwards. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fixture.h"

/* NAME in fx_dir with TEXT, mode 0644 and mtime MTIME (seconds). */
static const char *mk(const char *name, const char *text, time_t mtime)
{
	const char *p = fx_p(fx_dir, name);
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

	assert_int_equal(fx_write(p, text, strlen(text), 0644), 0);
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	return p;
}

/* What the events said, as "L:name S<errno>:name G:name E<errno>:name
 * F:name R:name D<errno>:name " (F: kept apart by its inode flags, R: shares
 * the master's extents, D: the filesystem's way decided). */
struct log {
	char s[2048];
	size_t len;
	/* On the first group, rewrite a byte of this file at CHANGE_AT (same
	 * size and mtime). */
	const char *change;
	off_t change_at;
};

static void logger(const struct cl_dedupe_event *e, void *arg)
{
	struct log *l = arg;
	const char *base = strrchr(e->path, '/') + 1;
	static const char kind[] = "GLSEFRD";

	l->len += (size_t)snprintf(l->s + l->len, sizeof l->s - l->len, "%c%d:%s ",
				   kind[e->what], -e->result, base);
	if (e->what == CL_DEDUPE_GROUP && l->change) {
		struct stat st;
		struct timespec ts[2];
		int fd;

		assert_int_equal(stat(l->change, &st), 0);
		fd = open(l->change, O_WRONLY);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, "X", 1, l->change_at), 1);
		close(fd);
		ts[0] = st.st_atim;
		ts[1] = st.st_mtim;
		assert_int_equal(utimensat(AT_FDCWD, l->change, ts, 0), 0);
		l->change = NULL;
	}
}

static int run(bool dry, unsigned flags, struct log *l, struct cl_dedupe_stats *st)
{
	char *roots[] = { fx_dir };

	return cl_dedupe(roots, 1, flags, dry, logger, l, st);
}

static void copies_become_cowlinks(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	const char *a, *b, *c, *other;
	struct stat sa, sb;

	(void)state;
	assert_int_equal(mkdir(fx_p(fx_dir, "sub"), 0755), 0);
	c = mk("sub/c", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000000);
	a = mk("a", "same data\n", 1000000);
	other = mk("d", "same size!\n", 1000000);
	assert_int_equal(stat(b, &sb), 0);
	assert_int_equal(run(false, 0, &l, &st), 0);
	assert_string_equal(l.s, "G0:a L0:b L0:c ");
	assert_int_equal(st.files, 2);
	assert_int_equal(st.groups, 1);
	assert_int_equal(st.bytes, 2 * (uint64_t)sb.st_blocks * 512);
	assert_true(fx_same_inode(a, b));
	assert_true(fx_same_inode(a, c));
	assert_false(fx_same_inode(a, other));
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(sa.st_nlink, 3);
	assert_int_equal(sa.st_mtim.tv_sec, 1000000);
	/* Marked and protected as cowln does, presented as before. */
	assert_int_equal(sa.st_mode & 0777, 0444);
	assert_int_equal(fx_presented_mode(a), 0644);
	assert_int_equal(fx_litter(fx_dir), 0);
	assert_int_equal(fx_litter(fx_p(fx_dir, "sub")), 0);

	/* Once more: nothing left to do. */
	memset(&l, 0, sizeof l);
	assert_int_equal(run(false, 0, &l, &st), 0);
	assert_string_equal(l.s, "");
	assert_int_equal(st.files, 0);
}

static void dry_run_changes_nothing(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	struct fx_snap sa, sb;
	const char *a, *b;

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000000);
	assert_int_equal(fx_snap(a, &sa), 0);
	assert_int_equal(fx_snap(b, &sb), 0);
	assert_int_equal(run(true, 0, &l, &st), 0);
	assert_string_equal(l.s, "G0:a L0:b ");
	assert_int_equal(st.files, 1);
	assert_int_equal(fx_snap_same(a, &sa), 1);
	assert_int_equal(fx_snap_same(b, &sb), 1);
}

static void no_protect(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	struct stat sa;
	const char *a, *b;

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000000);
	assert_int_equal(run(false, COWLINK_NO_PROTECT, &l, &st), 0);
	assert_true(fx_same_inode(a, b));
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(sa.st_mode & 0777, 0644);
}

/* Metadata that differs makes two files something other than copies. */
static void different_metadata_not_copies(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	const char *a, *b, *c, *d, *e, *f, *g;

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000001);           /* mtime */
	c = mk("c", "same data\n", 1000000);
	assert_int_equal(chmod(c, 0600), 0);              /* mode */
	d = mk("d", "same data\n", 1000000);
	assert_int_equal(setxattr(d, "user.x", "1", 1, 0), 0); /* an xattr */
	e = mk("e", "same data\n", 1000000);
	assert_int_equal(setxattr(e, "user.x", "2", 1, 0), 0); /* its value */
	f = mk("f", "", 1000000);                         /* empty */
	g = mk("g", "", 1000000);
	assert_int_equal(run(false, 0, &l, &st), 0);
	assert_string_equal(l.s, "");
	assert_int_equal(st.files, 0);
	assert_false(fx_same_inode(a, b));
	assert_false(fx_same_inode(a, c));
	assert_false(fx_same_inode(a, d));
	assert_false(fx_same_inode(d, e));
	assert_false(fx_same_inode(f, g));

	/* The same xattr on both: copies again. */
	assert_int_equal(setxattr(a, "user.x", "1", 1, 0), 0);
	assert_int_equal(run(false, 0, &l, &st), 0);
	assert_string_equal(l.s, "G0:a L0:d ");
	assert_true(fx_same_inode(a, d));
	assert_false(fx_same_inode(a, e));
}

static void hard_links_left_alone(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	const char *a, *b, *c;
	char expect[64];

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = fx_p(fx_dir, "b");
	assert_int_equal(link(a, b), 0);
	c = mk("c", "same data\n", 1000000);
	assert_int_equal(run(false, 0, &l, &st), 0);
	snprintf(expect, sizeof expect, "S%d:a S%d:b ", EMLINK, EMLINK);
	assert_string_equal(l.s, expect);
	assert_true(fx_same_inode(a, b));
	assert_false(fx_same_inode(a, c));
	assert_int_equal(fx_presented_mode(a), 0644);
	assert_int_equal(getxattr(a, CL_XATTR, NULL, 0), -1);
}

/* A marked set is a copy like any other: its names all join the master. */
static void cowlink_set_joins(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	const char *a, *b, *c;

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000000);
	c = fx_p(fx_dir, "c");
	assert_int_equal(fx_make_set(b, c, true), 0);
	assert_int_equal(run(false, 0, &l, &st), 0);
	assert_string_equal(l.s, "G0:a L0:b L0:c ");
	assert_true(fx_same_inode(a, b));
	assert_true(fx_same_inode(a, c));
	assert_int_equal(fx_presented_mode(a), 0644);
}

/* An ACL with a named user: owner rw, nobody PERM, group r, mask rw, other r. */
static void set_acl(const char *path, unsigned perm)
{
	unsigned char v[4 + 5 * 8];
	static const unsigned tags[5] = { 0x01, 0x02, 0x04, 0x10, 0x20 };
	unsigned perms[5] = { 6, perm, 4, 6, 4 }, i;
	uint32_t ids[5] = { 0xffffffffu, 65534, 0xffffffffu, 0xffffffffu, 0xffffffffu };

	memset(v, 0, sizeof v);
	v[0] = 2;
	for (i = 0; i < 5; i++) {
		unsigned char *e = v + 4 + 8 * i;

		e[0] = (unsigned char)tags[i];
		e[2] = (unsigned char)perms[i];
		memcpy(e + 4, &ids[i], 4);
	}
	assert_int_equal(setxattr(path, "system.posix_acl_access", v, sizeof v, 0), 0);
}

/* Protection clears the write bit of the master's ACL mask: the names
 * after the first still compare equal to it, a different ACL does not. */
static void acl_compared_as_presented(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	const char *a, *b, *c, *d;
	struct stat sa;

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000000);
	c = mk("c", "same data\n", 1000000);
	d = mk("d", "same data\n", 1000000);
	set_acl(a, 6);
	set_acl(b, 6);
	set_acl(c, 6);
	set_acl(d, 4);
	assert_int_equal(chmod(d, 0664), 0); /* the mask as the others' */
	assert_int_equal(run(false, 0, &l, &st), 0);
	assert_string_equal(l.s, "G0:a L0:b L0:c ");
	assert_true(fx_same_inode(a, c));
	assert_false(fx_same_inode(a, d));
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(sa.st_mode & 0777, 0444);
}

static void open_for_writing_skipped(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	const char *a, *b;
	char expect[64];
	int fd;

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000000);
	fd = open(b, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(run(false, 0, &l, &st), 0);
	snprintf(expect, sizeof expect, "G0:a S%d:b ", ETXTBSY);
	assert_string_equal(l.s, expect);
	assert_false(fx_same_inode(a, b));
	close(fd);

	/* The master open for writing: said of the master, nothing linked. */
	fd = open(a, O_WRONLY);
	assert_true(fd >= 0);
	memset(&l, 0, sizeof l);
	assert_int_equal(run(false, 0, &l, &st), 0);
	snprintf(expect, sizeof expect, "G0:a S%d:a ", ETXTBSY);
	assert_string_equal(l.s, expect);
	assert_false(fx_same_inode(a, b));
	assert_int_equal(getxattr(a, CL_XATTR, NULL, 0), -1);
	close(fd);
}

/* PATH has one name, mode 0644 on disk and no mark. */
static void unmarked_0644(const char *path)
{
	struct stat s;

	assert_int_equal(stat(path, &s), 0);
	assert_int_equal(s.st_nlink, 1);
	assert_int_equal(s.st_mode & 07777, 0644);
	assert_int_equal(getxattr(path, CL_XATTR, NULL, 0), -1);
}

/* The race the leases close: a writer opens the copy after the comparison,
 * while the cowlink waits under its hidden name. The third fstatat after the
 * scan is replace()'s look at the hidden name, just before the re-check:
 * a child opens B for writing there and blocks in the lease break. */
static const char *race_path;
static int race_armed, race_count;
static pid_t race_child;

/* Is a lease on RACE_PATH's inode being broken? /proc/locks lists every
 * process's locks ("... LEASE BREAKING READ pid maj:min:ino ..."): match our
 * inode, not another test's lease that happens to break meanwhile. */
static bool lease_breaking(void)
{
	char line[256], ino[32];
	bool yes = false;
	struct stat st;
	FILE *f;

	if (stat(race_path, &st))
		return false;
	snprintf(ino, sizeof ino, ":%lu ", (unsigned long)st.st_ino);
	f = fopen("/proc/locks", "r");
	while (f && !yes && fgets(line, sizeof line, f))
		yes = strstr(line, "LEASE") && strstr(line, "BREAK") && strstr(line, ino);
	if (f)
		fclose(f);
	return yes;
}

static int race_hook(enum cl_op op)
{
	int i;

	if (!race_armed || op != CL_OP_FSTATAT || ++race_count != 3)
		return 0;
	race_child = fork();
	if (race_child == 0) {
		int fd = open(race_path, O_WRONLY);

		_exit(fd >= 0 ? 0 : 1);
	}
	for (i = 0; i < 500 && !lease_breaking(); i++)
		usleep(10000);
	return 0;
}

static void arm_race(const struct cl_dedupe_event *e, void *arg)
{
	logger(e, arg);
	if (e->what == CL_DEDUPE_GROUP)
		race_armed = 1;
}

static void writer_during_link_skipped(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	char *roots[] = { fx_dir };
	const char *a, *b;
	char expect[64];
	int status;

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000000);
	race_path = b;
	race_armed = race_count = 0;
	race_child = -1;
	cl_fault_hook = race_hook;
	assert_int_equal(cl_dedupe(roots, 1, 0, false, arm_race, &l, &st), 0);
	cl_fault_hook = NULL;
	assert_true(race_child > 0);
	assert_int_equal(waitpid(race_child, &status, 0), race_child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(expect, sizeof expect, "G0:a S%d:b ", ETXTBSY);
	assert_string_equal(l.s, expect);
	assert_false(fx_same_inode(a, b));
	assert_int_equal(fx_litter(fx_dir), 0);
	unmarked_0644(a);
}

/* Content changed after the scan (same size and mtime): the comparison
 * under the leases sees it and the name is left alone. */
static void changed_after_scan_skipped(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	const char *a, *b, *c;
	char expect[64];

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000000);
	c = mk("c", "same data\n", 1000000);
	l.change = b;
	assert_int_equal(run(false, 0, &l, &st), 0);
	snprintf(expect, sizeof expect, "G0:a S%d:b L0:c ", ESTALE);
	assert_string_equal(l.s, expect);
	assert_false(fx_same_inode(a, b));
	assert_true(fx_same_inode(a, c));
	assert_int_equal(fx_same_content(a, b), 0);
	assert_int_equal(fx_litter(fx_dir), 0);
}

/* A failure of the link is reported, the name stays, nothing is left. */
static void link_failure_reported(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	struct fx_snap sb;
	const char *a, *b;
	char expect[64];

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000000);
	assert_int_equal(fx_snap(b, &sb), 0);
	fx_fault_arm(CL_OP_LINKAT, 1, ENOSPC);
	assert_int_equal(run(false, 0, &l, &st), -EIO);
	fx_fault_off();
	snprintf(expect, sizeof expect, "G0:a E%d:b ", ENOSPC);
	assert_string_equal(l.s, expect);
	assert_int_equal(st.errors, 1);
	assert_false(fx_same_inode(a, b));
	assert_int_equal(fx_snap_same(b, &sb), 1);
	assert_int_equal(fx_litter(fx_dir), 0);
	unmarked_0644(a);

	/* A rename that fails: same. */
	memset(&l, 0, sizeof l);
	fx_fault_arm(CL_OP_RENAMEAT2, 1, EIO);
	assert_int_equal(run(false, 0, &l, &st), -EIO);
	fx_fault_off();
	assert_false(fx_same_inode(a, b));
	assert_int_equal(fx_same_content(a, b), 1);
	assert_int_equal(fx_litter(fx_dir), 0);
	/* The master got the mark for the link that failed: taken back. */
	unmarked_0644(a);
}

/* PATH's inode flags (FS_IOC_GETFLAGS); set to FLAGS first unless ~0u.
 * -errno when the filesystem or the caller cannot. */
static int iflags(const char *path, unsigned flags, unsigned *out)
{
	int fd = open(path, O_RDONLY), f = (int)flags, r = 0;

	if (fd < 0)
		return -errno;
	if (flags != ~0u && ioctl(fd, FS_IOC_SETFLAGS, &f))
		r = -errno;
	if (!r && ioctl(fd, FS_IOC_GETFLAGS, &f))
		r = -errno;
	close(fd);
	if (out)
		*out = (unsigned)f;
	return r;
}

/* chattr +d on one of three copies: it stays apart with its flag (a merged
 * set has one inode, so one name would lose it), the other two merge, and
 * the event says why. */
static void flags_kept_apart(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	const char *a, *b, *c;
	unsigned f;
	int r;

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000000);
	c = mk("c", "same data\n", 1000000);
	r = iflags(b, FS_NODUMP_FL, NULL);
	if (r == -ENOTTY || r == -EOPNOTSUPP)
		skip();
	assert_int_equal(r, 0);
	assert_int_equal(run(false, 0, &l, &st), 0);
	assert_string_equal(l.s, "G0:a L0:c F0:b ");
	assert_true(fx_same_inode(a, c));
	assert_false(fx_same_inode(a, b));
	assert_int_equal(iflags(b, ~0u, &f), 0);
	assert_true(f & FS_NODUMP_FL);
	assert_int_equal(iflags(a, ~0u, &f), 0);
	assert_false(f & FS_NODUMP_FL);
	assert_int_equal(getxattr(b, CL_XATTR, NULL, 0), -1);
}

/* Immutable and append-only files cannot be replaced nor linked: they are
 * left alone before any attempt, said as a skip, not an error. */
static void frozen_left_alone(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	const char *a, *b, *c;
	char expect[32];
	int r;

	(void)state;
	a = mk("a", "same data\n", 1000000);
	b = mk("b", "same data\n", 1000000);
	c = mk("c", "same data\n", 1000000);
	r = iflags(b, FS_IMMUTABLE_FL, NULL);
	if (r == -ENOTTY || r == -EOPNOTSUPP || r == -EPERM)
		skip(); /* no flags here, or no CAP_LINUX_IMMUTABLE */
	assert_int_equal(r, 0);
	assert_int_equal(iflags(c, FS_APPEND_FL, NULL), 0);
	r = run(false, 0, &l, &st);
	(void)iflags(b, 0, NULL);
	(void)iflags(c, 0, NULL);
	assert_int_equal(r, 0);
	snprintf(expect, sizeof expect, "S%d:b ", EPERM);
	assert_non_null(strstr(l.s, expect));
	snprintf(expect, sizeof expect, "S%d:c ", EPERM);
	assert_non_null(strstr(l.s, expect));
	assert_int_equal(strlen(l.s), 2 * strlen(expect));
	assert_int_equal(st.errors, 0);
	assert_false(fx_same_inode(a, b));
	assert_false(fx_same_inode(a, c));
	unmarked_0644(a);
}

static int count_shared(const struct cl_extent *x, void *arg)
{
	if (x->flags & FIEMAP_EXTENT_SHARED)
		*(uint64_t *)arg += x->length;
	return 0;
}

/* Bytes of PATH's extents that are shared. */
static uint64_t shared_bytes(const char *path)
{
	uint64_t n = 0;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(cl_extents_each(fd, count_shared, &n), 0);
	close(fd);
	return n;
}

#define MIB (1 << 20)

/* On btrfs, which shares at most 16 MiB per FIDEDUPERANGE: copies of 17
 * MiB keep their inodes (no mark, mode kept) and share all their extents;
 * a copy changed after the scan in its last MiB shares its first 16 MiB
 * (identical, so they stay) and is told as changed. A second run finds
 * nothing to do; cowlinks only when asked. */
static void shares_extents_on_btrfs(void **state)
{
	struct cl_dedupe_stats st;
	struct log l = { 0 };
	struct fx_mount m;
	struct timespec ts[2] = { { 1000000, 0 }, { 1000000, 0 } };
	const char *p[3];
	char *roots[1], expect[64];
	struct stat sa, sb;
	int i;

	(void)state;
	if (fx_loop_mount(&m, "btrfs", 256) == FX_SKIP)
		skip();
	roots[0] = m.mnt;
	for (i = 0; i < 3; i++) {
		p[i] = fx_p(m.mnt, i == 0 ? "a" : i == 1 ? "b" : "c");
		assert_int_equal(fx_fill(p[i], 17 * MIB, 7, 0644), 0);
		assert_int_equal(utimensat(AT_FDCWD, p[i], ts, 0), 0);
	}
	l.change = p[2];
	l.change_at = 17 * MIB - 1;
	assert_int_equal(cl_dedupe(roots, 1, 0, false, logger, &l, &st), 0);
	snprintf(expect, sizeof expect, "G0:a D0:a R0:b S%d:c ", ESTALE);
	assert_string_equal(l.s, expect);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.shared, 1);
	assert_int_equal(stat(p[0], &sa), 0);
	assert_int_equal(stat(p[1], &sb), 0);
	assert_true(sa.st_ino != sb.st_ino);
	assert_int_equal(sb.st_nlink, 1);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(sb.st_mtim.tv_sec, 1000000);
	assert_int_equal(getxattr(p[0], CL_XATTR, NULL, 0), -1);
	assert_int_equal(getxattr(p[1], CL_XATTR, NULL, 0), -1);
	assert_int_equal(fx_same_content(p[0], p[1]), 1);
	assert_int_equal(shared_bytes(p[1]), 17 * MIB);
	assert_int_equal(fx_same_content(p[0], p[2]), 0);
	assert_int_equal(shared_bytes(p[2]), 16 * MIB);

	/* Once more: b shares all it can already; c still differs. */
	memset(&l, 0, sizeof l);
	assert_int_equal(cl_dedupe(roots, 1, 0, false, logger, &l, &st), 0);
	assert_int_equal(st.files, 0);
	assert_null(strstr(l.s, ":b "));

	/* Asked for cowlinks only: a cowlink, as on any filesystem. */
	assert_int_equal(fx_fill(p[2], 17 * MIB, 7, 0644), 0);
	assert_int_equal(utimensat(AT_FDCWD, p[2], ts, 0), 0);
	memset(&l, 0, sizeof l);
	assert_int_equal(cl_dedupe(roots, 1, COWLINK_REFLINK_NEVER, false, logger, &l, &st), 0);
	assert_string_equal(l.s, "G0:a L0:b L0:c ");
	assert_true(fx_same_inode(p[0], p[2]));
	fx_loop_umount(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(copies_become_cowlinks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(dry_run_changes_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(no_protect, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(different_metadata_not_copies, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(hard_links_left_alone, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(cowlink_set_joins, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(acl_compared_as_presented, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(open_for_writing_skipped, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(changed_after_scan_skipped, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(writer_during_link_skipped, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(link_failure_reported, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(flags_kept_apart, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(frozen_left_alone, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(shares_extents_on_btrfs, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
