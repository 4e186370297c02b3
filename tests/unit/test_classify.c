/* SPDX-License-Identifier: MIT */
/* What the supervisor makes of a trapped call (classify.c, from the rows
 * of syscalls.def), on made-up calls of this process, whose memory holds
 * the paths, times and structs: the argument each column names, the open
 * and AT_* flags, the needs, and each row's special function. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervise.h"
#include "classify.h"

#define P(p) ((uint64_t)(uintptr_t)(p))

static char x[] = "x", y[] = "y", empty[] = "";

/* cl_classify of call NR of ours with arguments A0..A5. */
static struct call classify6(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
			     uint64_t a4, uint64_t a5)
{
	struct seccomp_notif req = { .id = 1, .pid = (uint32_t)getpid() };
	struct call c;

	req.data.nr = nr;
	req.data.args[0] = a0;
	req.data.args[1] = a1;
	req.data.args[2] = a2;
	req.data.args[3] = a3;
	req.data.args[4] = a4;
	req.data.args[5] = a5;
	cl_classify(&req, &c);
	return c;
}

#define classify(nr, ...) classify_(nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define classify_(nr, a0, a1, a2, a3, a4, a5, ...) classify6(nr, a0, a1, a2, a3, a4, a5)

static void opens(void **state)
{
	struct open_how how = { .flags = O_WRONLY, .resolve = RESOLVE_IN_ROOT };
	struct call c;

	(void)state;
	c = classify(__NR_openat, 3, P(x), O_WRONLY | O_NOFOLLOW);
	assert_int_equal(c.what, C_NAME);
	assert_int_equal(c.dirfd, 3);
	assert_true(c.path == P(x) && c.nofollow && c.keep == -1);
	assert_int_equal(c.need, CL_NEED_WRITE);
	assert_int_equal(classify(__NR_openat, 3, P(x), O_RDONLY).what, C_NONE);
	assert_int_equal(classify(__NR_openat, 3, P(x), O_WRONLY | O_CREAT | O_EXCL).what, C_NONE);
	assert_int_equal(classify(__NR_openat, 3, P(x), O_PATH | O_WRONLY).what, C_NONE);
	assert_int_equal(classify(__NR_openat, 3, P(x), O_RDONLY | O_TRUNC).keep, 0);
	c = classify(__NR_open, P(x), O_RDWR);
	assert_true(c.what == C_NAME && c.dirfd == AT_FDCWD && c.path == P(x));
	c = classify(__NR_creat, P(x), 0644);
	assert_true(c.what == C_NAME && c.path == P(x) && c.keep == 0);
	/* openat2: the flags and RESOLVE_IN_ROOT are in the struct. */
	c = classify(__NR_openat2, 4, P(x), P(&how), sizeof how);
	assert_true(c.what == C_NAME && c.dirfd == 4 && c.resolve == RESOLVE_IN_ROOT);
	assert_int_equal(classify(__NR_openat2, 4, P(x), P(&how), 8).what, C_NONE);
	how.flags = O_RDONLY;
	assert_int_equal(classify(__NR_openat2, 4, P(x), P(&how), sizeof how).what, C_NONE);
	c = classify(__NR_open_by_handle_at, 5, P(y), O_WRONLY);
	assert_true(c.what == C_HANDLE && c.fd == 5 && c.path == P(y));
	assert_int_equal(classify(__NR_open_by_handle_at, 5, P(y), O_RDONLY).what, C_NONE);
}

static void data(void **state)
{
	struct call c;

	(void)state;
	c = classify(__NR_truncate, P(x), 10);
	assert_true(c.what == C_NAME && c.path == P(x) && c.keep == 10);
	assert_int_equal(classify(__NR_truncate, P(x), (uint64_t)-1).keep, -1);
	c = classify(__NR_ftruncate, 6, 0);
	assert_true(c.what == C_FD_DATA && c.fd == 6);
	c = classify(__NR_copy_file_range, 6, 0, 7, 0, 100, 0);
	assert_true(c.what == C_FD_DATA && c.fd == 7);
	c = classify(__NR_ioctl, 6, FICLONE, 7);
	assert_true(c.what == C_FD_DATA && c.fd == 6);
}

