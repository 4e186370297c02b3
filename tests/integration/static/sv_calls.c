/* SPDX-License-Identifier: MIT */
/* One file call per run, made by raw system call: built -static by the
 * run-seccomp-*.sh tests, so that neither the dynamic loader nor the shim
 * sees it -- only cowlink run's supervisor can. run-seccomp-apps.sh's
 * dynamic case links it dynamically too: the calls go through libc's
 * syscall(), which the shim does not wrap either. Prints "ok" or the errno
 * name. Usage: sv_calls OP PATH [ARG...]. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/seccomp.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DATA "appended\n"
/* Newer than some headers; one number on every architecture. */
#define SYS_fchmodat2_ 452
#define SYS_setxattrat_ 463
#define SYS_removexattrat_ 466

static long wr(long fd)
{
	if (fd < 0)
		return fd;
	return syscall(SYS_write, fd, DATA, sizeof DATA - 1) == sizeof DATA - 1 ? 0 : -1;
}

static long call(const char *op, char **a)
{
	const char *p = a[0];
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct open_how how = { .flags = O_WRONLY | O_APPEND };

	if (!strcmp(op, "open"))
		return wr(syscall(SYS_open, p, O_WRONLY | O_APPEND));
	if (!strcmp(op, "openat"))
		return wr(syscall(SYS_openat, AT_FDCWD, p, O_RDWR | O_APPEND));
	if (!strcmp(op, "openat-dirfd")) { /* a[0] DIR, a[1] NAME in it */
		long d = syscall(SYS_open, p, O_RDONLY | O_DIRECTORY);
		return d < 0 ? d : wr(syscall(SYS_openat, d, a[1], O_WRONLY | O_APPEND));
	}
	if (!strcmp(op, "creat"))
		return wr(syscall(SYS_creat, p, 0644));
	if (!strcmp(op, "trunc"))
		return wr(syscall(SYS_open, p, O_WRONLY | O_TRUNC));
	if (!strcmp(op, "truncate"))
		return syscall(SYS_truncate, p, 2);
	if (!strcmp(op, "ftruncate")) {
		long fd = syscall(SYS_open, p, O_RDWR);
		return fd < 0 ? fd : syscall(SYS_ftruncate, fd, 3);
	}
	if (!strcmp(op, "chmod"))
		return syscall(SYS_chmod, p, 0600);
	if (!strcmp(op, "fchmod")) {
		long fd = syscall(SYS_open, p, O_RDONLY);
		return fd < 0 ? fd : syscall(SYS_fchmod, fd, 0600);
	}
	if (!strcmp(op, "chown")) /* a[1] UID, a[2] GID */
		return syscall(SYS_chown, p, atoi(a[1]), atoi(a[2]));
	if (!strcmp(op, "fchown")) {
		long fd = syscall(SYS_open, p, O_RDONLY);
		return fd < 0 ? fd : syscall(SYS_fchown, fd, atoi(a[1]), atoi(a[2]));
	}
	if (!strcmp(op, "utimensat"))
		return syscall(SYS_utimensat, AT_FDCWD, p, ts, 0);
	if (!strcmp(op, "futimens")) {
		long fd = syscall(SYS_open, p, O_RDONLY);
		return fd < 0 ? fd : syscall(SYS_utimensat, fd, NULL, ts, 0);
	}
	if (!strcmp(op, "setxattr"))
		return syscall(SYS_setxattr, p, "user.new", "v", 1, 0);
	if (!strcmp(op, "fsetxattr")) {
		long fd = syscall(SYS_open, p, O_RDONLY);
		return fd < 0 ? fd : syscall(SYS_fsetxattr, fd, "user.new", "v", 1, 0);
	}
	if (!strcmp(op, "removexattr"))
		return syscall(SYS_removexattr, p, "user.keep");
	/* Through the magic link of a read-only fd: /proc/self/fd/N, /dev/fd/N. */
	if (!strcmp(op, "fdlink") || !strcmp(op, "devfd")) {
		char link[64];
		long fd = syscall(SYS_open, p, O_RDONLY);

		if (fd < 0)
			return fd;
		snprintf(link, sizeof link, "%s/%ld", op[0] == 'f' ? "/proc/self/fd" : "/dev/fd", fd);
		return wr(syscall(SYS_open, link, O_WRONLY | O_APPEND));
	}
	if (!strcmp(op, "fdlink-chmod")) {
		char link[64];
		long fd = syscall(SYS_open, p, O_RDONLY);

		if (fd < 0)
			return fd;
		snprintf(link, sizeof link, "/proc/self/fd/%ld", fd);
		return syscall(SYS_chmod, link, 0600);
	}
	if (!strcmp(op, "setversion")) { /* the inode's generation, through a read-only fd */
		int v = 4242;
		long fd = syscall(SYS_open, p, O_RDONLY);

		return fd < 0 ? fd : syscall(SYS_ioctl, fd, FS_IOC_SETVERSION, &v);
	}
	/* The same through other magic links, and what the fd is afterwards. */
	if (!strcmp(op, "fdlink-truncate") || !strcmp(op, "fdlink-utime") ||
	    !strcmp(op, "stdout-open") || !strcmp(op, "opath-fdlink")) {
		char link[64];
		long fd = syscall(SYS_open, p, op[0] == 'o' ? O_PATH : O_RDONLY);

		if (fd < 0)
			return fd;
		snprintf(link, sizeof link, "/proc/self/fd/%ld", fd);
		if (op[7] == 't')
			return syscall(SYS_truncate, link, 2);
		if (op[7] == 'u')
			return syscall(SYS_utimensat, AT_FDCWD, link, ts, 0);
		if (op[0] == 'o')
			return wr(syscall(SYS_open, link, O_WRONLY | O_APPEND));
		long out = syscall(SYS_dup, 1);

		if (out < 0 || syscall(SYS_dup2, fd, 1) < 0) /* /dev/stdout is fd 1 now */
			return -1;
		fd = syscall(SYS_open, "/dev/stdout", O_WRONLY | O_APPEND);
		if (fd < 0 || wr(fd) < 0 || syscall(SYS_dup2, out, 1) < 0)
			return -1;
		return 0;
	}
	/* Another process's fd: /proc/CHILD/fd/N of a child that holds the
	 * name open for reading. */
	if (!strcmp(op, "otherfd")) {
		int go[2], done[2];
		char link[64], c;
		long fd, r;
		pid_t kid;

		if (pipe(go) || pipe(done))
			return -1;
		kid = fork();
		if (kid == 0) {
			fd = syscall(SYS_open, p, O_RDONLY);
			(void)!write(go[1], &fd, sizeof fd);
			(void)!read(done[0], &c, 1);
			_exit(0);
		}
		if (kid < 0 || read(go[0], &fd, sizeof fd) != sizeof fd || fd < 0)
			return -1;
		snprintf(link, sizeof link, "/proc/%d/fd/%ld", (int)kid, fd);
		r = wr(syscall(SYS_open, link, O_WRONLY | O_APPEND));
		(void)!write(done[1], "x", 1);
		waitpid(kid, NULL, 0);
		return r;
	}
	/* fd changes after a break (Go's f.Chown, then f.Chmod): each lands
	 * on the name's own copy, and fstat shows it. */
	if (!strcmp(op, "fchown-fchmod")) {
		struct stat st, byname;
		long fd = syscall(SYS_open, p, O_RDONLY);

		if (fd < 0 || syscall(SYS_fchown, fd, getuid(), getgid()) ||
		    syscall(SYS_fchmod, fd, 0600) || syscall(SYS_fstat, fd, &st) ||
		    syscall(SYS_stat, p, &byname))
			return -1;
		if ((st.st_mode & 07777) != 0600 || st.st_ino != byname.st_ino) {
			errno = ESTALE;
			return -1;
		}
		return 0;
	}
	/* The *at calls with an empty path and AT_EMPTY_PATH: the fd itself. */
	if (!strcmp(op, "utimensat-empty")) {
		long fd = syscall(SYS_open, p, O_RDONLY);
		return fd < 0 ? fd : syscall(SYS_utimensat, fd, "", ts, AT_EMPTY_PATH);
	}
	if (!strcmp(op, "fchmodat2-empty")) { /* through an O_PATH fd */
		long fd = syscall(SYS_open, p, O_PATH);
		return fd < 0 ? fd : syscall(SYS_fchmodat2_, fd, "", 0600, AT_EMPTY_PATH);
	}
	if (!strcmp(op, "setxattrat-empty")) {
		struct { unsigned long long value; unsigned size, flags; } xa = {
			(unsigned long long)(unsigned long)"v", 1, 0 };
		long fd = syscall(SYS_open, p, O_RDONLY);
		return fd < 0 ? fd : syscall(SYS_setxattrat_, fd, "", AT_EMPTY_PATH,
					      "user.new", &xa, sizeof xa);
	}
	if (!strcmp(op, "removexattrat-empty")) {
		long fd = syscall(SYS_open, p, O_RDONLY);
		return fd < 0 ? fd : syscall(SYS_removexattrat_, fd, "", AT_EMPTY_PATH,
					      "user.keep");
	}
	if (!strcmp(op, "nodump")) { /* chattr +d through a read-only fd */
		long fd = syscall(SYS_open, p, O_RDONLY);
		int fl = 0;

		if (fd < 0 || syscall(SYS_ioctl, fd, FS_IOC_GETFLAGS, &fl) < 0)
			return -1;
		fl |= FS_NODUMP_FL;
		return syscall(SYS_ioctl, fd, FS_IOC_SETFLAGS, &fl);
	}
	if (!strcmp(op, "openat2"))
		return wr(syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof how));
	if (!strcmp(op, "openat2-inroot")) { /* a[0] DIR, a[1] "/NAME" inside it */
		long d = syscall(SYS_open, p, O_RDONLY | O_DIRECTORY);

		how.resolve = RESOLVE_IN_ROOT;
		return d < 0 ? d : wr(syscall(SYS_openat2, d, a[1], &how, sizeof how));
	}
	if (!strcmp(op, "handle")) { /* open_by_handle_at for writing (root) */
		struct { struct file_handle fh; unsigned char b[MAX_HANDLE_SZ]; } h;
		int mount_id;
		long m;

		h.fh.handle_bytes = MAX_HANDLE_SZ;
		if (syscall(SYS_name_to_handle_at, AT_FDCWD, p, &h.fh, &mount_id, 0) < 0)
			return -1;
		m = syscall(SYS_open, ".", O_RDONLY | O_DIRECTORY);
		return m < 0 ? m : wr(syscall(SYS_open_by_handle_at, m, &h.fh, O_WRONLY | O_APPEND));
	}
	if (!strcmp(op, "stdout")) /* append through the inherited fd 1 */
		return wr(1);
	if (!strcmp(op, "unlink"))
		return syscall(SYS_unlink, p);
	if (!strcmp(op, "rename")) /* a[1] the name renamed over P */
		return syscall(SYS_rename, a[1], p);
	if (!strcmp(op, "tree")) { /* a[1] DEPTH: fork and exec ourselves deeper */
		int depth = atoi(a[1]), st;
		char d[16];
		pid_t c;

		if (depth == 0)
			return wr(syscall(SYS_open, p, O_WRONLY | O_APPEND));
		snprintf(d, sizeof d, "%d", depth - 1);
		c = fork();
		if (c == 0) {
			execl("/proc/self/exe", "sv_calls", "tree", p, d, (char *)NULL);
			_exit(127);
		}
		if (c < 0 || waitpid(c, &st, 0) < 0)
			return -1;
		return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : (errno = EIO, -1);
	}
	if (!strcmp(op, "ownfilter")) { /* a filter of its own, then append */
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { 1, &allow };

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			return -1;
		return wr(syscall(SYS_open, p, O_WRONLY | O_APPEND));
	}
	if (!strcmp(op, "uring")) /* io_uring_setup(1, params): ENOSYS under run */
		return syscall(SYS_io_uring_setup, 1, (char[120]){ 0 }) < 0 ? -1 : 0;
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: sv_calls OP PATH [ARG...]\n");
		return 2;
	}
	if (call(argv[1], argv + 2) < 0) {
		const char *n = strerrorname_np(errno);
		printf("%s\n", n ? n : "unknown-errno");
		return 1;
	}
	puts("ok");
	return 0;
}
