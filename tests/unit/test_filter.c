/* SPDX-License-Identifier: MIT */
/* The supervisor's seccomp filter (filter.c), run by a small classic-BPF
 * interpreter on made-up system calls: write-opens and metadata calls go
 * up, read-only opens and everything else stay in the kernel, io_uring is
 * refused unless allowed, other architectures and x32 are killed; every
 * row of syscalls.def goes up as its row says. Also the target helpers of
 * target.c on this process itself. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/fs.h>
#include <linux/fsverity.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervise.h"

/* What the kernel would do with DATA: the filter's return value. Only the
 * instructions cl_filter_build emits. */
static uint32_t run(const struct sock_filter *p, int n, const struct seccomp_data *data)
{
	uint32_t a = 0;
	int pc = 0;

	while (pc < n) {
		const struct sock_filter *f = &p[pc++];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(f->k + 4 <= sizeof *data);
			memcpy(&a, (const char *)data + f->k, 4);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & f->k) ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			fail_msg("unexpected BPF code %#x", f->code);
		}
	}
	fail_msg("ran off the end of the filter");
	return 0;
}

/* The filter's verdict on call NR with the six arguments ARGS. */
static uint32_t verdict_args(unsigned flags, int nr, const uint64_t args[6])
{
	struct sock_filter p[BPF_MAXINSNS];
	struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
	int n = cl_filter_build(p, BPF_MAXINSNS, flags);

	assert_true(n > 0);
	memcpy(d.args, args, sizeof d.args);
	return run(p, n, &d);
}

static uint32_t verdict(unsigned flags, int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	const uint64_t args[6] = { a0, a1, a2 };

	return verdict_args(flags, nr, args);
}

#define NOTIFY SECCOMP_RET_USER_NOTIF
#define ALLOW SECCOMP_RET_ALLOW

static void opens(void **state)
{
	(void)state;
	assert_int_equal(verdict(0, __NR_open, 0, O_RDONLY, 0), ALLOW);
	assert_int_equal(verdict(0, __NR_open, 0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0), ALLOW);
	assert_int_equal(verdict(0, __NR_open, 0, O_WRONLY, 0), NOTIFY);
	assert_int_equal(verdict(0, __NR_open, 0, O_RDWR | O_CREAT, 0), NOTIFY);
	assert_int_equal(verdict(0, __NR_open, 0, O_RDONLY | O_TRUNC, 0), NOTIFY);
	/* openat's flags are its third argument; the high word is ignored. */
	assert_int_equal(verdict(0, __NR_openat, O_WRONLY, 0, O_RDONLY), ALLOW);
	assert_int_equal(verdict(0, __NR_openat, 0, 0, O_WRONLY | O_APPEND), NOTIFY);
	assert_int_equal(verdict(0, __NR_openat, 0, 0, 0xffffffff00000000ull), ALLOW);
	assert_int_equal(verdict(0, __NR_creat, 0, 0, 0), NOTIFY);
	assert_int_equal(verdict(0, __NR_openat2, 0, 0, 0), NOTIFY);
	assert_int_equal(verdict(0, __NR_open_by_handle_at, 3, 0, O_RDONLY), ALLOW);
	assert_int_equal(verdict(0, __NR_open_by_handle_at, 3, 0, O_WRONLY), NOTIFY);
}

static void others(void **state)
{
	static const int up[] = { __NR_truncate, __NR_ftruncate, __NR_fallocate,
		__NR_copy_file_range, __NR_chmod, __NR_fchmod, __NR_fchmodat, __NR_fchmodat2,
		__NR_chown, __NR_fchown, __NR_lchown, __NR_fchownat, __NR_utime, __NR_utimes,
		__NR_utimensat, __NR_futimesat, __NR_setxattr, __NR_lsetxattr, __NR_fsetxattr,
		__NR_removexattr, __NR_lremovexattr, __NR_fremovexattr, __NR_unlink,
		__NR_unlinkat, __NR_rename, __NR_renameat, __NR_renameat2 };
	static const int down[] = { __NR_read, __NR_write, __NR_pwrite64, __NR_writev,
		__NR_close, __NR_stat, __NR_fstat, __NR_newfstatat, __NR_statx, __NR_mmap,
		__NR_execve, __NR_clone, __NR_getxattr, __NR_link, __NR_mkdir };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof up / sizeof up[0]; i++)
		assert_int_equal(verdict(0, up[i], 0, 0, 0), NOTIFY);
	for (i = 0; i < sizeof down / sizeof down[0]; i++)
		assert_int_equal(verdict(0, down[i], 0, O_WRONLY, O_WRONLY), ALLOW);
}

/* Every row of syscalls.def, the table the supervisor's dispatch is made
 * from too, goes up: an open when the flags argument its row names asks
 * for writing, and only then; an ioctl for a file-flag request. The calls
 * of others' down[] are in no row. */
static const struct row { const char *name; int nr; int up; } rows[] = {
#define SYSCALL(name, up, ...) { #name, __NR_##name, up },
#include "syscalls.def"
#undef SYSCALL
};

/* The filter's verdict on row R's call with ARGS is WANT, or the test
 * fails naming the call. */
static void expect(const struct row *r, const uint64_t args[6], uint32_t want)
{
	uint32_t got = verdict_args(0, r->nr, args);

	if (got != want)
		fail_msg("%s (arguments %#llx %#llx %#llx...): %#x, not %#x", r->name,
			 (unsigned long long)args[0], (unsigned long long)args[1],
			 (unsigned long long)args[2], got, want);
}

