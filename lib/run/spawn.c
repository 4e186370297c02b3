/* SPDX-License-Identifier: MIT */
/* cowlink_spawn(): a command under the seccomp supervisor (docs/DESIGN.md §4b).
 *
 * Three processes: the caller; the supervisor S, its child, which is the
 * subreaper of everything below it (so that every target stays its
 * descendant, which reading a target's memory may require, and every
 * target is reaped: a filter counts a task until then); and the command T.
 * T installs the filter (with no_new_privs when it lacks CAP_SYS_ADMIN),
 * hands the listener to S over a socket and execs. S serves until no target
 * is left and reports T's wait status to the caller. */
#include "supervise.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

extern char **environ;

#define FILTER_MAX 128

/* What goes up a socket: an error (-errno) or, at the end, a status. */
struct msg {
	int err;
	int status;
};

static int send_msg(int sock, int err, int status, int fd)
{
	struct msg m = { err, status };
	struct iovec iov = { &m, sizeof m };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(&u, 0, sizeof u);
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof u.buf;
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	}
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* Receive one message (and an fd into *FD when one comes). 1: got it,
 * 0: the other end closed, -errno. */
static int recv_msg(int sock, struct msg *m, int *fd)
{
	struct iovec iov = { m, sizeof *m };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct cmsghdr *cm;
	ssize_t n;

	while ((n = cl_recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) == -EINTR)
		;
	if (n < 0)
		return (int)n;
	if (n == 0)
		return 0;
	if ((size_t)n != sizeof *m)
		return -EPROTO;
	for (cm = CMSG_FIRSTHDR(&mh); fd && cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(cm), sizeof *fd);
	return 1;
}

/* Install the filter in the calling process; the listener fd or -errno. */
static int install(unsigned flags)
{
	struct sock_filter insns[FILTER_MAX];
	struct sock_fprog prog;
	unsigned long fl = SECCOMP_FILTER_FLAG_NEW_LISTENER;
	int n, fd;
	bool nnp = false;

	n = cl_filter_build(insns, FILTER_MAX, flags);
	if (n < 0)
		return n;
	prog.len = (unsigned short)n;
	prog.filter = insns;
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
	/* A signal must not restart a call the supervisor is already acting
	 * on (Linux 5.19; without it a restarted call is simply sent again). */
	fl |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
#endif
	for (;;) {
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, fl, &prog);
		if (fd >= 0)
			return fd;
		if (errno == EACCES && !nnp) {
			/* No CAP_SYS_ADMIN: only with no_new_privs. */
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
				return -errno;
			nnp = true;
			continue;
		}
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
		if (errno == EINVAL && (fl & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)) {
			fl &= ~(unsigned long)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
			continue;
		}
#endif
		/* EINVAL without user notification (Linux < 5.0): say so. */
		return errno == EINVAL ? -ENOSYS : -errno;
	}
}

/* T: never returns. */
static void run_target(int sock, const char *file, char *const argv[],
		       char *const envp[], unsigned flags, const sigset_t *mask)
{
	int nfd;

	sigprocmask(SIG_SETMASK, mask, NULL);
	nfd = install(flags);
	if (nfd < 0) {
		(void)send_msg(sock, nfd, 0, -1);
		_exit(127);
	}
	if (send_msg(sock, 0, 0, nfd))
		_exit(127);
	cl_close(nfd);
	execvpe(file, argv, envp ? envp : environ);
	(void)send_msg(sock, -errno, 0, -1);
	_exit(127);
}

/* Inherited fds 0-2 that are writable fds on a shared inode (`cmd >> b`
 * from a shell outside) get the private copy of their name before the
 * command starts, as the shim's constructor does for the programs it is
 * loaded into: a static program would write through them unchecked. */
