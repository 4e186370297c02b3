/* SPDX-License-Identifier: MIT */
/* cl_copy_data and cl_copy_meta alone: each way of copying (clone,
 * copy_file_range per extent, read/write), holes, lengths, errors; and
 * the metadata a break must carry over. */
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
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fixture.h"

/* A sparse source: 64 KiB of data at 0 and at 2 MiB, 4 MiB long. */
static void make_sparse(const char *path)
{
	char block[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof block; i++)
		block[i] = (char)(i * 7 + 1);
	assert_int_equal(pwrite(fd, block, sizeof block, 0), (ssize_t)sizeof block);
	assert_int_equal(pwrite(fd, block, sizeof block, 2 << 20), (ssize_t)sizeof block);
	assert_int_equal(ftruncate(fd, 4 << 20), 0);
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

/* Copy SRC into a new DST with cl_copy_data; returns its result. */
static int copy(const char *src, const char *dst, off_t len, bool *cloned)
{
	int in = open(src, O_RDONLY), out = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0600), e;
	struct stat st;

	assert_true(in >= 0 && out >= 0);
	assert_int_equal(fstat(in, &st), 0);
	e = cl_copy_data(in, out, &st, len, 0, cloned);
	close(in);
	close(out);
	return e;
}

static void assert_sparse_copy(const char *src, const char *dst)
{
	struct stat a, b;

	assert_int_equal(fx_same_content(src, dst), 1);
	assert_int_equal(stat(src, &a), 0);
	assert_int_equal(stat(dst, &b), 0);
	assert_int_equal(b.st_size, a.st_size);
	assert_true(b.st_blocks <= a.st_blocks + 16);
	assert_true(b.st_blocks < (1 << 20) / 512);
}

/* FICLONE refused (ext4, or injected): copy_file_range per data extent. */
static void copy_file_range_path(void **state)
{
	const char *s = fx_p(fx_dir, "s"), *d = fx_p(fx_dir, "d");
	bool cloned = true;

	(void)state;
	make_sparse(s);
	fx_fault_arm(CL_OP_IOCTL, 1, EOPNOTSUPP);
	assert_int_equal(copy(s, d, -1, &cloned), 0);
	fx_fault_off();
	assert_false(cloned);
	assert_true(fx_calls[CL_OP_COPY_FILE_RANGE] >= 2);
	assert_int_equal(fx_calls[CL_OP_PREAD], 0);
	assert_sparse_copy(s, d);
}

/* copy_file_range refused too (EXDEV, EOPNOTSUPP): read/write, holes kept. */
static void read_write_path(void **state)
{
	static const int errs[] = { EXDEV, EOPNOTSUPP, ENOSYS };
	const char *s = fx_p(fx_dir, "s"), *d = fx_p(fx_dir, "d");
	bool cloned;

	(void)state;
	make_sparse(s);
	for (size_t i = 0; i < sizeof errs / sizeof *errs; i++) {
		fx_fault_arm(CL_OP_IOCTL, 1, EOPNOTSUPP);
		fx_fault_add(CL_OP_COPY_FILE_RANGE, 1, errs[i]);
		assert_int_equal(copy(s, d, -1, &cloned), 0);
		fx_fault_off();
		assert_false(cloned);
		/* Given up after the first refusal, for good. */
		assert_int_equal(fx_calls[CL_OP_COPY_FILE_RANGE], 1);
		assert_true(fx_calls[CL_OP_PREAD] >= 2);
		assert_sparse_copy(s, d);
	}
}

/* Real errors are the answer, not a reason to try another way. */
static void errors_returned(void **state)
{
	const char *s = fx_p(fx_dir, "s"), *d = fx_p(fx_dir, "d");
	bool cloned;

	(void)state;
	make_sparse(s);
	fx_fault_arm(CL_OP_IOCTL, 1, ENOSPC);
	assert_int_equal(copy(s, d, -1, &cloned), -ENOSPC);
	fx_fault_arm(CL_OP_COPY_FILE_RANGE, 1, EDQUOT);
	assert_int_equal(copy(s, d, -1, &cloned), -EDQUOT);
	fx_fault_arm(CL_OP_COPY_FILE_RANGE, 1, EXDEV);
	fx_fault_add(CL_OP_WRITE, 2, ENOSPC);
	assert_int_equal(copy(s, d, -1, &cloned), -ENOSPC);
	fx_fault_arm(CL_OP_FTRUNCATE, 1, EIO);
	assert_int_equal(copy(s, d, -1, &cloned), -EIO);
	fx_fault_off();
}

