/* SPDX-License-Identifier: MIT */
/* The identity permutation (lib/preload/identity.c, compiled in here): a
 * break keeps the broken name's number and moves the set's, any sequence of
 * swaps stays a bijection, a full table records nothing and still never
 * shows one number twice, readers racing a writer see a whole table. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/preload/identity.c"

static void reset(void)
{
	memset(tables, 0, sizeof tables);
	cur = 0;
	writing = 0;
	cl_identity_used = 0;
}

static ino_t show(dev_t dev, ino_t ino)
{
	cl_identity_show(dev, &ino);
	return ino;
}

static void test_empty_shows_itself(void **state)
{
	reset();
	assert_int_equal(cl_identity_used, 0);
	assert_int_equal(show(1, 42), 42);
	cl_identity_swap(1, 42, 42); /* no break at all */
	assert_int_equal(cl_identity_used, 0);
}

/* Name N of X broken into Y: N (now Y) shows X, the rest of X shows Y. A
 * second break of a name of X (showing Y) into Z: it keeps Y. Other devices
 * and numbers are not touched. */
static void test_swap_and_extend(void **state)
{
	reset();
	cl_identity_swap(1, 100, 200);
	assert_int_equal(cl_identity_used, 1);
	assert_int_equal(show(1, 200), 100);
	assert_int_equal(show(1, 100), 200);
	assert_int_equal(show(2, 200), 200);
	assert_int_equal(show(1, 300), 300);
	cl_identity_swap(1, 100, 300);
	assert_int_equal(show(1, 300), 200);
	assert_int_equal(show(1, 200), 100);
	assert_int_equal(show(1, 100), 300);
	/* Breaking back: the entries that show themselves again go. */
	cl_identity_swap(1, 100, 300);
	cl_identity_swap(1, 100, 200);
	assert_int_equal(tables[cur & 1].n, 0);
	assert_int_equal(show(1, 100), 100);
}

/* Random swaps against a plain array (a swap of X and Y exchanges what
 * they show): the same answers, and a bijection. */
static void test_random_is_bijection(void **state)
{
	enum { N = 40 };
	uint64_t model[N];
	unsigned seed = 1;

	reset();
	for (unsigned i = 0; i < N; i++)
		model[i] = i + 1;
	for (int round = 0; round < 2000; round++) {
		unsigned x = (unsigned)rand_r(&seed) % N, y = (unsigned)rand_r(&seed) % N;
		uint64_t t;

		cl_identity_swap(7, x + 1, y + 1); /* N < ENTRIES: always recorded */
		t = model[x];
		model[x] = model[y];
		model[y] = t;
	}
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(show(7, i + 1), model[i]);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(show(7, i + 1), show(7, j + 1));
	}
}

/* A full table records nothing more: the new inode shows its own number,
 * which no other shows. */
static void test_full_records_nothing(void **state)
{
	reset();
	for (unsigned i = 0; i < ENTRIES / 2; i++)
		cl_identity_swap(1, 1000 + i, 5000 + i);
	assert_int_equal(tables[cur & 1].n, ENTRIES);
	cl_identity_swap(1, 9000, 9001);
	assert_int_equal(show(1, 9001), 9001);
	assert_int_equal(show(1, 9000), 9000);
	assert_int_equal(show(1, 5000), 1000);
	assert_int_equal(show(1, 1000), 5000);
	/* Swapping two numbers already in it needs no new entry. */
	cl_identity_swap(1, 1000, 1001);
	assert_int_equal(show(1, 1001), 5000);
	assert_int_equal(show(1, 1000), 5001);
}

/* A reader racing a writer: X and Y always show two different numbers,
 * each one of {X, Y}. */
static void *writer(void *arg)
{
	for (int i = 0; i < 200000; i++)
		cl_identity_swap(1, 10, 20);
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_readers_see_whole_tables(void **state)
{
	pthread_t t;
	int done = 0;
	long reads = 0;

	reset();
	assert_int_equal(pthread_create(&t, NULL, writer, &done), 0);
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE) || reads < 1000) {
		ino_t a = show(1, 10), b = show(1, 20);

		/* Two reads may straddle a swap: each alone is 10 or 20. */
		assert_true(a == 10 || a == 20);
		assert_true(b == 10 || b == 20);
		reads++;
	}
	pthread_join(t, NULL);
	assert_int_equal(show(1, 10), 10);
	assert_int_equal(show(1, 20), 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_shows_itself),
		cmocka_unit_test(test_swap_and_extend),
		cmocka_unit_test(test_random_is_bijection),
		cmocka_unit_test(test_full_records_nothing),
		cmocka_unit_test(test_readers_see_whole_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
