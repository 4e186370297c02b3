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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Calls of every arity, 0 to 6 arguments, each reach the kernel with every
 * argument in its place: without a fault hook, and through the hook's path
 * with a hook that only counts. */
static void each_arity(void)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	struct stat st;
	char buf[4];
	mode_t um = umask(0);
	long p;
	int fd;

	umask(um);
	assert_int_equal(cl_getpid(), getpid());                            /* 0 */
	fd = cl_openat(AT_FDCWD, a, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0604); /* 4 */
	assert_true(fd >= 0);
	assert_int_equal(cl_write(fd, "xyz", 3), 3);                        /* 3 */
	assert_int_equal(cl_fstat(fd, &st), 0);                             /* 2 */
	assert_int_equal(st.st_size, 3);
	assert_int_equal(st.st_mode & 0777, 0604 & ~um);
	assert_int_equal(cl_pread(fd, buf, sizeof buf, 1), 2);              /* 4 */
	assert_memory_equal(buf, "yz", 2);
	assert_int_equal(cl_linkat(AT_FDCWD, a, AT_FDCWD, b, 0), 0);        /* 5 */
	assert_int_equal(cl_fstat(fd, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	p = cl_mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);              /* 6 */
	assert_false(p < 0 && p >= -4095);
	assert_memory_equal((const void *)p, "xyz", 3);
	assert_int_equal(cl_munmap((void *)p, 4096), 0);
	assert_int_equal(cl_unlinkat(AT_FDCWD, b, 0), 0);
	assert_int_equal(cl_close(fd), 0);                                  /* 1 */
	assert_int_equal(cl_unlinkat(AT_FDCWD, a, 0), 0);
}

static void every_arity_reaches_the_kernel(void **state)
{
	(void)state;
	each_arity();
	fx_fault_arm(CL_OP_NR, 0, 0);
	each_arity();
	assert_true(fx_calls[CL_OP_MMAP] == 1 && fx_calls[CL_OP_LINKAT] == 1 &&
		    fx_calls[CL_OP_GETPID] == 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(kernel_failure_keeps_errno),
		T(success_keeps_errno),
		T(injected_fault_keeps_errno),
		T(every_arity_reaches_the_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
