/* SPDX-License-Identifier: MIT */
/* The user.cowlink record: one parser, every malformed form treated as
 * "a cowlink with no recorded bits", and the mark read back from files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fixture.h"

static int parse(const char *s, struct cl_record *r)
{
	r->version = 99;
	r->wbits = 0777;
	return cl_record_parse(s, strlen(s), r);
}

static void valid(void **state)
{
	struct cl_record r;

	(void)state;
	assert_int_equal(parse("cowlink v1 w=0222", &r), 0);
	assert_int_equal(r.version, 1);
	assert_int_equal(r.wbits, 0222);
	assert_int_equal(parse("cowlink v1 w=0200\n", &r), 0);
	assert_int_equal(r.wbits, 0200);
	assert_int_equal(parse("cowlink v1 w=0", &r), 0);
	assert_int_equal(r.version, 1);
	assert_int_equal(r.wbits, 0);
	assert_int_equal(parse("cowlink v1 w=20", &r), 0);
	assert_int_equal(r.wbits, 020);
	assert_false(r.dying);
	/* An orphan's unshare in progress (break.c). */
	assert_int_equal(parse("cowlink v1 w=0200 unsharing", &r), 0);
	assert_int_equal(r.wbits, 0200);
	assert_true(r.dying);
	assert_int_equal(parse("cowlink v1 w=0200 unsharing\n", &r), 0);
	assert_true(r.dying);
}

static void malformed(void **state)
{
	static const char *bad[] = {
		"", "c", "cowlink", "cowlink v", "cowlink vx w=0", "cowlink v0 w=0",
		"cowlink v1", "cowlink v1 ", "cowlink v1 w=", "cowlink v1 w=8",
		"cowlink v1 w=0777", "cowlink v1 w=0100", "cowlink v1 w=0222x",
		"cowlink v1 w=0222\n\n", "cowlink v1 w=0222 ", " cowlink v1 w=0222",
		"cowlink v1 w=0222 unsharingx", "cowlink v1 w=0222unsharing",
		"cowlink v1 w=0222 unsharing unsharing",
		"COWLINK v1 w=0222", "cowlink v1 w=00000000000000000000222",
		"cowlink v99999999999999 w=0", "cowlink v-1 w=0", "cowlink v1 w=-2",
		"cowlink v1w=0222",
	};
	struct cl_record r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		int e = parse(bad[i], &r);

		if (e != -EINVAL)
			fail_msg("\"%s\": got %d, want -EINVAL", bad[i], e);
		assert_int_equal(r.version, 0);
		assert_int_equal(r.wbits, 0);
	}
	/* An embedded NUL is trailing garbage too. */
	assert_int_equal(cl_record_parse("cowlink v1 w=0222\0x", 19, &r), -EINVAL);
	assert_int_equal(r.version, 0);
}

static void unknown_version(void **state)
{
	struct cl_record r;

	(void)state;
	assert_int_equal(parse("cowlink v2 w=0222", &r), -EPROTO);
	assert_int_equal(r.version, 0);
	assert_int_equal(r.wbits, 0);
	assert_int_equal(parse("cowlink v17 anything at all", &r), -EPROTO);
	assert_int_equal(r.version, 0);
}

static void round_trip(void **state)
{
	char buf[CL_RECORD_MAX];
	struct cl_record in, out;
	unsigned w;

	(void)state;
	for (w = 0; w <= 0222; w++) {
		if (w & ~0222u)
			continue;
		in.version = CL_RECORD_VERSION;
		in.wbits = w;
		for (int d = 0; d < 2; d++) {
			in.dying = d; /* " unsharing" round-trips too */
			size_t n = cl_record_format(&in, buf);
			assert_true(n > 0 && n < CL_RECORD_MAX);
			assert_int_equal(cl_record_parse(buf, n, &out), 0);
			assert_int_equal(out.version, CL_RECORD_VERSION);
			assert_int_equal(out.wbits, w);
			assert_int_equal(out.dying, d);
		}
	}
	in.dying = false;
	/* Bits outside 0222 are never written. */
	in.wbits = 0777;
	size_t n = cl_record_format(&in, buf);
	assert_int_equal(cl_record_parse(buf, n, &out), 0);
	assert_int_equal(out.wbits, 0222);
}

/* The mark on real files: absent, valid, malformed, unknown, oversized. */
static void mark_on_files(void **state)
{
	const char *f = fx_p(fx_dir, "f");
	char big[CL_RECORD_MAX * 4];
	struct cl_record r = { 1, 0220, false }, got;
	int fd;

	(void)state;
	assert_int_equal(fx_write(f, "x", 1, 0644), 0);
	fd = open(f, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(cl_mark_read_fd(fd, &got), 0);
	assert_int_equal(cl_mark_read_path(f, &got), 0);
	assert_int_equal(cl_mark_remove_fd(fd), 0);

	assert_int_equal(cl_mark_write_fd(fd, &r, 0), 0);
	assert_int_equal(cl_mark_read_fd(fd, &got), 1);
	assert_int_equal(got.version, 1);
	assert_int_equal(got.wbits, 0220);
	assert_int_equal(cl_mark_read_path(f, &got), 1);
	assert_int_equal(got.wbits, 0220);
	int dfd = open(fx_dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(cl_mark_read_at(dfd, "f", &got), 1);
	assert_int_equal(got.wbits, 0220);
	/* A kernel before 6.13 has no getxattrat: the same answer through
	 * /proc/self/fd/DIRFD/NAME (and from then on without asking). */
	fx_fault_arm(CL_OP_GETXATTRAT, 1, ENOSYS);
	got.wbits = 0;
	assert_int_equal(cl_mark_read_at(dfd, "f", &got), 1);
	assert_int_equal(got.wbits, 0220);
	fx_fault_arm(CL_OP_LGETXATTR, 1, EIO);
	assert_int_equal(cl_mark_read_at(dfd, "f", &got), -EIO);
	fx_fault_off();
	close(dfd);

	assert_int_equal(fsetxattr(fd, CL_XATTR, "junk", 4, 0), 0);
	got.version = 5;
	assert_int_equal(cl_mark_read_fd(fd, &got), 1);
	assert_int_equal(got.version, 0);
	assert_int_equal(got.wbits, 0);

	assert_int_equal(fsetxattr(fd, CL_XATTR, "cowlink v3 w=0222", 17, 0), 0);
	assert_int_equal(cl_mark_read_fd(fd, &got), 1);
	assert_int_equal(got.version, 0);

	memset(big, 'x', sizeof big);
	memcpy(big, "cowlink v1 w=0222", 17);
	assert_int_equal(fsetxattr(fd, CL_XATTR, big, sizeof big, 0), 0);
	got.version = 5;
	assert_int_equal(cl_mark_read_fd(fd, &got), 1);
	assert_int_equal(got.version, 0);

	assert_int_equal(cl_mark_remove_fd(fd), 0);
	assert_int_equal(cl_mark_read_fd(fd, &got), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid),
		cmocka_unit_test(malformed),
		cmocka_unit_test(unknown_version),
		cmocka_unit_test(round_trip),
		cmocka_unit_test_setup_teardown(mark_on_files, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
