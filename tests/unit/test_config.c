/* SPDX-License-Identifier: MIT */
/* /etc/cowlink.conf's parser (lib/core/config.c, cl_conf_parse): the
 * settings of the machine-wide mode, read by every program on the machine,
 * so it is strict (anything odd: the whole file ignored) and must never
 * read or write past what it was given, whatever the bytes. And the one
 * pass over the environment (cl_env_read) that gives the shim its
 * COWLINK_* variables as getenv would. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static int parse(const char *text, struct cl_conf *c, unsigned *line)
{
	return cl_conf_parse(text, strlen(text), c, line);
}

static void test_good(void **state)
{
	struct cl_conf c;
	unsigned line;

	(void)state;
	assert_int_equal(parse("", &c, &line), 0);
	assert_null(c.trees);
	assert_null(c.exclude);
	assert_int_equal(parse("# only a comment\n\n   \n", &c, &line), 0);
	assert_null(c.trees);
	assert_int_equal(parse("trees = /a:/b\nexclude = ccache:make\n", &c, &line), 0);
	assert_string_equal(c.trees, "/a:/b");
	assert_string_equal(c.exclude, "ccache:make");
	/* Blanks around '=' and at the ends, CRLF, no final newline. */
	assert_int_equal(parse("\t trees=/x \r\n  # c\r\nexclude\t=\tgcc", &c, &line), 0);
	assert_string_equal(c.trees, "/x");
	assert_string_equal(c.exclude, "gcc");
	/* An empty value is a setting: nothing. Empty entries are skipped. */
	assert_int_equal(parse("trees =\nexclude = \n", &c, &line), 0);
	assert_string_equal(c.trees, "");
	assert_string_equal(c.exclude, "");
	assert_int_equal(parse("trees = /a::/b:\n", &c, &line), 0);
	assert_string_equal(c.trees, "/a::/b:");
}

static void test_bad(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{ "trees /a\n", 1 },                  /* no '=' */
		{ "# c\ncolour = red\n", 2 },         /* unknown key */
		{ "Trees = /a\n", 1 },                /* keys are lower case */
		{ "trees = /a\ntrees = /b\n", 2 },    /* twice */
		{ "trees = a\n", 1 },                 /* relative */
		{ "trees = /a:b\n", 1 },
		{ "trees = /a: /b\n", 1 },
		{ "= /a\n", 1 },
		{ "exclude = x\n  ; c\n", 2 },        /* not a '#' comment */
	};
	struct cl_conf c;
	unsigned line;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(parse(bad[i].text, &c, &line), -EINVAL);
		assert_int_equal(line, bad[i].line);
		assert_null(c.trees);
		assert_null(c.exclude);
	}
	/* A NUL byte in a value. */
	assert_int_equal(cl_conf_parse("trees = /a\0b\n", 13, &c, &line), -EINVAL);
	assert_null(c.trees);
}

/* At the limit and past it: never more than CL_CONF_MAX - 1 bytes. */
static void test_size(void **state)
{
	static char text[CL_CONF_MAX + 1];
	struct cl_conf c;
	unsigned line;
	size_t n;

	(void)state;
	n = CL_CONF_MAX - 1;
	memcpy(text, "trees = /", 9);
	memset(text + 9, 'a', n - 9);
	assert_int_equal(cl_conf_parse(text, n, &c, &line), 0);
	assert_int_equal(strlen(c.trees), n - 8);
	assert_int_equal(cl_conf_parse(text, CL_CONF_MAX, &c, &line), -EFBIG);
	assert_null(c.trees);
}

/* Every prefix of a good file, and random bytes drawn from what the
 * parser looks at: an answer each time, nothing read past the end (ASan
 * in the sanitizer build sees it: the input is a heap copy of exact
 * size), and values that are NUL-terminated strings inside c.buf. */
static void test_any_bytes(void **state)
{
	static const char good[] = "# x\n trees = /a:/b \r\nexclude=c\n";
	static const char alphabet[] = "tresxclud =/#:\n\r\t\0a";
	struct cl_conf c;
	unsigned line, seed = 1;
	char *copy;

	(void)state;
	for (size_t n = 0; n <= sizeof good - 1; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, good, n);
		(void)cl_conf_parse(copy, n, &c, &line);
		free(copy);
	}
	for (int round = 0; round < 20000; round++) {
		size_t n = (seed = seed * 1103515245u + 12345u) >> 16 & 63;

		copy = malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			copy[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		if (cl_conf_parse(copy, n, &c, &line) == 0) {
			if (c.trees) {
				assert_true(c.trees >= c.buf && c.trees < c.buf + sizeof c.buf);
				assert_true(strlen(c.trees) < n + 1);
			}
			if (c.exclude)
				assert_true(c.exclude >= c.buf && c.exclude < c.buf + sizeof c.buf);
		}
		free(copy);
	}
}

static void test_env(void **state)
{
	char *envp[] = {
		"PATH=/usr/bin", "COWLINK_DEBUG=1", "COWLINK_TREESX=/no", "COWLINK_TREES=/a:/b",
		"COWLINK_FSYNC=never", "COWLINK_DEBUG=0", "COWLINK=", "COWLINK_RUN=",
		"COWLINK_EXCLUDE=ccache", "COWLINK_CACHE=off", "XCOWLINK_CACHE=on", NULL,
	};
	char *none[] = { "HOME=/root", "COWLINK_SHELL=12", NULL };
	struct cl_env e;

	(void)state;
	cl_env_read(envp, &e);
	assert_string_equal(e.debug, "1"); /* the first of two, as getenv */
	assert_string_equal(e.trees, "/a:/b");
	assert_string_equal(e.fsync, "never");
	assert_string_equal(e.run, ""); /* set and empty is not unset */
	assert_string_equal(e.exclude, "ccache");
	assert_string_equal(e.cache, "off");
	cl_env_read(none, &e);
	assert_null(e.debug);
	assert_null(e.trees);
	assert_null(e.run);
	assert_null(e.exclude);
	cl_env_read(NULL, &e);
	assert_null(e.fsync);
	assert_null(e.cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_any_bytes),
		cmocka_unit_test(test_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
