/* SPDX-License-Identifier: MIT */
/* cl_may_break and cl_may_change alone: the presented mode and the POSIX ACL (mask taken from
 * the presented group bits) against the caller's fsuid, fsgid and groups;
 * keeping the owner needs ownership (and the group) or CAP_CHOWN. Each case
 * runs in a child that sets its fs ids and capabilities. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fixture.h"

/* The fixture, for root only: the tests play other users. */
static int setup(void **state)
{
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: test_perm needs root to play other users\n");
		exit(FX_SKIP);
	}
	return fx_setup(state);
}

struct caller {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[4];
	bool cap_chown;
	bool cap_dac;
	bool cap_fowner;
};

/* Effective capabilities: exactly the ones asked for. */
static int set_caps(const struct caller *c)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective = (c->cap_chown ? 1u << CAP_CHOWN : 0) |
			 (c->cap_dac ? 1u << CAP_DAC_OVERRIDE : 0) |
			 (c->cap_fowner ? 1u << CAP_FOWNER : 0);
	d[1].effective = 0;
	return (int)syscall(SYS_capset, &h, d);
}

/* What may_need asks: cl_may_break, or cl_may_change (no owner to keep). */
static int (*check)(int, const struct stat *, mode_t, enum cl_need) = cl_may_break;

/* check(FD, file's stat, MODE, NEED) as caller C: 0 or the errno. */
static int may_need(const struct caller *c, int fd, mode_t mode, enum cl_need need)
{
	struct stat st;
	pid_t pid;
	int status;

	assert_int_equal(fstat(fd, &st), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups((size_t)c->ngroups, c->groups))
			_exit(200);
		setfsgid(c->gid);
		setfsuid(c->uid);
		if ((gid_t)setfsgid((gid_t)-1) != c->gid || (uid_t)setfsuid((uid_t)-1) != c->uid)
			_exit(201);
		if (set_caps(c))
			_exit(202);
		_exit(-check(fd, &st, mode, need));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_true(WEXITSTATUS(status) < 200);
	return WEXITSTATUS(status);
}

static int may_as(const struct caller *c, int fd, mode_t mode)
{
	return may_need(c, fd, mode, CL_NEED_WRITE);
}

