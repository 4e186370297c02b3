/* SPDX-License-Identifier: MIT */
/* The tree walk and the fsck checks: temp names, orphaned marks, malformed
 * records, shared inodes made writable, restored sets (reported only);
 * repairs in the order a non-root owner needs, and nothing changed by a dry
 * run or a failed repair; the orphan check alone; --adopt. */
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
#include <sys/file.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fixture.h"

/* ---- cl_walk ------------------------------------------------------------ */

struct visits {
	char log[4096];
	size_t len;
	int stop_at; /* stop (-ECANCELED) at this visit number, 0: never */
	int n;
	bool skip_sub;
};

static int record_visit(const struct cl_walk_ent *e, void *arg)
{
	struct visits *v = arg;
	const char *rel = e->path + strlen(fx_dir);

	v->n++;
	v->len += (size_t)snprintf(v->log + v->len, sizeof v->log - v->len, "%s%s%s:%u%s ",
				   e->post ? "/" : "", *rel ? rel : ".",
				   S_ISDIR(e->st->st_mode) ? "(d)" : S_ISLNK(e->st->st_mode) ? "(l)" : "",
				   e->depth, e->err ? "!" : "");
	if (v->stop_at && v->n == v->stop_at)
		return -ECANCELED;
	if (v->skip_sub && !e->post && !strcmp(e->name, "sub"))
		return 1;
	return 0;
}

static void make_tree(void)
{
	assert_int_equal(mkdir(fx_p(fx_dir, "sub"), 0755), 0);
	assert_int_equal(mkdir(fx_p(fx_dir, "sub/deep"), 0755), 0);
	assert_int_equal(fx_write(fx_p(fx_dir, "b"), "b", 1, 0644), 0);
	assert_int_equal(fx_write(fx_p(fx_dir, "a"), "a", 1, 0644), 0);
	assert_int_equal(fx_write(fx_p(fx_dir, "sub/deep/f"), "f", 1, 0644), 0);
	assert_int_equal(symlink("sub", fx_p(fx_dir, "link")), 0);
}

static void walk_order(void **state)
{
	struct visits v = { .len = 0 };

	(void)state;
	make_tree();
	assert_int_equal(cl_walk(fx_dir, record_visit, &v), 0);
	/* sorted, pre and post for directories, symlinks not followed */
	assert_string_equal(v.log,
		".(d):0 /a:1 /b:1 /link(l):1 /sub(d):1 /sub/deep(d):2 /sub/deep/f:3 "
		"//sub/deep(d):2 //sub(d):1 /.(d):0 ");
}

static void walk_skip_and_stop(void **state)
{
	struct visits v = { .skip_sub = true };

	(void)state;
	make_tree();
	assert_int_equal(cl_walk(fx_dir, record_visit, &v), 0);
	assert_string_equal(v.log, ".(d):0 /a:1 /b:1 /link(l):1 /sub(d):1 /.(d):0 ");

	memset(&v, 0, sizeof v);
	v.stop_at = 3;
	assert_int_equal(cl_walk(fx_dir, record_visit, &v), -ECANCELED);
	assert_int_equal(v.n, 3);
}

static void walk_root_symlink_and_errors(void **state)
{
	struct visits v = { .len = 0 };
	char root[PATH_MAX];

	(void)state;
	make_tree();
	/* the root itself is followed, as du and find -H do */
	snprintf(root, sizeof root, "%s/link", fx_dir);
	assert_int_equal(cl_walk(root, record_visit, &v), 0);
	assert_string_equal(v.log, "/link(d):0 /link/deep(d):1 /link/deep/f:2 //link/deep(d):1 //link(d):0 ");

	memset(&v, 0, sizeof v);
	snprintf(root, sizeof root, "%s/missing", fx_dir);
	assert_int_equal(cl_walk(root, record_visit, &v), 0);
	assert_string_equal(v.log, "/missing:0! ");

	/* a directory that cannot be read: reported after its visit */
	memset(&v, 0, sizeof v);
	fx_fault_arm(CL_OP_GETDENTS64, 1, EIO);
	assert_int_equal(cl_walk(fx_p(fx_dir, "sub/deep"), record_visit, &v), 0);
	fx_fault_off();
	assert_string_equal(v.log, "/sub/deep(d):0 //sub/deep(d):0! ");
}

