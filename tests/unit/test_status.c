/* SPDX-License-Identifier: MIT */
/* cowlink_status(): every kind of file it tells apart, the recorded bits,
 * protection, reflinked extents (FIEMAP_EXTENT_SHARED) and who holds an
 * inode open (cl_holders_scan). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fixture.h"

static struct cowlink_status st_of(const char *path)
{
	struct cowlink_status s;

	memset(&s, 0x5a, sizeof s);
	assert_int_equal(cowlink_status(path, &s), 0);
	return s;
}

static void plain_file(void **state)
{
	const char *a = fx_p(fx_dir, "a");
	struct cowlink_status s;
	struct stat st;

	(void)state;
	assert_int_equal(fx_write(a, "hello", 5, 0640), 0);
	assert_int_equal(stat(a, &st), 0);
	s = st_of(a);
	assert_int_equal(s.kind, COWLINK_PLAIN);
	assert_int_equal(s.names, 1);
	assert_int_equal(s.dev, st.st_dev);
	assert_int_equal(s.ino, st.st_ino);
	assert_int_equal(s.mode, st.st_mode);
	assert_int_equal(s.recorded, 0);
	assert_int_equal(s.protected_, 0);
	assert_int_equal(s.record_ok, 1);
	assert_true(s.reflinked == 0 || s.reflinked == -1);
}

static void shared_protected(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b"), *c = fx_p(fx_dir, "c");
	struct cowlink_status s;

	(void)state;
	assert_int_equal(fx_write(a, "hello", 5, 0664), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(fx_make_set(a, c, true), 0);
	s = st_of(b);
	assert_int_equal(s.kind, COWLINK_SHARED);
	assert_int_equal(s.names, 3);
	assert_int_equal(s.mode & 07777, 0444);
	assert_int_equal(s.recorded, 0222 & 0664);
	assert_int_equal(s.protected_, 1);
	assert_int_equal(s.record_ok, 1);

	/* chmod behind the shim's back: still shared, no longer protected */
	assert_int_equal(chmod(a, 0644), 0);
	s = st_of(c);
	assert_int_equal(s.kind, COWLINK_SHARED);
	assert_int_equal(s.protected_, 0);
}

static void unprotected_set(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	struct cowlink_status s;

	(void)state;
	assert_int_equal(fx_write(a, "x", 1, 0644), 0);
	assert_int_equal(fx_make_set(a, b, false), 0);
	s = st_of(a);
	assert_int_equal(s.kind, COWLINK_SHARED);
	assert_int_equal(s.recorded, 0);
	assert_int_equal(s.protected_, 0);
	assert_int_equal(s.record_ok, 1);
}

static void orphan_and_unmarked(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	const char *h1 = fx_p(fx_dir, "h1"), *h2 = fx_p(fx_dir, "h2");
	struct cowlink_status s;

	(void)state;
	assert_int_equal(fx_write(a, "x", 1, 0600), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(unlink(b), 0);
	s = st_of(a);
	assert_int_equal(s.kind, COWLINK_ORPHAN);
	assert_int_equal(s.names, 1);
	assert_int_equal(s.recorded, 0200);

	assert_int_equal(fx_write(h1, "y", 1, 0644), 0);
	assert_int_equal(link(h1, h2), 0);
	s = st_of(h2);
	assert_int_equal(s.kind, COWLINK_UNMARKED);
	assert_int_equal(s.names, 2);
	assert_int_equal(s.record_ok, 1);
}

static void malformed_record(void **state)
{
	static const char *bad[] = { "garbage", "cowlink v2 w=0222", "" };
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	struct cowlink_status s;
	size_t i;

	(void)state;
	assert_int_equal(fx_write(a, "x", 1, 0644), 0);
	assert_int_equal(link(a, b), 0);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(setxattr(a, CL_XATTR, bad[i], strlen(bad[i]), 0), 0);
		s = st_of(b);
		assert_int_equal(s.kind, COWLINK_SHARED);
		assert_int_equal(s.record_ok, 0);
		assert_int_equal(s.recorded, 0);
		assert_int_equal(s.protected_, 0);
	}
}

