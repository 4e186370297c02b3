/* SPDX-License-Identifier: MIT */
/* The one decision (lib/core/verdict.c, cl_verdict): what it answers on real
 * files pinned by an fd (read-only or O_PATH) or named: a plain file, a
 * marked set, an unmarked two-link file in and out of scope, a mark the
 * caller may not read, an orphaned mark; and the supervisor's WIDE way. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

/* Unprivileged, for the mark it may not read. */
#define NOBODY 65534

static const char *at(const char *rel)
{
	return fx_p(fx_dir, rel);
}

static int setup(void **state)
{
	if (fx_setup(state))
		return -1;
	if (mkdir(at("tree"), 0755) || mkdir(at("other"), 0755) ||
	    chmod(fx_dir, 0755))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	cl_scope_init(NULL, NULL);
	return fx_teardown(state);
}

/* cl_verdict of the file REL as FLAGS say, asked three ways -- pinned by a
 * read-only fd, by an O_PATH fd (told so, and not), and by name -- which
 * must agree; *R from the last. */
static int verdict_of(const char *rel, unsigned flags, struct cl_record *r)
{
	struct stat st;
	struct cl_pin p = { .fd = -1, .dirfd = AT_FDCWD, .path = at(rel), .st = &st,
			    .mark = -1 };
	int fd, opath, v, w;

	assert_int_equal(stat(at(rel), &st), 0);
	v = cl_verdict(&p, flags, r);
	opath = open(at(rel), O_PATH | O_CLOEXEC);
	assert_true(opath >= 0);
	for (int told = 0; told < 2; told++) {
		p = (struct cl_pin){ .fd = opath, .opath = told, .st = &st, .mark = -1 };
		w = cl_verdict(&p, flags, r);
		assert_int_equal(w, v);
	}
	close(opath);
	fd = open(at(rel), O_RDONLY | O_CLOEXEC);
	if (fd >= 0) { /* root reads anything; NOBODY not the 0000 file */
		p = (struct cl_pin){ .fd = fd, .st = &st, .mark = -1 };
		w = cl_verdict(&p, flags, r);
		assert_int_equal(w, v);
		close(fd);
	}
	return v;
}

static void test_plain(void **state)
{
	struct cl_record r;

	(void)state;
	assert_int_equal(fx_write(at("plain"), "x", 1, 0644), 0);
	assert_int_equal(verdict_of("plain", 0, &r), CL_VERDICT_PLAIN);
	assert_int_equal(verdict_of("plain", CL_VERDICT_ORPHANS | CL_VERDICT_WIDE, &r),
			 CL_VERDICT_PLAIN);
	/* A hard link, no mark, no scope: plain, also the supervisor's way. */
	assert_int_equal(link(at("plain"), at("plain2")), 0);
	assert_int_equal(verdict_of("plain", 0, &r), CL_VERDICT_PLAIN);
	assert_int_equal(verdict_of("plain2", CL_VERDICT_WIDE, &r), CL_VERDICT_PLAIN);
}

static void test_marked_set(void **state)
{
	struct cl_record r;
	struct stat st;
	struct cl_pin p = { .fd = -1, .dirfd = AT_FDCWD, .st = &st };

	(void)state;
	assert_int_equal(fx_write(at("a"), "data", 4, 0640), 0);
	assert_int_equal(fx_make_set(at("a"), at("b"), true), 0);
	assert_int_equal(verdict_of("b", 0, &r), CL_VERDICT_COWLINK);
	assert_int_equal(r.version, CL_RECORD_VERSION);
	assert_int_equal(r.wbits, 0200);
	/* Through a symlink, by name: the mark is read at its target. */
	assert_int_equal(symlink("b", at("to-b")), 0);
	assert_int_equal(verdict_of("to-b", 0, &r), CL_VERDICT_COWLINK);
	assert_int_equal(r.wbits, 0200);
	/* The mark read is handed back for a cache; a known one is not read. */
	assert_int_equal(stat(at("b"), &st), 0);
	p.path = at("b");
	p.mark = -1;
	assert_int_equal(cl_verdict(&p, 0, &r), CL_VERDICT_COWLINK);
	assert_int_equal(p.mark, 1);
	p.path = NULL; /* nothing to read it by: only the known mark says */
	p.mark = 0;
	assert_int_equal(cl_verdict(&p, 0, &r), CL_VERDICT_PLAIN);
	assert_int_equal(p.mark, -1);
	p.mark = 1;
	r.wbits = 0022;
	assert_int_equal(cl_verdict(&p, 0, &r), CL_VERDICT_COWLINK);
	assert_int_equal(r.wbits, 0022);
}