/* ---- cl_fsck_at --------------------------------------------------------- */

struct found {
	int n;
	struct cl_fsck_finding f[8];
};

static void collect(const struct cl_fsck_finding *f, void *arg)
{
	struct found *fd = arg;

	if (fd->n < 8)
		fd->f[fd->n] = *f;
	fd->n++;
}

/* cl_fsck_at, or cl_fsck_orphan_at (fsck --orphans) while set. */
static bool orphans_only;

/* Check NAME in DIR as the walk would: one call, lstat first. */
static int check(const char *name, bool dry, struct found *out)
{
	struct stat st;
	int dfd, r;

	memset(out, 0, sizeof *out);
	dfd = open(fx_dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return -errno;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		close(dfd);
		return -errno;
	}
	r = (orphans_only ? cl_fsck_orphan_at : cl_fsck_at)(dfd, name, name, &st, dry, collect, out);
	close(dfd);
	return r;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static const char *mark_of(const char *path, char buf[64])
{
	ssize_t n = lgetxattr(path, CL_XATTR, buf, 63);

	if (n < 0)
		return NULL;
	buf[n] = 0;
	return buf;
}

static void clean_files_no_findings(void **state)
{
	struct found f;
	char m[64];

	(void)state;
	assert_int_equal(fx_write(fx_p(fx_dir, "plain"), "x", 1, 0644), 0);
	assert_int_equal(fx_write(fx_p(fx_dir, "a"), "x", 1, 0644), 0);
	assert_int_equal(fx_make_set(fx_p(fx_dir, "a"), fx_p(fx_dir, "b"), true), 0);
	assert_int_equal(fx_write(fx_p(fx_dir, "np"), "x", 1, 0644), 0);
	assert_int_equal(fx_make_set(fx_p(fx_dir, "np"), fx_p(fx_dir, "np2"), false), 0);
	assert_int_equal(fx_write(fx_p(fx_dir, "h"), "x", 1, 0644), 0);
	assert_int_equal(link(fx_p(fx_dir, "h"), fx_p(fx_dir, "h2")), 0);
	assert_int_equal(mkdir(fx_p(fx_dir, ".cowlink-tmp.fx_dir"), 0755), 0);
	assert_int_equal(check("plain", false, &f), 0);
	assert_int_equal(check("a", false, &f), 0);
	assert_int_equal(check("np", false, &f), 0); /* --no-protect: w=0, writable */
	assert_int_equal(check("h", false, &f), 0);  /* unmarked hard links */
	assert_int_equal(check(".cowlink-tmp.fx_dir", false, &f), 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(mode_of(fx_p(fx_dir, "a")), 0444);
	assert_string_equal(mark_of(fx_p(fx_dir, "a"), m), "cowlink v1 w=0200");
}

static void tmp_names(void **state)
{
	const char *t1 = fx_p(fx_dir, ".cowlink-tmp.999999999.1");
	const char *t2 = fx_p(fx_dir, ".cowlink-tmp.999999998.7");
	struct found f;

	(void)state;
	/* an extra link of a shared inode (cowln -f) and a lone private copy */
	assert_int_equal(fx_write(fx_p(fx_dir, "a"), "x", 1, 0644), 0);
	assert_int_equal(fx_make_set(fx_p(fx_dir, "a"), fx_p(fx_dir, "b"), true), 0);
	assert_int_equal(link(fx_p(fx_dir, "a"), t1), 0);
	assert_int_equal(fx_write(t2, "x", 1, 0644), 0);

	assert_int_equal(check(".cowlink-tmp.999999999.1", true, &f), 1);
	assert_int_equal(f.f[0].kind, CL_FSCK_TMP);
	assert_int_equal(f.f[0].result, 0);
	assert_int_equal(access(t1, F_OK), 0);

	assert_int_equal(check(".cowlink-tmp.999999999.1", false, &f), 1);
	assert_int_equal(f.f[0].result, 1);
	assert_int_equal(access(t1, F_OK), -1);
	assert_true(fx_same_inode(fx_p(fx_dir, "a"), fx_p(fx_dir, "b")));

	assert_int_equal(check(".cowlink-tmp.999999998.7", false, &f), 1);
	assert_int_equal(f.f[0].result, 1);
	assert_int_equal(fx_litter(fx_dir), 0);
}

/* A temp name of a running process is a break in progress: left alone. */
static void tmp_of_live_process(void **state)
{
	const char *t = fx_p(fx_dir, ".cowlink-tmp.1.3");
	struct found f;

	(void)state;
	assert_int_equal(fx_write(t, "x", 1, 0644), 0);
	assert_int_equal(check(".cowlink-tmp.1.3", false, &f), 1);
	assert_int_equal(f.f[0].kind, CL_FSCK_TMP);
	assert_int_equal(f.f[0].result, 0);
	assert_int_equal(f.f[0].pid, 1);
	assert_int_equal(access(t, F_OK), 0);
}

/* While a break holds the directory's lock, the temp name stays. */
static void tmp_waits_for_break_lock(void **state)
{
	const char *t = fx_p(fx_dir, ".cowlink-tmp.999999997.1");
	struct found f;
	int lfd;

	(void)state;
	assert_int_equal(fx_write(t, "x", 1, 0644), 0);
	lfd = open(fx_dir, O_RDONLY | O_DIRECTORY);
	assert_true(lfd >= 0);
	assert_int_equal(flock(lfd, LOCK_EX), 0);
	cl_lock_wait_ms = 200;
	assert_int_equal(check(".cowlink-tmp.999999997.1", false, &f), 1);
	cl_lock_wait_ms = CL_LOCK_WAIT_MS;
	assert_int_equal(f.f[0].result, -EWOULDBLOCK);
	assert_int_equal(access(t, F_OK), 0);
	close(lfd);
	assert_int_equal(check(".cowlink-tmp.999999997.1", false, &f), 1);
	assert_int_equal(f.f[0].result, 1);
	assert_int_equal(access(t, F_OK), -1);
}

/* PATH (one byte, MODE) left an orphan: linked to OTHER in the fixture's
 * directory as a set (PROTECT: its write bits cleared), OTHER removed. */
static void make_orphan(const char *path, mode_t mode, const char *other, bool protect)
{
	assert_int_equal(fx_write(path, "x", 1, mode), 0);
	assert_int_equal(fx_make_set(path, fx_p(fx_dir, other), protect), 0);
	assert_int_equal(unlink(fx_p(fx_dir, other)), 0);
}

static void orphan(void **state)
{
	const char *a = fx_p(fx_dir, "a");
	struct found f;
	char m[64];

	(void)state;
	make_orphan(a, 0664, "b", true);

	assert_int_equal(check("a", true, &f), 1);
	assert_int_equal(f.f[0].kind, CL_FSCK_ORPHAN);
	assert_int_equal(f.f[0].wbits, 0220);
	assert_int_equal(f.f[0].result, 0);
	assert_int_equal(mode_of(a), 0444);
	assert_non_null(mark_of(a, m));

	assert_int_equal(check("a", false, &f), 1);
	assert_int_equal(f.f[0].result, 1);
	assert_int_equal(mode_of(a), 0664);
	assert_null(mark_of(a, m));
	assert_int_equal(check("a", false, &f), 0);
}

static void orphan_malformed(void **state)
{
	const char *a = fx_p(fx_dir, "a");
	struct found f;
	char m[64];

	(void)state;
	assert_int_equal(fx_write(a, "x", 1, 0444), 0);
	assert_int_equal(setxattr(a, CL_XATTR, "junk", 4, 0), 0);
	assert_int_equal(check("a", false, &f), 1);
	assert_int_equal(f.f[0].kind, CL_FSCK_ORPHAN);
	assert_int_equal(f.f[0].rec.version, 0);
	assert_int_equal(f.f[0].result, 1);
	assert_int_equal(mode_of(a), 0644); /* the owner's write bit, by guess */
	assert_null(mark_of(a, m));
}

static void malformed_shared(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	struct found f;
	char m[64];

	(void)state;
	assert_int_equal(fx_write(a, "x", 1, 0664), 0);
	assert_int_equal(link(a, b), 0);
	assert_int_equal(setxattr(a, CL_XATTR, "cowlink v7 w=0222", 17, 0), 0);
	assert_int_equal(check("b", true, &f), 1);
	assert_int_equal(f.f[0].kind, CL_FSCK_MALFORMED);
	assert_int_equal(mode_of(a), 0664);
	assert_int_equal(check("b", false, &f), 1);
	assert_int_equal(f.f[0].result, 1);
	assert_int_equal(f.f[0].wbits, 0220);
	assert_string_equal(mark_of(a, m), "cowlink v1 w=0220");
	assert_int_equal(mode_of(a), 0444);
	assert_true(fx_same_inode(a, b));
	assert_int_equal(check("a", false, &f), 0);
}

static void unprotected(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	struct found f;
	char m[64];

	(void)state;
	assert_int_equal(fx_write(a, "x", 1, 0644), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(chmod(a, 0666), 0); /* the owner, without the shim */
	assert_int_equal(check("a", false, &f), 1);
	assert_int_equal(f.f[0].kind, CL_FSCK_UNPROTECTED);
	assert_int_equal(f.f[0].rec.wbits, 0200);
	assert_int_equal(f.f[0].wbits, 0222);
	assert_int_equal(f.f[0].result, 1);
	assert_int_equal(mode_of(b), 0444);
	assert_string_equal(mark_of(b, m), "cowlink v1 w=0222");
}

/* Repairs wait for the directory's break lock: never under a break. */
static void repair_waits_for_break_lock(void **state)
{
	const char *a = fx_p(fx_dir, "a");
	struct found f;
	char m[64];
	int lfd;

	(void)state;
	make_orphan(a, 0644, "b", true);
	lfd = open(fx_dir, O_RDONLY | O_DIRECTORY);
	assert_true(lfd >= 0);
	assert_int_equal(flock(lfd, LOCK_EX), 0);
	cl_lock_wait_ms = 200;
	assert_int_equal(check("a", false, &f), 1);
	cl_lock_wait_ms = CL_LOCK_WAIT_MS;
	assert_int_equal(f.f[0].result, -EWOULDBLOCK);
	assert_int_equal(mode_of(a), 0444);
	assert_non_null(mark_of(a, m));
	close(lfd);
	assert_int_equal(check("a", false, &f), 1);
	assert_int_equal(f.f[0].result, 1);
	assert_null(mark_of(a, m));
}

/* The walk's stat is stale: nothing is repaired on a guess. */
static void changed_since_walk(void **state)
{
	const char *a = fx_p(fx_dir, "a");
	struct found f;
	struct stat st;
	char m[64];
	int dfd;

	(void)state;
	make_orphan(a, 0644, "b", true);
	assert_int_equal(lstat(a, &st), 0);
	assert_int_equal(link(a, fx_p(fx_dir, "c")), 0); /* no longer an orphan */
	dfd = open(fx_dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	memset(&f, 0, sizeof f);
	assert_int_equal(cl_fsck_at(dfd, "a", "a", &st, false, collect, &f), 1);
	close(dfd);
	assert_int_equal(f.f[0].result, -EAGAIN);
	assert_int_equal(mode_of(a), 0444);
	assert_non_null(mark_of(a, m));
}

/* A failed repair step leaves the file as it was: bits before the mark
 * for an orphan, the record before the bits for re-protection. */
static void failed_repairs(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *u = fx_p(fx_dir, "u");
	struct found f;
	char m[64];

	(void)state;
	make_orphan(a, 0644, "b", true);
	fx_fault_arm(CL_OP_FCHMOD, 1, EPERM);
	assert_int_equal(check("a", false, &f), 1);
	fx_fault_off();
	assert_int_equal(f.f[0].result, -EPERM);
	assert_int_equal(mode_of(a), 0444);
	assert_string_equal(mark_of(a, m), "cowlink v1 w=0200");

	assert_int_equal(fx_write(u, "x", 1, 0644), 0);
	assert_int_equal(fx_make_set(u, fx_p(fx_dir, "v"), true), 0);
	assert_int_equal(chmod(u, 0664), 0);
	fx_fault_arm(CL_OP_FSETXATTR, 1, ENOSPC);
	assert_int_equal(check("u", false, &f), 1);
	fx_fault_off();
	assert_int_equal(f.f[0].result, -ENOSPC);
	assert_int_equal(mode_of(u), 0664);
	assert_string_equal(mark_of(u, m), "cowlink v1 w=0200");

	/* an unreadable mark is an error, not a finding (read relative to
	 * the directory: getxattrat, or lgetxattr through /proc before 6.13) */
	fx_fault_arm(CL_OP_LGETXATTR, 1, EIO);
	fx_fault_add(CL_OP_GETXATTRAT, 1, EIO);
	assert_int_equal(check("u", false, &f), -EIO);
	fx_fault_off();
	assert_int_equal(f.n, 0);
}

/* As a non-root owner: the repair order is what makes it possible. */
static int repair_as_owner(void *arg)
{
	struct found f;

	(void)arg;
	if (check("o", false, &f) != 1 || f.f[0].result != 1)
		return 10;
	if (check("u", false, &f) != 1 || f.f[0].result != 1)
		return 11;
	return 0;
}

static void non_root_owner(void **state)
{
	const char *o = fx_p(fx_dir, "o"), *u = fx_p(fx_dir, "u");
	char m[64];

	(void)state;
	if (geteuid() != 0)
		skip();
	make_orphan(o, 0644, "o2", true);
	assert_int_equal(fx_write(u, "x", 1, 0644), 0);
	assert_int_equal(fx_make_set(u, fx_p(fx_dir, "u2"), true), 0);
	assert_int_equal(chmod(u, 0644), 0);
	assert_int_equal(chown(o, 65534, 65534), 0);
	assert_int_equal(chown(u, 65534, 65534), 0);
	assert_int_equal(chmod(fx_dir, 0755), 0);
	assert_int_equal(fx_run_as(65534, 65534, repair_as_owner, NULL), 0);
	assert_int_equal(mode_of(o), 0644);
	assert_null(mark_of(o, m));
	assert_int_equal(mode_of(u), 0444);
	assert_string_equal(mark_of(u, m), "cowlink v1 w=0200");
}

/* Unmarked hard links without write bits (a set restored without its
 * xattrs, or a read-only group): reported, never changed, dry run or not. */
static void restored(void **state)
{
	const char *r = fx_p(fx_dir, "r"), *w = fx_p(fx_dir, "w"), *one = fx_p(fx_dir, "one");
	struct found f;
	char m[64];

	(void)state;
	assert_int_equal(fx_write(r, "x", 1, 0440), 0);
	assert_int_equal(link(r, fx_p(fx_dir, "r2")), 0);
	assert_int_equal(fx_write(w, "x", 1, 0644), 0);
	assert_int_equal(link(w, fx_p(fx_dir, "w2")), 0);
	assert_int_equal(fx_write(one, "x", 1, 0444), 0);
	for (int dry = 0; dry < 2; dry++) {
		assert_int_equal(check("r", dry, &f), 1);
		assert_int_equal(f.f[0].kind, CL_FSCK_RESTORED);
		assert_int_equal(f.f[0].result, 0);
		assert_int_equal(f.f[0].wbits, 0200);
		assert_int_equal(mode_of(r), 0440);
		assert_null(mark_of(r, m));
	}
	assert_int_equal(check("w", false, &f), 0);
	assert_int_equal(check("one", false, &f), 0);
	assert_int_equal(f.n, 0);
}

/* fsck --orphans: orphans alone, and no mark read of anything else. */
static void orphans_alone(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *np = fx_p(fx_dir, "np");
	struct found f;
	char m[64];

	(void)state;
	make_orphan(a, 0640, "b", true);
	make_orphan(np, 0644, "np2", false);
	assert_int_equal(fx_write(fx_p(fx_dir, "r"), "x", 1, 0444), 0);
	assert_int_equal(link(fx_p(fx_dir, "r"), fx_p(fx_dir, "r2")), 0);
	assert_int_equal(fx_write(fx_p(fx_dir, ".cowlink-tmp.999999999.1"), "x", 1, 0444), 0);
	orphans_only = true;
	/* no mark is read of these */
	fx_fault_arm(CL_OP_NR, 0, 0);
	assert_int_equal(check("np", false, &f), 0);
	assert_int_equal(check("r", false, &f), 0);
	assert_int_equal(fx_calls[CL_OP_LGETXATTR] + fx_calls[CL_OP_GETXATTRAT], 0);
	fx_fault_off();
	/* a temp name is the full fsck's (this one has no mark) */
	assert_int_equal(check(".cowlink-tmp.999999999.1", false, &f), 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(check("a", true, &f), 1);
	assert_int_equal(f.f[0].kind, CL_FSCK_ORPHAN);
	assert_int_equal(mode_of(a), 0440);
	assert_int_equal(check("a", false, &f), 1);
	assert_int_equal(f.f[0].result, 1);
	orphans_only = false;
	assert_int_equal(mode_of(a), 0640);
	assert_null(mark_of(a, m));
	assert_string_equal(mark_of(np, m), "cowlink v1 w=0000");
}

/* fsck --adopt: a restored group becomes a set, with the owner's write bit
 * recorded; everything else is refused unchanged; a failure undoes. */
static void adopt(void **state)
{
	const char *r = fx_p(fx_dir, "r");
	enum cl_adopt_refusal why;
	struct stat st;
	mode_t wbits;
	char m[64];

	(void)state;
	assert_int_equal(fx_write(r, "x", 1, 0440), 0);
	assert_int_equal(link(r, fx_p(fx_dir, "r2")), 0);
	assert_int_equal(cl_fsck_adopt(r, true, &st, &wbits, &why), 0);
	assert_int_equal(why, CL_ADOPT_OK);
	assert_int_equal(wbits, 0200);
	assert_null(mark_of(r, m));

	fx_fault_arm(CL_OP_FSETXATTR, 1, ENOSPC);
	assert_int_equal(cl_fsck_adopt(r, false, &st, &wbits, &why), -ENOSPC);
	fx_fault_off();
	assert_null(mark_of(r, m));
	assert_int_equal(mode_of(r), 0440);

	assert_int_equal(cl_fsck_adopt(fx_p(fx_dir, "r2"), false, &st, &wbits, &why), 0);
	assert_int_equal(why, CL_ADOPT_OK);
	assert_string_equal(mark_of(r, m), "cowlink v1 w=0200");
	assert_int_equal(mode_of(r), 0440);
	assert_int_equal(cl_fsck_adopt(r, false, &st, &wbits, &why), 0);
	assert_int_equal(why, CL_ADOPT_MARKED);

	assert_int_equal(fx_write(fx_p(fx_dir, "one"), "x", 1, 0444), 0);
	assert_int_equal(cl_fsck_adopt(fx_p(fx_dir, "one"), false, &st, &wbits, &why), 0);
	assert_int_equal(why, CL_ADOPT_ONE_LINK);
	assert_int_equal(fx_write(fx_p(fx_dir, "w"), "x", 1, 0644), 0);
	assert_int_equal(link(fx_p(fx_dir, "w"), fx_p(fx_dir, "w2")), 0);
	assert_int_equal(cl_fsck_adopt(fx_p(fx_dir, "w"), false, &st, &wbits, &why), 0);
	assert_int_equal(why, CL_ADOPT_WRITABLE);
	assert_null(mark_of(fx_p(fx_dir, "w"), m));
	assert_int_equal(symlink("r", fx_p(fx_dir, "l")), 0);
	assert_int_equal(cl_fsck_adopt(fx_p(fx_dir, "l"), false, &st, &wbits, &why), 0);
	assert_int_equal(why, CL_ADOPT_NOT_REGULAR);
	assert_int_equal(cl_fsck_adopt(fx_dir, false, &st, &wbits, &why), 0);
	assert_int_equal(why, CL_ADOPT_NOT_REGULAR);
	assert_int_equal(cl_fsck_adopt(fx_p(fx_dir, "missing"), false, &st, &wbits, &why), -ENOENT);
}

static void guess(void **state)
{
	(void)state;
	assert_int_equal(cl_fsck_guess_wbits(0644), 0200);
	assert_int_equal(cl_fsck_guess_wbits(0444), 0200);
	assert_int_equal(cl_fsck_guess_wbits(0044), 0);
	assert_int_equal(cl_fsck_guess_wbits(0777), 0200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(walk_order, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(walk_skip_and_stop, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(walk_root_symlink_and_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(clean_files_no_findings, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(tmp_names, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(tmp_of_live_process, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(tmp_waits_for_break_lock, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(orphan, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(orphan_malformed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(malformed_shared, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(unprotected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(repair_waits_for_break_lock, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(changed_since_walk, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(failed_repairs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(non_root_owner, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(restored, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(orphans_alone, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(adopt, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(guess, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