static void metadata(void **state)
{
	struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	struct timespec set[2] = { { 1, 0 }, { 2, 0 } };
	static char value[] = "v", xname[] = "user.a";
	int flags = 0;
	struct call c;

	(void)state;
	c = classify(__NR_fchownat, 4, P(x), 0, 0, AT_SYMLINK_NOFOLLOW);
	assert_true(c.what == C_NAME && c.dirfd == 4 && c.path == P(x) && c.nofollow);
	assert_int_equal(c.need, CL_NEED_OWNER);
	/* AT_EMPTY_PATH with an empty path: the fd itself. */
	c = classify(__NR_fchownat, 4, P(empty), 0, 0, AT_EMPTY_PATH);
	assert_true(c.what == C_FD_META && c.fd == 4);
	c = classify(__NR_fchmodat2, 4, P(x), 0644, AT_EMPTY_PATH);
	assert_true(c.what == C_NAME && !c.nofollow);
	c = classify(__NR_lchown, P(x), 0, 0);
	assert_true(c.what == C_NAME && c.nofollow && c.need == CL_NEED_OWNER);
	c = classify(__NR_fchmod, 4, 0644);
	assert_true(c.what == C_FD_META && c.fd == 4 && c.need == CL_NEED_OWNER);
	/* Times: NULL is now, UTIME_OMIT twice changes nothing. */
	assert_int_equal(classify(__NR_utimes, P(x), 0).need, CL_NEED_WRITE_OR_OWNER);
	assert_int_equal(classify(__NR_futimesat, 4, P(x), P(set)).need, CL_NEED_OWNER);
	c = classify(__NR_utimensat, 4, P(x), P(now), 0);
	assert_true(c.what == C_NAME && c.need == CL_NEED_WRITE_OR_OWNER);
	assert_int_equal(classify(__NR_utimensat, 4, P(x), P(set), 0).need, CL_NEED_OWNER);
	assert_int_equal(classify(__NR_utimensat, 4, P(x), P(omit), 0).what, C_NONE);
	c = classify(__NR_utimensat, 4, 0, 0, 0);
	assert_true(c.what == C_FD_META && c.fd == 4 && c.need == CL_NEED_WRITE_OR_OWNER);
	/* Extended attributes; a pointer the kernel refuses is nothing to break. */
	c = classify(__NR_lsetxattr, P(x), P(xname), P(value), 1, 0);
	assert_true(c.what == C_NAME && c.nofollow && c.need == CL_NEED_WRITE);
	c = classify(__NR_removexattrat, 4, P(empty), AT_EMPTY_PATH, P(xname));
	assert_true(c.what == C_FD_META && c.fd == 4);
	assert_int_equal(classify(__NR_setxattr, P(x), P(xname), 8, 1, 0).what, C_NONE);
	c = classify(__NR_ioctl, 6, FS_IOC_SETFLAGS, P(&flags));
	assert_true(c.what == C_FD_META && c.fd == 6 && c.need == CL_NEED_OWNER);
}

static void removals(void **state)
{
	struct call c;

	(void)state;
	c = classify(__NR_unlinkat, 3, P(x), 0);
	assert_true(c.what == C_REMOVE && c.dirfd == 3 && c.path == P(x) && !c.from);
	assert_int_equal(classify(__NR_unlinkat, 3, P(x), AT_REMOVEDIR).what, C_NONE);
	c = classify(__NR_rename, P(x), P(y));
	assert_true(c.what == C_REMOVE && c.fromdir == AT_FDCWD && c.from == P(x));
	assert_true(c.dirfd == AT_FDCWD && c.path == P(y));
	c = classify(__NR_renameat2, 1, P(x), 2, P(y), 0);
	assert_true(c.what == C_REMOVE && c.fromdir == 1 && c.from == P(x));
	assert_true(c.dirfd == 2 && c.path == P(y));
	assert_int_equal(classify(__NR_renameat2, 1, P(x), 2, P(y), RENAME_NOREPLACE).what, C_NONE);
	assert_int_equal(classify(__NR_renameat2, 1, P(x), 2, P(y), RENAME_EXCHANGE).what, C_NONE);
	/* Not trapped: nothing. */
	assert_int_equal(classify(__NR_read, 3, P(x), 1).what, C_NONE);
	assert_int_equal(classify(__NR_linkat, 3, P(x), 3, P(y), 0).what, C_NONE);
}

int main(void)
{
#ifndef __x86_64__
	fprintf(stderr, "test_classify: the made-up calls are x86_64's\n");
	return 77;
#endif
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opens),
		cmocka_unit_test(data),
		cmocka_unit_test(metadata),
		cmocka_unit_test(removals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