static void table(void **state)
{
	static const int down[] = { __NR_read, __NR_write, __NR_close, __NR_newfstatat,
		__NR_statx, __NR_getxattr, __NR_link, __NR_mkdir, __NR_io_uring_setup };
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		uint64_t args[6] = { 0 };
		int kind = CL_SC_KIND(r->up), arg = CL_SC_ARG(r->up);

		if (kind == CL_SC_OPEN) {
			expect(r, args, ALLOW);
			args[arg] = O_RDONLY | O_CREAT | O_NOFOLLOW;
			expect(r, args, ALLOW);
			args[arg] = O_WRONLY;
			expect(r, args, NOTIFY);
			args[arg] = O_RDONLY | O_TRUNC;
			expect(r, args, NOTIFY);
		} else if (kind == CL_SC_IOCTL) {
			expect(r, args, ALLOW);
			args[1] = FS_IOC_SETFLAGS;
			expect(r, args, NOTIFY);
		} else {
			assert_true(kind == CL_SC_ALWAYS || kind == CL_SC_HOW);
			expect(r, args, NOTIFY);
			memset(args, 0xff, sizeof args);
			expect(r, args, NOTIFY);
		}
		for (k = 0; k < sizeof down / sizeof down[0]; k++)
			assert_int_not_equal(r->nr, down[k]);
	}
	for (k = 0; k < sizeof down / sizeof down[0]; k++) {
		uint64_t args[6] = { O_WRONLY, O_WRONLY, O_WRONLY, O_WRONLY, O_WRONLY, O_WRONLY };

		assert_int_not_equal(verdict_args(COWLINK_SPAWN_IO_URING, down[k], args), NOTIFY);
	}
}

static void ioctls(void **state)
{
	(void)state;
	assert_int_equal(verdict(0, __NR_ioctl, 3, FS_IOC_SETFLAGS, 0), NOTIFY);
	assert_int_equal(verdict(0, __NR_ioctl, 3, FS_IOC_FSSETXATTR, 0), NOTIFY);
	assert_int_equal(verdict(0, __NR_ioctl, 3, FICLONE, 0), NOTIFY);
	assert_int_equal(verdict(0, __NR_ioctl, 3, FICLONERANGE, 0), NOTIFY);
	assert_int_equal(verdict(0, __NR_ioctl, 3, FS_IOC_SETVERSION, 0), NOTIFY);
	assert_int_equal(verdict(0, __NR_ioctl, 3, FS_IOC_ENABLE_VERITY, 0), NOTIFY);
	assert_int_equal(verdict(0, __NR_ioctl, 3, FS_IOC_GETFLAGS, 0), ALLOW);
	assert_int_equal(verdict(0, __NR_ioctl, 3, 0x5401 /* TCGETS */, 0), ALLOW);
}

static void uring_and_arch(void **state)
{
	struct sock_filter p[BPF_MAXINSNS];
	struct seccomp_data d = { .nr = __NR_write, .arch = AUDIT_ARCH_I386 };
	int n = cl_filter_build(p, BPF_MAXINSNS, 0);

	(void)state;
	assert_int_equal(verdict(0, __NR_io_uring_setup, 0, 0, 0), SECCOMP_RET_ERRNO | ENOSYS);
	assert_int_equal(verdict(COWLINK_SPAWN_IO_URING, __NR_io_uring_setup, 0, 0, 0), ALLOW);
	assert_int_equal(run(p, n, &d), SECCOMP_RET_KILL_PROCESS);
	d.arch = AUDIT_ARCH_X86_64;
	d.nr = 0x40000000 | __NR_openat; /* x32 */
	assert_int_equal(run(p, n, &d), SECCOMP_RET_KILL_PROCESS);
	/* Too small a buffer: an error, never a cut filter. */
	assert_int_equal(cl_filter_build(p, 10, 0), -E2BIG);
}

/* target.c on ourselves: a string that ends right before an unmapped
 * page, one that does not end, and the names as the supervisor sees them. */
static void target(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char buf[64], out[CL_TPATH_MAX];
	pid_t me = getpid();

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_int_equal(munmap(m + page, (size_t)page), 0);
	memcpy(m + page - 4, "abc", 4);
	assert_int_equal(cl_target_read_str(me, (uint64_t)(uintptr_t)(m + page - 4), buf, sizeof buf), 3);
	assert_string_equal(buf, "abc");
	memset(m, 'x', (size_t)page);
	assert_int_equal(cl_target_read_str(me, (uint64_t)(uintptr_t)m, buf, sizeof buf), -ENAMETOOLONG);
	assert_true(cl_target_read_str(me, (uint64_t)(uintptr_t)(m + page - 8), buf, sizeof buf) < 0);
	assert_int_equal(cl_target_read_str(me, 0, buf, sizeof buf), -EFAULT);
	munmap(m, (size_t)page);

	assert_int_equal(cl_target_path(42, AT_FDCWD, "/etc/x", out), 0);
	assert_string_equal(out, "/proc/42/root/etc/x");
	assert_int_equal(cl_target_path(42, AT_FDCWD, "a/b", out), 0);
	assert_string_equal(out, "/proc/42/cwd/a/b");
	assert_int_equal(cl_target_path(42, 7, "b", out), 0);
	assert_string_equal(out, "/proc/42/fd/7/b");
	/* Taking on our own credentials changes nothing. */
	assert_int_equal(cl_target_become(me), 0);
}

int main(void)
{
#ifndef __x86_64__
	fprintf(stderr, "test_filter: the made-up calls are x86_64's\n");
	return 77;
#endif
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opens),
		cmocka_unit_test(others),
		cmocka_unit_test(table),
		cmocka_unit_test(ioctls),
		cmocka_unit_test(uring_and_arch),
		cmocka_unit_test(target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