/* A file owned by UID:GID with mode MODE (on disk) and an optional ACL. */
static int make(const char *name, uid_t uid, gid_t gid, mode_t mode)
{
	const char *p = fx_p(fx_dir, name);
	int fd;

	assert_int_equal(fx_write(p, "x", 1, mode), 0);
	assert_int_equal(chown(p, uid, gid), 0);
	assert_int_equal(chmod(p, mode), 0);
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

static void mode_bits(void **state)
{
	struct caller owner = { 1000, 1000, 0, { 0 }, false, false, false };
	struct caller member = { 2000, 2000, 1, { 1000 }, false, false, false };
	struct caller stranger = { 3000, 3000, 0, { 0 }, false, false, false };
	struct caller root = { 0, 0, 0, { 0 }, true, true, false };
	int fd = make("f", 1000, 1000, 0444);

	(void)state;
	/* Presented 0644 (protection cleared 0200): the owner may. */
	assert_int_equal(may_as(&owner, fd, 0644), 0);
	/* Presented 0444: read-only for real. */
	assert_int_equal(may_as(&owner, fd, 0444), EACCES);
	/* Group member with group write, but cannot keep the owner. */
	assert_int_equal(may_as(&member, fd, 0664), EACCES);
	member.cap_chown = true;
	assert_int_equal(may_as(&member, fd, 0664), 0);
	assert_int_equal(may_as(&member, fd, 0646), EACCES); /* group class, not other */
	stranger.cap_chown = true;
	assert_int_equal(may_as(&stranger, fd, 0664), EACCES);
	assert_int_equal(may_as(&stranger, fd, 0666), 0);
	/* Owner bits win for the owner even when group/other could write. */
	assert_int_equal(may_as(&owner, fd, 0466), EACCES);
	assert_int_equal(may_as(&root, fd, 0444), 0);
	/* DAC override without CAP_CHOWN: may write, may not keep another owner. */
	struct caller dac = { 3000, 3000, 0, { 0 }, false, true, false };
	assert_int_equal(may_as(&dac, fd, 0444), EACCES);
	close(fd);
}

/* The owner must also be able to give the copy the file's group. */
static void keep_group(void **state)
{
	struct caller owner = { 1000, 1000, 0, { 0 }, false, false, false };
	int fd = make("g", 1000, 4000, 0444);

	(void)state;
	assert_int_equal(may_as(&owner, fd, 0644), EACCES);
	owner.ngroups = 1;
	owner.groups[0] = 4000;
	assert_int_equal(may_as(&owner, fd, 0644), 0);
	close(fd);
}

/* An ACL entry: tag, perm, id (little endian, as the xattr stores it). */
static size_t ent(unsigned char *p, uint16_t tag, uint16_t perm, uint32_t id)
{
	memcpy(p, &tag, 2);
	memcpy(p + 2, &perm, 2);
	memcpy(p + 4, &id, 4);
	return 8;
}

static void acl(void **state)
{
	struct caller named = { 2000, 2000, 0, { 0 }, true, false, false };
	struct caller grp = { 3000, 3000, 1, { 5000 }, true, false, false };
	struct caller other = { 4000, 4000, 0, { 0 }, true, false, false };
	unsigned char buf[128];
	uint32_t ver = 2;
	size_t n = 4;
	int fd = make("a", 1000, 1000, 0444);

	(void)state;
	memcpy(buf, &ver, 4);
	n += ent(buf + n, 0x01, 6, 0xffffffff);  /* user_obj rw */
	n += ent(buf + n, 0x02, 6, 2000);        /* user 2000 rw */
	n += ent(buf + n, 0x04, 4, 0xffffffff);  /* group_obj r */
	n += ent(buf + n, 0x08, 6, 5000);        /* group 5000 rw */
	n += ent(buf + n, 0x10, 4, 0xffffffff);  /* mask r (protected) */
	n += ent(buf + n, 0x20, 4, 0xffffffff);  /* other r */
	if (fsetxattr(fd, "system.posix_acl_access", buf, n, 0)) {
		print_message("SKIP: no POSIX ACLs here (%s)\n", strerror(errno));
		skip();
	}
	/* Presented group bits rw (the mask before protection): both entries grant. */
	assert_int_equal(may_as(&named, fd, 0664), 0);
	assert_int_equal(may_as(&grp, fd, 0664), 0);
	/* The mask as on disk (r): neither does. */
	assert_int_equal(may_as(&named, fd, 0644), EACCES);
	assert_int_equal(may_as(&grp, fd, 0644), EACCES);
	/* Others go by the other bits only. */
	assert_int_equal(may_as(&other, fd, 0664), EACCES);
	assert_int_equal(may_as(&other, fd, 0666), 0);
	/* A matching group entry without write denies even if other could. */
	struct caller grp_r = { 3000, 1000, 0, { 0 }, true, false, false }; /* group_obj r */
	assert_int_equal(may_as(&grp_r, fd, 0646), EACCES);
	close(fd);
}

/* Before chmod, chown, utimes: the rules of those calls, not of a write. */
static void metadata_needs(void **state)
{
	struct caller owner = { 1000, 1000, 0, { 0 }, false, false, false };
	struct caller writer = { 2000, 2000, 0, { 0 }, true, false, false };
	struct caller fowner = { 2000, 2000, 0, { 0 }, true, false, true };
	int fd = make("m", 1000, 1000, 0444);

	(void)state;
	/* A read-only file: its owner may still chmod or touch it. */
	assert_int_equal(may_need(&owner, fd, 0444, CL_NEED_OWNER), 0);
	assert_int_equal(may_need(&owner, fd, 0444, CL_NEED_WRITE_OR_OWNER), 0);
	assert_int_equal(may_need(&owner, fd, 0444, CL_NEED_WRITE), EACCES);
	/* Someone else who may write: touch yes, chmod no (EPERM, as chmod). */
	assert_int_equal(may_need(&writer, fd, 0666, CL_NEED_WRITE_OR_OWNER), 0);
	assert_int_equal(may_need(&writer, fd, 0666, CL_NEED_OWNER), EPERM);
	assert_int_equal(may_need(&writer, fd, 0444, CL_NEED_WRITE_OR_OWNER), EACCES);
	/* CAP_FOWNER stands for ownership. */
	assert_int_equal(may_need(&fowner, fd, 0444, CL_NEED_OWNER), 0);
	close(fd);
}

/* A change made without a copy (one that changes nothing) asks only what
 * the call asks: no owner to keep. */
static void change_in_place(void **state)
{
	struct caller owner = { 1000, 1000, 0, { 0 }, false, false, false };
	struct caller member = { 2000, 2000, 1, { 1000 }, false, false, false };
	struct caller stranger = { 3000, 3000, 0, { 0 }, false, false, false };
	int fd = make("c", 1000, 1000, 0444);

	(void)state;
	check = cl_may_change;
	assert_int_equal(may_as(&member, fd, 0664), 0);
	assert_int_equal(may_as(&member, fd, 0644), EACCES);
	assert_int_equal(may_as(&stranger, fd, 0666), 0);
	assert_int_equal(may_need(&member, fd, 0664, CL_NEED_OWNER), EPERM);
	assert_int_equal(may_need(&owner, fd, 0444, CL_NEED_OWNER), 0);
	check = cl_may_break;
	close(fd);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(mode_bits), T(keep_group), T(acl), T(metadata_needs),
		T(change_in_place),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
