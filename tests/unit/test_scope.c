/* SPDX-License-Identifier: MIT */
/* Scope mode (lib/core/scope.c): "under a tree" is decided by the (dev, ino)
 * of the directory and its ancestors, so symlinks, ".." and dirfds cannot
 * fool it, and answers are cached per directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

static void mk(const char *rel)
{
	char p[PATH_MAX];

	assert_true(snprintf(p, sizeof p, "%s/%s", fx_dir, rel) < (int)sizeof p);
	assert_int_equal(mkdir(p, 0755), 0);
}

static const char *at(const char *rel)
{
	static char p[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	if (snprintf(p[i], sizeof p[i], "%s/%s", fx_dir, rel) >= (int)sizeof p[i])
		fail_msg("path too long");
	return p[i];
}

/* The fixture (once for the group), with the trees the tests ask about. */
static int setup(void **state)
{
	if (fx_setup(state))
		return -1;
	mk("tree");
	mk("tree/a");
	mk("tree/a/b");
	mk("other");
	mk("other/c");
	mk("tree2");
	if (symlink("../tree/a", at("other/into")) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	cl_scope_init(NULL, NULL);
	return fx_teardown(state);
}

static void test_inactive_without_trees(void **state)
{
	assert_int_equal(cl_scope_init("", NULL), 0);
	assert_false(cl_scope_active());
	assert_false(cl_scope_contains_dir(AT_FDCWD, at("tree/a")));
}

static void test_under_and_not(void **state)
{
	assert_int_equal(cl_scope_init(at("tree"), NULL), 0);
	assert_true(cl_scope_active());
	assert_true(cl_scope_contains_dir(AT_FDCWD, at("tree")));
	assert_true(cl_scope_contains_dir(AT_FDCWD, at("tree/a/b")));
	assert_false(cl_scope_contains_dir(AT_FDCWD, at("other/c")));
	assert_false(cl_scope_contains_dir(AT_FDCWD, fx_dir));
	assert_false(cl_scope_contains_dir(AT_FDCWD, "/"));
	/* Asked twice (the second from the cache), same answers. */
	assert_true(cl_scope_contains_dir(AT_FDCWD, at("tree/a/b")));
	assert_false(cl_scope_contains_dir(AT_FDCWD, at("other/c")));
}

/* Path prefixes would get these wrong. */
static void test_symlinks_dotdot_dirfds(void **state)
{
	int fd;

	assert_int_equal(cl_scope_init(at("tree"), NULL), 0);
	/* A symlink from outside into the tree: inside. */
	assert_true(cl_scope_contains_dir(AT_FDCWD, at("other/into")));
	/* A path that starts in the tree and leaves it with "..": outside. */
	assert_false(cl_scope_contains_dir(AT_FDCWD, at("tree/a/../../other/c")));
	/* A sibling whose name has the tree's as a prefix: outside. */
	assert_false(cl_scope_contains_dir(AT_FDCWD, at("tree2")));
	/* Relative to a dirfd, and the dirfd itself. */
	fd = open(at("tree/a"), O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_true(cl_scope_contains_dir(fd, "b"));
	assert_true(cl_scope_contains_dir(fd, NULL));
	assert_false(cl_scope_contains_dir(fd, "../../other"));
	close(fd);
	/* Relative to the current directory. */
	assert_int_equal(chdir(at("tree/a/b")), 0);
	assert_true(cl_scope_contains_dir(AT_FDCWD, NULL));
	assert_true(cl_scope_contains_dir(AT_FDCWD, "."));
	assert_false(cl_scope_contains_dir(AT_FDCWD, "../../../other"));
	assert_int_equal(chdir("/"), 0);
}

/* What cl_scope_init told about dropped entries. */
static char dropped_names[2 * PATH_MAX];
static int dropped_count, dropped_err;

static void on_dropped(const char *entry, int err)
{
	dropped_count++;
	dropped_err = err;
	strncat(dropped_names, entry, sizeof dropped_names - strlen(dropped_names) - 1);
}

static void test_several_trees_and_bad_entries(void **state)
{
	char list[3 * PATH_MAX + 8];

	assert_true(snprintf(list, sizeof list, "%s::%s:%s", at("other/c"),
			     at("nonexistent"), at("tree/a/b")) < (int)sizeof list);
	/* The missing entry is reported, the others are taken. */
	assert_int_equal(cl_scope_init(list, on_dropped), -ENOENT);
	/* ... each one dropped told by name, the empty entry not at all */
	assert_int_equal(dropped_count, 1);
	assert_int_equal(dropped_err, -ENOENT);
	assert_string_equal(dropped_names, at("nonexistent"));
	assert_true(cl_scope_contains_dir(AT_FDCWD, at("other/c")));
	assert_true(cl_scope_contains_dir(AT_FDCWD, at("tree/a/b")));
	assert_false(cl_scope_contains_dir(AT_FDCWD, at("tree/a")));
	/* A new scope replaces the old one, cache included. */
	assert_int_equal(cl_scope_init(at("tree/a"), NULL), 0);
	assert_false(cl_scope_contains_dir(AT_FDCWD, at("other/c")));
	assert_true(cl_scope_contains_dir(AT_FDCWD, at("tree/a/b")));
	/* A file is not a tree. */
	{
		FILE *f = fopen(at("tree/file"), "w");

		assert_non_null(f);
		fclose(f);
	}
	assert_int_equal(cl_scope_init(at("tree/file"), NULL), -ENOTDIR);
	assert_false(cl_scope_active());
	/* Not a directory, or missing: not in scope, no crash. */
	assert_int_equal(cl_scope_init(at("tree"), NULL), 0);
	assert_false(cl_scope_contains_dir(AT_FDCWD, at("tree/file")));
	assert_false(cl_scope_contains_dir(AT_FDCWD, at("tree/missing")));
}

/* The cache is per directory (dev, ino): a directory the walk passed
 * through answers from it even when asked by another path. */
static void test_cache_by_inode(void **state)
{
	assert_int_equal(cl_scope_init(at("tree"), NULL), 0);
	assert_true(cl_scope_contains_dir(AT_FDCWD, at("tree/a/b")));
	/* The same directory through a symlink: the same (cached) answer. */
	assert_true(cl_scope_contains_dir(AT_FDCWD, at("other/into/b")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inactive_without_trees),
		cmocka_unit_test(test_under_and_not),
		cmocka_unit_test(test_symlinks_dotdot_dirfds),
		cmocka_unit_test(test_several_trees_and_bad_entries),
		cmocka_unit_test(test_cache_by_inode),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
