/* SPDX-License-Identifier: MIT */
/* The shim's fd table (lib/preload/fdtab.c, compiled in here): bounds, the
 * generation that makes a check racing with close store nothing, what
 * invalidates, and the vfork/fork guard on marking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/preload/fdtab.c"

/* Before cl_fdtab_init nothing is marked: a call from another library's
 * constructor cannot tell a vfork child from its parent yet. */
static void test_no_mark_before_init(void **state)
{
	uint8_t b = cl_fd_begin_check(7);

	assert_false(cl_fd_mark_safe(7, b));
	assert_false(cl_fd_is_safe(7));
	cl_fdtab_init();
	b = cl_fd_begin_check(7);
	assert_true(cl_fd_mark_safe(7, b));
	assert_true(cl_fd_is_safe(7));
}

static void test_bounds(void **state)
{
	assert_false(cl_fd_is_safe(-1));
	assert_false(cl_fd_is_safe(CL_FDTAB_SIZE));
	assert_false(cl_fd_is_safe(INT32_MAX));
	assert_int_equal(cl_fd_begin_check(-1), 0);
	assert_false(cl_fd_mark_safe(-1, 0));
	assert_false(cl_fd_mark_safe(CL_FDTAB_SIZE, 0));
	assert_false(cl_fd_is_safe(CL_FDTAB_SIZE));
	assert_int_equal(cl_fd_invalidate(CL_FDTAB_SIZE), 0);
	/* The last in-range fd works. */
	assert_true(cl_fd_mark_safe(CL_FDTAB_SIZE - 1,
				    cl_fd_begin_check(CL_FDTAB_SIZE - 1)));
	assert_true(cl_fd_is_safe(CL_FDTAB_SIZE - 1));
	cl_fd_invalidate_range(CL_FDTAB_SIZE - 1, ~0u);
	assert_false(cl_fd_is_safe(CL_FDTAB_SIZE - 1));
}

/* A check that read the byte, then lost the race with a close (and reuse)
 * in another thread, must not store SAFE. */
static void test_race_with_close(void **state)
{
	uint8_t seen = cl_fd_begin_check(10);

	(void)cl_fd_invalidate(10); /* close + reuse meanwhile */
	assert_false(cl_fd_mark_safe(10, seen));
	assert_false(cl_fd_is_safe(10));
	/* A check that starts after the close may mark. */
	seen = cl_fd_begin_check(10);
	assert_true(cl_fd_mark_safe(10, seen));
	assert_true(cl_fd_is_safe(10));
	/* A second, stale check of the same generation cannot re-store after
	 * an invalidation either. */
	seen = cl_fd_begin_check(10);
	(void)cl_fd_invalidate(10);
	assert_false(cl_fd_mark_safe(10, seen));
	assert_false(cl_fd_is_safe(10));
}

static void test_invalidate_bumps_generation(void **state)
{
	uint8_t a = cl_fd_begin_check(11), b;

	assert_true(cl_fd_mark_safe(11, a));
	b = cl_fd_invalidate(11);
	assert_int_equal(b & CL_FD_STATE, CL_FD_UNKNOWN);
	assert_int_not_equal(b & ~CL_FD_STATE, a & ~CL_FD_STATE);
	/* Invalidating an UNKNOWN fd bumps it too (a check may be in flight). */
	assert_int_not_equal(cl_fd_invalidate(11), b);
	/* The byte the invalidation returns is a valid start for a check. */
	b = cl_fd_invalidate(11);
	assert_true(cl_fd_mark_safe(11, b));
}

static void test_invalidate_range(void **state)
{
	uint8_t seen[8];

	for (int fd = 20; fd < 28; fd++)
		assert_true(cl_fd_mark_safe(fd, cl_fd_begin_check(fd)));
	seen[0] = cl_fd_begin_check(30); /* an UNKNOWN fd with a check in flight */
	cl_fd_invalidate_range(22, 30);
	assert_true(cl_fd_is_safe(20));
	assert_true(cl_fd_is_safe(21));
	for (int fd = 22; fd < 28; fd++)
		assert_false(cl_fd_is_safe(fd));
	assert_false(cl_fd_mark_safe(30, seen[0]));
	/* closefrom-style: to the end of the table. */
	cl_fd_invalidate_range(0, ~0u);
	assert_false(cl_fd_is_safe(20));
}

/* A range invalidation stops at the highest fd ever checked, but a check in
 * flight on a high fd is below that mark, so it is still invalidated. */
static void test_invalidate_range_high_fd(void **state)
{
	uint8_t seen = cl_fd_begin_check(60000);

	cl_fd_invalidate_range(3, ~0u);
	assert_false(cl_fd_mark_safe(60000, seen));
	assert_true(cl_fd_mark_safe(60001, cl_fd_begin_check(60001)));
	cl_fd_invalidate_range(60001, 60001);
	assert_false(cl_fd_is_safe(60001));
}

/* A vfork child shares the parent's table but not its fds: it must not
 * mark. A fork child has its own copy and may. */
static void test_vfork_child_does_not_mark(void **state)
{
	volatile int marked = -1;
	pid_t pid;
	int status;

	cl_fd_invalidate(40);
	pid = vfork();
	if (pid == 0) {
		marked = cl_fd_mark_safe(40, cl_fd_begin_check(40));
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(marked, 0);
	assert_false(cl_fd_is_safe(40));
	/* The parent still may. */
	assert_true(cl_fd_mark_safe(40, cl_fd_begin_check(40)));
}

static void test_fork_child_marks(void **state)
{
	pid_t pid;
	int status;

	cl_fd_invalidate(41);
	pid = fork();
	if (pid == 0) {
		bool ok = cl_fd_mark_safe(41, cl_fd_begin_check(41)) &&
			  cl_fd_is_safe(41);
		_exit(ok ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		skip(); /* no MADV_WIPEONFORK (Linux < 4.14): fork children only check */
	assert_false(cl_fd_is_safe(41)); /* the child's mark stayed there */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_mark_before_init),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_race_with_close),
		cmocka_unit_test(test_invalidate_bumps_generation),
		cmocka_unit_test(test_invalidate_range),
		cmocka_unit_test(test_invalidate_range_high_fd),
		cmocka_unit_test(test_vfork_child_does_not_mark),
		cmocka_unit_test(test_fork_child_marks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
