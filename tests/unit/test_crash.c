/* SPDX-License-Identifier: MIT */
/* kill -9 at random moments of a break: the name must always be either the
 * old shared inode or the complete private copy. A kill between link-in and
 * rename may leave a CL_TMP_PREFIX name (cowlink fsck clears those); it must
 * then be a complete copy too. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

#define SIZE      (64 << 20)
#define TRIALS    200
#define BUDGET_MS 45000

static char a[PATH_MAX], b[PATH_MAX];
static const struct cl_break_opts ALL = { .keep = -1 };

static long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000L + t.tv_nsec / 1000L;
}

/* The fixture, and the two names every trial uses. */
static int setup(void **state)
{
	if (fx_setup(state))
		return -1;
	snprintf(a, sizeof a, "%s", fx_p(fx_dir, "a"));
	snprintf(b, sizeof b, "%s", fx_p(fx_dir, "b"));
	return 0;
}

/* Check and remove hidden names: each must hold the complete copy. */
static int check_litter(void)
{
	DIR *d = opendir(fx_dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, CL_TMP_PREFIX, strlen(CL_TMP_PREFIX)))
			continue;
		const char *p = fx_p(fx_dir, de->d_name);
		if (fx_same_content(p, a) != 1)
			fail_msg("litter %s is not a complete copy", de->d_name);
		assert_int_equal(unlink(p), 0);
		n++;
	}
	closedir(d);
	return n;
}

/* What cowlink fsck -n would report in the directory now: the count of
 * findings other than hidden temp names (a crash may leave only those). */
static void count_finding(const struct cl_fsck_finding *f, void *arg)
{
	int *n = arg;

	if (f->kind != CL_FSCK_TMP) {
		print_message("fsck: %s: kind %d\n", f->path, (int)f->kind);
		(*n)++;
	}
}

static int fsck_findings(int *all)
{
	DIR *d = opendir(fx_dir);
	struct dirent *de;
	struct stat st;
	int other = 0, n;

	assert_non_null(d);
	*all = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		assert_int_equal(fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW), 0);
		n = cl_fsck_at(dirfd(d), de->d_name, de->d_name, &st, true, count_finding, &other);
		assert_true(n >= 0);
		*all += n;
	}
	closedir(d);
	return other;
}

static void kill_during_break(void **state)
{
	int trial, unchanged = 0, broken = 0, litter = 0;
	long t0, t_break, start = now_us();
	unsigned seed = (unsigned)time(NULL);

	(void)state;
	assert_int_equal(fx_fill(a, SIZE, 11, 0644), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(fx_make_set(a, fx_p(fx_dir, "c"), true), 0);
	/* How long one break takes here, to spread the kills over it. */
	t0 = now_us();
	assert_int_equal(cl_break_at(AT_FDCWD, b, &ALL), 0);
	t_break = now_us() - t0;
	assert_int_equal(fx_same_content(a, b), 1);
	assert_int_equal(unlink(b), 0);
	assert_int_equal(link(a, b), 0);
	print_message("one break of %d MiB: %ld us; seed %u\n", SIZE >> 20, t_break, seed);

	for (trial = 0; trial < TRIALS && now_us() - start < BUDGET_MS * 1000L; trial++) {
		long delay = (long)(rand_r(&seed) % (unsigned)(t_break * 13 / 10 + 1));
		struct timespec nap = { delay / 1000000, (delay % 1000000) * 1000 };
		struct stat st;
		pid_t pid;
		int status;

		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(-cl_break_at(AT_FDCWD, b, &ALL));
		nanosleep(&nap, NULL);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) && WEXITSTATUS(status))
			fail_msg("trial %d: break failed with %d", trial, WEXITSTATUS(status));

		assert_int_equal(lstat(b, &st), 0);
		if (fx_same_inode(a, b)) {
			unchanged++;
		} else {
			/* The complete copy, with its metadata, or nothing. */
			if (fx_same_content(a, b) != 1)
				fail_msg("trial %d (kill after %ld us): partial copy visible", trial, delay);
			assert_int_equal(st.st_nlink, 1);
			assert_int_equal(st.st_mode & 07777, 0644);
			broken++;
			assert_int_equal(unlink(b), 0);
			assert_int_equal(link(a, b), 0);
		}
		/* cowlink fsck -n finds nothing but temp names to repair, and
		 * nothing at all once they are gone. */
		int all;
		assert_int_equal(fsck_findings(&all), 0);
		litter += check_litter();
		assert_int_equal(fsck_findings(&all), 0);
		assert_int_equal(all, 0);
	}
	print_message("%d kills: %d before the rename, %d after, %d hidden names left "
		      "(all complete copies)\n", trial, unchanged, broken, litter);
	assert_true(trial >= 20);
	/* The kills did land on both sides of the rename. */
	assert_true(unchanged > 0);
	assert_true(broken > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(kill_during_break, setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
