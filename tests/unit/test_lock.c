/* SPDX-License-Identifier: MIT */
/* The break lock alone: taken, refused while another open file description
 * holds it (after the bound, not forever), handed over when released. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* The fixture, with the lock wait at its default before and after each test. */
static int setup(void **state)
{
	cl_lock_wait_ms = CL_LOCK_WAIT_MS;
	return fx_setup(state);
}

static int teardown(void **state)
{
	cl_lock_wait_ms = CL_LOCK_WAIT_MS;
	return fx_teardown(state);
}

static void take_and_release(void **state)
{
	int a = open(fx_dir, O_RDONLY | O_DIRECTORY), b = open(fx_dir, O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_int_equal(cl_lock_dir(a), 0);
	/* Another description cannot have it now... */
	assert_int_equal(flock(b, LOCK_EX | LOCK_NB), -1);
	cl_unlock_dir(a);
	/* ...and can once it is released explicitly, with A still open. */
	assert_int_equal(flock(b, LOCK_EX | LOCK_NB), 0);
	close(a);
	close(b);
}

static void bounded_wait(void **state)
{
	int a = open(fx_dir, O_RDONLY | O_DIRECTORY), b = open(fx_dir, O_RDONLY | O_DIRECTORY);
	long t0, dt;

	(void)state;
	assert_int_equal(flock(a, LOCK_EX), 0);
	cl_lock_wait_ms = 150;
	fx_fault_arm(CL_OP_FLOCK, 0, 0);
	t0 = now_ms();
	assert_int_equal(cl_lock_dir(b), -EWOULDBLOCK);
	dt = now_ms() - t0;
	fx_fault_off();
	assert_true(dt >= 150);
	assert_true(dt < 1500);
	/* It retried, and backed off rather than spinning. */
	assert_true(fx_calls[CL_OP_FLOCK] > 2);
	assert_true(fx_calls[CL_OP_FLOCK] < 100);
	close(a);
	close(b);
}

static void *release_later(void *arg)
{
	struct timespec t = { 0, 80 * 1000000L };

	nanosleep(&t, NULL);
	flock(*(int *)arg, LOCK_UN);
	return NULL;
}

static void handed_over(void **state)
{
	int a = open(fx_dir, O_RDONLY | O_DIRECTORY), b = open(fx_dir, O_RDONLY | O_DIRECTORY);
	pthread_t th;
	long t0, dt;

	(void)state;
	assert_int_equal(flock(a, LOCK_EX), 0);
	cl_lock_wait_ms = 5000;
	t0 = now_ms();
	assert_int_equal(pthread_create(&th, NULL, release_later, &a), 0);
	assert_int_equal(cl_lock_dir(b), 0);
	dt = now_ms() - t0;
	pthread_join(th, NULL);
	assert_true(dt >= 70);
	assert_true(dt < 2000);
	cl_unlock_dir(b);
	close(a);
	close(b);
}

static void other_errors_at_once(void **state)
{
	int p = open(fx_dir, O_PATH | O_DIRECTORY), d = open(fx_dir, O_RDONLY | O_DIRECTORY);

	(void)state;
	/* flock needs a real fd: an O_PATH one says EBADF, at once. */
	fx_fault_arm(CL_OP_FLOCK, 0, 0);
	assert_int_equal(cl_lock_dir(p), -EBADF);
	assert_int_equal(fx_calls[CL_OP_FLOCK], 1);
	fx_fault_arm(CL_OP_FLOCK, 1, ENOLCK);
	assert_int_equal(cl_lock_dir(d), -ENOLCK);
	assert_int_equal(fx_calls[CL_OP_FLOCK], 1);
	/* An interrupted flock is simply tried again. */
	fx_fault_arm(CL_OP_FLOCK, 1, EINTR);
	assert_int_equal(cl_lock_dir(d), 0);
	assert_int_equal(fx_calls[CL_OP_FLOCK], 2);
	fx_fault_off();
	cl_unlock_dir(d);
	close(p);
	close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(take_and_release, setup, teardown),
		cmocka_unit_test_setup_teardown(bounded_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(handed_over, setup, teardown),
		cmocka_unit_test_setup_teardown(other_errors_at_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
