/* SPDX-License-Identifier: MIT */
/* The floor of a trapped call (bench case 8b): a command under a seccomp
 * user-notification filter whose supervisor answers every call at once
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE) without looking at it, started and
 * served the way cowlink run does it -- the command in the supervisor's
 * memory until its exec, the supervisor polling the listener. What cowlink
 * run adds to a trapped call beyond this is its own work.
 *
 *   notif PROGRAM [ARG]...   run PROGRAM under the filter; its exit status
 *
 * The filter sends up every openat and open whose flags ask for writing
 * (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC), as cowlink run's does, and nothing
 * else. Built by bench/run.sh with cc -O2; not part of the CMake build. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct start {
	char **argv;
	int nfd, err;
};

#define WRITE_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)
#define ARG(n) offsetof(struct seccomp_data, args[n])

static int install(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG(2)),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, WRITE_FLAGS, 5, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG(1)),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, WRITE_FLAGS, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			      SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	return fd < 0 ? -errno : fd;
}

static int child(void *arg)
{
	struct start *st = arg;
	int fd = install();

	if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		st->err = fd < 0 ? -fd : errno;
		_exit(127);
	}
	st->nfd = fd;
	execvp(st->argv[0], st->argv);
	st->err = errno;
	_exit(127);
}

int main(int argc, char **argv)
{
	static char stack[64 * 1024];
	struct seccomp_notif_sizes sz = { 0 };
	struct seccomp_notif *req;
	struct seccomp_notif_resp resp;
	struct start st = { argv + 1, -1, 0 };
	struct pollfd p;
	int status;
	pid_t t;

	if (argc < 2) {
		fprintf(stderr, "usage: notif PROGRAM [ARG]...\n");
		return 2;
	}
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0) {
		perror("notif: seccomp");
		return 1;
	}
	req = calloc(1, sz.seccomp_notif > sizeof *req ? sz.seccomp_notif : sizeof *req);
	if (!req)
		return 1;
	t = clone(child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &st);
	if (t < 0 || st.err) {
		fprintf(stderr, "notif: %s: %s\n", argv[1], strerror(t < 0 ? errno : st.err));
		return 127;
	}
	p = (struct pollfd){ .fd = st.nfd, .events = POLLIN };
	for (;;) {
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!(p.revents & POLLIN))
			break; /* POLLHUP: no target left */
		memset(req, 0, sz.seccomp_notif);
		if (ioctl(st.nfd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
			continue;
		memset(&resp, 0, sizeof resp);
		resp.id = req->id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		(void)ioctl(st.nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	while (waitpid(t, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