static void test_scope(void **state)
{
	struct cl_record r;
	int fd;
	struct stat st;

	(void)state;
	assert_int_equal(fx_write(at("tree/s"), "in", 2, 0644), 0);
	assert_int_equal(link(at("tree/s"), at("tree/s2")), 0);
	assert_int_equal(fx_write(at("other/o"), "out", 3, 0644), 0);
	assert_int_equal(link(at("other/o"), at("other/o2")), 0);
	assert_int_equal(cl_scope_init(at("tree"), NULL), 0);
	assert_int_equal(verdict_of("tree/s", 0, &r), CL_VERDICT_COWLINK);
	assert_int_equal(r.version, 0);
	assert_int_equal(r.wbits, 0);
	assert_int_equal(verdict_of("other/o", 0, &r), CL_VERDICT_PLAIN);
	/* By its resolved name: a symlink outside the tree to a file in it. */
	assert_int_equal(symlink("../tree/s", at("other/to-s")), 0);
	assert_int_equal(verdict_of("other/to-s", 0, &r), CL_VERDICT_COWLINK);
	/* One name, unmarked, in scope: no cowlink, no orphan. */
	assert_int_equal(fx_write(at("tree/one"), "1", 1, 0644), 0);
	assert_int_equal(verdict_of("tree/one", CL_VERDICT_ORPHANS, &r), CL_VERDICT_PLAIN);
	/* The supervisor's way: any multi-link file counts, its worker's
	 * break decides by the name. */
	assert_int_equal(verdict_of("other/o", CL_VERDICT_WIDE, &r), CL_VERDICT_COWLINK);
	/* A pinned fd whose name leads elsewhere now has no name to place
	 * it by: not in scope. */
	fd = open(at("tree/s2"), O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(rename(at("other/o2"), at("tree/s2")), 0);
	assert_int_equal(cl_verdict(&(struct cl_pin){ .fd = fd, .opath = true, .st = &st,
						      .mark = -1 }, 0, &r),
			 CL_VERDICT_PLAIN);
	close(fd);
	/* Its name is the other file's now, a multi-link one in the tree. */
	assert_int_equal(verdict_of("tree/s2", 0, &r), CL_VERDICT_COWLINK);
	cl_scope_init(NULL, NULL);
	assert_int_equal(verdict_of("tree/s2", 0, &r), CL_VERDICT_PLAIN);
}

static void test_orphan(void **state)
{
	struct cl_record r;

	(void)state;
	assert_int_equal(fx_write(at("o1"), "orphan", 6, 0644), 0);
	assert_int_equal(fx_make_set(at("o1"), at("o2"), true), 0);
	assert_int_equal(unlink(at("o1")), 0);
	assert_int_equal(verdict_of("o2", CL_VERDICT_ORPHANS, &r), CL_VERDICT_ORPHAN);
	assert_int_equal(r.wbits, 0200);
	assert_int_equal(verdict_of("o2", CL_VERDICT_ORPHANS | CL_VERDICT_WIDE, &r),
			 CL_VERDICT_ORPHAN);
	/* Not asked for: one name is plain, with no call. */
	assert_int_equal(verdict_of("o2", 0, &r), CL_VERDICT_PLAIN);
}

/* As NOBODY: the verdicts on the 0000 files, one bit each of the exit code
 * for an answer that is not the one expected. */
static int unreadable_as_nobody(void *arg)
{
	struct cl_record r;
	int bad = 0;

	(void)arg;
	/* The shim's way: a mark it may not read is none. */
	if (verdict_of("u1", 0, &r) != CL_VERDICT_PLAIN)
		bad |= 1;
	if (verdict_of("v1", CL_VERDICT_ORPHANS, &r) != CL_VERDICT_PLAIN)
		bad |= 2;
	/* The supervisor's: a shared inode's counts, a one-name file's not. */
	if (verdict_of("u1", CL_VERDICT_WIDE, &r) != CL_VERDICT_COWLINK)
		bad |= 4;
	if (verdict_of("v1", CL_VERDICT_ORPHANS | CL_VERDICT_WIDE, &r) != CL_VERDICT_PLAIN)
		bad |= 8;
	return bad;
}

static void test_unreadable_mark(void **state)
{
	struct cl_record r;
	int got;

	(void)state;
	if (geteuid() != 0)
		skip(); /* needs root to make files another user may not read */
	assert_int_equal(fx_write(at("u1"), "u", 1, 0644), 0);
	assert_int_equal(fx_make_set(at("u1"), at("u2"), true), 0);
	assert_int_equal(fx_write(at("v1"), "v", 1, 0644), 0);
	assert_int_equal(fx_make_set(at("v1"), at("v2"), true), 0);
	assert_int_equal(unlink(at("v2")), 0);
	assert_int_equal(chmod(at("u1"), 0), 0);
	assert_int_equal(chmod(at("v1"), 0), 0);
	/* Root reads them: a cowlink and an orphan. */
	assert_int_equal(verdict_of("u1", 0, &r), CL_VERDICT_COWLINK);
	assert_int_equal(verdict_of("v1", CL_VERDICT_ORPHANS, &r), CL_VERDICT_ORPHAN);
	got = fx_run_as(NOBODY, NOBODY, unreadable_as_nobody, NULL);
	assert_int_equal(got, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_marked_set),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_orphan),
		cmocka_unit_test(test_unreadable_mark),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
