/* SPDX-License-Identifier: MIT */
/* cowlink_spawn(): a command under the seccomp supervisor (docs/DESIGN.md §4b).
 *
 * Three processes: the caller; the supervisor S, its child, which is the
 * subreaper of everything below it (so that every target stays its
 * descendant, which reading a target's memory may require, and every
 * target is reaped: a filter counts a task until then); and the command T.
 * T, started as posix_spawn starts a child (in S's memory until it execs),
 * installs the filter (with no_new_privs when it lacks CAP_SYS_ADMIN),
 * leaves the listener in the fd table it shares with S, and execs. S
 * serves until no target is left and reports T's wait status to the
 * caller over a socket. */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
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

/* T's frames poison AddressSanitizer's shadow of the stack it borrows (see
 * start_target); S clears it once T has gone. */
#if defined(__SANITIZE_ADDRESS__)
#define CL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CL_ASAN 1
#endif
#endif
#ifdef CL_ASAN
#include <sanitizer/asan_interface.h>
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

extern char **environ;

#define FILTER_MAX 128

/* What goes up a socket: an error (-errno) or, at the end, a status. */
struct msg {
	int err;
	int status;
};

static int send_msg(int sock, int err, int status)
{
	struct msg m = { err, status };

	while (send(sock, &m, sizeof m, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* Receive one message. 1: got it, 0: the other end closed, -errno. */
static int recv_msg(int sock, struct msg *m)
{
	ssize_t n;

	while ((n = recv(sock, m, sizeof *m, 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	return (size_t)n == sizeof *m ? 1 : -EPROTO;
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

/* What T, started with CLONE_VM, leaves for S in their shared memory. */
struct start {
	const char *file;
	char *const *argv, *const *envp;
	unsigned flags;
	const sigset_t *mask;  /* T's signal mask */
	const int *quiet;      /* signals S ignores, and how the caller had them */
	const struct sigaction *was;
	size_t nquiet;
	int nfd;               /* the listener, in the fd table they share */
	int err;               /* -errno: T did not get to exec */
};

/* T: never returns. It runs in S's memory, on a stack of S's, with S
 * stopped until it execs or exits (CLONE_VFORK), like posix_spawn's child:
 * no page tables copied and no copy-on-write faults, most of what starting
 * a command cost (bench 8c). So it writes only its own stack and *ST, and
 * catches no signal: handlers of the caller's are reset first, while every
 * signal is still blocked. The fd table is shared too (CLONE_FILES): the
 * listener T makes is S's at once; close-on-exec leaves it out of the
 * command's own table, which exec makes private. */
static int run_target(void *arg)
{
	struct start *st = arg;
	struct sigaction sa;
	int sig, nfd;

	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
		    sa.sa_handler != SIG_IGN) {
			sa.sa_handler = SIG_DFL;
			sa.sa_flags = 0;
			(void)sigaction(sig, &sa, NULL);
		}
	/* What S ignores for itself, the command gets as the caller had it
	 * (ignored stays ignored: a background job's SIGINT). */
	for (size_t i = 0; i < st->nquiet; i++) {
		sa = st->was[i];
		if (sa.sa_handler != SIG_IGN)
			sa.sa_handler = SIG_DFL;
		sa.sa_flags = 0;
		(void)sigaction(st->quiet[i], &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, st->mask, NULL);
	nfd = install(st->flags);
	if (nfd < 0) {
		st->err = nfd;
		_exit(127);
	}
	if (cl_fcntl(nfd, F_SETFD, FD_CLOEXEC) < 0) {
		st->err = -EBADF;
		_exit(127);
	}
	st->nfd = nfd;
	execvpe(st->file, st->argv, st->envp ? st->envp : environ);
	st->err = -errno;
	_exit(127);
}

/* Start T (its pid, or -errno); ST->nfd and ST->err say how it went. Not
 * instrumented by AddressSanitizer, so that T's stack is a plain array on
 * this thread's stack (ASan would move it to a heap of its own, and T's
 * _exit would then be seen as a stack switch). */
#if defined(__has_attribute)
#if __has_attribute(no_sanitize_address)
__attribute__((no_sanitize_address))
#endif
#endif
static pid_t start_target(struct start *st)
{
	/* T's stack: a part of S's own that S does not use until T has
	 * exec'd or exited (S waits in clone meanwhile). */
	_Alignas(64) char stack[64 * 1024];
	sigset_t all, old;
	pid_t t;

	st->nfd = -1;
	st->err = 0;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	t = clone(run_target, stack + sizeof stack,
		  CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, st);
	if (t < 0)
		t = -errno;
	UNPOISON(stack, sizeof stack);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return t;
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

/* Serve FILE, started as T, from the calling process until no target is
 * left: 0 with T's wait status in *STATUS, or -errno when T did not get to
 * exec. HERE: the caller's own process (COWLINK_SPAWN_HERE), which gets
 * its dispositions and mask back and stops being a subreaper; SIGTERM and
 * SIGHUP sent to it are passed on to T. Else S, which ignores them. */
static int serve(const char *file, char *const argv[], char *const envp[],
		 unsigned flags, const char *trees, bool here, int *status)
{
	static const int quiet[] = { SIGINT, SIGQUIT, SIGPIPE, SIGHUP, SIGTERM };
	struct sigaction ign = { .sa_handler = SIG_IGN }, was[5];
	size_t i, n = here ? 3 : 5;
	struct start st = { file, argv, envp, flags, NULL, quiet, was, n, -1, 0 };
	sigset_t block, old;
	pid_t t;

	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (trees)
		(void)cl_scope_init(trees, NULL);
	repoint_std_fds();
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	if (here) {
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGHUP);
	}
	sigprocmask(SIG_BLOCK, &block, &old);
	st.mask = &old;
	/* Serve as long as any target lives: a signal to the terminal's
	 * process group reaches the targets, which may still clean up. */
	for (i = 0; i < n; i++)
		sigaction(quiet[i], &ign, &was[i]);
	t = start_target(&st);
	if (t >= 0 && (st.err || st.nfd < 0)) {
		if (st.nfd >= 0)
			cl_close(st.nfd);
		while (waitpid(t, status, 0) < 0 && errno == EINTR)
			;
		t = st.err ? st.err : -ECHILD;
	}
	if (t >= 0)
		*status = cl_supervise(st.nfd, t, here);
	if (here) {
		for (i = 0; i < n; i++)
			sigaction(quiet[i], &was[i], NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		(void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	}
	return t < 0 ? (int)t : 0;
}

/* S: serve, then report to UP. Never returns. */
static void run_supervisor(int up, const char *file, char *const argv[],
			   char *const envp[], unsigned flags, const char *trees)
{
	int status = 0, e = serve(file, argv, envp, flags, trees, false, &status);

	(void)send_msg(up, e, status);
	_exit(e ? 127 : 0);
}

int cowlink_spawn(const char *file, char *const argv[], char *const envp[],
		  unsigned flags, const char *trees, int *status)
{
	struct msg m = { -ECHILD, 0 };
	int sp[2], r, st;
	pid_t s;

	if (!file || !argv || !status)
		return -EINVAL;
	if (flags & COWLINK_SPAWN_HERE)
		return serve(file, argv, envp, flags, trees, true, status);
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
	r = recv_msg(sp[0], &m);
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
