/* SPDX-License-Identifier: MIT */
/* The one symlink resolver (lib/core/resolve.c): a final symlink is followed
 * to a name whose last component is not one, relative targets from the
 * link's own directory; PROVE reports lookup errors and checks the result
 * by a following stat, LOOSE leaves lookup errors to its caller's re-check. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

static const enum cl_resolve_how both[] = { CL_RESOLVE_PROVE, CL_RESOLVE_LOOSE };

static int dir_fd(void)
{
	int d = open(fx_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(d >= 0);
	return d;
}

static void mkdir_at(int d, const char *name)
{
	assert_int_equal(mkdirat(d, name, 0755), 0);
}

static void file_at(int d, const char *name)
{
	int fd = openat(d, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	close(fd);
}

static void plain_name(void **state)
{
	char out[PATH_MAX];
	struct stat st, want;
	int d = dir_fd();

	(void)state;
	mkdir_at(d, "sub");
	file_at(d, "sub/f");
	assert_int_equal(fstatat(d, "sub/f", &want, AT_SYMLINK_NOFOLLOW), 0);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(cl_resolve(d, "sub/f", out, &st, both[i]), 0);
		assert_string_equal(out, "sub/f");
		assert_true(st.st_ino == want.st_ino && st.st_dev == want.st_dev);
	}
	/* A directory is not a symlink either: it comes back as it is. */
	assert_int_equal(cl_resolve(d, "sub", out, &st, CL_RESOLVE_PROVE), 0);
	assert_string_equal(out, "sub");
	assert_true(S_ISDIR(st.st_mode));
	close(d);
}

static void relative_absolute_chain(void **state)
{
	char out[PATH_MAX], abs[PATH_MAX];
	struct stat st, want;
	int d = dir_fd();

	(void)state;
	mkdir_at(d, "a");
	mkdir_at(d, "b");
	file_at(d, "b/f");
	assert_int_equal(fstatat(d, "b/f", &want, 0), 0);
	/* Relative to the link's directory, not to DIRFD. */
	assert_int_equal(symlinkat("../b/f", d, "a/rel"), 0);
	/* Absolute, and a chain: a/chain -> rel -> ../b/f. */
	assert_true(snprintf(abs, sizeof abs, "%s/b/f", fx_dir) < (int)sizeof abs);
	assert_int_equal(symlinkat(abs, d, "abs"), 0);
	assert_int_equal(symlinkat("rel", d, "a/chain"), 0);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(cl_resolve(d, "a/rel", out, &st, both[i]), 0);
		assert_string_equal(out, "a/../b/f");
		assert_true(st.st_ino == want.st_ino && S_ISREG(st.st_mode));
		assert_int_equal(cl_resolve(d, "abs", out, &st, both[i]), 0);
		assert_string_equal(out, abs);
		assert_int_equal(cl_resolve(d, "a/chain", out, &st, both[i]), 0);
		assert_string_equal(out, "a/../b/f");
		assert_true(st.st_ino == want.st_ino);
	}
	/* OUT may be PATH itself. */
	strcpy(out, "a/chain");
	assert_int_equal(cl_resolve(d, out, out, &st, CL_RESOLVE_PROVE), 0);
	assert_string_equal(out, "a/../b/f");
	close(d);
}

static void loops_and_length(void **state)
{
	char out[PATH_MAX], name[16], target[16], long_name[PATH_MAX + 8];
	struct stat st;
	int d = dir_fd();

	(void)state;
	assert_int_equal(symlinkat("loop2", d, "loop1"), 0);
	assert_int_equal(symlinkat("loop1", d, "loop2"), 0);
	/* A chain of exactly CL_SYMLOOP_MAX links is followed; one more is ELOOP. */
	file_at(d, "end");
	for (int i = 0; i < CL_SYMLOOP_MAX + 1; i++) {
		snprintf(name, sizeof name, "l%d", i);
		if (i == 0)
			strcpy(target, "end");
		else
			snprintf(target, sizeof target, "l%d", i - 1);
		assert_int_equal(symlinkat(target, d, name), 0);
	}
	snprintf(name, sizeof name, "l%d", CL_SYMLOOP_MAX - 1);
	snprintf(target, sizeof target, "l%d", CL_SYMLOOP_MAX);
	memset(long_name, 'x', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(cl_resolve(d, "loop1", out, &st, both[i]), -ELOOP);
		assert_int_equal(cl_resolve(d, name, out, &st, both[i]), 0);
		assert_string_equal(out, "end");
		assert_int_equal(cl_resolve(d, target, out, &st, both[i]), -ELOOP);
		assert_int_equal(cl_resolve(d, long_name, out, &st, both[i]), -ENAMETOOLONG);
	}
	close(d);
}

/* The one difference: what a lookup error means. */
static void lookup_errors(void **state)
{
	char out[PATH_MAX];
	struct stat st;
	int d = dir_fd();

	(void)state;
	assert_int_equal(symlinkat("gone", d, "dangling"), 0);
	/* No link followed: the caller's ENOENT, or left to the re-check. */
	assert_int_equal(cl_resolve(d, "missing", out, &st, CL_RESOLVE_PROVE), -ENOENT);
	assert_int_equal(cl_resolve(d, "missing", out, &st, CL_RESOLVE_LOOSE), 0);
	assert_string_equal(out, "missing");
	/* A followed link that leads nowhere: changed under us, for PROVE. */
	assert_int_equal(cl_resolve(d, "dangling", out, &st, CL_RESOLVE_PROVE), -CL_ESHARED);
	assert_int_equal(cl_resolve(d, "dangling", out, &st, CL_RESOLVE_LOOSE), 0);
	assert_string_equal(out, "gone");
	close(d);
}

/* Magic links: /proc/self/fd/N leads to the fd's name, proved by a stat;
 * an fd whose file was unlinked has no name to give. */
static void magic_links(void **state)
{
	char proc[64], out[PATH_MAX];
	struct stat st, want;
	int d = dir_fd(), fd;

	(void)state;
	file_at(d, "f");
	fd = openat(d, "f", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &want), 0);
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	assert_int_equal(cl_resolve(AT_FDCWD, proc, out, &st, CL_RESOLVE_PROVE), 0);
	assert_string_equal(out, fx_p(fx_dir, "f"));
	assert_true(st.st_ino == want.st_ino && st.st_dev == want.st_dev);
	assert_int_equal(unlinkat(d, "f", 0), 0);
	assert_int_equal(cl_resolve(AT_FDCWD, proc, out, &st, CL_RESOLVE_PROVE), -CL_ESHARED);
	close(fd);
	close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(plain_name, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(relative_absolute_chain, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(loops_and_length, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(lookup_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(magic_links, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
