/* SPDX-License-Identifier: MIT */
/* The raw calls (sys.def): -errno on failure, and the caller's errno kept
 * whether the kernel or an injected fault said no. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fixture.h"

#define SENTINEL 12345

static void kernel_failure_keeps_errno(void **state)
{
	struct stat st;
	char buf[8];

	(void)state;
	errno = SENTINEL;
	assert_int_equal(cl_fstat(-1, &st), -EBADF);
	assert_int_equal(errno, SENTINEL);
	assert_int_equal(cl_openat(AT_FDCWD, fx_p(fx_dir, "missing"), O_RDONLY, 0), -ENOENT);
	assert_int_equal(errno, SENTINEL);
	assert_int_equal(cl_readlinkat(AT_FDCWD, fx_dir, buf, sizeof buf), -EINVAL);
	assert_int_equal(errno, SENTINEL);
	assert_int_equal(cl_close(-1), -EBADF);
	assert_int_equal(errno, SENTINEL);
}

static void success_keeps_errno(void **state)
{
	struct stat st;
	int fd;

	(void)state;
	errno = SENTINEL;
	fd = cl_openat(AT_FDCWD, fx_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(cl_fstat(fd, &st), 0);
	assert_int_equal(cl_close(fd), 0);
	assert_int_equal(errno, SENTINEL);
}

static void injected_fault_keeps_errno(void **state)
{
	struct stat st;

	(void)state;
	fx_fault_arm(CL_OP_FSTATAT, 1, EIO);
	errno = SENTINEL;
	assert_int_equal(cl_fstatat(AT_FDCWD, fx_dir, &st, 0), -EIO);
	assert_true(fx_fault_fired);
	assert_int_equal(errno, SENTINEL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(kernel_failure_keeps_errno),
		T(success_keeps_errno),
		T(injected_fault_keeps_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