static void follows_symlink(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b"), *l = fx_p(fx_dir, "l");
	struct cowlink_status s;

	(void)state;
	assert_int_equal(fx_write(a, "x", 1, 0644), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(symlink("b", l), 0);
	s = st_of(l);
	assert_int_equal(s.kind, COWLINK_SHARED);
	assert_int_equal(s.names, 2);
}

static void not_regular(void **state)
{
	const char *d = fx_p(fx_dir, "d"), *f = fx_p(fx_dir, "fifo");
	struct cowlink_status s;

	(void)state;
	assert_int_equal(mkdir(d, 0755), 0);
	s = st_of(d);
	assert_int_equal(s.kind, COWLINK_PLAIN);
	assert_true(S_ISDIR(s.mode));
	/* a FIFO without a writer: must not block in open */
	assert_int_equal(mkfifo(f, 0644), 0);
	s = st_of(f);
	assert_int_equal(s.kind, COWLINK_PLAIN);
	assert_true(S_ISFIFO(s.mode));
	assert_int_equal(s.reflinked, -1);
}

static void missing(void **state)
{
	struct cowlink_status s;

	(void)state;
	assert_int_equal(cowlink_status(fx_p(fx_dir, "nope"), &s), -ENOENT);
	assert_int_equal(cowlink_status(fx_p(fx_dir, "nope/x"), &s), -ENOENT);
}

/* A file the caller may not read: its user xattr cannot be read either,
 * so the answer is -EACCES, not a guess. A readable one works as non-root. */
static int status_child(void *arg)
{
	struct cowlink_status s;
	int r = cowlink_status(arg, &s);

	if (r < 0)
		return -r;
	return 100 + (int)s.kind;
}

static void unreadable(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(fx_write(a, "x", 1, 0600), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(chmod(fx_dir, 0755), 0);
	assert_int_equal(fx_run_as(65534, 65534, status_child, (void *)b), EACCES);
	assert_int_equal(chmod(a, 0444), 0);
	assert_int_equal(fx_run_as(65534, 65534, status_child, (void *)b), 100 + COWLINK_SHARED);
}

/* A failing mark read is reported, not taken for "plain"; a failing
 * FIEMAP only makes reflinked unknown. */
static void faults(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	struct cowlink_status s;

	(void)state;
	assert_int_equal(fx_write(a, "x", 1, 0644), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	fx_fault_arm(CL_OP_FGETXATTR, 1, EIO);
	assert_int_equal(cowlink_status(a, &s), -EIO);
	fx_fault_arm(CL_OP_IOCTL, 1, EOPNOTSUPP);
	assert_int_equal(cowlink_status(a, &s), 0);
	assert_int_equal(s.kind, COWLINK_SHARED);
	assert_int_equal(s.reflinked, -1);
	fx_fault_arm(CL_OP_OPENAT, 1, EMFILE);
	assert_int_equal(cowlink_status(a, &s), -EMFILE);
	fx_fault_off();
}

/* On XFS with reflink: a FICLONE copy shows shared extents, a plain file
 * does not. */
static void reflinked(void **state)
{
	struct fx_mount m;
	char a[PATH_MAX + 8], b[PATH_MAX + 8], c[PATH_MAX + 8];
	struct cowlink_status s;
	int in, out, r;

	(void)state;
	r = fx_loop_mount(&m, "xfs", 300);
	if (r == FX_SKIP)
		skip();
	assert_int_equal(r, 0);
	snprintf(a, sizeof a, "%s/a", m.mnt);
	snprintf(b, sizeof b, "%s/b", m.mnt);
	snprintf(c, sizeof c, "%s/c", m.mnt);
	assert_int_equal(fx_fill(a, 256 * 1024, 7, 0644), 0);
	assert_int_equal(fx_fill(c, 64 * 1024, 8, 0644), 0);
	in = open(a, O_RDONLY);
	out = open(b, O_WRONLY | O_CREAT, 0644);
	assert_true(in >= 0 && out >= 0);
	r = ioctl(out, FICLONE, in);
	close(in);
	close(out);
	if (r != 0) {
		fx_loop_umount(&m);
		skip();
	}
	s = st_of(b);
	assert_int_equal(s.kind, COWLINK_PLAIN);
	assert_int_equal(s.reflinked, 1);
	s = st_of(a);
	assert_int_equal(s.reflinked, 1);
	s = st_of(c);
	assert_int_equal(s.reflinked, 0);
	fx_loop_umount(&m);
}

static const struct cl_holder *find(const struct cl_holder *v, ssize_t n,
				    const struct stat *st, pid_t pid)
{
	ssize_t i;

	for (i = 0; i < n; i++)
		if (v[i].dev == st->st_dev && v[i].ino == st->st_ino && v[i].pid == pid)
			return &v[i];
	return NULL;
}

/* A child holding the file by an open fd, another by a mapping only: both
 * are found; the caller itself is not listed; the list is sorted. */
static void holders(void **state)
{
	const char *a = fx_p(fx_dir, "a");
	struct cl_holder *v;
	struct stat st;
	int go[2], ready[2];
	pid_t by_fd, by_map;
	ssize_t n, i;
	char c;
	int fd;

	(void)state;
	assert_int_equal(fx_write(a, "held", 4, 0644), 0);
	assert_int_equal(stat(a, &st), 0);
	fd = open(a, O_RDONLY); /* our own: must not be listed */
	assert_true(fd >= 0);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	by_fd = fork();
	assert_true(by_fd >= 0);
	if (by_fd == 0) {
		int f = open(a, O_RDONLY);

		close(go[1]);
		(void)!write(ready[1], "x", 1);
		(void)!read(go[0], &c, 1);
		_exit(f >= 0 ? 0 : 1);
	}
	by_map = fork();
	assert_true(by_map >= 0);
	if (by_map == 0) {
		int f = open(a, O_RDONLY);
		void *p = mmap(NULL, 4, PROT_READ, MAP_SHARED, f, 0);

		close(go[1]);
		close(f);
		(void)!write(ready[1], "x", 1);
		(void)!read(go[0], &c, 1);
		_exit(p != MAP_FAILED ? 0 : 1);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(read(ready[0], &c, 1), 1);
	n = cl_holders_scan(&v);
	assert_true(n >= 2);
	assert_non_null(find(v, n, &st, by_fd));
	assert_non_null(find(v, n, &st, by_map));
	assert_null(find(v, n, &st, getpid()));
	for (i = 1; i < n; i++)
		assert_true(v[i - 1].dev < v[i].dev ||
			    (v[i - 1].dev == v[i].dev && (v[i - 1].ino < v[i].ino ||
			     (v[i - 1].ino == v[i].ino && v[i - 1].pid < v[i].pid))));
	free(v);
	close(go[1]);
	assert_int_equal(waitpid(by_fd, NULL, 0), by_fd);
	assert_int_equal(waitpid(by_map, NULL, 0), by_map);
	close(fd);
	close(go[0]);
	close(ready[0]);
	close(ready[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(plain_file, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(shared_protected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(unprotected_set, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(orphan_and_unmarked, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(malformed_record, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(follows_symlink, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(not_regular, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(missing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(unreadable, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(faults, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(reflinked, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(holders, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