static void repoint_std_fds(void)
{
	struct cl_break_opts o = { .keep = -1, .nofollow = true };
	char proc[CL_PROC_FD_MAX], name[PATH_MAX];
	struct cl_record r;
	struct stat st, now;
	ssize_t n;
	int fd, fl, e;

	for (fd = 0; fd <= 2; fd++) {
		if (cl_fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink < 2)
			continue;
		fl = cl_fcntl(fd, F_GETFL, 0);
		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || (fl & O_PATH))
			continue;
		cl_proc_fd_path(fd, proc);
		n = cl_readlinkat(AT_FDCWD, proc, name, sizeof name - 1);
		if (n <= 0 || name[0] != '/')
			continue;
		name[n] = '\0';
		if (cl_fstatat(AT_FDCWD, name, &now, AT_SYMLINK_NOFOLLOW) ||
		    now.st_dev != st.st_dev || now.st_ino != st.st_ino)
			continue; /* no name leads to it: writes reach it, as without */
		o.scope = cl_scope_of_name(name);
		if (cl_mark_read_fd(fd, &r) == 0 && !o.scope)
			continue;
		o.dev = st.st_dev;
		o.ino = st.st_ino;
		e = cl_break_at(AT_FDCWD, name, &o);
		if (!e)
			e = cl_fd_reopen(fd, name, fl);
		cl_debug("run: fd %d on a shared inode: %s (%d)", fd,
			 e ? "left as it is" : "re-pointed at its private copy", -e);
	}
}

/* S: serve, then report to UP. Never returns. */
static void run_supervisor(int up, const char *file, char *const argv[],
			   char *const envp[], unsigned flags, const char *trees)
{
	static const int quiet[] = { SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGPIPE };
	sigset_t chld, old;
	struct msg m;
	int tp[2], nfd = -1, r, status;
	pid_t t;
	size_t i;

	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (trees)
		(void)cl_scope_init(trees, NULL);
	repoint_std_fds();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, tp)) {
		(void)send_msg(up, -errno, 0, -1);
		_exit(127);
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	t = fork();
	if (t < 0) {
		(void)send_msg(up, -errno, 0, -1);
		_exit(127);
	}
	if (t == 0) {
		cl_close(tp[0]);
		cl_close(up);
		run_target(tp[1], file, argv, envp, flags, &old);
	}
	cl_close(tp[1]);
	/* The listener, then the end of the socket at exec (or an error). */
	r = recv_msg(tp[0], &m, &nfd);
	if (r == 1 && !m.err && nfd >= 0) {
		r = recv_msg(tp[0], &m, NULL);
		if (r == 0)
			m.err = 0;
	}
	cl_close(tp[0]);
	if (r < 0)
		m.err = r;
	else if (r == 0 && nfd < 0)
		m.err = -ECHILD;
	if (m.err || nfd < 0) {
		(void)send_msg(up, m.err ? m.err : -ECHILD, 0, -1);
		while (waitpid(t, &status, 0) < 0 && errno == EINTR)
			;
		_exit(127);
	}
	/* Serve as long as any target lives: a signal to the terminal's
	 * process group reaches the targets, which may still clean up. */
	for (i = 0; i < sizeof quiet / sizeof quiet[0]; i++)
		signal(quiet[i], SIG_IGN);
	status = cl_supervise(nfd, t);
	(void)send_msg(up, 0, status, -1);
	_exit(0);
}

int cowlink_spawn(const char *file, char *const argv[], char *const envp[],
		  unsigned flags, const char *trees, int *status)
{
	struct msg m = { -ECHILD, 0 };
	int sp[2], r, st;
	pid_t s;

	if (!file || !argv || !status)
		return -EINVAL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp))
		return -errno;
	s = fork();
	if (s < 0) {
		r = -errno;
		cl_close(sp[0]);
		cl_close(sp[1]);
		return r;
	}
	if (s == 0) {
		cl_close(sp[0]);
		run_supervisor(sp[1], file, argv, envp, flags, trees);
	}
	cl_close(sp[1]);
	r = recv_msg(sp[0], &m, NULL);
	cl_close(sp[0]);
	while (waitpid(s, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return r;
	if (r == 0)
		return -ECHILD; /* the supervisor died (SIGKILL) */
	if (m.err)
		return m.err;
	*status = m.status;
	return 0;
}