static void lengths(void **state)
{
	const char *s = fx_p(fx_dir, "s"), *d = fx_p(fx_dir, "d"), *e = fx_p(fx_dir, "e");
	char buf[70000];
	struct stat st;
	bool cloned;
	int fd;

	(void)state;
	assert_int_equal(fx_fill(s, 60000, 3, 0644), 0);
	/* 0: nothing at all is read or written. */
	fx_fault_arm(CL_OP_NR, 0, 0);
	assert_int_equal(copy(s, d, 0, &cloned), 0);
	fx_fault_off();
	assert_int_equal(fx_calls_total, 0);
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* n: the first n bytes. */
	assert_int_equal(copy(s, d, 12345, &cloned), 0);
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(st.st_size, 12345);
	fd = open(s, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof buf), 60000);
	close(fd);
	char got[70000];
	fd = open(d, O_RDONLY);
	assert_int_equal(read(fd, got, sizeof got), 12345);
	close(fd);
	assert_memory_equal(got, buf, 12345);
	/* Longer than the file: zero-filled, as truncate extends. */
	assert_int_equal(copy(s, e, 65000, &cloned), 0);
	fd = open(e, O_RDONLY);
	assert_int_equal(read(fd, got, sizeof got), 65000);
	close(fd);
	assert_memory_equal(got, buf, 60000);
	for (int i = 60000; i < 65000; i++)
		assert_int_equal(got[i], 0);
	/* An empty source. */
	assert_int_equal(fx_write(s, "", 0, 0644), 0);
	assert_int_equal(copy(s, d, -1, &cloned), 0);
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(st.st_size, 0);
}

static void clone_on_xfs(void **state)
{
	struct fx_mount m;
	bool cloned = false;
	int e;

	(void)state;
	if (fx_loop_mount(&m, "xfs", 320) == FX_SKIP)
		skip();
	assert_int_equal(fx_fill(fx_p(m.mnt, "s"), 3 << 20, 4, 0644), 0);
	e = copy(fx_p(m.mnt, "s"), fx_p(m.mnt, "d"), -1, &cloned);
	int same = fx_same_content(fx_p(m.mnt, "s"), fx_p(m.mnt, "d"));
	/* A shorter length clones, then truncates. */
	bool cloned2 = false;
	int e2 = copy(fx_p(m.mnt, "s"), fx_p(m.mnt, "t"), 1000, &cloned2);
	struct stat st;
	int se = stat(fx_p(m.mnt, "t"), &st);
	fx_loop_umount(&m);
	assert_int_equal(e, 0);
	assert_true(cloned);
	assert_int_equal(same, 1);
	assert_int_equal(e2, 0);
	assert_true(cloned2);
	assert_int_equal(se, 0);
	assert_int_equal(st.st_size, 1000);
}

/* Owner, xattrs but the mark, the ACL (or none), mode | wbits, times. */
static void meta(void **state)
{
	struct timespec ts[2] = { { 1111111111, 1 }, { 1222222222, 2 } };
	const char *s = fx_p(fx_dir, "s"), *d = fx_p(fx_dir, "d");
	struct stat st, dt;
	char v[64];
	int in, out;

	(void)state;
	assert_int_equal(fx_fill(s, 100, 1, 0444), 0);
	assert_int_equal(chown(s, 4321, 8765), 0);
	assert_int_equal(setxattr(s, "user.a", "1", 1, 0), 0);
	assert_int_equal(setxattr(s, "user.b", "", 0, 0), 0);
	char big[3000];
	memset(big, 'q', sizeof big);
	assert_int_equal(setxattr(s, "user.big", big, sizeof big, 0), 0);
	assert_int_equal(setxattr(s, CL_XATTR, "cowlink v1 w=0200", 17, 0), 0);
	assert_int_equal(utimensat(AT_FDCWD, s, ts, 0), 0);
	in = open(s, O_RDONLY | O_NOATIME);
	assert_true(in >= 0);
	out = open(d, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	/* d has an ACL that s lacks: it must go (the inherited default). */
	static const unsigned char acl[] = { 2, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
		2, 0, 6, 0, 0xd2, 4, 0, 0, 4, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
		0x10, 0, 6, 0, 0xff, 0xff, 0xff, 0xff, 0x20, 0, 4, 0, 0xff, 0xff, 0xff, 0xff };
	bool have_acl = fsetxattr(out, "system.posix_acl_access", acl, sizeof acl, 0) == 0;
	assert_int_equal(fstat(in, &st), 0);
	assert_int_equal(cl_copy_meta(in, out, &st, 0200, NULL), 0);
	assert_int_equal(fstat(out, &dt), 0);
	assert_int_equal(dt.st_uid, 4321);
	assert_int_equal(dt.st_gid, 8765);
	assert_int_equal(dt.st_mode & 07777, 0644);
	assert_true(dt.st_mtim.tv_sec == ts[1].tv_sec && dt.st_mtim.tv_nsec == 2);
	assert_true(dt.st_atim.tv_sec == ts[0].tv_sec && dt.st_atim.tv_nsec == 1);
	assert_int_equal(fgetxattr(out, "user.a", v, sizeof v), 1);
	assert_int_equal(fgetxattr(out, "user.b", v, sizeof v), 0);
	assert_int_equal(fgetxattr(out, "user.big", NULL, 0), (ssize_t)sizeof big);
	assert_int_equal(fgetxattr(out, CL_XATTR, v, sizeof v), -1);
	assert_int_equal(errno, ENODATA);
	if (have_acl) {
		assert_int_equal(fgetxattr(out, "system.posix_acl_access", v, sizeof v), -1);
		assert_int_equal(errno, ENODATA);
	}
	close(in);
	close(out);
}

/* security.* labels go where permitted; a refusal there is not an error,
 * a refusal of an ordinary xattr is. */
static void labels_where_permitted(void **state)
{
	const char *s = fx_p(fx_dir, "s"), *d = fx_p(fx_dir, "d");
	struct stat st;
	char v[16];
	int in, out;

	(void)state;
	assert_int_equal(fx_fill(s, 10, 1, 0644), 0);
	if (setxattr(s, "security.cowlinktest", "L", 1, 0)) {
		print_message("SKIP: cannot set a security.* xattr here (%s)\n", strerror(errno));
		skip();
	}
	in = open(s, O_RDONLY);
	out = open(d, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(fstat(in, &st), 0);
	assert_int_equal(cl_copy_meta(in, out, &st, 0, NULL), 0);
	assert_int_equal(fgetxattr(out, "security.cowlinktest", v, sizeof v), 1);
	assert_int_equal(fremovexattr(out, "security.cowlinktest"), 0);
	/* The label is the only fsetxattr (no ACL on s: removed, not set). */
	fx_fault_arm(CL_OP_FSETXATTR, 1, EPERM);
	assert_int_equal(cl_copy_meta(in, out, &st, 0, NULL), 0);
	assert_true(fx_fault_fired);
	fx_fault_off();
	assert_int_equal(fgetxattr(out, "security.cowlinktest", v, sizeof v), -1);
	/* An ordinary xattr refused: the copy fails. */
	assert_int_equal(setxattr(s, "user.x", "1", 1, 0), 0);
	fx_fault_arm(CL_OP_FSETXATTR, 1, EPERM);
	assert_int_equal(cl_copy_meta(in, out, &st, 0, NULL), -EPERM);
	fx_fault_off();
	close(in);
	close(out);
}

/* Owner already right: no fchown (it would clear setgid needlessly). */
static void owner_skipped_when_equal(void **state)
{
	const char *s = fx_p(fx_dir, "s"), *d = fx_p(fx_dir, "d");
	struct stat st;
	int in, out;

	(void)state;
	assert_int_equal(fx_fill(s, 10, 1, 02755), 0);
	in = open(s, O_RDONLY);
	out = open(d, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(fstat(in, &st), 0);
	fx_fault_arm(CL_OP_NR, 0, 0);
	assert_int_equal(cl_copy_meta(in, out, &st, 0, NULL), 0);
	fx_fault_off();
	assert_int_equal(fx_calls[CL_OP_FCHOWN], 0);
	assert_int_equal(fstat(out, &st), 0);
	assert_int_equal(st.st_mode & 07777, 02755);
	close(in);
	close(out);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(copy_file_range_path), T(read_write_path), T(errors_returned), T(lengths),
		T(clone_on_xfs), T(meta), T(labels_where_permitted), T(owner_skipped_when_equal),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
